"""A walk of the flag rules (flags.rules.Walk) as JSON, so a save can take it up.

What is kept grows slowly with the history: the open episode, runs and
context changes, the latest baseline sessions, each factor's latest rating,
one short string per stable session and exact sums per set of keys (the
client's usual variation), and the sessions the client rated themselves.
The closed flags are not kept: they are stored as rows and cannot change
while sessions are only added after the walk.

`fingerprint` names the rules, thresholds and factors a walk was made with; a
walk made with others is not taken up (the caller walks the whole series).
"""

import hashlib
import json
from dataclasses import asdict
from datetime import date
from fractions import Fraction

from flags import episodes, rules

# Raise when a rule changes what it keeps or finds: stored walks are then redone.
# 2: a self-report link answered without alliance answers no longer hides earlier answers.
RULES_VERSION = 2


def fingerprint(t: rules.Thresholds, domain_of: dict[str, str]) -> str:
    text = json.dumps([RULES_VERSION, asdict(t), sorted(domain_of.items())], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def dump(walk: rules.Walk) -> dict:
    h, e, keys = walk.history, walk.episode, walk.keys
    return {
        "position": walk.position,
        "after": _day_id(walk.after),
        "rated": h.rated,
        "last": h.last,
        "stable": h.stable,
        "usual": {
            ",".join(keys): [u.read, u.count, *_fraction(u.total), *_fraction(u.squares)] for keys, u in h.usual.items()
        },
        "episode": None
        if e is None
        else {
            "kind": e.kind,
            "start": e.start,
            "last": e.last,
            "opened": [e.opened[0], e.opened[1].isoformat()],
            "sessions": e.sessions,
            "baseline": e.baseline,
            "profile": e.profile,
            "fallen": e.fallen,
            "factors": e.factors,
            "facts": e.facts,
        },
        "weak": {key: [[pk, day.isoformat(), value] for pk, day, value in run] for key, run in walk.weak.items()},
        "context": {key: [previous, _flag(current)] for key, (previous, current) in walk.context.items()},
        "answered": [
            [p.id, p.date.isoformat(), _code(p.ratings, keys), _code(p.client_ratings, keys)] for p in walk.answered
        ],
    }


def load(data: dict, t: rules.Thresholds, domain_of: dict[str, str]) -> rules.Walk:
    walk = rules.Walk(t, domain_of)
    walk.position = data["position"]
    walk.after = _from_day_id(data["after"])
    h = walk.history
    h.rated, h.last, h.stable = data["rated"], data["last"], data["stable"]
    h.usual = {
        tuple(keys.split(",")): episodes.Usual(read, count, Fraction(tn, td), Fraction(sn, sd))
        for keys, (read, count, tn, td, sn, sd) in data["usual"].items()
    }
    e = data["episode"]
    if e is not None:
        walk.episode = episodes.Episode(
            kind=e["kind"],
            start=e["start"],
            last=e["last"],
            opened=(e["opened"][0], date.fromisoformat(e["opened"][1])),
            sessions=e["sessions"],
            baseline=e["baseline"],
            profile=e["profile"],
            fallen={k: tuple(v) for k, v in e["fallen"].items()},
            factors=e["factors"],
            facts=e["facts"],
        )
    walk.weak = {
        key: [(pk, date.fromisoformat(day), value) for pk, day, value in run] for key, run in data["weak"].items()
    }
    for key, (previous, current) in data["context"].items():
        if key in walk.context:
            walk.context[key] = [previous, _from_flag(current)]
    keys = walk.keys
    walk.answered = [
        rules.Point(
            id=pk, date=date.fromisoformat(day), ratings=_decode(ratings, keys), client_ratings=_decode(theirs, keys)
        )
        for pk, day, ratings, theirs in data["answered"]
    ]
    return walk


def marks_digest(marks: rules.Marks) -> str:
    """The "discussed" marks, as a short digest: stored with a walk, so that a save
    re-reads the client's voice if they changed since (clients.recording)."""
    text = json.dumps(sorted((key, list(cut)) for key, cut in marks.discussed.items()), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _code(ratings, keys: list[str]) -> str | list:
    """A session's ratings as one character per factor (in `keys` order): the
    digit, "." for "not assessed", "-" for no entry; answers to questions that
    are not about a factor (or not 0-9) follow in a dict: [code, {key: value}].
    The self-reported sessions are kept for the client's own voice, so this
    keeps a long history small (a dict of factor names costs about ten times
    as much)."""
    coded, rest = {}, {}
    for k, v in ratings.items():
        (coded if k in keys and (v is None or (type(v) is int and 0 <= v <= 9)) else rest)[k] = v
    code = "".join("-" if k not in coded else "." if coded[k] is None else str(coded[k]) for k in keys)
    return [code, rest] if rest else code


def _decode(code, keys: list[str]) -> dict:
    if isinstance(code, dict):  # stored before the compact form
        return code
    code, rest = (code, {}) if isinstance(code, str) else code
    return {**{k: None if c == "." else int(c) for k, c in zip(keys, code, strict=True) if c != "-"}, **rest}


def _fraction(value: Fraction) -> list[int]:
    return [value.numerator, value.denominator]


def _day_id(after):
    return None if after is None else [after[0].isoformat(), after[1]]


def _from_day_id(after):
    return None if after is None else (date.fromisoformat(after[0]), after[1])


def _flag(flag: rules.Flag | None):
    """An open context change (no closing session, no review)."""
    if flag is None:
        return None
    return {
        "kind": flag.kind,
        "opened": flag.opened_session_id,
        "since": flag.since.isoformat(),
        "sessions": list(flag.session_ids),
        "factors": list(flag.factors),
        "latest": flag.latest,
        "facts": dict(flag.facts),
    }


def _from_flag(data) -> rules.Flag | None:
    if data is None:
        return None
    return rules.Flag(
        kind=data["kind"],
        opened_session_id=data["opened"],
        since=date.fromisoformat(data["since"]),
        session_ids=tuple(data["sessions"]),
        factors=tuple(data["factors"]),
        latest=data["latest"],
        facts=data["facts"],
    )

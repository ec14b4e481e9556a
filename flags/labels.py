"""How a flag reads, built in one place for pages, CSV, print and FHIR.

A flag (a stored flags.models.Flag or a flags.rules.Flag) keeps numbers, not
sentences (`facts`); these functions turn them into words, so a composed
text never has to fit a database column.
"""

import functools
from collections.abc import Mapping
from datetime import datetime

from django.utils import formats, timezone, translation

from factors.kinds import FlagKind
from factors.scoring import index
from flags import rules
from measures import scoring as measure_scoring

# A list row shows a client's first few open flags as badges, then "+N more".
BADGES_SHOWN = 4
STATUS_LABELS = {
    rules.OPEN: "Open",
    rules.REPAIRED: "Repaired",
    rules.RECOVERED: "Recovered",
    rules.CLOSED: "Closed",
}
CLOSED_BECAUSE = {
    rules.RESOLVED: "no longer shown by the ratings",
    rules.DISCUSSED: "discussed with the client",
    rules.ESCALATED: "became an alliance rupture",
    rules.DISCHARGED: "closed at discharge",
    rules.FOLLOWED_UP: "followed up by the clinician",
    rules.REPAIRED: "repaired",
    rules.RECOVERED: "recovered",
}


@functools.lru_cache(maxsize=64)
def kind_label(kind: str) -> str:
    return str(FlagKind(kind).label)


def date_format(day) -> str:
    """A date as the page's language writes it (a queue formats hundreds, most of them repeated)."""
    return _date_format(day, translation.get_language())


@functools.lru_cache(maxsize=4096)
def _date_format(day, language) -> str:
    return formats.date_format(day)


def _moment(iso: str) -> str:
    """A stored ISO date-time as the page's language and the user's time zone write it."""
    moment = timezone.localtime(datetime.fromisoformat(iso))
    return f"{date_format(moment.date())}, {formats.time_format(moment.time())}"


def names_of(keys, names: Mapping[str, str]) -> list[str]:
    """The factors' names; a key that is not a factor's (a question's own, e.g. "overall") as a word."""
    return [names.get(k, k.replace("_", " ").capitalize()) for k in keys]


def _listed(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def instrument_name(key: str) -> str:
    return measure_scoring.NAMES.get(key, key.upper())


ALLIANCE_TOO = {"ruptured": "the alliance is ruptured too", "weak": "the alliance is weak too"}


def label(flag, names: Mapping[str, str]) -> str:
    """One line for a list: "Persistent weakness: Openness, since 3 Mar 2026"."""
    if flag.kind in (rules.SAFETY, rules.OFF_TRACK):
        facts = flag.facts or {}
        also = ALLIANCE_TOO.get(facts.get("alliance", "")) if flag.status == rules.OPEN else None
        what = f"{instrument_name(facts.get('instrument', ''))}{' item 9' if flag.kind == rules.SAFETY else ''}"
        return f"{kind_label(flag.kind)}: {what}{', ' + also if also else ''}, since {date_format(flag.since)}"
    factors = flag_factors(flag)
    shown = names_of(factors[:3], names)
    if len(factors) > 3:
        shown.append(f"{len(factors) - 3} more")
    subject = f": {', '.join(shown)}" if shown and flag.kind != rules.STALLED else ""
    return f"{kind_label(flag.kind)}{subject}, since {date_format(flag.since)}"


def flag_factors(flag) -> tuple[str, ...]:
    return tuple(getattr(flag, "factors", ()) or ())


def _ratings(values) -> str:
    return _listed([str(v) for v in values])


def detail(flag, names: Mapping[str, str], latest: Mapping[str, int | None] | None = None) -> str:
    """What raised the flag, in a sentence or two, with the numbers. With the client's
    `latest` ratings, an open rupture also says what repair needs, if it still needs it."""
    facts = flag.facts or {}
    factors = flag_factors(flag)
    first = names_of(factors[:1], names)[0] if factors else ""
    kind = flag.kind
    if kind in (rules.RUPTURE, rules.FACTOR_DROP):
        return _episode_detail(flag, facts, names, latest)
    if kind in (rules.PERSISTENT, rules.LOW_FACTOR):
        values = facts.get("ratings", [])
        if kind == rules.PERSISTENT:
            return f"{first} rated {_ratings(values)} in {len(values)} consecutive rated sessions."
        if len(values) > 1:
            return f"{first} rated {_ratings(values)} in consecutive rated sessions."
        return f"{first} rated {values[-1] if values else flag.latest}."
    if kind == rules.CLIENT_CONCERN:
        return f"{first}: the client answered {facts.get('client')} of 5 on their own self-report."
    if kind == rules.DISCREPANCY:
        return f"{first}: the client rated {facts.get('client')}, the clinician {facts.get('clinician')}."
    if kind == rules.CONTEXT_CHANGE:
        return (
            f"{first} fell from {facts.get('before')} to {facts.get('after')}: a change of circumstance "
            "to accommodate, not strain in the relationship."
        )
    if kind == rules.STALLED:
        return f"No session for {facts.get('days')} days; this client usually comes every {facts.get('interval')} days."
    if kind == rules.SAFETY:
        how = "on their self-report link" if facts.get("source") == "client" else "on a paper form"
        if facts.get("answered_at"):  # a session answered twice has two alerts: when tells them apart
            how += f" ({_moment(facts['answered_at'])})"
        answered = (
            f"The client answered above “Not at all” to thoughts that they would be better off dead or of hurting "
            f"themselves ({instrument_name(facts.get('instrument', ''))} item 9), {how}."
        )
        if getattr(flag, "status", rules.OPEN) != rules.OPEN:  # followed up: what to do is done
            return answered
        # Read by the clinician and by their supervisor (queues, badges): who does what, not "you".
        return (
            f"{answered} The treating clinician contacts them, follows the organisation's risk procedure and "
            "records the follow-up on the client's page with a note: only that closes it."
        )
    if kind == rules.OFF_TRACK:
        return _off_track_detail(flag, facts, names)
    return ""


def _off_track_detail(flag, facts, names):
    name = instrument_name(facts.get("instrument", ""))
    first, latest, sessions = facts.get("first"), facts.get("latest"), facts.get("sessions")
    if facts.get("status") == measure_scoring.DETERIORATION:
        text = f"{name} rose from {first} to {latest}: a reliable deterioration."
    else:
        # At caseness at the latest measure; "still" only when the first was at caseness too
        # (a client who went from 8 to 11 is now at caseness, not still).
        when = "still" if facts.get("first_at_caseness", True) else "now"
        text = (
            f"{name} went from {first} to {latest} over {sessions} sessions: no reliable improvement, "
            f"and {when} at caseness."
        )
    alliance = facts.get("alliance", "") if flag.status == rules.OPEN else ""
    keys = flag_factors(flag)
    shown = names_of(keys[:3], names) + ([f"{len(keys) - 3} more"] if len(keys) > 3 else [])
    factors = _listed(shown)
    if alliance == "ruptured":
        text += f" The alliance is ruptured too{' (' + factors + ')' if factors else ''}: repair it first."
    elif alliance == "weak":
        text += f" The alliance is weak too ({factors}): start there."
    else:
        text += " Review the plan with the client: what is and is not helping."
    return text


def _episode_detail(flag, facts, names, latest):
    parts = []
    if facts.get("rule") == "index":
        n = facts.get("baseline_n", 0)
        parts.append(
            f"The relationship index (therapist and client factors) fell {facts['drop']:.0f} points below the "
            f"mean of the previous "
            f"{n} session{'s' if n != 1 else ''}"
        )
    elif facts.get("rule") == "variability":
        sd = facts.get("sd") or 0
        usual = (
            f"more than {facts.get('sds', 2):g} times their usual variation ({sd:.1f})"
            if sd >= 1
            else ("where their ratings usually hardly move")
        )
        parts.append(
            f"The relationship index (therapist and client factors) fell {facts['drop']:.0f} points below this "
            f"client's usual level, {usual}"
        )
    fallen = facts.get("fallen") or {}
    if fallen:
        named = zip(names_of(fallen, names), fallen.values(), strict=True)
        moves = [f"{name} fell from {before} to {after}" for name, (before, after) in named]
        parts.append(_listed(moves))
    text = "; ".join(parts)
    text = text[:1].upper() + text[1:] + "."
    if flag.status == rules.OPEN and latest is not None:
        text += _repair_needs(facts, names, latest)
    return text


def _repair_needs(facts, names, latest) -> str:
    """What an open episode still needs to count as repaired, from the latest ratings."""
    needs = []
    profile = facts.get("profile") or {}
    keys = [k for k in profile if latest.get(k) is not None]
    if keys and facts.get("rule"):
        target = index(profile[k] for k in keys) - facts.get("margin", 5)
        if index(latest[k] for k in keys) < target:
            needs.append(f"the relationship index is back to about {target:.0f}")
    behind = [k for k, (before, _) in (facts.get("fallen") or {}).items() if (latest.get(k) or 0) < before - 1]
    if behind:
        verb, where = ("are", "they were") if len(behind) > 1 else ("is", "it was")
        needs.append(f"{_listed(names_of(behind, names))} {verb} back within a point of where {where}")
    return f" Repaired when {' and '.join(needs)}." if needs else ""


def status_text(flag) -> str:
    """ "Open", "Repaired 12 Mar 2026", "Closed 12 Mar 2026: discussed with the client"."""
    if flag.status == rules.OPEN:
        return "Open"
    when = f" {date_format(flag.resolved_on)}" if flag.resolved_on else ""
    if flag.status in (rules.REPAIRED, rules.RECOVERED):
        return f"{STATUS_LABELS[flag.status]}{when}"
    because = CLOSED_BECAUSE.get(flag.closed_reason, "")
    return f"Closed{when}{': ' + because if because else ''}"

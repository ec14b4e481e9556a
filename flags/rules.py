"""The flag rules: the one place that turns a client's series into flags.

Pure functions over plain values (no database, no Django models), so every
rule is unit-tested on synthetic series (tests/test_flag_rules.py). The app
builds the inputs (clients.recording) and stores the result (flags.models).

Every flag has a stable identity: its kind, the session that opened it and,
for a flag about one factor, that factor. Reviews attach to the identity, so
an episode that grows keeps them.

The kinds (factors.kinds) and how each is raised:

- alliance rupture: the relationship index (therapist and client factors only)
  fell against the client's own baseline, measured on the factors rated in
  both, or the fall is well outside the client's usual variation;
- factor drop: a relationship factor fell by `factor_drop` or more and landed
  at or below `low_max`, while the index did not fall enough for a rupture;
- client concern: the client answered 1 or 2 on their own self-report;
- client rated lower (discrepancy): the client rated a factor `discrepancy_gap`
  or more below the clinician;
- persistent weakness / low factor: a factor's latest rated value is weak;
- context change: a contextual factor (setting, money, support, stigma) fell:
  a circumstance to accommodate, never a rupture;
- stalled: no session for twice the client's usual interval (time-derived);
- safety alert: a safety item (PHQ-9 item 9) answered above 0 — one per
  response, never merged, closed only by the clinician's follow-up;
- off track: a progress measure (PHQ-9, GAD-7) deteriorated reliably, or shows
  no reliable improvement after six sessions while at caseness
  (measures.scoring); it says when the alliance is also ruptured or weak and
  names those factors, so their prompts come first.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from statistics import fmean, stdev

from factors.kinds import CONTEXT_DOMAIN, RELATIONSHIP_DOMAINS, URGENCY, FlagKind
from factors.scoring import index
from measures import scoring as measure_scoring

RUPTURE = FlagKind.RUPTURE.value
FACTOR_DROP = FlagKind.FACTOR_DROP.value
CLIENT_CONCERN = FlagKind.CLIENT_CONCERN.value
DISCREPANCY = FlagKind.DISCREPANCY.value
PERSISTENT = FlagKind.PERSISTENT.value
LOW_FACTOR = FlagKind.LOW_FACTOR.value
CONTEXT_CHANGE = FlagKind.CONTEXT_CHANGE.value
STALLED = FlagKind.STALLED.value
SAFETY = FlagKind.SAFETY.value
OFF_TRACK = FlagKind.OFF_TRACK.value
EPISODE_KINDS = (RUPTURE, FACTOR_DROP)
FACTOR_KINDS = (CLIENT_CONCERN, DISCREPANCY, PERSISTENT, LOW_FACTOR, CONTEXT_CHANGE)

OPEN, REPAIRED, RECOVERED, CLOSED = "open", "repaired", "recovered", "closed"
# Why a flag closed (status CLOSED).
RESOLVED, DISCUSSED, ESCALATED, DISCHARGED = "resolved", "discussed", "escalated", "discharged"
FOLLOWED_UP = "followed_up"  # a safety alert, closed by the clinician's follow-up (with a note)


@dataclass(frozen=True)
class Thresholds:
    low_max: int = 2  # a rating at or below this is weak
    persistent_sessions: int = 3  # weak in this many consecutive rated sessions
    rupture_drop: float = 15  # relationship index points below the baseline
    baseline_sessions: int = 3  # the baseline: this many previous sessions...
    baseline_min_sessions: int = 2  # ...and never fewer than this
    variability_sds: float = 2  # ...or a fall of more than this many of the client's SDs
    variability_min_drop: float = 10  # ...and at least this many points
    variability_min_history: int = 4  # ...once this many stable sessions exist
    factor_drop: int = 2  # a relationship factor falling this much, to low_max or below
    repair_margin: float = 5  # back within this many points of the baseline...
    repair_sessions: int = 3  # ...within this many sessions of the latest trigger
    stalled_days: int = 21  # never stalled before this many days
    discrepancy_gap: int = 2  # the client rates a factor this much below the clinician
    client_concern_max: int = 2  # a client's own answer at or below this is a concern


@dataclass(frozen=True)
class Point:
    """One session of a client's series."""

    id: int
    date: date
    ratings: Mapping[str, int | None] = field(default_factory=dict)  # factor key -> 1-5 or None
    client_ratings: Mapping[str, int | None] = field(default_factory=dict)  # the client's own answers
    overall: float | None = None  # the stored index over all factors (charts and summaries)
    setting: str = ""
    domains: Mapping[str, float | None] = field(default_factory=dict)  # domain scores, for charts


@dataclass(frozen=True)
class Marks:
    """What people recorded on flags, by identity (flags.models.FlagReview)."""

    discussed: Mapping[str, tuple] = field(default_factory=dict)  # identity -> (date, id) of the latest session then
    known: Mapping[str, int] = field(default_factory=dict)  # factor key -> the rating marked a known circumstance
    followed_up: Mapping[str, tuple] = field(default_factory=dict)  # safety identity -> (date, latest session id)


@dataclass(frozen=True)
class Response:
    """One filled-in progress measure (measures.models.MeasureResponse)."""

    id: int
    session_id: int
    date: date  # the session's
    instrument: str  # its key ("phq9")
    total: int | None  # None: incomplete
    safety: bool = False  # a safety item answered above 0
    counted: bool = True  # False: its session was voided (a safety alert still stands)
    source: str = ""  # "client" (self-report link) or "clinician" (paper form)
    answered: int = 0  # items answered (pages show an incomplete response as "n of 9")


@dataclass(frozen=True)
class Measures:
    """The progress-measure inputs of one client: the scoring rules of the active
    instruments (by key) and every response, oldest first."""

    rules: Mapping[str, measure_scoring.Rule] = field(default_factory=dict)
    responses: Sequence[Response] = ()


@dataclass(frozen=True)
class Flag:
    kind: str
    opened_session_id: int | None  # None only for "stalled"
    since: date
    session_ids: tuple[int, ...] = ()
    factors: tuple[str, ...] = ()
    status: str = OPEN
    closed_reason: str = ""
    resolved_session_id: int | None = None
    resolved_on: date | None = None
    latest: int | None = None  # factor flags: the latest weak value (a 1 is more urgent than a 2)
    quiet: bool = False  # a known circumstance: shown on the client page, not in the queues
    facts: Mapping = field(default_factory=dict)  # the numbers its detail is built from (flags.labels)
    reviewed_at: object = None  # stalled: when a supervisor marked it reviewed (stored flags keep theirs)

    @property
    def identity(self) -> str:
        """Kind, opening session and, for a flag about one factor, the factor."""
        if self.kind == STALLED:
            return f"{STALLED}:{self.since.isoformat()}"
        if self.kind == SAFETY:  # one per response: each answer is its own alert
            return f"{SAFETY}:{self.facts['response']}"
        if self.kind == OFF_TRACK:
            return f"{OFF_TRACK}:{self.opened_session_id}:{self.facts['instrument']}"
        subject = self.factors[0] if self.kind in FACTOR_KINDS and self.factors else ""
        return f"{self.kind}:{self.opened_session_id}:{subject}"

    @property
    def urgency(self) -> int:
        return URGENCY[self.kind] + (1 if self.latest == 1 else 0)

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


def _chronological(points: Iterable[Point]) -> list[Point]:
    return sorted(points, key=lambda p: (p.date, p.id))


def _close(flag: Flag, point: Point, reason: str = RESOLVED, status: str = CLOSED) -> Flag:
    return replace(flag, status=status, closed_reason=reason, resolved_session_id=point.id, resolved_on=point.date)


# --- Alliance ruptures and factor drops ----------------------------------------


def _rated(point: Point, keys: Iterable[str]) -> dict[str, int]:
    return {k: point.ratings[k] for k in keys if point.ratings.get(k) is not None}


def _profile(sessions: Sequence[Point], keys: set[str]) -> dict[str, float]:
    """Mean rating per key, over the keys rated in every one of `sessions`."""
    common = set(keys)
    for p in sessions:
        common &= set(_rated(p, keys))
    return {k: fmean(p.ratings[k] for p in sessions) for k in common}


def _index_on(values: Mapping[str, float], keys: Iterable[str]) -> float | None:
    keys = list(keys)
    return index(round(values[k], 6) for k in keys) if keys else None


@dataclass
class _Trigger:
    rule: str  # "index", "variability" or "" (factor drops only)
    drop: float | None  # relationship index points below the baseline (like with like)
    baseline: float | None
    profile: dict[str, float]
    fallen: dict[str, tuple[int, int]]  # key -> (before, after): fell by factor_drop or more
    landed_low: list[str]  # fallen keys that landed at or below low_max
    moved: list[str]  # keys below their baseline mean, largest fall first
    baseline_n: int = 0
    sd: float | None = None


class _History:
    """What the trigger of session i reads from the sessions before it, kept as
    the series is walked once (so a series costs time in proportion to its length):
    the relationship-rated sessions (the baseline), each key's latest rating
    (the "before" of a fall) and, per set of keys, the index of every stable
    session that rated all of them (the client's usual variation)."""

    def __init__(self, rel: set[str]):
        self.rel = rel
        self.rated: list[Point] = []  # sessions with a relationship rating, oldest first
        self.last: dict[str, int] = {}  # key -> its latest rating so far
        self.stable: list[Point] = []
        self.usual: dict[tuple[str, ...], tuple[int, list[float]]] = {}  # keys -> (stable sessions read, indices)

    def usual_on(self, keys: list[str]) -> list[float]:
        """The index on `keys` of each stable session that rated every one of them, oldest first."""
        read, values = self.usual.get(tuple(keys), (0, []))
        for p in self.stable[read:]:
            if all(p.ratings.get(k) is not None for k in keys):
                values.append(_index_on(_rated(p, keys), keys))
        self.usual[tuple(keys)] = (len(self.stable), values)
        return values

    def add(self, point: Point, stable: bool):
        rated = _rated(point, self.rel)
        if rated:
            self.rated.append(point)
            self.last.update(rated)
        if stable:
            self.stable.append(point)


def _trigger(here: Point, history: _History, t: Thresholds) -> _Trigger | None:
    rel = history.rel
    here_rated = _rated(here, rel)
    if not here_rated:
        return None
    base = history.rated[-t.baseline_sessions :]
    profile = _profile(base, rel) if len(base) >= t.baseline_min_sessions else {}
    keys = sorted(set(profile) & set(here_rated))
    rule, drop, baseline, sd = "", None, None, None
    if keys:
        baseline = _index_on(profile, keys)
        drop = round(baseline - _index_on(here_rated, keys), 1)
        if drop >= t.rupture_drop:
            rule = "index"
        else:
            usual = history.usual_on(keys)
            if len(usual) >= t.variability_min_history:
                fall = round(fmean(usual) - _index_on(here_rated, keys), 1)
                # The SD only matters for a fall this large (it is costly over a long history).
                if fall >= t.variability_min_drop:
                    sd = stdev(usual)
                    if fall > t.variability_sds * sd:
                        rule, drop, baseline = "variability", fall, fmean(usual)
    fallen = {}
    for key, score in here_rated.items():
        before = history.last.get(key)
        if before is not None and before - score >= t.factor_drop:
            fallen[key] = (before, score)
    landed_low = [k for k, (_, after) in fallen.items() if after <= t.low_max]
    if not rule and not landed_low:
        return None
    moved = sorted((k for k in keys if here_rated[k] < profile[k]), key=lambda k: (here_rated[k] - profile[k], k))
    return _Trigger(rule, drop, baseline, profile, fallen, landed_low, moved, len(base), sd)


@dataclass
class _Episode:
    kind: str
    start: int
    last: int
    sessions: list[int]
    baseline: float | None
    profile: dict[str, float]
    fallen: dict[str, tuple[int, int]]  # key -> (rating before the fall, rating after)
    factors: list[str]
    facts: dict

    def add(self, i: int, trigger: _Trigger):
        self.last = i
        if i not in self.sessions:
            self.sessions.append(i)
        for key, move in trigger.fallen.items():
            self.fallen.setdefault(key, move)
        moved = trigger.moved if trigger.rule else []  # a factor drop names only the factors that fell
        self.factors = list(dict.fromkeys([*self.factors, *trigger.landed_low, *trigger.fallen, *moved]))
        if trigger.rule and (self.facts.get("drop") is None or (trigger.drop or 0) > self.facts["drop"]):
            self.facts.update(rule=trigger.rule, drop=trigger.drop, baseline_n=trigger.baseline_n, sd=trigger.sd)
        self.facts["fallen"] = {k: list(v) for k, v in self.fallen.items()}

    def is_repaired_by(self, here: Point) -> bool:
        """Back within repair_margin of the baseline (like with like) and every
        fallen factor back within one point of its rating before the fall."""
        for key, (before, _) in self.fallen.items():
            now = here.ratings.get(key)
            if now is None or now < before - 1:
                return False
        if not self.profile:  # a factor drop before any baseline: the fallen factors are all there is
            return bool(self.fallen)
        keys = sorted(set(self.profile) & set(_rated(here, self.profile)))
        if not keys:
            return False
        return _index_on(_rated(here, keys), keys) >= _index_on(self.profile, keys) - self.facts["margin"]

    def flag(self, points: list[Point]) -> Flag:
        return Flag(
            kind=self.kind,
            opened_session_id=points[self.start].id,
            since=points[self.start].date,
            session_ids=tuple(points[i].id for i in self.sessions),
            factors=tuple(self.factors),
            facts={
                **self.facts,
                "baseline": None if self.baseline is None else round(self.baseline, 1),
                "profile": {k: round(v, 3) for k, v in sorted(self.profile.items())},
            },
        )


def episode_flags(points: Sequence[Point], t: Thresholds, domain_of: Mapping[str, str]) -> list[Flag]:
    """Alliance ruptures and factor drops, each open, repaired, recovered or closed.

    Every session is checked for a trigger, including one that repairs an
    earlier episode (that episode closes and a new one opens there). Further
    triggers before an episode resolves join it; an index fall during a factor
    drop escalates it into an alliance rupture. An episode is repaired when,
    within `repair_sessions` of its latest trigger, the index is back near the
    baseline and every fallen factor is back near its rating before the fall;
    the same later is "recovered".
    """
    points = _chronological(points)
    rel = {k for k, d in domain_of.items() if d in RELATIONSHIP_DOMAINS}
    flags: list[Flag] = []
    history = _History(rel)
    episode: _Episode | None = None
    for i, here in enumerate(points):
        if episode and i > episode.last and episode.is_repaired_by(here):
            status = REPAIRED if i - episode.last <= t.repair_sessions else RECOVERED
            flags.append(_close(episode.flag(points), here, reason=status, status=status))
            episode = None
        trigger = _trigger(here, history, t)
        history.add(here, stable=trigger is None and episode is None)
        if trigger is None:
            continue
        if episode and episode.kind == FACTOR_DROP and trigger.rule:
            flags.append(_close(episode.flag(points), here, reason=ESCALATED))
            episode = None
        if episode is None:
            episode = _Episode(
                kind=RUPTURE if trigger.rule else FACTOR_DROP,
                start=i,
                last=i,
                sessions=[],
                baseline=trigger.baseline,
                profile=trigger.profile,
                fallen={},
                factors=[],
                facts={"margin": t.repair_margin, "sds": t.variability_sds},
            )
        episode.add(i, trigger)
    if episode:
        flags.append(episode.flag(points))
    return flags


# --- Flags about one factor -------------------------------------------------------

HIT, MISS, SKIP = "hit", "miss", "skip"


def _runs(states: list[tuple[Point, str, int | None]], splits: frozenset[int] = frozenset()):
    """Runs of consecutive HITs (SKIPs neither break nor extend a run). Yields
    (run, ended_by): run is [(point, value, position)], ended_by the MISS point,
    DISCUSSED when the run was cut after a position in `splits` (a discussion
    with the client), or None while it goes on."""
    run: list = []
    for position, (point, state, value) in enumerate(states):
        if state == HIT:
            run.append((point, value, position))
        elif state == MISS and run:
            yield run, point
            run = []
        if run and position in splits:
            yield run, DISCUSSED
            run = []
    if run:
        yield run, None


def _factor_flag(kind, key, run, ended_by, facts):
    first = run[0][0]
    flag = Flag(
        kind=kind,
        opened_session_id=first.id,
        since=first.date,
        session_ids=tuple(p.id for p, _, _ in run),
        factors=(key,),
        latest=run[-1][1],
        facts=facts,
    )
    if ended_by == DISCUSSED:  # closed as of the last session before the discussion
        last = run[-1][0]
        return replace(flag, status=CLOSED, closed_reason=DISCUSSED, resolved_session_id=last.id, resolved_on=last.date)
    return _close(flag, ended_by) if ended_by is not None else flag


def _discussed_splits(kind, key, states, marks: Marks) -> frozenset[int]:
    """Where discussions cut this key's runs: each run marked discussed ends at the
    last session at or before the one that was the latest when it was marked; a
    later run can be marked again (so the cuts are found one run at a time)."""
    splits: set[int] = set()
    while True:
        for run, _ in _runs(states, frozenset(splits)):
            cut = marks.discussed.get(f"{kind}:{run[0][0].id}:{key}")
            if cut is None:
                continue
            at = max((i for i, (p, _, _) in enumerate(states) if (p.date, p.id) <= tuple(cut)), default=None)
            if at is not None and at >= run[0][2] and at not in splits:
                splits.add(at)
                break
        else:
            return frozenset(splits)


def weak_factor_flags(points: Sequence[Point], t: Thresholds, marks: Marks = Marks()) -> list[Flag]:
    """Low factor and persistent weakness, for every factor: a run of rated
    values at or below `low_max` ("not assessed" is no evidence either way);
    persistent once the run is `persistent_sessions` long. Open while the
    latest rated value is weak, closed by a later higher rating."""
    points = _chronological(points)
    flags = []
    for key in sorted({k for p in points for k in p.ratings}):
        values = [(p, p.ratings.get(key)) for p in points]
        states = [(p, SKIP if v is None else HIT if v <= t.low_max else MISS, v) for p, v in values]
        for run, ended_by in _runs(states):
            kind = PERSISTENT if len(run) >= t.persistent_sessions else LOW_FACTOR
            flag = _factor_flag(kind, key, run, ended_by, {"ratings": [v for _, v, _ in run]})
            flags.append(_quiet_if_known(flag, marks))
    return flags


def _quiet_if_known(flag: Flag, marks: Marks) -> Flag:
    """A contextual factor marked a known circumstance at its current rating leaves the queues."""
    known = marks.known.get(flag.factors[0]) if flag.factors else None
    return replace(flag, quiet=True) if flag.is_open and known is not None and known == flag.latest else flag


def context_flags(
    points: Sequence[Point], t: Thresholds, domain_of: Mapping[str, str], marks: Marks = Marks()
) -> list[Flag]:
    """A contextual factor that fell by `factor_drop` or more to `low_max` or
    below: a change of circumstance, open until it is back within one point
    of its rating before the fall."""
    points = _chronological(points)
    flags = []
    for key in sorted(k for k, d in domain_of.items() if d == CONTEXT_DOMAIN):
        previous, current = None, None
        for p in points:
            score = p.ratings.get(key)
            if score is None:
                continue
            if current and score >= current.facts["before"] - 1:
                flags.append(_close(current, p))
                current = None
            elif current:
                current = replace(current, session_ids=(*current.session_ids, p.id), latest=score)
            elif previous is not None and previous - score >= t.factor_drop and score <= t.low_max:
                current = Flag(
                    kind=CONTEXT_CHANGE,
                    opened_session_id=p.id,
                    since=p.date,
                    session_ids=(p.id,),
                    factors=(key,),
                    latest=score,
                    facts={"before": previous, "after": score},
                )
            previous = score
        if current:
            flags.append(current)
    return [_quiet_if_known(f, marks) for f in flags]


def client_flags(points: Sequence[Point], t: Thresholds, marks: Marks = Marks()) -> list[Flag]:
    """The client's own voice, over the sessions they rated through a link:
    a client concern for an answer of 1 or 2 (whatever the clinician rated),
    and client rated lower where they rated a factor `discrepancy_gap` or more
    below the clinician. Each stays open until a newer self-report no longer
    shows it, or the clinician marks it discussed with the client."""
    answered = [p for p in _chronological(points) if any(v is not None for v in p.client_ratings.values())]
    flags = []
    for key in sorted({k for p in answered for k in p.client_ratings}):

        def concern(p, key=key):
            theirs = p.client_ratings.get(key)
            return (p, SKIP if theirs is None else HIT if theirs <= t.client_concern_max else MISS, theirs)

        def gap(p, key=key):
            theirs, ours = p.client_ratings.get(key), p.ratings.get(key)
            if theirs is None or ours is None:
                return (p, SKIP, theirs)
            return (p, HIT if ours - theirs >= t.discrepancy_gap else MISS, theirs)

        for kind, state_of in ((CLIENT_CONCERN, concern), (DISCREPANCY, gap)):
            states = [state_of(p) for p in answered]
            for run, ended_by in _runs(states, _discussed_splits(kind, key, states, marks)):
                p = run[-1][0]
                facts = {"client": p.client_ratings.get(key), "clinician": p.ratings.get(key)}
                flags.append(_factor_flag(kind, key, run, ended_by, facts))
    return flags


def stalled_flag(idle_since: date, interval_days: int, today: date, t: Thresholds) -> Flag | None:
    """No session for twice the client's usual interval, and never before
    `stalled_days`, counted from the latest of the last session, the intake
    date and the day the client was added."""
    after = stalled_after_days(interval_days, t)
    days = (today - idle_since).days
    if days < after:
        return None
    facts = {"days": days, "interval": interval_days, "open_days": days - after}
    return Flag(kind=STALLED, opened_session_id=None, since=idle_since, facts=facts)


def stalled_after_days(interval_days: int, t: Thresholds) -> int:
    return max(2 * interval_days, t.stalled_days)


def stalled_on(idle_since: date, interval_days: int, t: Thresholds) -> date:
    """The first day a client idle since `idle_since` counts as stalled."""
    return idle_since + timedelta(days=stalled_after_days(interval_days, t))


def evaluate(
    points: Iterable[Point],
    t: Thresholds,
    domain_of: Mapping[str, str],
    marks: Marks = Marks(),
    discharged: bool = False,
    measures: Measures = Measures(),
) -> list[Flag]:
    """Every session-derived flag of a client's series, open and closed (stalled
    is time-derived: see stalled_flag). A discharged client's open flags are
    closed at discharge, except safety alerts: only a follow-up closes those."""
    points = _chronological(points)
    flags = [
        *episode_flags(points, t, domain_of),
        *client_flags(points, t, marks),
        *weak_factor_flags(points, t, marks),
        *context_flags(points, t, domain_of, marks),
    ]
    flags += off_track_flags(points, measures, flags, domain_of)
    if discharged:
        flags = [replace(f, status=CLOSED, closed_reason=DISCHARGED) if f.is_open else f for f in flags]
    return [*safety_flags(measures.responses, marks), *flags]


# --- Progress measures: safety alerts and off track ---------------------------------


def safety_flags(responses: Iterable[Response], marks: Marks = Marks()) -> list[Flag]:
    """One safety alert per response with a safety item above 0 (complete or not,
    its session voided or not): open until the clinician records their follow-up."""
    flags = []
    for r in responses:
        if not r.safety:
            continue
        flag = Flag(
            kind=SAFETY,
            opened_session_id=r.session_id,
            since=r.date,
            session_ids=(r.session_id,),
            facts={"response": r.id, "instrument": r.instrument, "source": r.source},
        )
        done = marks.followed_up.get(flag.identity)
        if done is not None:
            day, session_id = done
            flag = replace(
                flag, status=CLOSED, closed_reason=FOLLOWED_UP, resolved_on=day, resolved_session_id=session_id
            )
        flags.append(flag)
    return flags


def _alliance(flags: Sequence[Flag], domain_of: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """("ruptured" / "weak" / "", the relationship factors concerned, ruptured first)."""
    open_flags = [f for f in flags if f.is_open]
    ruptures = [f for f in open_flags if f.kind == RUPTURE]
    weak_kinds = (FACTOR_DROP, PERSISTENT, LOW_FACTOR, CLIENT_CONCERN)
    weak = [f for f in open_flags if f.kind in weak_kinds]
    keys = [k for f in ruptures for k in f.factors]
    keys += [k for f in weak for k in f.factors if domain_of.get(k) in RELATIONSHIP_DOMAINS]
    keys = tuple(dict.fromkeys(keys))
    if ruptures:
        return "ruptured", keys
    return ("weak", keys) if keys else ("", ())


def off_track_flags(
    points: Sequence[Point], measures: Measures, others: Sequence[Flag], domain_of: Mapping[str, str]
) -> list[Flag]:
    """Per active instrument, the spells during which the client was off track
    (measures.scoring.off_track), read at every counted session: one that opens
    stays open while the client stays off track and closes at the first session
    where they no longer are. An open one says whether the alliance is ruptured
    or weak now and names those factors (its prompts are theirs)."""
    points = _chronological(points)
    state, factors = _alliance(others, domain_of)
    flags = []
    for key, rule in measures.rules.items():
        by_session = {r.session_id: r for r in measures.responses if r.instrument == key and r.counted}
        first = first_at = latest = None
        current: Flag | None = None
        for i, point in enumerate(points):
            response = by_session.get(point.id)
            if response is not None and response.total is not None:
                if first is None:
                    first, first_at = response.total, i
                latest = response.total
            if first is None:
                continue
            status = measure_scoring.status(first, latest, rule)
            sessions = i - first_at + 1
            facts = {"instrument": key, "first": first, "latest": latest, "status": status, "sessions": sessions}
            if measure_scoring.off_track(status, latest, sessions, rule):
                if current is None:
                    current = Flag(kind=OFF_TRACK, opened_session_id=point.id, since=point.date, facts=facts)
                measured = (point.id,) if response is not None and response.total is not None else ()
                current = replace(current, session_ids=(*current.session_ids, *measured), facts=facts)
            elif current is not None:
                flags.append(_close(current, point))
                current = None
        if current is not None:
            facts = {**current.facts, "alliance": state}
            flags.append(replace(current, factors=factors, facts=facts))
    return flags


def by_urgency(flags: Iterable) -> list:
    """Open flags, most urgent first; among equals the most recent first. Works on
    these Flags and on stored ones (flags.models.Flag)."""
    return sorted((f for f in flags if f.status == OPEN), key=lambda f: (-f.urgency, -f.since.toordinal()))


# --- Did a prompt that was tried help? --------------------------------------------

ROSE, HELD, FELL, WAITING = "rose", "held", "fell", "waiting"
BASE_RATE_MIN_CASES = 10


def trial_outcome(before: int | None, after: Sequence[int | None], sessions: int = 3) -> str:
    """A factor's rating when a prompt was chosen against its next rated sessions:
    the mean of the next `sessions` rated values half a point or more above the
    rating before is "rose", below is "fell", else "held"; "waiting" until there
    is a rating before and at least one after. "Rose" says what followed, not
    that the prompt caused it: see base_rate."""
    later = [v for v in after if v is not None][:sessions]
    if before is None or not later:
        return WAITING
    delta = fmean(later) - before
    if delta >= 0.5:
        return ROSE
    if delta <= -0.5:
        return FELL
    return HELD


@dataclass(frozen=True)
class BaseRate:
    rose: int
    cases: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.rose / self.cases) if self.cases >= BASE_RATE_MIN_CASES else None


def base_rate(series: Iterable[Sequence[tuple[int, int | None]]], rating: int, excluded: set[int]) -> BaseRate:
    """How often a factor rose after a rating of `rating` when no prompt was chosen.

    `series` holds, per client, that factor's (session id, rating) in order;
    sessions after which a prompt for the factor was chosen are `excluded`.
    Regression to the mean makes low ratings tend to rise on their own: this is
    the comparison a "rose after" needs.
    """
    rose = cases = 0
    for values in series:
        for position, (session_id, value) in enumerate(values):
            if value != rating or session_id in excluded:
                continue
            outcome = trial_outcome(value, [v for _, v in values[position + 1 :]])
            if outcome == WAITING:
                continue
            cases += 1
            rose += outcome == ROSE
    return BaseRate(rose=rose, cases=cases)

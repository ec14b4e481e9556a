"""The flag rules: the one place that turns a client's series into flags.

Pure code over plain values (no database, no Django models), so every
rule is unit-tested on synthetic series (tests/test_flag_rules.py). The app
builds the inputs (clients.recording) and stores the result (flags.models).
The session-derived rules run in one walk over the series, session by
session (`Walk`): `evaluate` walks a whole series; a save walks on from a
stored walk (flags.state) when it only adds a newer session. Two pure helpers
hold what would crowd this file: flags.rule_types (the kinds, thresholds and
values, re-exported here as rules.*) and flags.episodes (ruptures and factor
drops); flags.trials judges whether a tried prompt helped.

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
from dataclasses import replace
from datetime import date, timedelta

from factors.kinds import CONTEXT_DOMAIN, RELATIONSHIP_DOMAINS
from flags.episodes import Episode, History, find_trigger
from flags.rule_types import (  # noqa: F401 (re-exported: callers read rules.Point, rules.RUPTURE, ...)
    CLIENT_CONCERN,
    CLOSED,
    CONTEXT_CHANGE,
    DISCHARGED,
    DISCREPANCY,
    DISCUSSED,
    EPISODE_KINDS,
    ESCALATED,
    FACTOR_DROP,
    FACTOR_KINDS,
    FOLLOWED_UP,
    LOW_FACTOR,
    OFF_TRACK,
    OPEN,
    PERSISTENT,
    RECOVERED,
    REPAIRED,
    RESOLVED,
    RUPTURE,
    SAFETY,
    STALLED,
    Flag,
    Marks,
    Measures,
    Point,
    Response,
    Thresholds,
    chronological,
    close,
)
from measures import scoring as measure_scoring

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
    return close(flag, ended_by) if ended_by is not None else flag


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


def _quiet_if_known(flag: Flag, marks: Marks) -> Flag:
    """A contextual factor marked a known circumstance at its current rating leaves the queues."""
    known = marks.known.get(flag.factors[0]) if flag.factors else None
    return replace(flag, quiet=True) if flag.is_open and known is not None and known == flag.latest else flag


def client_flags(points: Sequence[Point], t: Thresholds, marks: Marks = Marks()) -> list[Flag]:
    """The client's own voice, over the sessions they rated through a link:
    a client concern for an answer of 1 or 2 (whatever the clinician rated),
    and client rated lower where they rated a factor `discrepancy_gap` or more
    below the clinician. Each stays open until a newer self-report no longer
    shows it, or the clinician marks it discussed with the client."""
    answered = [p for p in chronological(points) if any(v is not None for v in p.client_ratings.values())]
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


# --- The walk: every session-derived rule, one session at a time ------------------


class Walk:
    """The rules' state after the first sessions of a series, fed one session at a
    time, oldest first. `flags` are then the flags of the series so far, as
    `evaluate` finds them. A walk can be stored (flags.state) and taken up again
    when a newer session is added, so a save reads and walks only the sessions
    after the stored state (clients.recording): its flags are then the ones that
    closed since, the open ones and the client's own voice (re-read from the kept
    answers when the walk reads new answers or the marks changed, else passed in
    as stored); the rest are as they were.

    A new session-derived rule is walked here: its state in `feed`, its flags in
    `flags`, what it keeps between saves in flags.state (and RULES_VERSION there).
    """

    def __init__(self, t: Thresholds, domain_of: Mapping[str, str]):
        self.t = t
        self.keys = sorted(domain_of)  # every factor, in one order (flags.state writes ratings in it)
        rel = {k for k, d in domain_of.items() if d in RELATIONSHIP_DOMAINS}
        self.position = 0  # sessions walked
        self.after: tuple[date, int] | None = None  # the (date, id) of the latest one
        self.history = History(rel, t.baseline_sessions)
        self.episode: Episode | None = None
        self.weak: dict[str, list[tuple[int, date, int]]] = {}  # factor -> its run of weak ratings so far
        # contextual factor -> [its latest rating, the context change open on it]
        self.context: dict[str, list] = {k: [None, None] for k, d in sorted(domain_of.items()) if d == CONTEXT_DOMAIN}
        self.answered: list[Point] = []  # the sessions the client rated through a self-report
        self.closed: list[Flag] = []  # the flags closed since this walk was made or taken up (never stored)

    def feed(self, here: Point):
        if self.after is not None and (here.date, here.id) <= self.after:
            raise ValueError("A walk takes sessions oldest first.")
        self._episodes(self.position, here)
        self._weak(here)
        self._context(here)
        if any(v is not None for v in here.client_ratings.values()):
            self.answered.append(here)
        self.position += 1
        self.after = (here.date, here.id)

    def _episodes(self, i: int, here: Point):
        """Alliance ruptures and factor drops, each open, repaired, recovered or closed.

        Every session is checked for a trigger, including one that repairs an
        earlier episode (that episode closes and a new one opens there). Further
        triggers before an episode resolves join it; an index fall during a factor
        drop escalates it into an alliance rupture. An episode is repaired when,
        within `repair_sessions` of its latest trigger, the index is back near the
        baseline and every fallen factor is back near its rating before the fall;
        the same later is "recovered".
        """
        t, episode = self.t, self.episode
        if episode and i > episode.last and episode.is_repaired_by(here):
            status = REPAIRED if i - episode.last <= t.repair_sessions else RECOVERED
            self.closed.append(close(episode.flag(), here, reason=status, status=status))
            episode = None
        trigger = find_trigger(here, self.history, t)
        self.history.add(here, stable=trigger is None and episode is None)
        if trigger is not None:
            if episode and episode.kind == FACTOR_DROP and trigger.rule:
                self.closed.append(close(episode.flag(), here, reason=ESCALATED))
                episode = None
            if episode is None:
                episode = Episode(
                    kind=RUPTURE if trigger.rule else FACTOR_DROP,
                    start=i,
                    last=i,
                    opened=(here.id, here.date),
                    sessions=[],
                    baseline=trigger.baseline,
                    profile=trigger.profile,
                    fallen={},
                    factors=[],
                    facts={"margin": t.repair_margin, "sds": t.variability_sds},
                )
            episode.add(i, here, trigger)
        self.episode = episode

    def _weak(self, here: Point):
        """Low factor and persistent weakness, for every factor: a run of rated
        values at or below `low_max` ("not assessed" is no evidence either way);
        persistent once the run is `persistent_sessions` long. Open while the
        latest rated value is weak, closed by a later higher rating."""
        for key, value in here.ratings.items():
            if value is None:
                continue
            run = self.weak.get(key)
            if value <= self.t.low_max:
                self.weak.setdefault(key, []).append((here.id, here.date, value))
            elif run:
                self.closed.append(close(self._weak_flag(key, run), here))
                del self.weak[key]

    def _weak_flag(self, key: str, run: list[tuple[int, date, int]]) -> Flag:
        return Flag(
            kind=PERSISTENT if len(run) >= self.t.persistent_sessions else LOW_FACTOR,
            opened_session_id=run[0][0],
            since=run[0][1],
            session_ids=tuple(session_id for session_id, _, _ in run),
            factors=(key,),
            latest=run[-1][2],
            facts={"ratings": [value for _, _, value in run]},
        )

    def _context(self, here: Point):
        """A contextual factor that fell by `factor_drop` or more to `low_max` or
        below: a change of circumstance, open until it is back within one point
        of its rating before the fall."""
        for key, state in self.context.items():
            score = here.ratings.get(key)
            if score is None:
                continue
            previous, current = state
            if current and score >= current.facts["before"] - 1:
                self.closed.append(close(current, here))
                current = None
            elif current:
                current = replace(current, session_ids=(*current.session_ids, here.id), latest=score)
            elif previous is not None and previous - score >= self.t.factor_drop and score <= self.t.low_max:
                current = Flag(
                    kind=CONTEXT_CHANGE,
                    opened_session_id=here.id,
                    since=here.date,
                    session_ids=(here.id,),
                    factors=(key,),
                    latest=score,
                    facts={"before": previous, "after": score},
                )
            state[:] = [score, current]

    def flags(
        self, marks: Marks = Marks(), discharged: bool = False, voice: Sequence[Flag] | None = None
    ) -> list[Flag]:
        """The flags closed since the walk began or was taken up, the open ones and the
        client's own voice; in the order `evaluate` gives them. `voice`: the client's
        voice as it stands (stored), in place of a re-read of their answers; it takes
        the place and the order client_flags gives it (the off-track flag names the
        alliance's factors in this order)."""

        def by_factor(flag):
            return (flag.factors[0], flag.since, flag.opened_session_id)

        closed = {kind: [f for f in self.closed if f.kind in kinds] for kind, kinds in _GROUPS.items()}
        weak = [*closed["weak"], *(self._weak_flag(key, run) for key, run in self.weak.items())]
        context = [*closed["context"], *(current for _, current in self.context.values() if current)]
        flags = [
            *closed["episode"],
            *([self.episode.flag()] if self.episode else []),
            *(client_flags(self.answered, self.t, marks) if voice is None else sorted(voice, key=_voice_order)),
            *(_quiet_if_known(f, marks) for f in sorted(weak, key=by_factor)),
            *(_quiet_if_known(f, marks) for f in sorted(context, key=by_factor)),
        ]
        if discharged:
            flags = [replace(f, status=CLOSED, closed_reason=DISCHARGED) if f.is_open else f for f in flags]
        return flags


def _voice_order(flag: Flag):
    """client_flags' order: by the key answered, a client concern before a discrepancy, oldest first."""
    return (flag.factors[0], (CLIENT_CONCERN, DISCREPANCY).index(flag.kind), flag.since, flag.opened_session_id)


_GROUPS = {"episode": EPISODE_KINDS, "weak": (LOW_FACTOR, PERSISTENT), "context": (CONTEXT_CHANGE,)}


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
    points = chronological(points)
    walk = Walk(t, domain_of)
    for point in points:
        walk.feed(point)
    return with_measures(walk.flags(marks), points, measures, domain_of, marks, discharged)


def with_measures(
    flags: Sequence[Flag],
    points: Sequence[Point],
    measures: Measures,
    domain_of: Mapping[str, str],
    marks: Marks = Marks(),
    discharged: bool = False,
) -> list[Flag]:
    """A walk's flags (taken before discharge) with the progress-measure flags added:
    the safety alerts first, off track after the alliance's own. `points` needs only
    the counted sessions' ids and dates, oldest first, and only when there are
    responses. A discharged client's open flags close, safety alerts excepted."""
    flags = [*flags, *off_track_flags(points, measures, flags, domain_of)] if measures.responses else list(flags)
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
            facts={
                "response": r.id,
                "instrument": r.instrument,
                "source": r.source,
                **({"answered_at": r.at.isoformat()} if r.at else {}),
            },
        )
        done = marks.followed_up.get(flag.identity)
        if done is not None:
            day, session_id = done
            flag = replace(
                flag, status=CLOSED, closed_reason=FOLLOWED_UP, resolved_on=day, resolved_session_id=session_id
            )
        flags.append(flag)
    return flags


# What "a weak or ruptured alliance" means, once, for the off-track flag's "alliance weak
# too" (`_alliance`) and the supervisor's alliance x progress grid (flags.models
# FlagQuerySet.about_the_alliance): an open rupture, or an open flag of a weak rating
# (a factor drop, persistent weakness, a low factor or a client concern) on a factor of
# the relationship domains. A context change, a low contextual factor, "client rated
# lower" (a gap between two ratings, not a weak one), stalled attendance and the
# measures' own flags are not the alliance.
ALLIANCE_RUPTURE_KINDS = (RUPTURE,)
ALLIANCE_WEAK_KINDS = (FACTOR_DROP, PERSISTENT, LOW_FACTOR, CLIENT_CONCERN)


def _alliance(flags: Sequence[Flag], domain_of: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """("ruptured" / "weak" / "", the relationship factors concerned, ruptured first)."""
    open_flags = [f for f in flags if f.is_open]
    ruptures = [f for f in open_flags if f.kind in ALLIANCE_RUPTURE_KINDS]
    weak = [f for f in open_flags if f.kind in ALLIANCE_WEAK_KINDS]
    keys = [k for f in ruptures for k in f.factors]
    keys += [k for f in weak for k in f.factors if domain_of.get(k) in RELATIONSHIP_DOMAINS]
    keys = tuple(dict.fromkeys(keys))
    if ruptures:
        return "ruptured", keys
    return ("weak", keys) if keys else ("", ())


def off_track_flags(
    points: Sequence[Point], measures: Measures, others: Sequence[Flag], domain_of: Mapping[str, str]
) -> list[Flag]:
    """Per instrument in use, the spells during which the client was off track
    (measures.scoring.off_track), read at every counted session: one that opens
    stays open while the client stays off track and closes at the first session
    where they no longer are. An open one says whether the alliance is ruptured
    or weak now and names those factors (its prompts are theirs)."""
    points = chronological(points)
    state, factors = _alliance(others, domain_of)
    flags = []
    for key, rule in measures.rules.items():
        by_session = {r.session_id: r for r in measures.responses if r.instrument == key and r.counted}
        first = first_at = latest = latest_at = None
        measured_count = 0
        current: Flag | None = None
        for i, point in enumerate(points):
            response = by_session.get(point.id)
            if response is not None and response.total is not None:
                if first is None:
                    first, first_at = response.total, i
                latest, latest_at = response.total, i
                measured_count += 1
            if first is None:
                continue
            status = measure_scoring.status(first, latest, rule)
            sessions = i - first_at + 1
            facts = {
                "instrument": key,
                "first": first,
                "latest": latest,
                "status": status,
                "sessions": sessions,
                "first_at_caseness": first >= rule.caseness,  # worded "still" or "now" at caseness
            }
            # Off track only on a re-measure: two complete totals, the latest one's session
            # counted from the first's (measures.scoring.progress reads it the same way).
            remeasured = measured_count >= 2
            if remeasured and measure_scoring.off_track(status, latest, latest_at - first_at + 1, rule):
                if current is None:
                    current = Flag(kind=OFF_TRACK, opened_session_id=point.id, since=point.date, facts=facts)
                measured = (point.id,) if response is not None and response.total is not None else ()
                current = replace(current, session_ids=(*current.session_ids, *measured), facts=facts)
            elif current is not None:
                flags.append(close(current, point))
                current = None
        if current is not None:
            facts = {**current.facts, "alliance": state}
            flags.append(replace(current, factors=factors, facts=facts))
    return flags


def by_urgency(flags: Iterable) -> list:
    """Open flags, most urgent first; among equals the most recent first. Works on
    these Flags and on stored ones (flags.models.Flag)."""
    return sorted((f for f in flags if f.status == OPEN), key=lambda f: (-f.urgency, -f.since.toordinal()))

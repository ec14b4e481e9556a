"""Alliance scoring and flag rules: the one place that turns ratings into
scores, flags and outcomes.

Pure functions over plain values (no database, no Django models), so every
rule can be unit-tested on synthetic series. Thresholds come in as a
`Thresholds` value; the app builds it from settings.ALLIANCE_FLAGS.

Scale: each factor is rated 1-5, or None for "not assessed". A score is on
0-100 as (mean of the rated factors - 1) / 4 * 100, so 1 -> 0, 3 -> 50 and
5 -> 100. "Not assessed" is left out of the mean, never counted as zero; a
group with nothing rated has no score (None).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import fmean, stdev

MIN_RATING = 1
MAX_RATING = 5
DOMAINS = ("therapist", "client", "contextual")


def index(ratings: Iterable[int | None]) -> float | None:
    """0-100 score of the rated values, rounded to one decimal; None if none rated."""
    rated = [r for r in ratings if r is not None]
    for r in rated:
        if not MIN_RATING <= r <= MAX_RATING:
            raise ValueError(f"rating {r!r} is outside {MIN_RATING}-{MAX_RATING}")
    if not rated:
        return None
    return round((fmean(rated) - MIN_RATING) / (MAX_RATING - MIN_RATING) * 100, 1)


@dataclass(frozen=True)
class SessionScores:
    therapist: float | None
    client: float | None
    contextual: float | None
    overall: float | None


def session_scores(ratings: Iterable[tuple[str, int | None]]) -> SessionScores:
    """Domain scores and the overall index from (domain, rating) pairs.

    The overall index is the mean over all rated factors (not the mean of
    the domain scores), so a domain with more rated factors weighs more.
    """
    by_domain: dict[str, list[int | None]] = {domain: [] for domain in DOMAINS}
    for domain, rating in ratings:
        if domain not in by_domain:
            raise ValueError(f"unknown domain {domain!r}")
        by_domain[domain].append(rating)
    return SessionScores(
        therapist=index(by_domain["therapist"]),
        client=index(by_domain["client"]),
        contextual=index(by_domain["contextual"]),
        overall=index(r for values in by_domain.values() for r in values),
    )


# --- Flags -------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    low_max: int = 2  # a rating at or below this is weak
    persistent_sessions: int = 3  # weak in this many consecutive rated sessions
    rupture_drop: float = 15  # index points below the baseline mean
    baseline_sessions: int = 3  # the baseline is the mean of this many previous sessions
    variability_sds: float = 2  # ...or a drop of more than this many of the client's SDs
    variability_min_drop: float = 8  # ...and at least this many points
    variability_min_history: int = 4  # ...once this many earlier sessions exist
    factor_drop: int = 2  # any factor falling this much from its previous rating
    repair_margin: float = 5  # back within this many points of the baseline...
    repair_sessions: int = 3  # ...within this many sessions
    stalled_days: int = 21  # an active client with no session for this long
    discrepancy_gap: int = 2  # the client rates a factor this much below the clinician


RUPTURE, PERSISTENT, LOW_FACTOR, STALLED = "rupture", "persistent", "low_factor", "stalled"
DISCREPANCY = "discrepancy"
OPEN, REPAIRED, RECOVERED = "open", "repaired", "recovered"
# Most urgent first.
URGENCY = {RUPTURE: 40, DISCREPANCY: 35, PERSISTENT: 30, LOW_FACTOR: 20, STALLED: 10}
KIND_LABELS = {
    RUPTURE: "Rupture",
    DISCREPANCY: "Client rated lower",
    PERSISTENT: "Persistent weakness",
    LOW_FACTOR: "Low factor",
    STALLED: "Stalled",
}


@dataclass(frozen=True)
class Point:
    """One session of a client's series."""

    id: int
    date: date
    overall: float | None
    ratings: Mapping[str, int | None] = field(default_factory=dict)
    setting: str = ""
    domains: Mapping[str, float | None] = field(default_factory=dict)  # domain scores, for charts
    client_ratings: Mapping[str, int | None] = field(default_factory=dict)  # the client's own, by self-report


@dataclass(frozen=True)
class Flag:
    kind: str
    since: date
    session_ids: tuple[int, ...]
    factors: tuple[str, ...] = ()
    detail: str = ""
    status: str = OPEN
    baseline: float | None = None  # ruptures: the pre-rupture mean the index must come back to
    resolved_session_id: int | None = None
    resolved_on: date | None = None
    lowest: int | None = None  # low and persistent flags: the weakest latest rating

    @property
    def key(self) -> str:
        """A stable name for this flag, e.g. "low_factor:openness:2026-03-02", so a
        supervisor's review survives the flags being recomputed."""
        return ":".join([self.kind, *self.factors[:1], self.since.isoformat()])

    @property
    def urgency(self) -> int:
        """Sort key part: kind first, then a rating of 1 before a rating of 2."""
        return URGENCY[self.kind] + (1 if self.lowest == 1 else 0)


def _chronological(points: Iterable[Point]) -> list[Point]:
    return sorted(points, key=lambda p: (p.date, p.id))


def _name(key: str, names: Mapping[str, str]) -> str:
    return names.get(key, key)


def weak_factor_flags(points: Sequence[Point], t: Thresholds, names: Mapping[str, str] = {}) -> list[Flag]:
    """Low factor (weak in the latest session) and persistent weakness (weak in the
    last `persistent_sessions` rated sessions of that factor; "not assessed" is
    skipped, neither breaking nor extending a run). A persistent factor is not
    also reported as low."""
    points = _chronological(points)
    if not points:
        return []
    latest = points[-1]
    keys = list(dict.fromkeys(k for p in reversed(points) for k in p.ratings))
    flags = []
    for key in keys:
        rated = [(p, p.ratings[key]) for p in points if p.ratings.get(key) is not None]
        run = []
        for p, score in reversed(rated):
            if score > t.low_max:
                break
            run.append((p, score))
        run.reverse()
        if not run:
            continue
        name = _name(key, names)
        last_score = run[-1][1]
        if len(run) >= t.persistent_sessions:
            flags.append(
                Flag(
                    kind=PERSISTENT,
                    since=run[0][0].date,
                    session_ids=tuple(p.id for p, _ in run),
                    factors=(key,),
                    detail=f"{name} rated {last_score} or lower in {len(run)} consecutive rated sessions",
                    lowest=last_score,
                )
            )
        elif latest.ratings.get(key) is not None:
            flags.append(
                Flag(
                    kind=LOW_FACTOR,
                    since=run[0][0].date,
                    session_ids=tuple(p.id for p, _ in run),
                    factors=(key,),
                    detail=f"{name} rated {last_score} in the latest session",
                    lowest=last_score,
                )
            )
    return flags


def _rupture_trigger(points: Sequence[Point], i: int, t: Thresholds, names: Mapping[str, str]):
    """(baseline, reasons, fallen factors) if session i is a rupture, else None."""
    here = points[i]
    earlier = [p.overall for p in points[:i] if p.overall is not None]
    baseline = fmean(earlier[-t.baseline_sessions :]) if earlier else None
    reasons = []
    if here.overall is not None and baseline is not None:
        drop = baseline - here.overall
        n = len(earlier[-t.baseline_sessions :])
        if drop >= t.rupture_drop:
            reasons.append(f"index fell {drop:.0f} points below the mean of the previous {n} session{'s' * (n > 1)}")
        elif len(earlier) >= t.variability_min_history:
            sd = stdev(earlier)
            if drop >= t.variability_min_drop and drop > t.variability_sds * sd:
                reasons.append(
                    f"index fell {drop:.0f} points, more than {t.variability_sds:g} times this client's usual "
                    f"variation ({sd:.1f})"
                )
    fallen = []
    for key, score in here.ratings.items():
        if score is None:
            continue
        before = next((p.ratings[key] for p in reversed(points[:i]) if p.ratings.get(key) is not None), None)
        if before is not None and before - score >= t.factor_drop:
            fallen.append((before - score, key))
    fallen = [key for _, key in sorted(fallen, key=lambda item: -item[0])]
    if fallen:
        listed = ", ".join(_name(k, names) for k in fallen)
        reasons.append(f"{listed} fell by {t.factor_drop} or more points")
    if not reasons:
        return None
    if baseline is None:  # cannot happen with a fallen factor, but keep the type honest
        baseline = here.overall
    return baseline, reasons, fallen


def rupture_flags(points: Sequence[Point], t: Thresholds, names: Mapping[str, str] = {}) -> list[Flag]:
    """Rupture episodes, each open, repaired or recovered.

    A rupture starts at a session that trips a trigger; later triggers before it
    resolves join the same episode. It is repaired when the index comes back to
    within `repair_margin` of the pre-rupture mean within `repair_sessions`
    sessions of its latest trigger (the V-shaped rupture-repair sequence), and
    recovered when that happens only later. Otherwise it stays open.
    """
    points = _chronological(points)
    flags = []
    episode = None  # dict while a rupture is unresolved
    for i in range(1, len(points)):
        here = points[i]
        if episode and here.overall is not None and here.overall >= episode["baseline"] - t.repair_margin:
            in_window = i - episode["last"] <= t.repair_sessions
            flags.append(_episode_flag(points, episode, REPAIRED if in_window else RECOVERED, here))
            episode = None
            continue
        trigger = _rupture_trigger(points, i, t, names)
        if trigger is None:
            continue
        baseline, reasons, fallen = trigger
        if episode is None:
            episode = {"start": i, "last": i, "baseline": baseline, "sessions": [i], "factors": [], "reasons": []}
        episode["last"] = i
        if i not in episode["sessions"]:
            episode["sessions"].append(i)
        episode["factors"] += [k for k in fallen if k not in episode["factors"]]
        episode["reasons"] = reasons
    if episode:
        flags.append(_episode_flag(points, episode, OPEN, None))
    return flags


def _episode_flag(points, episode, status, resolved_by):
    factors = episode["factors"]
    if not factors:  # an index-only drop: point at the weakest factors of its latest session
        rated = [(score, key) for key, score in points[episode["last"]].ratings.items() if score is not None]
        factors = [key for _, key in sorted(rated)[:2]]
    return Flag(
        kind=RUPTURE,
        since=points[episode["start"]].date,
        session_ids=tuple(points[i].id for i in episode["sessions"]),
        factors=tuple(factors),
        detail="; ".join(episode["reasons"]).capitalize(),
        status=status,
        baseline=round(episode["baseline"], 1),
        resolved_session_id=resolved_by.id if resolved_by else None,
        resolved_on=resolved_by.date if resolved_by else None,
    )


def discrepancy_flags(points: Sequence[Point], t: Thresholds, names: Mapping[str, str] = {}) -> list[Flag]:
    """In the latest session the client rated themselves, each factor the client
    rated `discrepancy_gap` or more points below the clinician: a known sign of
    a rupture the therapist has not seen."""
    rated = [p for p in _chronological(points) if any(v is not None for v in p.client_ratings.values())]
    if not rated:
        return []
    latest = rated[-1]
    flags = []
    for key, theirs in latest.client_ratings.items():
        ours = latest.ratings.get(key)
        if theirs is None or ours is None or ours - theirs < t.discrepancy_gap:
            continue
        flags.append(
            Flag(
                kind=DISCREPANCY,
                since=latest.date,
                session_ids=(latest.id,),
                factors=(key,),
                detail=f"{_name(key, names)}: the client rated {theirs}, you rated {ours}",
                lowest=theirs,
            )
        )
    return flags


def stalled_flag(last_session: date | None, intake: date, today: date, t: Thresholds) -> Flag | None:
    """An active client with no session for `stalled_days` (counted from intake if none yet)."""
    since = last_session or intake
    days = (today - since).days
    if days < t.stalled_days:
        return None
    what = "session" if last_session else "session since intake"
    return Flag(kind=STALLED, since=since, session_ids=(), detail=f"No {what} for {days} days")


def evaluate(points: Iterable[Point], t: Thresholds, names: Mapping[str, str] = {}) -> list[Flag]:
    """Every session-derived flag of a client's series (stalled is time-derived: see stalled_flag)."""
    points = _chronological(points)
    return rupture_flags(points, t, names) + discrepancy_flags(points, t, names) + weak_factor_flags(points, t, names)


def by_urgency(flags: Iterable[Flag]) -> list[Flag]:
    """Open flags, most urgent first; among equals the most recent first."""
    open_flags = [f for f in flags if f.status == OPEN]
    return sorted(open_flags, key=lambda f: (-f.urgency, -f.since.toordinal()))


# --- Per-client summary ------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    latest: float | None
    change: float | None  # latest index minus the first of the last three indexed sessions
    change_sessions: int  # how many sessions that change spans
    by_setting: dict[str, float]  # mean index per setting, when two settings have enough sessions


def summarise(points: Iterable[Point], min_per_setting: int = 2) -> Summary:
    points = _chronological(points)
    indexed = [p for p in points if p.overall is not None]
    latest = indexed[-1].overall if indexed else None
    window = indexed[-3:]
    change = round(window[-1].overall - window[0].overall, 1) if len(window) >= 2 else None
    per_setting: dict[str, list[float]] = {}
    for p in indexed:
        per_setting.setdefault(p.setting, []).append(p.overall)
    enough = {s: round(fmean(v), 1) for s, v in per_setting.items() if len(v) >= min_per_setting}
    return Summary(
        latest=latest, change=change, change_sessions=len(window), by_setting=enough if len(enough) >= 2 else {}
    )


# --- Closed loop: did a prompt that was tried help? ----------------------------

ROSE, HELD, FELL, WAITING = "rose", "held", "fell", "waiting"


def trial_outcome(before: int | None, after: Sequence[int | None], sessions: int = 3) -> str:
    """Compare a factor's rating when a prompt was chosen with its next rated sessions.

    The mean of the next `sessions` rated values against the rating before:
    half a point or more up is "rose", down is "fell", else "held"; "waiting"
    until there is a rating before and at least one after.
    """
    later = [v for v in after if v is not None][:sessions]
    if before is None or not later:
        return WAITING
    delta = fmean(later) - before
    if delta >= 0.5:
        return ROSE
    if delta <= -0.5:
        return FELL
    return HELD

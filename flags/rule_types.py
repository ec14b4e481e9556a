"""The values the flag rules work on and produce (flags.rules): the kinds and statuses,
the thresholds, a session of the series (Point), what people marked (Marks), progress
measures (Response, Measures) and a flag. Pure: no database, no Django models."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from factors.kinds import URGENCY, FlagKind
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
    at: datetime | None = None  # when it was given (two answer sets for one session tell apart by it)


@dataclass(frozen=True)
class Measures:
    """The progress-measure inputs of one client: the scoring rules of the
    instruments in use (by key: active, or switched off with responses) and every response, oldest first."""

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


def chronological(points: Iterable[Point]) -> list[Point]:
    return sorted(points, key=lambda p: (p.date, p.id))


def close(flag: Flag, point: Point, reason: str = RESOLVED, status: str = CLOSED) -> Flag:
    return replace(flag, status=status, closed_reason=reason, resolved_session_id=point.id, resolved_on=point.date)

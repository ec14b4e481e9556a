"""Scoring the progress measures (PHQ-9, GAD-7): pure functions over plain values.

No database and no Django models, so every rule is unit-tested on hand-computed
totals (tests/test_measure_scoring.py). `measures.models` builds a `Rule` from an
`Instrument` row; the flag rules (flags.rules) read `Progress`.

Definitions (docs/factors.md, "Progress measures"; /work/shared/reference/measures.md):

- total: the sum of the item values. An answer left empty makes the measure
  incomplete (no total, band or status) unless the instrument allows
  prorating (`max_missing` > 0): then up to that many empty items are filled
  with the mean of the answered ones (total = sum x items / answered, rounded
  half up). The seeded instruments allow none (`max_missing` = 0).
- band: the severity band whose range holds the total.
- status, from the first complete measure to the latest: recovery (first at or
  above caseness, latest below, and a reliable improvement), reliable
  improvement (fell by the reliable-change threshold or more), reliable
  deterioration (rose by it or more), else no reliable change.
- off track (needs two complete measures): a reliable deterioration, or no
  reliable improvement while the latest total is at or above caseness and that
  latest measure was taken at or after the `OFF_TRACK_SESSIONS`th session,
  counting the first measure's session as the first. A client measured once,
  however many sessions later, is never off track: nothing was re-measured.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

RECOVERY = "recovery"
IMPROVEMENT = "improvement"
DETERIORATION = "deterioration"
NO_CHANGE = "no_change"
STATUSES = (RECOVERY, IMPROVEMENT, DETERIORATION, NO_CHANGE)
STATUS_LABELS = {
    RECOVERY: "Recovery",
    IMPROVEMENT: "Reliable improvement",
    DETERIORATION: "Reliable deterioration",
    NO_CHANGE: "No reliable change",
}
# The instruments' short names by key (keys are fixed like factor keys; used where a
# flag is put into words without a query: flags.labels).
NAMES = {"phq9": "PHQ-9", "gad7": "GAD-7"}
OFF_TRACK_SESSIONS = 6  # no reliable improvement after this many sessions, at caseness


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str


@dataclass(frozen=True)
class Rule:
    """What scoring needs to know about one instrument."""

    key: str
    items: int  # how many items
    caseness: int  # a total at or above this is "at caseness"
    reliable_change: int  # a change of at least this many points is reliable
    bands: Sequence[Band] = ()
    max_missing: int = 0  # prorating: how many empty items a total may be made up for (0: none)
    safety_items: Sequence[int] = ()  # item numbers where any answer above 0 raises a safety alert


@dataclass(frozen=True)
class Score:
    total: int | None  # None: incomplete
    answered: int
    prorated: bool = False
    band: str = ""  # the band's label, "" when incomplete

    @property
    def complete(self) -> bool:
        return self.total is not None


def _half_up(value) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def band_of(total: int | None, bands: Iterable[Band]) -> str:
    """The label of the band that holds `total` ("" for no total or no band)."""
    if total is None:
        return ""
    for band in bands:
        if band.low <= total <= band.high:
            return band.label
    return ""


def score(values: Mapping[int, int | None], rule: Rule) -> Score:
    """Score one response: `values` maps item number (1..items) to its value or None (unanswered)."""
    answered = [values[n] for n in range(1, rule.items + 1) if values.get(n) is not None]
    missing = rule.items - len(answered)
    if missing == 0:
        total, prorated = sum(answered), False
    elif answered and missing <= rule.max_missing:
        total, prorated = _half_up(Decimal(sum(answered)) * rule.items / len(answered)), True
    else:
        return Score(total=None, answered=len(answered))
    return Score(total=total, answered=len(answered), prorated=prorated, band=band_of(total, rule.bands))


def safety_concern(values: Mapping[int, int | None], rule: Rule) -> bool:
    """Any answer above 0 on a safety item, whether or not the rest is complete."""
    return any((values.get(n) or 0) > 0 for n in rule.safety_items)


def status(first: int, latest: int, rule: Rule) -> str:
    """The standard outcome from the first complete total to the latest."""
    change = latest - first
    if change <= -rule.reliable_change:
        return RECOVERY if first >= rule.caseness > latest else IMPROVEMENT
    if change >= rule.reliable_change:
        return DETERIORATION
    return NO_CHANGE


def off_track(state: str, latest: int, latest_at: int, rule: Rule) -> bool:
    """Deteriorated reliably, or no reliable improvement while at caseness with the
    latest measure taken at the OFF_TRACK_SESSIONS-th session or later, counted from
    the first measure's session (`latest_at`: 1 for that session itself). Only for
    two complete measures or more (`progress` does not call it for one)."""
    if state == DETERIORATION:
        return True
    return state == NO_CHANGE and latest >= rule.caseness and latest_at >= OFF_TRACK_SESSIONS


@dataclass(frozen=True)
class Measured:
    """One session's counted response to one instrument, for `progress`."""

    session_id: int
    total: int | None  # None: incomplete


@dataclass(frozen=True)
class Progress:
    """A client's progress on one instrument (`progress`)."""

    key: str
    first: int | None = None  # the first complete total
    latest: int | None = None  # the latest complete total
    band: str = ""  # the latest total's band
    change: int | None = None  # latest - first
    status: str = ""  # one of STATUSES, "" without a complete measure
    sessions: int = 0  # sessions since the first complete measure (its own included)
    latest_at: int = 0  # the latest complete measure's session, counted from the first's (= 1)
    off_track: bool = False
    first_session_id: int | None = None
    latest_session_id: int | None = None
    incomplete_latest: bool = False  # the latest response is incomplete (shown as such)
    measured: tuple[int, ...] = field(default_factory=tuple)  # session ids with a complete total

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, "")


def progress_by_instrument(
    latest: Mapping[str, Mapping[int, int | None]], session_ids: Sequence[int], rules: Mapping[str, Rule]
) -> dict[str, Progress]:
    """{instrument key: Progress} for each instrument of `rules` (in their order) the client
    answered in a counted session. `latest`: per instrument, the total of the latest
    response of each session (None: incomplete); `session_ids`: the client's counted
    sessions in order. The one rule the client page and the lists of many clients share."""
    result = {}
    for key, rule in rules.items():
        by_session = latest.get(key, {})
        answered = [Measured(session_id=s, total=by_session[s]) for s in session_ids if s in by_session]
        if answered:  # only voided sessions' responses: as if none
            result[key] = progress(answered, session_ids, rule)
    return result


def progress(responses: Sequence[Measured], session_ids: Sequence[int], rule: Rule) -> Progress:
    """Progress on one instrument from its responses (one per session, in session
    order) and the client's counted sessions in order (ids): the latest total and
    band, the change from the first, the status and whether the client is off track."""
    complete = [r for r in responses if r.total is not None]
    incomplete_latest = bool(responses) and responses[-1].total is None
    if not complete:
        return Progress(key=rule.key, incomplete_latest=incomplete_latest)
    first, latest = complete[0], complete[-1]
    state = status(first.total, latest.total, rule)
    order = list(session_ids)
    start = order.index(first.session_id) if first.session_id in order else None
    sessions = len(order) - start if start is not None else 0
    latest_at = order.index(latest.session_id) - start + 1 if start is not None and latest.session_id in order else 0
    remeasured = len(complete) >= 2
    return Progress(
        key=rule.key,
        first=first.total,
        latest=latest.total,
        band=band_of(latest.total, rule.bands),
        change=latest.total - first.total,
        status=state,
        sessions=sessions,
        latest_at=latest_at,
        off_track=remeasured and off_track(state, latest.total, latest_at, rule),
        first_session_id=first.session_id,
        latest_session_id=latest.session_id,
        incomplete_latest=incomplete_latest,
        measured=tuple(r.session_id for r in complete),
    )

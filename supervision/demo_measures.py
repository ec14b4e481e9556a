"""PHQ-9 and GAD-7 in the demo data: one plan per trajectory, so the demo shows
every progress status (recovery, reliable improvement, reliable deterioration,
no reliable change), clients off track (one of them with an open alliance
rupture, one with a sound alliance: the cell the alliance x progress view is
for), an incomplete measure, and one safety alert that was followed up.

Totals run from a first to a last value over the client's sessions (the ends
exact, the sessions between them jittered by a point; an improvement is reached
within the first third of the sessions); each total is spread
over the items from the first (3s first), so item 9 stays 0 except where a
plan asks for a safety answer.
"""

from measures.answers import save_response
from measures.models import Instrument, MeasureResponse

# trajectory -> {instrument key: (first total, last total)}
PLANS = {
    "improving": {"phq9": (16, 7), "gad7": (12, 6)},  # recovery on both
    "rupture_repair": {"phq9": (18, 11)},  # reliable improvement, still at caseness
    "slow_decline": {"phq9": (7, 14), "gad7": (6, 11)},  # reliable deterioration: off track
    "recent_rupture": {"phq9": (15, 14)},  # no reliable change at caseness after 6+ sessions: off track
    "steady": {"phq9": (8, 6)},  # no reliable change, below caseness
    "factor_drop": {"gad7": (11, 10)},  # no reliable change
    "persistent_weakness": {"gad7": (9, 8)},  # the latest one incomplete
}
# (clinician, label) -> a plan of its own, over the trajectory's. Ben's K.W. is steady and
# rated well, but the PHQ-9 does not move: off track with a sound alliance.
CLIENT_PLANS = {("ben", "K.W."): {"phq9": (14, 13)}}
INCOMPLETE_LATEST = {"persistent_weakness"}
SAFETY = {("amara", "J.P.")}  # item 9 answered "several days" at the session before the latest
SAFETY_NOTE = (
    "Phoned the client the same day: passive thoughts, no plan or intent; safety plan reviewed with them, "
    "crisis numbers shared. Discussed in supervision."
)


def instruments():
    return {i.key: i for i in Instrument.objects.with_parts()}


def items_for(total, count):
    """`total` spread over `count` items, 3s first."""
    values = []
    for _ in range(count):
        values.append(min(3, total))
        total -= values[-1]
    return values


def for_session(rng, trajectory, clinician, label, i, n, by_key):
    """[(instrument, {item: value or None})] to enter with session i of n."""
    entered = []
    plan = CLIENT_PLANS.get((clinician, label)) or PLANS.get(trajectory, {})
    for key, (first, last) in plan.items():
        instrument = by_key[key]
        items = list(instrument.items.all())
        t = i / max(n - 1, 1)
        if last < first - 2:  # improvement comes early in treatment (most of it in the first third)
            t = min(1.0, 3 * t)
        total = round(first + (last - first) * t)
        if 0 < i < n - 1:
            total = max(0, total + rng.choice([-1, 0, 0, 1]))
        scored = [item for item in items if not item.is_safety_item]
        values = dict(zip([item.number for item in scored], items_for(total, len(scored)), strict=True))
        for item in items:
            values.setdefault(item.number, 0)
        if trajectory in INCOMPLETE_LATEST and i == n - 1:
            values[items[-1].number] = None
        if (clinician, label) in SAFETY and key == "phq9" and i == n - 2:
            values[next(item.number for item in items if item.is_safety_item)] = 1
        entered.append((instrument, values))
    return entered


def on_link(link, label):
    """B.R. also answers the PHQ-9 on their self-report link (mild now: 6)."""
    if label != "B.R." or link.measure_responses.exists():
        return
    phq9 = instruments()["phq9"]
    values = dict(enumerate([*items_for(6, 8), 0], start=1))
    save_response(
        session=link.session,
        instrument=phq9,
        values=values,
        source=MeasureResponse.Source.CLIENT,
        link=link,
        username=f"client (self-report link {link.pk})",
    )

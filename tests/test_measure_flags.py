"""The progress-measure flags (flags.rules): safety alerts and off track, on synthetic
series, with their ranking against the alliance flags and their words (flags.labels)."""

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone, translation

from factors.kinds import URGENCY, FlagKind
from flags import labels
from flags.rules import (
    CLOSED,
    DISCHARGED,
    FOLLOWED_UP,
    OFF_TRACK,
    OPEN,
    RUPTURE,
    SAFETY,
    Marks,
    Measures,
    Point,
    Response,
    Thresholds,
    by_urgency,
    evaluate,
)
from measures.scoring import DETERIORATION, NO_CHANGE, Band, Rule

T = Thresholds()
START = date.today() - timedelta(weeks=30)
DOMAINS = {
    **dict.fromkeys(["communication", "cultural_competence", "boundaries", "flexibility"], "therapist"),
    **dict.fromkeys(["openness", "expectations", "attachment", "beliefs"], "client"),
    **dict.fromkeys(["setting", "socioeconomic", "support", "stigma"], "contextual"),
}
PHQ9 = Rule(
    key="phq9",
    items=9,
    caseness=10,
    reliable_change=6,
    bands=(
        Band(0, 4, "Minimal"),
        Band(5, 9, "Mild"),
        Band(10, 14, "Moderate"),
        Band(15, 19, "Mod. severe"),
        Band(20, 27, "Severe"),
    ),
    safety_items=(9,),
)


def session(i, base=4, **ratings):
    values = dict.fromkeys(DOMAINS, base)
    values.update(ratings)
    return Point(id=i + 1, date=START + timedelta(weeks=i), ratings=values)


def phq9(totals, safety_at=(), voided=()):
    """PHQ-9 responses for sessions 1..n (None: no response that session)."""
    responses = []
    for i, total in enumerate(totals):
        if total == "-":
            continue
        responses.append(
            Response(
                id=100 + i,
                session_id=i + 1,
                date=START + timedelta(weeks=i),
                instrument="phq9",
                total=total,
                safety=i in safety_at,
                counted=i not in voided,
                source="client",
            )
        )
    return Measures(rules={"phq9": PHQ9}, responses=responses)


def of_kind(flags, kind):
    return [f for f in flags if f.kind == kind]


# --- Safety alerts -----------------------------------------------------------------


def test_item_9_above_zero_raises_one_safety_alert_per_response_even_when_incomplete():
    points = [session(i) for i in range(3)]
    flags = evaluate(points, T, DOMAINS, measures=phq9([5, None, 6], safety_at=(0, 1)))
    alerts = of_kind(flags, SAFETY)
    assert [f.identity for f in alerts] == ["safety:100", "safety:101"]  # never merged: one per answer
    assert all(f.is_open for f in alerts)
    assert alerts[1].since == points[1].date


def test_a_safety_alert_closes_only_when_followed_up():
    points = [session(i) for i in range(4)]
    measures = phq9([12, 11, 4, 3], safety_at=(0,))
    # Later sessions with low totals and no further answer about self-harm do not close it.
    assert of_kind(evaluate(points, T, DOMAINS, measures=measures), SAFETY)[0].status == OPEN
    followed = Marks(followed_up={"safety:100": (points[1].date, points[1].id)})
    alert = of_kind(evaluate(points, T, DOMAINS, followed, measures=measures), SAFETY)[0]
    assert (alert.status, alert.closed_reason, alert.resolved_on) == (CLOSED, FOLLOWED_UP, points[1].date)


def test_discharge_closes_every_flag_but_an_open_safety_alert():
    points = [session(i, openness=1) for i in range(3)]
    flags = evaluate(points, T, DOMAINS, discharged=True, measures=phq9([12, 12, 12], safety_at=(2,)))
    assert of_kind(flags, SAFETY)[0].status == OPEN
    assert all(f.closed_reason == DISCHARGED for f in flags if f.kind != SAFETY)


def test_a_voided_sessions_answer_about_self_harm_still_stands():
    points = [session(i) for i in range(2)]  # the voided session is not in the series
    flags = evaluate(points, T, DOMAINS, measures=phq9([3, 3, 4], safety_at=(2,), voided=(2,)))
    assert of_kind(flags, SAFETY)[0].is_open


def test_the_safety_alert_outranks_everything_then_rupture_then_off_track_then_factor_flags():
    ranked = sorted(FlagKind, key=lambda k: -URGENCY[k])
    assert ranked[0] == FlagKind.SAFETY
    assert URGENCY[FlagKind.RUPTURE] > URGENCY[FlagKind.OFF_TRACK]
    factor_kinds = [FlagKind.FACTOR_DROP, FlagKind.DISCREPANCY, FlagKind.PERSISTENT, FlagKind.LOW_FACTOR]
    assert all(URGENCY[FlagKind.OFF_TRACK] > URGENCY[k] for k in factor_kinds)
    # And in a real list: a rupture, a low factor, off track and a safety alert.
    points = [session(i) for i in range(6)] + [session(6, base=2, setting=4, socioeconomic=4, support=4, stigma=4)]
    flags = by_urgency(evaluate(points, T, DOMAINS, measures=phq9([5, "-", "-", "-", "-", 11, 12], safety_at=(6,))))
    kinds = list(dict.fromkeys(f.kind for f in flags))
    assert kinds[:3] == [SAFETY, RUPTURE, OFF_TRACK]


# --- Off track ---------------------------------------------------------------------


def test_a_reliable_deterioration_is_off_track_at_once():
    points = [session(i) for i in range(2)]
    flag = of_kind(evaluate(points, T, DOMAINS, measures=phq9([8, 14])), OFF_TRACK)[0]
    assert (flag.is_open, flag.identity, flag.facts["status"]) == (True, "off_track:2:phq9", DETERIORATION)
    assert flag.facts["alliance"] == ""
    assert "rose from 8 to 14" in labels.detail(flag, {})


def test_no_reliable_improvement_at_caseness_is_off_track_from_the_sixth_session():
    totals = [14, 13, 14, 12, 13, 13]
    five = evaluate([session(i) for i in range(5)], T, DOMAINS, measures=phq9(totals[:5]))
    assert not of_kind(five, OFF_TRACK)
    six = evaluate([session(i) for i in range(6)], T, DOMAINS, measures=phq9(totals))
    flag = of_kind(six, OFF_TRACK)[0]
    assert (flag.opened_session_id, flag.facts["sessions"], flag.facts["status"]) == (6, 6, NO_CHANGE)


def test_sessions_count_from_the_first_measure_whether_or_not_later_ones_were_measured():
    points = [session(i) for i in range(8)]
    # Two sessions before the first measure; measured at sessions 3 and 8 only.
    flags = evaluate(points, T, DOMAINS, measures=phq9(["-", "-", 13, "-", "-", "-", "-", 12]))
    flag = of_kind(flags, OFF_TRACK)[0]
    assert flag.opened_session_id == 8  # sessions 3..8 are six sessions
    assert flag.session_ids == (8,)


def test_a_single_measure_or_one_re_measured_too_early_is_never_off_track_for_lack_of_improvement():
    points = [session(i) for i in range(10)]
    once = evaluate(points, T, DOMAINS, measures=phq9([15]))  # measured once, nine sessions since
    assert not of_kind(once, OFF_TRACK)
    early = evaluate(points, T, DOMAINS, measures=phq9([15, "-", "-", 14]))  # re-measured at the fourth
    assert not of_kind(early, OFF_TRACK)
    at_sixth = evaluate(points, T, DOMAINS, measures=phq9([15, "-", "-", 14, "-", 14]))
    assert of_kind(at_sixth, OFF_TRACK)[0].opened_session_id == 6


def test_below_caseness_or_an_incomplete_latest_measure_is_not_off_track_on_its_own():
    points = [session(i) for i in range(7)]
    assert not of_kind(evaluate(points, T, DOMAINS, measures=phq9([9, 9, 9, 9, 9, 9, 9])), OFF_TRACK)
    # The latest complete total counts; an incomplete one changes nothing.
    flags = evaluate(points, T, DOMAINS, measures=phq9([16, 9, 9, 9, 9, 9, None]))
    assert not of_kind(flags, OFF_TRACK)


def test_a_client_who_rose_to_caseness_without_a_reliable_change_is_now_not_still_at_caseness():
    points = [session(i) for i in range(6)]
    rose = of_kind(evaluate(points, T, DOMAINS, measures=phq9([8, "-", "-", "-", "-", 11])), OFF_TRACK)[0]
    assert "from 8 to 11 over 6 sessions: no reliable improvement, and now at caseness." in labels.detail(rose, {})
    stayed = of_kind(evaluate(points, T, DOMAINS, measures=phq9([12, "-", "-", "-", "-", 11])), OFF_TRACK)[0]
    assert "from 12 to 11 over 6 sessions: no reliable improvement, and still at caseness." in labels.detail(
        stayed, {}
    )


def test_off_track_closes_when_the_client_improves_reliably():
    points = [session(i) for i in range(8)]
    flags = evaluate(points, T, DOMAINS, measures=phq9([8, 15, 15, 15, 15, 15, 15, 2]))
    flag = of_kind(flags, OFF_TRACK)[0]
    assert (flag.status, flag.resolved_session_id) == (CLOSED, 8)


def test_off_track_with_a_rupture_says_so_and_names_the_ruptured_factors_for_their_prompts():
    points = [session(i) for i in range(5)] + [session(5, base=2, setting=4, socioeconomic=4, support=4, stigma=4)]
    flags = evaluate(points, T, DOMAINS, measures=phq9([8, "-", "-", "-", "-", 15]))
    flag = of_kind(flags, OFF_TRACK)[0]
    rupture = of_kind(flags, RUPTURE)[0]
    assert flag.facts["alliance"] == "ruptured"
    assert set(flag.factors) == set(rupture.factors)
    assert labels.label(flag, {}).startswith("Off track: PHQ-9, the alliance is ruptured too")
    assert "repair it first" in labels.detail(flag, {})


def test_off_track_with_a_weak_relationship_factor_says_the_alliance_is_weak_too():
    points = [session(i, openness=2) for i in range(2)]
    flag = of_kind(evaluate(points, T, DOMAINS, measures=phq9([8, 15])), OFF_TRACK)[0]
    assert (flag.facts["alliance"], flag.factors) == ("weak", ("openness",))
    assert "The alliance is weak too (Openness): start there." in labels.detail(flag, {"openness": "Openness"})
    # A low contextual factor is a circumstance, not the alliance.
    context = [session(i, setting=1) for i in range(2)]
    assert of_kind(evaluate(context, T, DOMAINS, measures=phq9([8, 15])), OFF_TRACK)[0].facts["alliance"] == ""


def test_responses_without_a_scoring_rule_raise_no_off_track_but_their_safety_answers_still_count():
    # (Switching a measure off keeps its rule: Instrument.objects.in_use(); see test_measures.)
    points = [session(i) for i in range(2)]
    measures = phq9([8, 20], safety_at=(1,))
    off = Measures(rules={}, responses=measures.responses)
    flags = evaluate(points, T, DOMAINS, measures=off)
    assert not of_kind(flags, OFF_TRACK)
    assert of_kind(flags, SAFETY)


def test_two_answer_sets_for_one_session_raise_two_alerts_that_say_when_each_was_given():
    """A session answered through two links has two safety alerts (each answer is its own),
    told apart by when each was given, in the reader's time zone."""
    day = START + timedelta(weeks=1)
    first, second = datetime(2026, 3, 2, 22, 5, tzinfo=UTC), datetime(2026, 3, 2, 23, 40, tzinfo=UTC)
    responses = [
        Response(id=7, session_id=1, date=day, instrument="phq9", total=12, safety=True, source="client", at=first),
        Response(id=8, session_id=1, date=day, instrument="phq9", total=14, safety=True, source="client", at=second),
    ]
    alerts = of_kind(evaluate([session(1)], T, DOMAINS, measures=Measures({"phq9": PHQ9}, responses)), SAFETY)
    assert [a.facts["answered_at"] for a in alerts] == [first.isoformat(), second.isoformat()]
    with timezone.override("Australia/Sydney"), translation.override("en"):
        texts = [labels.detail(a, {}) for a in alerts]
        sydney_day = labels.date_format(date(2026, 3, 3))  # 22:05 UTC on the 2nd is the 3rd in Sydney
    assert texts[0] != texts[1]
    assert f"on their self-report link ({sydney_day}, 9:05 a.m.). The treating clinician" in texts[0]
    assert f"on their self-report link ({sydney_day}, 10:40 a.m.). The treating clinician" in texts[1]

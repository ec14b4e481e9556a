"""The flag rules (flags.rules) on synthetic series: every rule, named for what a clinician sees."""

import random
from datetime import date, timedelta

import pytest

from factors.scoring import summarise
from flags import labels
from flags.rules import (
    CLIENT_CONCERN,
    CLOSED,
    CONTEXT_CHANGE,
    DISCHARGED,
    DISCREPANCY,
    DISCUSSED,
    ESCALATED,
    FACTOR_DROP,
    LOW_FACTOR,
    OPEN,
    PERSISTENT,
    RECOVERED,
    REPAIRED,
    RUPTURE,
    STALLED,
    Marks,
    Point,
    Thresholds,
    by_urgency,
    evaluate,
    stalled_flag,
)
from flags.trials import FELL, HELD, ROSE, WAITING, base_rate, trial_outcome

T = Thresholds()
START = date.today() - timedelta(weeks=60)
THERAPIST = ["communication", "cultural_competence", "boundaries", "flexibility"]
CLIENT = ["openness", "expectations", "attachment", "beliefs"]
CONTEXT = ["setting", "socioeconomic", "support", "stigma"]
DOMAINS = {
    **dict.fromkeys(THERAPIST, "therapist"),
    **dict.fromkeys(CLIENT, "client"),
    **dict.fromkeys(CONTEXT, "contextual"),
}
RELATIONSHIP = THERAPIST + CLIENT
NAMES = {key: key.replace("_", " ").capitalize() for key in DOMAINS}


def session(i, base=4, client=None, **ratings):
    """Session i (weekly from START, id i+1): every factor at `base`, some set by keyword."""
    values = {key: base for key in DOMAINS}
    values.update(ratings)
    return Point(id=i + 1, date=START + timedelta(weeks=i), ratings=values, client_ratings=client or {})


def steady(n, base=4):
    return [session(i, base) for i in range(n)]


NO_MARKS = Marks()


def run(points, marks=NO_MARKS, discharged=False):
    return evaluate(points, T, DOMAINS, marks, discharged)


def of_kind(flags, *kinds):
    return [f for f in flags if f.kind in kinds]


def only(flags, kind):
    [flag] = of_kind(flags, kind)
    return flag


# --- alliance ruptures read the relationship ------------------------------------------------


def test_steady_ratings_raise_nothing():
    assert run(steady(10)) == []


def test_the_first_session_is_never_a_rupture():
    assert of_kind(run([session(0, 1)]), RUPTURE, FACTOR_DROP) == []


def test_the_baseline_needs_two_earlier_sessions():
    points = [session(0), session(1, base=4, **dict.fromkeys(RELATIONSHIP, 3))]
    assert of_kind(run(points), RUPTURE) == []
    points = [session(0), session(1), session(2, **dict.fromkeys(RELATIONSHIP, 3))]
    assert only(run(points), RUPTURE).opened_session_id == 3


def test_the_relationship_index_falling_15_points_is_an_alliance_rupture():
    # 8 relationship factors, 5 of them down one point: 15.6 points below the baseline.
    fallen = dict.fromkeys(RELATIONSHIP[:5], 3)
    flag = only(run([*steady(3), session(3, **fallen)]), RUPTURE)
    assert (flag.status, flag.since, flag.facts["rule"]) == (OPEN, START + timedelta(weeks=3), "index")
    assert flag.facts["drop"] == pytest.approx(15.6, abs=0.1)


def test_a_fall_of_just_under_15_points_is_not_a_rupture():
    fallen = dict.fromkeys(RELATIONSHIP[:4], 3)  # 12.5 points, and the variability rule needs four stable sessions
    assert of_kind(run([*steady(3), session(3, **fallen)]), RUPTURE) == []


def test_contextual_factors_falling_never_make_an_alliance_rupture():
    points = [*steady(4), session(4, **dict.fromkeys(CONTEXT, 1))]
    flags = run(points)
    assert of_kind(flags, RUPTURE, FACTOR_DROP) == []
    assert {f.factors[0] for f in of_kind(flags, CONTEXT_CHANGE)} == set(CONTEXT)


def test_a_money_rating_falling_after_a_job_loss_is_a_context_change_not_a_rupture():
    flags = run([*steady(4), session(4, socioeconomic=2)])
    change = only(flags, CONTEXT_CHANGE)
    assert change.factors == ("socioeconomic",)
    assert "not strain in the relationship" in labels.detail(change, NAMES)
    assert of_kind(flags, RUPTURE, FACTOR_DROP) == []


def test_a_context_change_closes_when_the_factor_comes_back():
    flags = run([*steady(3), session(3, support=2), session(4, support=2), session(5, support=3)])
    change = only(flags, CONTEXT_CHANGE)
    assert (change.status, change.resolved_session_id, change.session_ids) == (CLOSED, 6, (4, 5))


def test_rating_factors_that_were_skipped_before_never_moves_the_comparison():
    # The baseline rated only the therapist domain (at 5); the new session also rates
    # the client domain at 3 for the first time. Like with like: no fall.
    skipped = dict.fromkeys(CLIENT, None)
    baseline = [session(i, 5, **skipped) for i in range(3)]
    points = [*baseline, session(3, 5, **dict.fromkeys(CLIENT, 3))]
    assert of_kind(run(points), RUPTURE, FACTOR_DROP) == []


def test_a_drop_well_outside_the_clients_usual_variation_is_a_rupture_once_four_stable_sessions_exist():
    # Four factors down one point: 12.5 points, under 15, but this client never moves.
    fallen = dict.fromkeys(RELATIONSHIP[:4], 3)
    flag = only(run([*steady(4), session(4, **fallen)]), RUPTURE)
    assert flag.facts["rule"] == "variability"


def test_the_variability_rule_needs_at_least_10_points():
    fallen = dict.fromkeys(RELATIONSHIP[:3], 3)  # 9.4 points
    assert of_kind(run([*steady(8), session(8, **fallen)]), RUPTURE) == []


def test_a_volatile_client_needs_a_bigger_fall():
    # This client's index swings between 81 and 69 every week (two factors at 5, then at 3):
    # a 12.5-point fall from their usual 75 is within twice their variation.
    up, down = dict.fromkeys(RELATIONSHIP[:2], 5), dict.fromkeys(RELATIONSHIP[:2], 3)
    swings = [session(i, **(up if i % 2 == 0 else down)) for i in range(6)]
    fallen = dict.fromkeys(RELATIONSHIP[:4], 3)
    assert of_kind(run([*swings, session(6, **fallen)]), RUPTURE) == []
    assert only(run([*steady(6), session(6, **fallen)]), RUPTURE).facts["rule"] == "variability"


def test_the_variability_rule_ignores_sessions_inside_a_rupture_episode():
    # A deep rupture at session 2 must not widen the "usual variation" afterwards.
    low = dict.fromkeys(RELATIONSHIP, 2)
    points = [
        *steady(2),
        session(2, **low),
        *[session(i) for i in range(3, 7)],
        session(7, **dict.fromkeys(RELATIONSHIP[:4], 3)),
    ]
    ruptures = of_kind(run(points), RUPTURE)
    assert [f.opened_session_id for f in ruptures] == [3, 8]


# --- factor drops -------------------------------------------------------------------------


def test_a_relationship_factor_falling_two_points_to_a_low_rating_is_a_factor_drop():
    flag = only(run([*steady(3), session(3, openness=2)]), FACTOR_DROP)
    assert (flag.factors, flag.facts["fallen"]) == (("openness",), {"openness": [4, 2]})


def test_a_factor_falling_from_5_to_3_is_not_a_drop():
    points = [*steady(3, base=5), session(3, 5, communication=3)]
    assert of_kind(run(points), RUPTURE, FACTOR_DROP) == []


def test_a_factor_drop_is_measured_from_its_last_rating_across_a_gap():
    points = [*steady(2), session(2, openness=None), session(3, openness=2)]
    assert only(run(points), FACTOR_DROP).facts["fallen"] == {"openness": [4, 2]}


def test_a_factor_drop_stays_open_while_the_factor_is_down_even_if_the_index_is_back():
    points = [*steady(3), session(3, communication=2), session(4, communication=2), session(5, communication=2)]
    assert only(run(points), FACTOR_DROP).status == OPEN


def test_a_factor_drop_is_repaired_when_the_factor_is_back_within_a_point():
    points = [*steady(3), session(3, communication=2), session(4, communication=3)]
    flag = only(run(points), FACTOR_DROP)
    assert (flag.status, flag.resolved_session_id) == (REPAIRED, 5)


def test_a_fallen_factor_not_assessed_is_not_back_yet():
    points = [*steady(3), session(3, communication=2), session(4, communication=None)]
    assert only(run(points), FACTOR_DROP).status == OPEN


def test_an_index_fall_during_a_factor_drop_escalates_it_into_an_alliance_rupture():
    points = [
        *steady(3),
        session(3, communication=2),
        session(4, communication=2, **dict.fromkeys(RELATIONSHIP[1:], 2)),
    ]
    flags = run(points)
    drop, rupture = only(flags, FACTOR_DROP), only(flags, RUPTURE)
    assert (drop.status, drop.closed_reason, rupture.opened_session_id) == (CLOSED, ESCALATED, 5)


def test_a_factor_drop_ranks_below_an_alliance_rupture():
    assert only(run([*steady(3), session(3, openness=2)]), FACTOR_DROP).urgency < 50
    assert only(run([*steady(3), session(3, **dict.fromkeys(RELATIONSHIP, 2))]), RUPTURE).urgency == 50


def test_a_factor_drop_in_the_second_session_closes_when_the_factor_comes_back():
    points = [session(0), session(1, openness=2), session(2), session(3)]
    flag = only(run(points), FACTOR_DROP)
    assert (flag.status, flag.resolved_session_id) == (REPAIRED, 3)


def test_a_relationship_factor_falling_later_joins_the_open_episode():
    low = dict.fromkeys(RELATIONSHIP, 2)
    first = only(run([*steady(3), session(3, **{**low, "communication": 4})]), RUPTURE)
    grown = only(
        run([*steady(3), session(3, **{**low, "communication": 4}), session(4, **low)]),
        RUPTURE,
    )
    assert first.identity == grown.identity
    assert "communication" not in first.factors
    assert "communication" in grown.factors


# --- repair --------------------------------------------------------------------------------


def test_a_v_shaped_rupture_is_repaired_at_the_next_session():
    points = [*steady(4), session(4, **dict.fromkeys(RELATIONSHIP, 2)), session(5)]
    flag = only(run(points), RUPTURE)
    assert (flag.status, flag.resolved_session_id, flag.resolved_on) == (REPAIRED, 6, START + timedelta(weeks=5))


def test_an_index_rupture_is_not_repaired_while_a_fallen_factor_is_still_down():
    points = [*steady(4), session(4, **dict.fromkeys(RELATIONSHIP, 2)), session(5, communication=2)]
    assert only(run(points), RUPTURE).status == OPEN


def test_coming_back_only_after_three_sessions_is_a_recovery_not_a_repair():
    low = dict.fromkeys(RELATIONSHIP, 2)
    points = [
        *steady(3),
        session(3, **low),
        *[session(i, **dict.fromkeys(RELATIONSHIP, 3)) for i in range(4, 8)],
        session(8),
    ]
    flag = only(run(points), RUPTURE)
    assert (flag.status, flag.resolved_session_id) == (RECOVERED, 9)


def test_a_further_fall_before_repair_joins_the_same_episode():
    low, lower = dict.fromkeys(RELATIONSHIP, 2), dict.fromkeys(RELATIONSHIP, 1)
    points = [*steady(3), session(3, **low), session(4, **lower)]
    assert only(run(points), RUPTURE).session_ids == (4, 5)


def test_a_session_that_repairs_one_rupture_can_open_a_new_one():
    # The index comes back, but communication falls from 4 to 2 in the repairing session.
    points = [
        *steady(4),
        session(4, **dict.fromkeys(RELATIONSHIP, 2)),
        session(5, communication=4),
        session(6, openness=2, communication=4),
    ]
    flags = run(points)
    rupture = only(flags, RUPTURE)
    assert (rupture.status, rupture.resolved_session_id) == (REPAIRED, 6)
    assert only(flags, FACTOR_DROP).opened_session_id == 7
    repaired_and_new = [
        *steady(4),
        session(4, **dict.fromkeys(RELATIONSHIP, 2)),
        session(5, communication=2, **{k: 5 for k in RELATIONSHIP[1:]}),
    ]
    flags = run(repaired_and_new)
    assert [(f.kind, f.status) for f in of_kind(flags, RUPTURE, FACTOR_DROP)] == [(RUPTURE, OPEN)]


def test_the_session_that_repairs_a_rupture_can_open_a_factor_drop_in_the_same_session():
    points = [
        *steady(4),
        session(4, **dict.fromkeys(RELATIONSHIP, 2)),
        session(5, openness=2, **{k: 5 for k in RELATIONSHIP if k != "openness"}),
    ]
    flags = run(points)
    # Openness fell 4 -> 2 at session 5 and is not back, so the rupture stays open there...
    assert only(flags, RUPTURE).status == OPEN
    repaired_then_drop = [
        *steady(4),
        session(4, **dict.fromkeys(RELATIONSHIP[:4], 2)),
        session(5, 5, openness=2),
    ]
    flags = run(repaired_then_drop)
    rupture, drop = only(flags, RUPTURE), only(flags, FACTOR_DROP)
    # ...but when every fallen factor is back, the repairing session is checked too.
    assert (rupture.status, rupture.resolved_session_id) == (REPAIRED, 6)
    assert (drop.opened_session_id, drop.status) == (6, OPEN)


def test_no_text_asks_the_index_to_come_back_to_a_level_it_is_already_at():
    flag = only(run([*steady(3), session(3, openness=2)]), FACTOR_DROP)
    assert "index is back to about" not in labels.detail(flag, NAMES, latest=session(4).ratings)
    rupture = only(run([*steady(3), session(3, **dict.fromkeys(RELATIONSHIP, 2))]), RUPTURE)
    low = session(3, **dict.fromkeys(RELATIONSHIP, 2)).ratings
    assert "Repaired when the relationship index is back to about 70" in labels.detail(rupture, NAMES, latest=low)
    # A client whose index is above the baseline (one factor still down) is never asked to raise it.
    above = session(4, 5, communication=2).ratings
    text = labels.detail(rupture, NAMES, latest=above)
    assert "index is back to" not in text
    assert "Repaired when Communication is back within a point of where it was." in text
    assert "Repaired when" not in labels.detail(rupture, NAMES, latest=session(4).ratings)


def test_rupture_details_keep_the_capitals_of_factor_names():
    rupture = only(run([*steady(3), session(3, **dict.fromkeys(RELATIONSHIP, 2))]), RUPTURE)
    names = {**NAMES, "communication": "Communication"}
    assert "Communication fell from 4 to 2" in labels.detail(rupture, names)


def test_a_back_dated_session_is_placed_by_its_date():
    points = [
        *steady(3),
        session(5, **dict.fromkeys(RELATIONSHIP, 2)),
        Point(id=99, date=START + timedelta(weeks=4), ratings=session(0).ratings),
    ]
    flag = only(run(points), RUPTURE)
    assert flag.opened_session_id == 6


# --- low factor and persistent weakness ------------------------------------------------------


def test_a_client_with_one_session_gets_a_low_factor_flag_but_nothing_else():
    flags = run([session(0, openness=2)])
    assert [(f.kind, f.factors, f.status) for f in flags] == [(LOW_FACTOR, ("openness",), OPEN)]


def test_a_rating_of_3_is_not_low():
    assert run([session(0, openness=3)]) == []


def test_a_low_factor_then_not_assessed_stays_low():
    flag = only(run([session(0, openness=2), session(1, openness=None)]), LOW_FACTOR)
    assert (flag.status, flag.latest) == (OPEN, 2)


def test_a_low_factor_closes_when_a_later_session_rates_it_higher():
    flag = only(run([session(0, openness=2), session(1, openness=3)]), LOW_FACTOR)
    assert (flag.status, flag.resolved_session_id) == (CLOSED, 2)


def test_three_consecutive_weak_ratings_are_persistent_not_low():
    flags = run([session(0, support=2), session(1, support=1), session(2, support=2)])
    flag = only(flags, PERSISTENT)
    assert flag.session_ids == (1, 2, 3)
    assert of_kind(flags, LOW_FACTOR) == []


def test_not_assessed_gaps_neither_break_nor_extend_a_weak_run():
    flags = run([session(0, support=2), session(1, support=None), session(2, support=2), session(3, support=1)])
    assert only(flags, PERSISTENT).session_ids == (1, 3, 4)


def test_persistent_wording_lists_the_ratings_as_they_were():
    flag = only(run([session(0, openness=2), session(1, openness=2), session(2, openness=1)]), PERSISTENT)
    assert labels.detail(flag, {"openness": "Openness"}) == "Openness rated 2, 2 and 1 in 3 consecutive rated sessions."


def test_a_rating_of_1_is_more_urgent_than_a_rating_of_2():
    one, two = only(run([session(0, openness=1)]), LOW_FACTOR), only(run([session(0, openness=2)]), LOW_FACTOR)
    assert one.urgency == two.urgency + 1


def test_a_known_circumstance_leaves_the_queues_until_its_rating_changes():
    points = [session(i, socioeconomic=2) for i in range(3)]
    assert not only(run(points), PERSISTENT).quiet
    marks = Marks(known={"socioeconomic": 2})  # by factor: the mark follows a low flag that becomes persistent
    assert only(run(points, marks), PERSISTENT).quiet
    changed = [*points, session(3, socioeconomic=1)]
    assert not only(run(changed, marks), PERSISTENT).quiet


def test_a_known_circumstance_follows_a_low_factor_into_persistence_and_its_context_change():
    marks = Marks(known={"socioeconomic": 2})
    points = [*steady(2), session(2, socioeconomic=2)]
    assert {f.kind: f.quiet for f in run(points, marks)} == {LOW_FACTOR: True, CONTEXT_CHANGE: True}
    longer = [*points, session(3, socioeconomic=2), session(4, socioeconomic=2)]
    assert {f.kind: f.quiet for f in run(longer, marks)} == {PERSISTENT: True, CONTEXT_CHANGE: True}


# --- the client's voice -----------------------------------------------------------------


def test_a_client_answering_1_or_2_raises_a_client_concern_whatever_the_clinician_rated():
    flags = run([session(0, client={"communication": 2}), session(1)])
    concern = only(flags, CLIENT_CONCERN)
    assert (concern.factors, concern.status, concern.opened_session_id) == (("communication",), OPEN, 1)
    assert concern.urgency == only(run([*steady(3), session(3, **dict.fromkeys(RELATIONSHIP, 2))]), RUPTURE).urgency


def test_a_client_concern_on_a_question_without_a_factor_is_raised_too():
    concern = only(run([session(0, client={"overall": 1})]), CLIENT_CONCERN)
    assert concern.factors == ("overall",)


def test_a_client_concern_closes_when_a_newer_self_report_rates_it_higher():
    flags = run([session(0, client={"openness": 2}), session(1, client={"openness": 4})])
    assert only(flags, CLIENT_CONCERN).status == CLOSED


def test_a_client_rating_two_points_below_the_clinician_is_a_discrepancy():
    flag = only(run([session(0, communication=5, client={"communication": 3})]), DISCREPANCY)
    assert (
        labels.detail(flag, {"communication": "Communication"}) == "Communication: the client rated 3, the clinician 5."
    )


def test_no_discrepancy_when_the_client_rates_higher_skips_or_only_one_lower():
    points = [session(0, openness=3, client={"openness": 5, "communication": None, "boundaries": 3})]
    assert of_kind(run(points), DISCREPANCY) == []


def test_a_discrepancy_closes_when_a_newer_self_report_no_longer_shows_the_gap():
    flags = run([session(0, 5, client={"communication": 3}), session(1, 5, client={"communication": 4})])
    flag = only(flags, DISCREPANCY)
    assert (flag.status, flag.resolved_session_id) == (CLOSED, 2)


def test_a_discrepancy_marked_discussed_closes_and_a_later_gap_opens_a_new_one():
    first = [session(0, 5, client={"communication": 3}), session(1, 5)]
    identity = only(run(first), DISCREPANCY).identity
    marks = Marks(discussed={identity: (first[-1].date, first[-1].id)})
    assert only(run(first, marks), DISCREPANCY).closed_reason == DISCUSSED
    later = [*first, session(2, 5, client={"communication": 3})]
    flags = of_kind(run(later, marks), DISCREPANCY)
    assert [(f.status, f.opened_session_id) for f in flags] == [(CLOSED, 1), (OPEN, 3)]
    # The new one can be discussed too.
    second = {**marks.discussed, flags[1].identity: (later[-1].date, later[-1].id)}
    assert [f.status for f in of_kind(run(later, Marks(discussed=second)), DISCREPANCY)] == [CLOSED, CLOSED]


# --- stalled -------------------------------------------------------------------------------


def test_a_weekly_client_stalls_after_21_days_and_a_monthly_one_after_56():
    today = START + timedelta(days=100)
    assert stalled_flag(today - timedelta(days=21), 7, today, T).kind == STALLED
    assert stalled_flag(today - timedelta(days=20), 7, today, T) is None
    assert stalled_flag(today - timedelta(days=55), 28, today, T) is None
    assert stalled_flag(today - timedelta(days=56), 28, today, T).facts["days"] == 56


def test_a_fortnightly_client_is_never_stalled_before_stalled_days():
    today = START + timedelta(days=100)
    assert stalled_flag(today - timedelta(days=28), 14, today, T) is not None
    assert stalled_flag(today - timedelta(days=27), 14, today, T) is None
    assert stalled_flag(today - timedelta(days=20), 7, today, Thresholds(stalled_days=21)) is None


# --- identity, discharge and ordering ------------------------------------------------------


def test_an_episode_keeps_its_identity_when_it_grows_or_gains_a_factor():
    low = dict.fromkeys(RELATIONSHIP, 2)
    first = run([*steady(3), session(3, **low)])
    grown = run([*steady(3), session(3, **low), session(4, **low, support=1)])
    assert only(first, RUPTURE).identity == only(grown, RUPTURE).identity == "rupture:4:"


def test_a_factor_flag_names_its_factor_in_its_identity():
    assert only(run([session(0, openness=2)]), LOW_FACTOR).identity == "low_factor:1:openness"


def test_discharge_closes_every_open_flag_and_keeps_it():
    flags = run([session(0, openness=2)], discharged=True)
    assert [(f.status, f.closed_reason) for f in flags] == [(CLOSED, DISCHARGED)]


def test_flags_sort_by_urgency_then_most_recent_and_hide_closed_ones():
    points = [session(0, 2, openness=2), session(1, 2, openness=3), session(2, 2, openness=3, communication=1)]
    flags = run(points)
    ordered = by_urgency(flags)
    assert ordered[0].factors == ("communication",)  # a 1 before the 2s
    assert all(f.is_open for f in ordered)
    assert any(not f.is_open for f in flags)  # openness closed when it was rated 3


# --- simulation: stable clients stay quiet, a planted rupture is found and repaired ------


def simulate(rng, n_sessions=12, move=0.1, plant_at=None):
    points = []
    for i in range(n_sessions):
        ratings = {}
        for key in DOMAINS:
            ratings[key] = 4 + (rng.choice((-1, 1)) if rng.random() < move else 0)
            if i == plant_at and key in RELATIONSHIP:
                ratings[key] -= 2
        points.append(Point(id=i + 1, date=START + timedelta(weeks=i), ratings=ratings))
    return points


def test_fewer_than_one_in_ten_stable_simulated_clients_raise_a_rupture_or_factor_drop():
    rng = random.Random(20261126)
    raised = sum(bool(of_kind(run(simulate(rng)), RUPTURE, FACTOR_DROP)) for _ in range(200))
    assert raised < 20, f"{raised} of 200 stable clients flagged"


def test_a_planted_v_shaped_rupture_is_found_and_repaired_every_time():
    rng = random.Random(11262026)
    for _ in range(200):
        flags = of_kind(run(simulate(rng, plant_at=6)), RUPTURE)
        planted = [f for f in flags if 7 in f.session_ids]
        assert planted, "the planted rupture was missed"
        assert planted[0].status == REPAIRED


# --- summaries and prompt outcomes ----------------------------------------------------------


def test_the_summary_gives_latest_index_and_change_over_the_last_three_sessions():
    points = [Point(id=i, date=START + timedelta(weeks=i), overall=x) for i, x in enumerate([40, 50, 60, 75])]
    summary = summarise(points)
    assert (summary.latest, summary.change, summary.change_sessions) == (75, 25, 3)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (2, [3, 4], ROSE),
        (2, [2, 3, 2], HELD),
        (3, [2, 2], FELL),
        (2, [None, None], WAITING),
        (None, [3], WAITING),
        (2, [None, 3, 2, 2, 5], HELD),
    ],
)
def test_a_tried_prompt_is_judged_on_the_factors_next_rated_sessions(before, after, expected):
    assert trial_outcome(before, after) == expected


def test_the_base_rate_counts_how_often_a_factor_rose_after_the_same_rating_without_a_prompt():
    rose = [(1, 2), (2, 4)]
    held = [(3, 2), (4, 2)]
    with_prompt = [(5, 2), (6, 5)]
    rate = base_rate([rose] * 6 + [held] * 4 + [with_prompt], rating=2, excluded={5})
    assert (rate.rose, rate.cases, rate.percent) == (6, 10, 60)
    assert base_rate([rose] * 3, rating=2, excluded=set()).percent is None  # fewer than ten cases

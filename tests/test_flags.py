"""Flag rules, summaries and prompt outcomes (factors.scoring) on synthetic series."""

from datetime import date, timedelta

import pytest

from factors.scoring import (
    FELL,
    HELD,
    LOW_FACTOR,
    OPEN,
    PERSISTENT,
    RECOVERED,
    REPAIRED,
    ROSE,
    RUPTURE,
    STALLED,
    WAITING,
    Flag,
    Point,
    Thresholds,
    by_urgency,
    evaluate,
    stalled_flag,
    summarise,
    trial_outcome,
)

T = Thresholds()
START = date(2026, 1, 5)


def series(indices, ratings=None, settings=None):
    """Weekly sessions with ids 1..n; `ratings` is a list of dicts per session."""
    ratings = ratings or [{} for _ in indices]
    settings = settings or ["in_person"] * len(indices)
    return [
        Point(id=i + 1, date=START + timedelta(weeks=i), overall=x, ratings=r, setting=s)
        for i, (x, r, s) in enumerate(zip(indices, ratings, settings, strict=True))
    ]


def kinds(flags):
    return sorted((f.kind, f.status, f.factors) for f in flags)


def only(flags, kind):
    [flag] = [f for f in flags if f.kind == kind]
    return flag


# --- low factor and persistent weakness -------------------------------------


def test_a_client_with_one_session_gets_a_low_factor_flag_but_nothing_else():
    flags = evaluate(series([40], [{"openness": 2, "stigma": 3}]), T)
    assert kinds(flags) == [(LOW_FACTOR, OPEN, ("openness",))]
    assert flags[0].since == START
    assert flags[0].session_ids == (1,)


def test_a_rating_of_3_is_not_low():
    assert evaluate(series([50], [{"openness": 3}]), T) == []


def test_a_factor_not_assessed_in_the_latest_session_is_not_low():
    assert evaluate(series([50, 50], [{"openness": 2}, {"openness": None}]), T) == []


def test_three_consecutive_weak_ratings_are_persistent_not_low():
    flags = evaluate(series([50, 50, 50], [{"support": 2}, {"support": 1}, {"support": 2}]), T)
    assert kinds(flags) == [(PERSISTENT, OPEN, ("support",))]
    assert flags[0].since == START
    assert flags[0].session_ids == (1, 2, 3)


def test_two_weak_ratings_after_a_fair_one_are_only_low_since_the_run_began():
    flags = evaluate(series([50] * 4, [{"support": 2}, {"support": 3}, {"support": 2}, {"support": 1}]), T)
    flag = only(flags, LOW_FACTOR)
    assert flag.since == START + timedelta(weeks=2)
    assert flag.session_ids == (3, 4)
    assert flag.lowest == 1


def test_not_assessed_gaps_neither_break_nor_extend_a_weak_run():
    ratings = [{"support": 2}, {"support": None}, {"support": 2}, {"support": None}, {"support": 1}]
    flag = only(evaluate(series([50] * 5, ratings), T), PERSISTENT)
    assert flag.session_ids == (1, 3, 5)


def test_a_persistent_weakness_stays_open_when_the_latest_session_skipped_the_factor():
    ratings = [{"support": 2}, {"support": 2}, {"support": 2}, {"support": None}]
    assert kinds(evaluate(series([50] * 4, ratings), T)) == [(PERSISTENT, OPEN, ("support",))]


# --- rupture and repair -------------------------------------------------------


def test_the_first_session_is_never_a_rupture():
    assert evaluate(series([10]), T) == []


def test_equal_scores_raise_nothing():
    assert evaluate(series([70, 70, 70, 70, 70]), T) == []


def test_a_drop_of_15_against_the_mean_of_the_previous_three_is_a_rupture():
    flag = only(evaluate(series([70, 70, 70, 70, 55]), T), RUPTURE)
    assert (flag.status, flag.baseline, flag.session_ids, flag.since) == (OPEN, 70.0, (5,), START + timedelta(weeks=4))
    assert "fell 15 points below the mean of the previous 3 sessions" in flag.detail


def test_a_drop_of_14_is_not():
    assert evaluate(series([70, 70, 70, 56]), T) == []


def test_at_the_start_of_therapy_fewer_sessions_make_the_baseline():
    flag = only(evaluate(series([80, 60]), T), RUPTURE)
    assert flag.baseline == 80.0
    assert "previous 1 session" in flag.detail


def test_a_drop_beyond_two_of_the_clients_own_sds_is_a_rupture_once_four_sessions_exist():
    flag = only(evaluate(series([60, 61, 60, 61, 51]), T), RUPTURE)
    assert "usual variation" in flag.detail


def test_the_variability_rule_waits_for_four_earlier_sessions():
    assert evaluate(series([60, 61, 60, 51]), T) == []


def test_the_variability_rule_needs_at_least_8_points():
    assert evaluate(series([60, 60.5, 60, 60.5, 53]), T) == []


def test_a_volatile_client_needs_a_bigger_drop():
    assert evaluate(series([55, 75, 55, 75, 58]), T) == []  # 58 vs mean 68.3: 10.3 points, SD 11.5


def test_a_factor_falling_two_points_is_a_rupture_even_when_the_index_holds():
    ratings = [{"flexibility": 5, "openness": 4}, {"flexibility": 3, "openness": 4}]
    flag = only(evaluate(series([70, 68], ratings), T), RUPTURE)
    assert flag.factors == ("flexibility",)
    assert "flexibility fell by 2 or more points" in flag.detail.lower()


def test_a_factor_drop_is_measured_from_its_last_rating_across_a_gap():
    ratings = [{"openness": 5}, {"openness": None}, {"openness": 3}]
    assert only(evaluate(series([70, 70, 69], ratings), T), RUPTURE).factors == ("openness",)


def test_coming_back_within_5_points_within_three_sessions_is_a_repair():
    flag = only(evaluate(series([70, 70, 70, 45, 55, 66]), T), RUPTURE)
    assert (flag.status, flag.resolved_session_id, flag.resolved_on) == (REPAIRED, 6, START + timedelta(weeks=5))


def test_coming_back_only_later_is_a_recovery_not_a_repair():
    flag = only(evaluate(series([70, 70, 70, 45, 50, 50, 50, 68]), T), RUPTURE)
    assert (flag.status, flag.resolved_session_id) == (RECOVERED, 8)


def test_an_unrepaired_rupture_stays_open():
    assert only(evaluate(series([70, 70, 70, 45, 50]), T), RUPTURE).status == OPEN


def test_a_further_fall_during_a_rupture_joins_the_same_episode():
    flags = evaluate(series([80, 80, 80, 60, 40, 78]), T)
    flag = only(flags, RUPTURE)
    assert (flag.session_ids, flag.baseline, flag.status) == ((4, 5), 80.0, REPAIRED)


def test_a_new_rupture_after_a_repair_is_a_new_episode():
    flags = evaluate(series([70, 70, 70, 45, 70, 70, 70, 40]), T)
    assert [(f.status, f.session_ids) for f in flags if f.kind == RUPTURE] == [(REPAIRED, (4,)), (OPEN, (8,))]


def test_sessions_with_nothing_rated_are_skipped_in_the_baseline():
    flag = only(evaluate(series([70, None, 70, 50]), T), RUPTURE)
    assert flag.baseline == 70.0


def test_a_back_dated_session_inserted_between_others_is_placed_by_date():
    points = series([70, 70, 70, 72])
    back_dated = Point(id=99, date=START + timedelta(weeks=2, days=3), overall=40)
    flag = only(evaluate([*points, back_dated], T), RUPTURE)
    assert (flag.session_ids, flag.status, flag.resolved_session_id) == ((99,), REPAIRED, 4)


def test_editing_an_old_session_changes_the_answer():
    assert only(evaluate(series([70, 70, 70, 45, 70]), T), RUPTURE).status == REPAIRED
    assert evaluate(series([70, 70, 70, 65, 70]), T) == []  # the dip was edited away


def test_thresholds_come_from_the_caller():
    assert evaluate(series([70, 70, 70, 62]), Thresholds(rupture_drop=8))[0].kind == RUPTURE


# --- stalled, urgency ---------------------------------------------------------


def test_no_session_for_21_days_is_stalled():
    flag = stalled_flag(date(2026, 3, 1), date(2026, 1, 1), date(2026, 3, 22), T)
    assert (flag.kind, flag.since, flag.detail) == (STALLED, date(2026, 3, 1), "No session for 21 days")
    assert stalled_flag(date(2026, 3, 1), date(2026, 1, 1), date(2026, 3, 21), T) is None


def test_a_client_never_seen_since_intake_stalls_from_the_intake_date():
    flag = stalled_flag(None, date(2026, 1, 1), date(2026, 2, 1), T)
    assert flag.detail == "No session since intake for 31 days"


def test_flags_sort_by_urgency_then_most_recent_and_hide_resolved_ones():
    d = date(2026, 1, 1)
    flags = [
        Flag(kind=STALLED, since=d, session_ids=()),
        Flag(kind=LOW_FACTOR, since=d, session_ids=(), lowest=2, factors=("a",)),
        Flag(kind=LOW_FACTOR, since=d, session_ids=(), lowest=1, factors=("b",)),
        Flag(kind=RUPTURE, since=d, session_ids=(), status=REPAIRED),
        Flag(kind=RUPTURE, since=d + timedelta(1), session_ids=()),
        Flag(kind=PERSISTENT, since=d, session_ids=(), factors=("c",)),
    ]
    ordered = by_urgency(flags)
    assert [(f.kind, f.factors) for f in ordered] == [
        (RUPTURE, ()),
        (PERSISTENT, ("c",)),
        (LOW_FACTOR, ("b",)),
        (LOW_FACTOR, ("a",)),
        (STALLED, ()),
    ]


# --- per-client summary -------------------------------------------------------


def test_the_summary_gives_latest_index_and_change_over_the_last_three_sessions():
    summary = summarise(series([40, 50, 60, 75]))
    assert (summary.latest, summary.change, summary.change_sessions) == (75, 25, 3)


def test_the_summary_of_one_session_has_no_change():
    summary = summarise(series([40]))
    assert (summary.latest, summary.change) == (40, None)
    assert summarise([]).latest is None


def test_index_by_setting_only_when_two_settings_have_two_sessions_each():
    settings = ["in_person", "online", "in_person", "online", "phone"]
    summary = summarise(series([80, 40, 70, 50, 10], settings=settings))
    assert summary.by_setting == {"in_person": 75.0, "online": 45.0}
    assert summarise(series([80, 40, 70], settings=["in_person", "online", "in_person"])).by_setting == {}


# --- prompt outcomes ----------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (2, [3, 4], ROSE),
        (2, [2, 3, 2], HELD),
        (3, [2, 2], FELL),
        (2, [None, None], WAITING),
        (None, [3], WAITING),
        (2, [None, 3, 2, 2, 5], HELD),  # the first three rated sessions: (3+2+2)/3 - 2 = 0.33
    ],
)
def test_a_tried_prompt_is_judged_on_the_factors_next_rated_sessions(before, after, expected):
    assert trial_outcome(before, after) == expected


def test_an_index_only_rupture_points_at_the_weakest_factors_of_its_session():
    ratings = [{"a": 4, "b": 4, "c": 5}] * 3 + [{"a": 3, "b": 3, "c": 4}]
    points = series([75, 75, 75, 58], ratings)
    assert only(evaluate(points, T), RUPTURE).factors == ("a", "b")


def test_a_client_rating_two_points_below_the_clinician_is_a_discrepancy():
    points = [
        Point(id=1, date=START, overall=75, ratings={"a": 4, "b": 4}, client_ratings={"a": 2, "b": 3}),
        Point(id=2, date=START + timedelta(weeks=1), overall=75, ratings={"a": 4, "b": 4}),
    ]
    [flag] = [f for f in evaluate(points, T, {"a": "Alpha"}) if f.kind == "discrepancy"]
    assert (flag.factors, flag.session_ids, flag.since) == (("a",), (1,), START)
    assert flag.detail == "Alpha: the client rated 2, you rated 4"


def test_no_discrepancy_when_the_client_rates_higher_skips_or_only_one_lower():
    points = [
        Point(
            id=1,
            date=START,
            overall=75,
            ratings={"a": 3, "b": 4, "c": None},
            client_ratings={"a": 5, "b": None, "c": 1},
        )
    ]
    assert [f for f in evaluate(points, T) if f.kind == "discrepancy"] == []

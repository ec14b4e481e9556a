"""measures.scoring on hand-computed totals: every band edge of both instruments,
incomplete answers, prorating (off as seeded, on when configured), the safety
item, the four statuses at the reliable-change edges and off track."""

import pytest

from measures.scoring import (
    DETERIORATION,
    IMPROVEMENT,
    NO_CHANGE,
    OFF_TRACK_SESSIONS,
    RECOVERY,
    Band,
    Measured,
    Rule,
    band_of,
    off_track,
    progress,
    progress_by_instrument,
    safety_concern,
    score,
    status,
)

PHQ9 = Rule(
    key="phq9",
    items=9,
    caseness=10,
    reliable_change=6,
    bands=(
        Band(0, 4, "Minimal"),
        Band(5, 9, "Mild"),
        Band(10, 14, "Moderate"),
        Band(15, 19, "Moderately severe"),
        Band(20, 27, "Severe"),
    ),
    safety_items=(9,),
)
GAD7 = Rule(
    key="gad7",
    items=7,
    caseness=8,
    reliable_change=4,
    bands=(Band(0, 4, "Minimal"), Band(5, 9, "Mild"), Band(10, 14, "Moderate"), Band(15, 21, "Severe")),
)


def answers(*values):
    return {n: v for n, v in enumerate(values, start=1)}


def answers_totalling(total, items):
    """Items filled with 3s from the first until `total` is reached (hand-checkable)."""
    values, left = [], total
    for _ in range(items):
        values.append(min(3, left))
        left -= values[-1]
    assert left == 0
    return answers(*values)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Moderately severe"),
        (19, "Moderately severe"),
        (20, "Severe"),
        (27, "Severe"),
    ],
)
def test_phq9_total_lands_in_its_band_at_every_edge(total, band):
    result = score(answers_totalling(total, 9), PHQ9)
    assert (result.total, result.band, result.complete, result.prorated) == (total, band, True, False)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Severe"),
        (21, "Severe"),
    ],
)
def test_gad7_total_lands_in_its_band_at_every_edge(total, band):
    result = score(answers_totalling(total, 7), GAD7)
    assert (result.total, result.band) == (total, band)


def test_a_published_style_example_adds_up_item_by_item():
    # 1+2+0+3+1+1+2+0+1 = 11: moderate depression.
    result = score(answers(1, 2, 0, 3, 1, 1, 2, 0, 1), PHQ9)
    assert (result.total, result.band, result.answered) == (11, "Moderate", 9)
    # 3+3+2+2+1+0+0 = 11 on the GAD-7: moderate anxiety.
    assert score(answers(3, 3, 2, 2, 1, 0, 0), GAD7).total == 11


def test_an_unanswered_item_leaves_the_measure_incomplete_without_prorating():
    values = answers(3, 3, 3, 3, 3, 3, 3, 3, None)
    result = score(values, PHQ9)
    assert (result.total, result.band, result.complete, result.answered) == (None, "", False, 8)
    assert score({}, PHQ9).complete is False


def test_prorating_when_configured_fills_in_the_mean_of_the_answered_items():
    prorating = Rule(**{**PHQ9.__dict__, "max_missing": 2})
    # 8 answered, sum 11: 11 x 9 / 8 = 12.375 -> 12.
    result = score(answers(1, 2, 0, 3, 1, 1, 2, 1, None), prorating)
    assert (result.total, result.band, result.prorated) == (12, "Moderate", True)
    # 7 answered, sum 7: 7 x 9 / 7 = 9.
    assert score(answers(1, 1, 1, 1, 1, 1, 1, None, None), prorating).total == 9
    # Half up: 8 answered, sum 4: 4 x 9 / 8 = 4.5 -> 5 (mild, not minimal).
    half = score(answers(1, 1, 1, 1, 0, 0, 0, 0, None), prorating)
    assert (half.total, half.band) == (5, "Mild")
    # Three missing is more than allowed: incomplete.
    assert score(answers(1, 1, 1, 1, 1, 1, None, None, None), prorating).complete is False
    # Nothing answered is never prorated.
    assert score({}, prorating).complete is False


def test_item_9_above_zero_is_a_safety_concern_whether_or_not_the_rest_is_complete():
    assert safety_concern(answers(0, 0, 0, 0, 0, 0, 0, 0, 1), PHQ9)
    assert safety_concern({9: 3}, PHQ9)  # everything else unanswered
    assert not safety_concern(answers(3, 3, 3, 3, 3, 3, 3, 3, 0), PHQ9)
    assert not safety_concern(answers(3, 3, 3, 3, 3, 3, 3, 3, None), PHQ9)
    assert not safety_concern(answers(3, 3, 3, 3, 3, 3, 3), GAD7)  # no safety item


def test_band_of_no_total_is_empty():
    assert band_of(None, PHQ9.bands) == ""


@pytest.mark.parametrize(
    ("first", "latest", "expected"),
    [
        (16, 10, IMPROVEMENT),  # fell exactly 6, still at caseness
        (16, 11, NO_CHANGE),  # fell 5
        (15, 9, RECOVERY),  # from caseness to below with a fall of 6
        (10, 4, RECOVERY),  # from exactly caseness
        (9, 3, IMPROVEMENT),  # started below caseness: improvement, not recovery
        (14, 9, NO_CHANGE),  # below caseness now, but the fall (5) is not reliable
        (4, 10, DETERIORATION),  # rose exactly 6
        (4, 9, NO_CHANGE),  # rose 5
        (12, 12, NO_CHANGE),
    ],
)
def test_phq9_status_at_the_reliable_change_and_caseness_edges(first, latest, expected):
    assert status(first, latest, PHQ9) == expected


@pytest.mark.parametrize(
    ("first", "latest", "expected"),
    [
        (12, 8, IMPROVEMENT),  # fell 4, still at caseness (8)
        (12, 7, RECOVERY),  # fell 5 to below caseness
        (11, 7, RECOVERY),  # fell exactly 4 to below caseness
        (10, 7, NO_CHANGE),  # below caseness but fell only 3
        (3, 7, DETERIORATION),  # rose exactly 4
        (3, 6, NO_CHANGE),
    ],
)
def test_gad7_status_at_the_edges(first, latest, expected):
    assert status(first, latest, GAD7) == expected


def test_off_track_is_deterioration_at_once_or_no_change_at_caseness_after_six_sessions():
    assert off_track(DETERIORATION, 12, 2, PHQ9)
    assert not off_track(NO_CHANGE, 12, OFF_TRACK_SESSIONS - 1, PHQ9)
    assert off_track(NO_CHANGE, 10, OFF_TRACK_SESSIONS, PHQ9)  # exactly caseness, sixth session
    assert not off_track(NO_CHANGE, 9, OFF_TRACK_SESSIONS + 4, PHQ9)  # below caseness
    assert not off_track(IMPROVEMENT, 12, 20, PHQ9)
    assert not off_track(RECOVERY, 4, 20, PHQ9)


def test_progress_compares_the_first_complete_total_with_the_latest_and_counts_sessions_from_the_first():
    sessions = [1, 2, 3, 4, 5, 6, 7]
    responses = [Measured(2, None), Measured(3, 14), Measured(5, 13), Measured(8, None)]
    result = progress(responses, [*sessions, 8], PHQ9)
    assert (result.first, result.latest, result.change, result.band) == (14, 13, -1, "Moderate")
    assert result.status == NO_CHANGE
    assert result.sessions == 6  # sessions 3..8
    assert result.latest_at == 3  # the latest complete measure (session 5) is the third from session 3
    assert not result.off_track  # six sessions have passed, but the latest total was taken at the third
    assert result.incomplete_latest
    assert result.measured == (3, 5)
    assert result.status_label == "No reliable change"


def test_a_single_measure_at_caseness_is_never_off_track_however_many_sessions_follow():
    result = progress([Measured(1, 15)], list(range(1, 11)), PHQ9)
    assert (result.status, result.sessions) == (NO_CHANGE, 10)
    assert not result.off_track


def test_no_reliable_improvement_is_off_track_once_the_latest_measure_is_at_the_sixth_session_or_later():
    sessions = list(range(1, 11))
    at_fifth = progress([Measured(2, 15), Measured(6, 14)], sessions, PHQ9)  # session 6 is the fifth from 2
    at_sixth = progress([Measured(2, 15), Measured(7, 14)], sessions, PHQ9)
    later_incomplete = progress([Measured(2, 15), Measured(6, 14), Measured(9, None)], sessions, PHQ9)
    assert (at_fifth.latest_at, at_fifth.off_track) == (5, False)
    assert (at_sixth.latest_at, at_sixth.off_track) == (6, True)
    assert not later_incomplete.off_track  # an incomplete form is not a re-measure


def test_progress_without_a_complete_measure_has_no_status():
    result = progress([Measured(1, None)], [1], PHQ9)
    assert (result.latest, result.status, result.off_track, result.incomplete_latest) == (None, "", False, True)
    assert progress([], [1, 2], PHQ9).status == ""


def test_progress_of_a_reliable_deterioration_is_off_track_from_the_second_measure():
    result = progress([Measured(1, 8), Measured(2, 14)], [1, 2], PHQ9)
    assert (result.status, result.off_track, result.sessions) == (DETERIORATION, True, 2)


def test_progress_by_instrument_takes_each_sessions_latest_total_in_session_order():
    # Session 3 was answered twice: 20 then 9 (the later counts); session 5 is not counted
    # (voided: not in the order), so its 27 is left out.
    latest = {"phq9": {3: 9, 1: 16, 5: 27}, "gad7": {5: 12}}
    found = progress_by_instrument(latest, [1, 2, 3], {"phq9": PHQ9, "gad7": GAD7})
    assert list(found) == ["phq9"]  # GAD-7 answered only in a session that does not count
    assert (found["phq9"].first, found["phq9"].latest, found["phq9"].status) == (16, 9, RECOVERY)


def test_progress_by_instrument_follows_the_rules_order_and_ignores_instruments_not_in_use():
    latest = {"gad7": {1: 10, 2: 3}, "phq9": {1: 12}, "retired": {1: 4}}
    found = progress_by_instrument(latest, [1, 2], {"phq9": PHQ9, "gad7": GAD7})
    assert list(found) == ["phq9", "gad7"]
    assert found["gad7"].status == RECOVERY
    assert found["phq9"].status == NO_CHANGE  # one measure: nothing to compare yet

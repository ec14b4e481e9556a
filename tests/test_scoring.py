"""The pure scoring rules (factors.scoring) on synthetic values."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from factors.scoring import SessionScores, index, session_scores

ratings = st.lists(st.one_of(st.none(), st.integers(min_value=1, max_value=5)), max_size=12)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1], 0.0),
        ([3], 50.0),
        ([5], 100.0),
        ([1, 5], 50.0),
        ([4, 4, 5], 83.3),  # mean 4.333 -> 83.33
        ([2, None, 2], 25.0),  # "not assessed" is left out, not counted as zero
    ],
)
def test_index_maps_the_1_to_5_mean_onto_0_to_100(values, expected):
    assert index(values) == expected


def test_index_is_none_when_nothing_was_rated():
    assert index([]) is None
    assert index([None, None]) is None


@pytest.mark.parametrize("bad", [0, 6, -1])
def test_index_rejects_ratings_outside_the_scale(bad):
    with pytest.raises(ValueError, match="outside 1-5"):
        index([3, bad])


def test_session_scores_give_each_domain_its_own_score_and_overall_over_all_rated_factors():
    scores = session_scores([("therapist", 5), ("therapist", 5), ("client", 1), ("client", None), ("contextual", None)])
    assert scores == SessionScores(therapist=100.0, client=0.0, contextual=None, overall=66.7)


def test_session_scores_overall_is_not_the_mean_of_domain_scores():
    # therapist 3 ratings of 5 (100), client 1 rating of 1 (0): overall is (5+5+5+1)/4 -> 75, not 50
    scores = session_scores([("therapist", 5)] * 3 + [("client", 1)])
    assert scores.overall == 75.0


def test_session_scores_reject_unknown_domains():
    with pytest.raises(ValueError, match="unknown domain"):
        session_scores([("weather", 3)])


@given(ratings)
def test_index_is_within_0_and_100_or_none(values):
    result = index(values)
    if all(v is None for v in values):
        assert result is None
    else:
        assert 0 <= result <= 100


@given(ratings, st.integers(min_value=1, max_value=4))
def test_raising_one_rating_never_lowers_the_index(values, position_seed):
    rated = [i for i, v in enumerate(values) if v is not None and v < 5]
    if not rated:
        return
    i = rated[position_seed % len(rated)]
    higher = list(values)
    higher[i] += 1
    assert index(higher) > index(values)


@given(ratings)
def test_adding_not_assessed_factors_changes_nothing(values):
    assert index([*values, None, None]) == index(values)

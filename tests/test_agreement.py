"""calibration/agreement.py: every statistic against hand-computed examples, and weighted
kappa against an independent formula (the pairwise-disagreement form, used only here)."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calibration.agreement import (
    NO_VARIATION,
    Pair,
    agreement,
    differences,
    rates_high,
    summary,
    t_quantile_975,
    t_two_sided_probability,
    weighted_kappa,
)


def one_per_session(*pairs, factor="communication"):
    return [Pair(unit=i, factor=factor, mine=a, theirs=b) for i, (a, b) in enumerate(pairs)]


def pairwise_kappa(pairs):
    """Quadratic-weighted kappa as 1 - mean squared difference of the paired ratings over the
    mean squared difference of every rating of one rater against every rating of the other
    (chance pairing). No confusion matrix: an independent route to the same number."""
    xs, ys = [a for a, _ in pairs], [b for _, b in pairs]
    observed = sum((a - b) ** 2 for a, b in pairs) / len(pairs)
    chance = sum((x - y) ** 2 for x in xs for y in ys) / (len(xs) * len(ys))
    return 1 - observed / chance


# --- Student's t ----------------------------------------------------------------------

# Two-sided 95% critical values of Student's t (any printed table, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2).
T_TABLE = {
    1: 12.706,
    2: 4.303,
    3: 3.182,
    4: 2.776,
    5: 2.571,
    9: 2.262,
    10: 2.228,
    19: 2.093,
    29: 2.045,
    60: 2.000,
    100: 1.984,
    101: 1.984,
    1000: 1.962,
}


@pytest.mark.parametrize(("df", "expected"), sorted(T_TABLE.items()))
def test_the_t_quantile_matches_the_printed_table(df, expected):
    assert t_quantile_975(df) == pytest.approx(expected, abs=0.0006)


def test_the_t_distribution_has_the_known_closed_forms():
    # df 1 is the Cauchy distribution: P(|T| < 1) = 1/2; df 2: P(|T| < t) = t / sqrt(t^2 + 2).
    assert t_two_sided_probability(1.0, 1) == pytest.approx(0.5)
    assert t_two_sided_probability(2.0, 2) == pytest.approx(2 / 6**0.5)
    assert t_two_sided_probability(0.0, 7) == 0.0


def test_the_exact_cdf_and_the_large_df_expansion_meet_at_100():
    assert t_quantile_975(100) == pytest.approx(t_quantile_975(101), abs=0.0005)
    assert t_quantile_975(100) > t_quantile_975(101) > t_quantile_975(5000) > 1.96


# --- The statistics, by hand ----------------------------------------------------------

HAND = one_per_session((4, 3), (5, 4), (3, 3), (4, 2), (2, 2))


def test_a_hand_computed_example():
    # Differences 1, 1, 0, 2, 0: mean 0.8; sd = sqrt(2.8 / 4) = 0.83666;
    # half-width = 2.776445 * 0.83666 / sqrt(5) = 1.03884.
    result = agreement(HAND)
    assert result.enough
    assert result.sessions == 5
    assert result.pairs == 5
    assert result.mean_difference == pytest.approx(0.8)
    assert result.ci_low == pytest.approx(0.8 - 1.03884, abs=1e-4)
    assert result.ci_high == pytest.approx(0.8 + 1.03884, abs=1e-4)
    assert result.exact == pytest.approx(40.0)
    assert result.within_one == pytest.approx(80.0)
    # Observed weighted disagreement 6/80; expected 56/400 (marginals 2,3,4,4,5 against 2,2,3,3,4): kappa 13/28.
    assert result.kappa.value == pytest.approx(13 / 28)


def test_the_mean_difference_is_taken_per_session_not_per_rating():
    pairs = [
        Pair("A", "communication", 5, 3),
        Pair("A", "openness", 4, 4),  # session A: differences 2 and 0, mean 1
        *[Pair(u, "communication", a, b) for u, (a, b) in zip("BCDE", [(3, 3), (4, 3), (3, 3), (4, 4)], strict=True)],
    ]
    result = agreement(pairs)
    assert result.sessions == 5
    assert result.pairs == 6
    assert result.mean_difference == pytest.approx((1 + 0 + 1 + 0 + 0) / 5)  # not 3/6 per rating


def test_a_negative_difference_means_the_clinician_rates_lower():
    result = agreement(one_per_session((2, 4), (3, 4), (3, 5), (2, 3), (1, 3)))
    assert result.mean_difference == pytest.approx(-1.6)
    assert result.ci_high < 0


def test_nothing_is_reported_from_fewer_than_five_sessions():
    result = agreement(HAND[:4])
    assert not result.enough
    assert result.reason == "not enough yet"
    assert result.sessions == 4
    assert result.pairs == 4
    assert result.mean_difference is None
    assert result.kappa is None
    assert result.exact is None


def test_many_ratings_in_few_sessions_are_still_not_enough():
    pairs = [Pair(u, f"f{k}", 4, 3) for u in range(4) for k in range(12)]
    assert not agreement(pairs).enough


def test_identical_ratings_everywhere_leave_kappa_undefined_with_a_reason():
    result = agreement(one_per_session(*[(4, 4)] * 6))
    assert result.kappa.value is None
    assert result.kappa.reason == NO_VARIATION
    assert result.exact == 100.0
    assert result.mean_difference == 0
    assert result.ci_low == result.ci_high == 0  # no spread: the interval is a point


def test_a_rater_who_never_varies_agrees_no_better_than_chance():
    assert weighted_kappa([(4, 3), (4, 4), (4, 5), (4, 4), (4, 2)]).value == pytest.approx(0.0)


def test_perfect_agreement_with_variation_is_kappa_one():
    assert weighted_kappa([(1, 1), (3, 3), (5, 5), (2, 2)]).value == pytest.approx(1.0)


def test_systematic_disagreement_is_below_zero():
    assert weighted_kappa([(1, 5), (5, 1), (2, 4), (4, 2)]).value < 0


def test_kappa_per_factor_needs_ten_pairs():
    pairs = [Pair(u, "communication", 3 + u % 3, 3 + (u + 1) % 3) for u in range(10)]
    pairs += [Pair(u, "openness", 4, 3 + u % 2) for u in range(9)]
    factors = {f.factor: f for f in agreement(pairs).factors}
    assert factors["communication"].pairs == 10
    assert factors["communication"].kappa is not None
    assert factors["openness"].pairs == 9
    assert factors["openness"].kappa is None
    assert factors["openness"].mean_difference == pytest.approx(sum(4 - (3 + u % 2) for u in range(9)) / 9)


# --- Against the independent formula -------------------------------------------------


@pytest.mark.parametrize("seed", range(50))
def test_weighted_kappa_agrees_with_the_pairwise_formula(seed):
    rng = random.Random(seed)
    pairs = [(rng.randint(1, 5), rng.randint(1, 5)) for _ in range(rng.randint(2, 60))]
    if len({a for a, _ in pairs} | {b for _, b in pairs}) == 1:
        pairs.append((1, 5))
    assert weighted_kappa(pairs).value == pytest.approx(pairwise_kappa(pairs))


def test_the_hand_example_by_the_pairwise_formula_too():
    assert pairwise_kappa([(p.mine, p.theirs) for p in HAND]) == pytest.approx(13 / 28)


# --- The gentle note and the vignettes ------------------------------------------------


def test_a_full_point_above_clients_over_ten_sessions_rates_high():
    assert rates_high(agreement(one_per_session(*[(4, 3)] * 10)))
    assert not rates_high(agreement(one_per_session(*[(4, 3)] * 9)))  # too few sessions
    assert not rates_high(agreement(one_per_session(*[(4, 3)] * 9, (3, 3))))  # 0.9 points
    assert not rates_high(agreement(one_per_session(*[(3, 4)] * 12)))  # lower, not higher


def test_vignette_differences_skip_factors_either_side_left_unrated():
    mine = {"communication": 4, "openness": None, "stigma": 2}
    reference = {"communication": 2, "openness": 3, "stigma": None, "setting": 4}
    assert differences(mine, reference) == {"communication": 2, "openness": None, "stigma": None, "setting": None}


# --- The summary from session totals (the team dashboard's column) -----------------------------

SUMMED = ("sessions", "pairs", "enough", "mean_difference", "ci_low", "ci_high")


def session_totals(pairs):
    """What SQL sums per co-rated session: (total difference, number of pairs)."""
    totals = {}
    for p in pairs:
        total, count = totals.get(p.unit, (0, 0))
        totals[p.unit] = (total + p.mine - p.theirs, count + 1)
    return list(totals.values())


pair_lists = st.lists(
    st.builds(
        Pair,
        unit=st.integers(0, 30),
        factor=st.sampled_from(["communication", "openness", "goals", "setting"]),
        mine=st.integers(1, 5),
        theirs=st.integers(1, 5),
    ),
    max_size=200,
)


@given(pairs=pair_lists, order=st.randoms(use_true_random=False))
def test_the_summary_from_session_totals_equals_the_full_agreement(pairs, order):
    full = agreement(pairs)
    totals = session_totals(pairs)
    order.shuffle(totals)  # the database returns the sessions in any order
    short = summary(totals)
    assert [getattr(short, name) for name in SUMMED] == [getattr(full, name) for name in SUMMED]
    assert (short.exact, short.kappa, short.factors) == (None, None, [])


def test_the_summary_counts_no_session_without_pairs_and_nothing_below_five():
    assert (summary([(2, 2), (0, 0), (1, 1), (0, 3)]).sessions, summary([(2, 2)]).pairs) == (3, 2)
    assert not summary([(1, 1)] * 4).enough
    five = summary([(1, 1), (2, 2), (0, 1), (3, 3), (-1, 1)])
    assert five.enough
    assert five.mean_difference == pytest.approx(0.4)  # session means 1, 1, 0, 1, -1

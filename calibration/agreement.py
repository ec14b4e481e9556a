"""How far one rater's ratings sit from another's: pairs in, statistics out.

Pure Python, no Django: the pages fetch the pairs (calibration/pairs.py) and
hand them here; tests/test_agreement.py checks every number against
hand-computed examples and an independent weighted-kappa formula.

A *pair* is one factor of one co-rated unit (a session the clinician rated and
the other rater rated too: the client's self-report or an observer's
observation), with both ratings on the 1-5 scale. Two observers of one session
give two pairs per factor but one unit: the session. "Not assessed" on either
side is no pair.

- **Mean signed difference**: clinician minus the other rater, positive when
  the clinician rates the alliance higher. Its unit is the co-rated session:
  each session's mean difference over its paired factors, then the mean of
  those. Ratings within a session are not independent (one impression colours
  all twelve), so the session is the unit of the 95% confidence interval:
  mean ± t(0.975, n-1) * sd / √n over the n session means.
- **Agreement**: exact, and within one point, in percent of all pairs.
- **Quadratic-weighted kappa** (Cohen 1968) over all pairs, categories 1-5,
  weights (i-j)²/16; per factor where it has at least MIN_FACTOR_PAIRS pairs.
  Undefined (None, with a reason) when no disagreement is expected by chance:
  both raters gave one and the same value every time.
- Nothing is reported from fewer than MIN_SESSIONS co-rated sessions.

`summary` gives the mean difference, its interval and the counts alone, from each
co-rated session's total difference and number of pairs (what SQL can sum per
session: the team dashboard's column, calibration/pairs.py `summaries`); `agreement`
computes them the same way from the pairs, so the two agree to the last bit
(tests/test_agreement.py). Sums are `math.fsum`, exact whatever the order.
"""

import functools
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

SCALE = (1, 2, 3, 4, 5)
MIN_SESSIONS = 5
MIN_FACTOR_PAIRS = 10
# "Rates high": a full point or more above the clients' own ratings across at least ten sessions.
HIGH_DIFFERENCE = 1.0
HIGH_MIN_SESSIONS = 10

NOT_ENOUGH = "not enough yet"
NO_VARIATION = "every rating was the same value on both sides: kappa needs some variation"


@dataclass(frozen=True)
class Pair:
    unit: Hashable  # the co-rated session (with two observers, still one unit)
    factor: str
    mine: int  # the clinician's rating
    theirs: int  # the other rater's


@dataclass(frozen=True)
class Kappa:
    value: float | None
    reason: str = ""  # why value is None
    pairs: int = 0


@dataclass
class FactorAgreement:
    factor: str
    pairs: int
    mean_difference: float
    kappa: Kappa | None  # None: fewer than MIN_FACTOR_PAIRS pairs


@dataclass
class Agreement:
    sessions: int = 0
    pairs: int = 0
    enough: bool = False
    mean_difference: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    exact: float | None = None  # percent of pairs
    within_one: float | None = None
    kappa: Kappa | None = None
    factors: list[FactorAgreement] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return "" if self.enough else NOT_ENOUGH


# --- Student's t, without scipy ------------------------------------------------


def t_two_sided_probability(t: float, df: int) -> float:
    """P(|T| < t) for Student's t with integer `df` degrees of freedom.

    The closed forms of Abramowitz & Stegun 26.7.3 and 26.7.4 (a finite sum of
    powers of cos θ, θ = atan(t/√df)), exact for integer df."""
    if df < 1:
        raise ValueError("df must be at least 1")
    theta = math.atan(abs(t) / math.sqrt(df))
    c2, s = math.cos(theta) ** 2, math.sin(theta)
    if df % 2 == 1:
        total, term = 0.0, math.cos(theta)
        for k in range(1, (df - 1) // 2 + 1):
            total += term
            term *= c2 * (2 * k) / (2 * k + 1)
        return (2 / math.pi) * (theta + s * total)
    total, term = 0.0, 1.0
    for k in range(1, df // 2 + 1):
        total += term
        term *= c2 * (2 * k - 1) / (2 * k)
    return s * total


@functools.lru_cache(maxsize=256)
def t_quantile_975(df: int) -> float:
    """The t value with 2.5% above it (for a two-sided 95% interval): by bisection on the exact
    CDF up to 100 df; beyond, the Cornish-Fisher expansion around the normal (A&S 26.7.5),
    which agrees to 1e-6 there."""
    if df > 100:
        z = 1.959963984540054
        return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
    low, high = 0.0, 700.0  # t(0.975, 1) is 12.706
    for _ in range(100):
        mid = (low + high) / 2
        if t_two_sided_probability(mid, df) < 0.95:
            low = mid
        else:
            high = mid
    return (low + high) / 2


# --- Kappa ---------------------------------------------------------------------


def weighted_kappa(pairs: Iterable[tuple[int, int]], scale=SCALE) -> Kappa:
    """Quadratic-weighted kappa from the confusion matrix: 1 - Σ w·observed / Σ w·expected."""
    pairs = list(pairs)
    n = len(pairs)
    if not n:
        return Kappa(None, NOT_ENOUGH, 0)
    index = {v: i for i, v in enumerate(scale)}
    k = len(scale)
    observed = [[0] * k for _ in range(k)]
    for a, b in pairs:
        observed[index[a]][index[b]] += 1
    rows = [sum(r) for r in observed]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    top = (k - 1) ** 2
    disagreement = sum((i - j) ** 2 / top * observed[i][j] for i in range(k) for j in range(k))
    expected = sum((i - j) ** 2 / top * rows[i] * cols[j] / n for i in range(k) for j in range(k))
    if expected == 0:
        return Kappa(None, NO_VARIATION, n)
    return Kappa(1 - disagreement / expected, "", n)


# --- All of it -----------------------------------------------------------------


def agreement(pairs: Iterable[Pair], min_sessions=MIN_SESSIONS, min_factor_pairs=MIN_FACTOR_PAIRS) -> Agreement:
    pairs = list(pairs)
    by_unit, by_factor = defaultdict(list), defaultdict(list)
    for p in pairs:
        by_unit[p.unit].append(p.mine - p.theirs)
        by_factor[p.factor].append(p)
    result = summary(((sum(d), len(d)) for d in by_unit.values()), min_sessions)
    if not result.enough:
        return result
    result.exact = 100 * sum(p.mine == p.theirs for p in pairs) / len(pairs)
    result.within_one = 100 * sum(abs(p.mine - p.theirs) <= 1 for p in pairs) / len(pairs)
    result.kappa = weighted_kappa((p.mine, p.theirs) for p in pairs)
    result.factors = [
        FactorAgreement(
            factor=key,
            pairs=len(items),
            mean_difference=sum(p.mine - p.theirs for p in items) / len(items),
            kappa=weighted_kappa((p.mine, p.theirs) for p in items) if len(items) >= min_factor_pairs else None,
        )
        for key, items in by_factor.items()
    ]
    return result


def summary(sessions: Iterable[tuple[int, int]], min_sessions=MIN_SESSIONS) -> Agreement:
    """The mean signed difference with its 95% interval and the counts, from each co-rated
    session's (total difference over its paired factors, number of pairs): the session's
    mean is total / pairs, and the rest as in `agreement`, which this is the first half of
    (exact, within one, kappa and the factors stay unset). A session without pairs is none."""
    sessions = [(total, count) for total, count in sessions if count]
    result = Agreement(sessions=len(sessions), pairs=sum(count for _, count in sessions))
    if result.sessions < min_sessions:
        return result
    result.enough = True
    means = [total / count for total, count in sessions]
    n = len(means)
    mean = math.fsum(means) / n
    sd = math.sqrt(math.fsum((m - mean) ** 2 for m in means) / (n - 1))
    half = t_quantile_975(n - 1) * sd / math.sqrt(n)
    result.mean_difference, result.ci_low, result.ci_high = mean, mean - half, mean + half
    return result


def rates_high(against_clients: Agreement) -> bool:
    """A full point or more above the clients' own ratings across at least ten co-rated sessions."""
    return (
        against_clients.enough
        and against_clients.sessions >= HIGH_MIN_SESSIONS
        and against_clients.mean_difference is not None
        and against_clients.mean_difference >= HIGH_DIFFERENCE
    )


def differences(mine: dict[str, int | None], reference: dict[str, int | None]) -> dict[str, int | None]:
    """Factor by factor, mine minus the reference (None where either is not rated): for vignettes."""
    return {
        key: (mine[key] - reference[key]) if mine.get(key) is not None and reference.get(key) is not None else None
        for key in reference
    }

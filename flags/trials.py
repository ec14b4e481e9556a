"""Did a prompt that was tried help? The rating after it against the rating before, and
how often the factor rose anyway (the base rate). Pure, unit-tested in tests/test_flag_rules.py."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import fmean

# --- Did a prompt that was tried help? --------------------------------------------

ROSE, HELD, FELL, WAITING = "rose", "held", "fell", "waiting"
BASE_RATE_MIN_CASES = 10


def trial_outcome(before: int | None, after: Sequence[int | None], sessions: int = 3) -> str:
    """A factor's rating when a prompt was chosen against its next rated sessions:
    the mean of the next `sessions` rated values half a point or more above the
    rating before is "rose", below is "fell", else "held"; "waiting" until there
    is a rating before and at least one after. "Rose" says what followed, not
    that the prompt caused it: see base_rate."""
    later = [v for v in after if v is not None][:sessions]
    if before is None or not later:
        return WAITING
    delta = fmean(later) - before
    if delta >= 0.5:
        return ROSE
    if delta <= -0.5:
        return FELL
    return HELD


@dataclass(frozen=True)
class BaseRate:
    rose: int
    cases: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.rose / self.cases) if self.cases >= BASE_RATE_MIN_CASES else None


def base_rate(series: Iterable[Sequence[tuple[int, int | None]]], rating: int, excluded: set[int]) -> BaseRate:
    """How often a factor rose after a rating of `rating` when no prompt was chosen.

    `series` holds, per client, that factor's (session id, rating) in order;
    sessions after which a prompt for the factor was chosen are `excluded`.
    Regression to the mean makes low ratings tend to rise on their own: this is
    the comparison a "rose after" needs.
    """
    rose = cases = 0
    for values in series:
        for position, (session_id, value) in enumerate(values):
            if value != rating or session_id in excluded:
                continue
            outcome = trial_outcome(value, [v for _, v in values[position + 1 :]])
            if outcome == WAITING:
                continue
            cases += 1
            rose += outcome == ROSE
    return BaseRate(rose=rose, cases=cases)

"""Alliance ruptures and factor drops (flags.rules): the client's usual level and
variation, the trigger a session can pull, and the episode a trigger opens and a repair
closes. Pure, and walked one session at a time by flags.rules.Walk."""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from statistics import fmean

from factors.scoring import index
from flags.rule_types import Flag, Point, Thresholds

# --- Alliance ruptures and factor drops ----------------------------------------


def _rated(ratings: Mapping[str, int | None], keys: Iterable[str]) -> dict[str, int]:
    return {k: ratings[k] for k in keys if ratings.get(k) is not None}


def _profile(sessions: Sequence[Mapping[str, int]], keys: set[str]) -> dict[str, float]:
    """Mean rating per key, over the keys rated in every one of `sessions` (their ratings)."""
    common = set(keys)
    for ratings in sessions:
        common &= set(_rated(ratings, keys))
    return {k: fmean(ratings[k] for ratings in sessions) for k in common}


def _index_on(values: Mapping[str, float], keys: Iterable[str]) -> float | None:
    keys = list(keys)
    return index(round(values[k], 6) for k in keys) if keys else None


def _sqrt(value: Fraction) -> float:
    """The square root of an exact non-negative fraction, correctly rounded (as statistics.stdev rounds)."""
    n, m = value.numerator, value.denominator
    if n == 0:
        return 0.0
    shift = max(0, 120 - (n.bit_length() - m.bit_length()))
    shift += shift & 1
    q, r = divmod(n << shift, m)
    root = math.isqrt(q)
    if r or root * root != q:
        root |= 1  # round to odd: the one rounding to a float below is then the correct one
    return math.ldexp(float(root), -(shift // 2))


class Usual:
    """The index of each stable session on one set of keys, kept as exact sums: the
    mean and SD are those of statistics.fmean and statistics.stdev over the values,
    at a cost that does not grow with the history."""

    def __init__(self, read=0, count=0, total=Fraction(0), squares=Fraction(0)):
        self.read, self.count, self.total, self.squares = read, count, total, squares

    def add(self, value: float):
        exact = Fraction(value)
        self.count += 1
        self.total += exact
        self.squares += exact * exact

    def mean(self) -> float:
        return float(self.total) / self.count

    def sd(self) -> float:
        n = self.count
        return _sqrt((n * self.squares - self.total * self.total) / n / (n - 1))


class History:
    """What the trigger of a session reads from the sessions before it, kept as the
    series is walked once: the latest relationship-rated sessions (the baseline),
    each key's latest rating (the "before" of a fall), the relationship ratings of
    every stable session (compactly, one character per key) and, per set of keys,
    the exact sums of their indices (the client's usual variation)."""

    def __init__(self, rel: set[str], keep: int):
        self.rel, self.keep = rel, keep
        self.keys = sorted(rel)  # the order of the characters of `stable`
        self.rated: list[dict[str, int]] = []  # the latest `keep` relationship ratings, oldest first
        self.last: dict[str, int] = {}  # key -> its latest rating so far
        self.stable: list[str] = []
        self.usual: dict[tuple[str, ...], Usual] = {}

    def usual_on(self, keys: list[str]) -> Usual:
        """The indices on `keys` of the stable sessions that rated every one of them."""
        usual = self.usual.setdefault(tuple(keys), Usual())
        for code in self.stable[usual.read :]:
            ratings = {k: int(c) for k, c in zip(self.keys, code, strict=True) if c != "."}
            if all(k in ratings for k in keys):
                usual.add(_index_on(ratings, keys))
        usual.read = len(self.stable)
        return usual

    def add(self, point: Point, stable: bool):
        rated = _rated(point.ratings, self.rel)
        if rated:
            self.rated = [*self.rated, rated][-self.keep :]
            self.last.update(rated)
        if stable and rated:  # a session without one has no index on any keys
            self.stable.append("".join(str(rated[k]) if k in rated else "." for k in self.keys))


@dataclass
class Trigger:
    rule: str  # "index", "variability" or "" (factor drops only)
    drop: float | None  # relationship index points below the baseline (like with like)
    baseline: float | None
    profile: dict[str, float]
    fallen: dict[str, tuple[int, int]]  # key -> (before, after): fell by factor_drop or more
    landed_low: list[str]  # fallen keys that landed at or below low_max
    moved: list[str]  # keys below their baseline mean, largest fall first
    baseline_n: int = 0
    sd: float | None = None


def find_trigger(here: Point, history: History, t: Thresholds) -> Trigger | None:
    rel = history.rel
    here_rated = _rated(here.ratings, rel)
    if not here_rated:
        return None
    base = history.rated[-t.baseline_sessions :]
    profile = _profile(base, rel) if len(base) >= t.baseline_min_sessions else {}
    keys = sorted(set(profile) & set(here_rated))
    rule, drop, baseline, sd = "", None, None, None
    if keys:
        baseline = _index_on(profile, keys)
        drop = round(baseline - _index_on(here_rated, keys), 1)
        if drop >= t.rupture_drop:
            rule = "index"
        else:
            usual = history.usual_on(keys)
            if usual.count >= t.variability_min_history:
                fall = round(usual.mean() - _index_on(here_rated, keys), 1)
                if fall >= t.variability_min_drop:  # the SD only matters for a fall this large
                    sd = usual.sd()
                    if fall > t.variability_sds * sd:
                        rule, drop, baseline = "variability", fall, usual.mean()
    fallen = {}
    for key, score in here_rated.items():
        before = history.last.get(key)
        if before is not None and before - score >= t.factor_drop:
            fallen[key] = (before, score)
    landed_low = [k for k, (_, after) in fallen.items() if after <= t.low_max]
    if not rule and not landed_low:
        return None
    moved = sorted((k for k in keys if here_rated[k] < profile[k]), key=lambda k: (here_rated[k] - profile[k], k))
    return Trigger(rule, drop, baseline, profile, fallen, landed_low, moved, len(base), sd)


@dataclass
class Episode:
    kind: str
    start: int  # the position of its first session in the series
    last: int  # the position of its latest trigger
    opened: tuple[int, date]  # its first session (id, date)
    sessions: list[int]  # the ids of the sessions that triggered it
    baseline: float | None
    profile: dict[str, float]
    fallen: dict[str, tuple[int, int]]  # key -> (rating before the fall, rating after)
    factors: list[str]
    facts: dict

    def add(self, i: int, here: Point, trigger: Trigger):
        self.last = i
        if here.id not in self.sessions:
            self.sessions.append(here.id)
        for key, move in trigger.fallen.items():
            self.fallen.setdefault(key, move)
        moved = trigger.moved if trigger.rule else []  # a factor drop names only the factors that fell
        self.factors = list(dict.fromkeys([*self.factors, *trigger.landed_low, *trigger.fallen, *moved]))
        if trigger.rule and (self.facts.get("drop") is None or (trigger.drop or 0) > self.facts["drop"]):
            self.facts.update(rule=trigger.rule, drop=trigger.drop, baseline_n=trigger.baseline_n, sd=trigger.sd)
        self.facts["fallen"] = {k: list(v) for k, v in self.fallen.items()}

    def is_repaired_by(self, here: Point) -> bool:
        """Back within repair_margin of the baseline (like with like) and every
        fallen factor back within one point of its rating before the fall."""
        for key, (before, _) in self.fallen.items():
            now = here.ratings.get(key)
            if now is None or now < before - 1:
                return False
        if not self.profile:  # a factor drop before any baseline: the fallen factors are all there is
            return bool(self.fallen)
        keys = sorted(set(self.profile) & set(_rated(here.ratings, self.profile)))
        if not keys:
            return False
        return _index_on(_rated(here.ratings, keys), keys) >= _index_on(self.profile, keys) - self.facts["margin"]

    def flag(self) -> Flag:
        return Flag(
            kind=self.kind,
            opened_session_id=self.opened[0],
            since=self.opened[1],
            session_ids=tuple(self.sessions),
            factors=tuple(self.factors),
            facts={
                **self.facts,
                "baseline": None if self.baseline is None else round(self.baseline, 1),
                "profile": {k: round(v, 3) for k, v in sorted(self.profile.items())},
            },
        )

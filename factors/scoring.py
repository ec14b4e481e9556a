"""Alliance scoring: the one place that turns ratings into scores.

Pure functions over plain values (no database, no Django models). The flag
rules are in flags/rules.py.

Scale: each factor is rated 1-5, or None for "not assessed". A score is on
0-100 as (mean of the rated factors - 1) / 4 * 100, so 1 -> 0, 3 -> 50 and
5 -> 100. "Not assessed" is left out of the mean, never counted as zero; a
group with nothing rated has no score (None).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from statistics import fmean

MIN_RATING = 1
MAX_RATING = 5
DOMAINS = ("therapist", "client", "contextual")


def index(ratings: Iterable[int | None]) -> float | None:
    """0-100 score of the rated values, rounded to one decimal; None if none rated."""
    rated = [r for r in ratings if r is not None]
    for r in rated:
        if not MIN_RATING <= r <= MAX_RATING:
            raise ValueError(f"rating {r!r} is outside {MIN_RATING}-{MAX_RATING}")
    if not rated:
        return None
    return round((fmean(rated) - MIN_RATING) / (MAX_RATING - MIN_RATING) * 100, 1)


@dataclass(frozen=True)
class SessionScores:
    therapist: float | None
    client: float | None
    contextual: float | None
    overall: float | None


def session_scores(ratings: Iterable[tuple[str, int | None]]) -> SessionScores:
    """Domain scores and the overall index from (domain, rating) pairs.

    The overall index is the mean over all rated factors (not the mean of
    the domain scores), so a domain with more rated factors weighs more.
    """
    by_domain: dict[str, list[int | None]] = {domain: [] for domain in DOMAINS}
    for domain, rating in ratings:
        if domain not in by_domain:
            raise ValueError(f"unknown domain {domain!r}")
        by_domain[domain].append(rating)
    return SessionScores(
        therapist=index(by_domain["therapist"]),
        client=index(by_domain["client"]),
        contextual=index(by_domain["contextual"]),
        overall=index(r for values in by_domain.values() for r in values),
    )


# --- Per-client summary ------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    latest: float | None
    change: float | None  # latest index minus the first of the last three indexed sessions
    change_sessions: int  # how many sessions that change spans
    by_setting: dict[str, float]  # mean index per setting, when two settings have enough sessions


def summarise(points: Iterable, min_per_setting: int = 2) -> Summary:
    """The index summary of a client's series (points with date, id, overall, setting)."""
    points = sorted(points, key=lambda p: (p.date, p.id))
    indexed = [p for p in points if p.overall is not None]
    latest = indexed[-1].overall if indexed else None
    window = indexed[-3:]
    change = round(window[-1].overall - window[0].overall, 1) if len(window) >= 2 else None
    per_setting: dict[str, list[float]] = {}
    for p in indexed:
        per_setting.setdefault(p.setting, []).append(p.overall)
    enough = {s: round(fmean(v), 1) for s, v in per_setting.items() if len(v) >= min_per_setting}
    return Summary(
        latest=latest, change=change, change_sessions=len(window), by_setting=enough if len(enough) >= 2 else {}
    )


def co_rating(mine: Mapping[str, int | None], theirs: Mapping[str, int | None]) -> tuple[int, int]:
    """(pairs, total difference) of one session's two views of the factors: the factors
    both the clinician (`mine`) and the other rater (`theirs`) rated, and the sum of
    clinician minus other over them (positive: the clinician rates higher). "Not
    assessed" or skipped on either side is no pair; keys only one side has are none
    either (the client's questions about goals or the whole). calibration.agreement
    takes it from there."""
    both = [(mine[k], theirs[k]) for k in mine.keys() & theirs.keys() if mine[k] is not None and theirs[k] is not None]
    return len(both), sum(a - b for a, b in both)

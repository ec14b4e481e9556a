"""The co-rated factor ratings that calibration/agreement.py compares, read in one query each.

- Against clients: the clinician's rating of a factor beside the client's own
  answer to the question about that factor, in the answers that count for the
  session (the latest answered link; voided sessions have none).
- Against observers: the clinician's rating beside an observer's rating of the
  same factor in the same session. The unit is the session, not the observation:
  two observers of one session are one co-rated session (with both observers'
  pairs in it), so the count and the session means stay honest.

Both are keyed by the client's clinician; "not assessed" or skipped on either
side is no pair.

The team dashboard needs only the mean difference, its interval and the counts:
`summaries` sums the same pairs in SQL to one row per co-rated session (its total
difference and number of pairs; the latest answered link of a session by a NOT
EXISTS on a later one) and calibration.agreement.summary does the rest, so the
page fetches one row per co-rated session instead of every answer of the team's
history (tests/test_calibration.py checks the numbers equal `agreement`'s).

The clinician's rating is joined on (session, factor), the unique key of `Rating`
(a FilteredRelation), not read by a correlated subquery per answer: on PostgreSQL
the subquery ran once per answer of the whole organisation's observations before
the team was filtered, and the self-report query's cost brought in JIT compilation
(docs/performance.md).
"""

from collections import defaultdict

from django.db.models import Count, F, FilteredRelation, IntegerField, Q, Sum

from calibration.agreement import Agreement, Pair, agreement, summary
from calibration.models import ObservationRating
from clients.models import TherapySession
from selfreport.models import SelfReportRating


def _clinicians_rating(session_path, factor_field):
    """The clinician's rating row of the same session and factor, as a join (at most one
    row: one rating per session and factor); its score is None when there is none."""
    ratings = f"{session_path}__ratings"
    return FilteredRelation(ratings, condition=Q(**{f"{ratings}__factor_id": F(factor_field)}))


def client_pairs(clinician_ids) -> dict[int, list[Pair]]:
    """{clinician id: pairs against their clients' self-reports} (one query)."""
    rows = (
        SelfReportRating.objects.filter(
            link__used_at__isnull=False,
            link__session__voided_at=None,
            link__session__client__clinician_id__in=list(clinician_ids),
        )
        .annotate(rated=_clinicians_rating("link__session", "question__factor_id"), mine=F("rated__score"))
        .order_by("link__used_at", "link_id")  # the latest answered link of a session comes last
        .values_list(
            "link__session__client__clinician_id",
            "link__session_id",
            "link_id",
            "question__factor_id",
            "question__key",
            "mine",
            "score",
        )
    )
    # The latest answered link of each session first (whatever it asked), then its answers about factors.
    latest, found = {}, defaultdict(list)
    for clinician, session, link, factor, key, mine, theirs in rows:
        if latest.get(session) != link:
            latest[session] = link
            found[session] = []
        if factor is not None:
            found[session].append((clinician, key, mine, theirs))
    pairs = defaultdict(list)
    for session, items in found.items():
        for clinician, key, mine, theirs in items:
            if mine is not None and theirs is not None:
                pairs[clinician].append(Pair(session, key, mine, theirs))
    return pairs


def observer_pairs(clinician_ids) -> dict[int, list[Pair]]:
    """{clinician id: pairs against observers' ratings of their sessions} (one query)."""
    rows = (
        ObservationRating.objects.filter(
            observation__session__voided_at=None,
            observation__session__client__clinician_id__in=list(clinician_ids),
            rating__isnull=False,
        )
        .annotate(rated=_clinicians_rating("observation__session", "factor_id"), mine=F("rated__score"))
        .filter(mine__isnull=False)
        .values_list(
            "observation__session__client__clinician_id", "observation__session_id", "factor__key", "mine", "rating"
        )
    )
    pairs = defaultdict(list)
    for clinician, session, key, mine, theirs in rows:
        pairs[clinician].append(Pair(session, key, mine, theirs))
    return pairs


def agreements(clinician_ids) -> dict[int, tuple[Agreement, Agreement]]:
    """{clinician id: (against clients, against observers)} for every id given (two queries)."""
    ids = list(clinician_ids)
    clients, observers = client_pairs(ids), observer_pairs(ids)
    return {pk: (agreement(clients.get(pk, [])), agreement(observers.get(pk, []))) for pk in ids}


# --- Per co-rated session, summed in SQL: the team dashboard's column ------------------

_DIFFERENCE = {"output_field": IntegerField()}


def client_sessions(clinician_ids) -> dict[int, list[tuple[int, int]]]:
    """{clinician id: [(total difference, pairs) per co-rated session]} against the clients'
    self-reports: the pairs of `client_pairs`, summed per session (one query).

    Read from the sessions' stored co-rating (TherapySession.client_pairs and
    client_difference, kept by clients.recording.refresh_flags whenever ratings or answers
    change), not from the answers: summing every answer of the team's history on each
    view cost 50-60 ms of PostgreSQL at bench size and grew with it (docs/performance.md)."""
    rows = (
        TherapySession.objects.counted()
        .filter(client__clinician_id__in=list(clinician_ids), client_pairs__gt=0)
        .order_by()
        .values_list("client__clinician_id", "client_difference", "client_pairs")
    )
    found = defaultdict(list)
    for clinician, total, count in rows:
        found[clinician].append((total, count))
    return found


def observer_sessions(clinician_ids) -> dict[int, list[tuple[int, int]]]:
    """{clinician id: [(total difference, pairs) per co-rated session]} against observers:
    the pairs of `observer_pairs`, summed per session, every observer's together (one query)."""
    rows = (
        ObservationRating.objects.filter(
            observation__session__voided_at=None,
            observation__session__client__clinician_id__in=list(clinician_ids),
            rating__isnull=False,
        )
        .annotate(rated=_clinicians_rating("observation__session", "factor_id"))
        .filter(rated__score__isnull=False)
        .order_by()
        .values("observation__session__client__clinician_id", "observation__session_id")
        .annotate(total=Sum(F("rated__score") - F("rating"), **_DIFFERENCE), pairs=Count("*"))
        .values_list("observation__session__client__clinician_id", "total", "pairs")
    )
    found = defaultdict(list)
    for clinician, total, count in rows:
        found[clinician].append((total, count))
    return found


def summaries(clinician_ids) -> dict[int, tuple[Agreement, Agreement]]:
    """{clinician id: (against clients, against observers)} with the mean difference, its 95%
    interval and the counts only (calibration.agreement.summary), for every id given (two
    queries, one row per co-rated session): the team dashboard's calibration column."""
    ids = list(clinician_ids)
    clients, observers = client_sessions(ids), observer_sessions(ids)
    return {pk: (summary(clients.get(pk, [])), summary(observers.get(pk, []))) for pk in ids}

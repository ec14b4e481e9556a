"""Writing a client's record: the one path from a form (or a command) to the
database for sessions, client edits, discharges and voids, and the one place
that refreshes a client's flags.

One writer per client: every path that changes a client's sessions, ratings,
self-reports or flags takes the client's row lock (`lock_client`) first, in
the same transaction, so two saves for one client run one after the other
and the stored flags and summary always match a recomputation.

`save_session` writes the session, one rating per factor, the stored scores
and the client's flags in one transaction, audits the rating rows it writes in
bulk, and refuses an edit based on a version someone else has since changed.
`save_client` does the same version check for a client's own fields;
`discharge` and `void_session` close what they end, all or nothing.
"""

import json

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from audit import log
from clients.models import SUMMARY_FIELDS, Client, FlagWalk, Rating, TherapySession
from factors import scoring
from factors.models import Factor
from flags import rules, state
from flags.models import Flag, FlagReview, Status, apply_reviews, marks_for, thresholds
from measures.answers import save_response
from measures.models import Instrument, MeasureResponse

FLAG_FIELDS = [f.name for f in Flag._meta.concrete_fields if f.name not in ("id", "client", "key")]
FLAG_ATTRS = [(f.name, f.attname) for f in Flag._meta.concrete_fields if f.name in FLAG_FIELDS]
JSON_FIELDS = {f.name for f in Flag._meta.concrete_fields if f.get_internal_type() == "JSONField"}
SCORE_FIELDS = ["therapist_score", "client_score", "contextual_score", "overall_score"]
# re-read at every refresh: the client's voice (flags.rules.Walk) and the progress measures (flags.rules.with_measures)
VOICE_KINDS = [rules.CLIENT_CONCERN, rules.DISCREPANCY]
MEASURE_KINDS = [rules.SAFETY, rules.OFF_TRACK]
CLIENT_KINDS = VOICE_KINDS + MEASURE_KINDS


class StaleSessionError(Exception):
    """The session changed since the editor opened it."""


class VoidedSessionError(StaleSessionError):
    """The session was voided: it can no longer be edited."""


class StaleClientError(Exception):
    """The client changed since the editor opened it."""


class ClientNotActiveError(StaleSessionError):
    """The client was discharged after the form was opened: no new session."""


class EmptySessionError(ValueError):
    """A session must rate at least one factor."""


def lock_client(client_id) -> Client:
    """Take the client's row lock for the rest of the transaction (PostgreSQL;
    SQLite serializes every write anyway) and return the row as it is now."""
    return Client.objects.select_for_update().get(pk=client_id)


@transaction.atomic
def save_session(
    session: TherapySession,
    ratings: dict[Factor, tuple[int | None, str]],
    expected_version=None,
    measures=(),
    by=None,
):
    """Save `session` with its ratings, scores and flags, all or nothing.

    `ratings` maps each factor to (score or None, note); factors left out keep
    their rating. With `expected_version`, an existing session is only updated
    if nobody saved it since that version (checked in the UPDATE itself).
    `measures`: [(instrument, {item number: value or None})] entered from paper
    forms by `by`, each stored as a new response of this session (the latest
    response of a session counts).
    """
    client = lock_client(session.client_id)
    if not session.pk and client.status != Client.Status.ACTIVE:
        raise ClientNotActiveError(session.client_id)
    session.client = client  # the row as it is under the lock, not as the form saw it
    appended = None if session.pk else session  # a new session: the flags may be taken up from the stored walk
    if session.pk and expected_version is not None:
        _update_if_unchanged(session, expected_version)
    else:
        if session.pk and TherapySession.objects.voided().filter(pk=session.pk).exists():
            raise VoidedSessionError(session.pk)
        session.save()
    existing = {r.factor_id: r for r in session.ratings.all()}
    to_create, to_update, events = [], [], []
    for factor, (score, note) in ratings.items():
        rating = existing.get(factor.pk)
        if rating is None:
            rating = Rating(session=session, factor=factor, score=score, note=note)
            existing[factor.pk] = rating
            to_create.append(rating)
        elif (rating.score, rating.note) != (score, note):
            changes = {"factor": factor.key}
            if rating.score != score:
                changes["score"] = [rating.score, score]
            if rating.note != note:
                changes["note"] = log.CHANGED
            rating.score, rating.note = score, note
            to_update.append(rating)
            events.append(log.event(log.Action.UPDATE, rating, client_id=session.client_id, changes=changes))
    if all(r.score is None for r in existing.values()):
        raise EmptySessionError("Rate at least one factor.")
    Rating.objects.bulk_create(to_create)
    Rating.objects.bulk_update(to_update, ["score", "note"])
    events += [
        log.event(
            log.Action.CREATE,
            r,
            client_id=session.client_id,
            changes={"factor": r.factor.key, "score": r.score, **({"note": log.CHANGED} if r.note else {})},
        )
        for r in to_create
    ]
    log.record_many(events)

    domains = {factor.pk: factor.domain for factor in ratings}
    missing = existing.keys() - domains.keys()
    if missing:
        domains.update(Factor.objects.filter(pk__in=missing).values_list("pk", "domain"))
    session.set_scores(scoring.session_scores((domains[fid], r.score) for fid, r in existing.items()))
    session.save(update_fields=SCORE_FIELDS)
    for instrument, values in measures:
        save_response(
            session=session, instrument=instrument, values=values, source=MeasureResponse.Source.CLINICIAN, by=by
        )
    refresh_flags(client, locked=True, appended=appended)


def _update_if_unchanged(session, expected_version):
    """UPDATE ... WHERE version = expected: no lost update, on any database."""
    before = TherapySession.objects.filter(pk=session.pk).values("date", "setting", "note").first() or {}
    updated = (
        TherapySession.objects.counted()
        .filter(pk=session.pk, version=expected_version)
        .update(
            date=session.date,
            setting=session.setting,
            note=session.note,
            updated_at=timezone.now(),
            version=F("version") + 1,
        )
    )
    if not updated:
        if TherapySession.objects.voided().filter(pk=session.pk).exists():
            raise VoidedSessionError(session.pk)
        raise StaleSessionError(session.pk)
    session.version = expected_version + 1
    after = {"date": session.date, "setting": session.setting, "note": session.note}
    changes = log.diff("clients.therapysession", before, after)
    if changes:
        log.record(log.Action.UPDATE, session, changes=changes)


@transaction.atomic
def save_client(client: Client, fields: list[str], expected_version: int):
    """Save an edit of `client`'s own `fields`, only if nobody changed the client since
    `expected_version` (claimed in an UPDATE before anything is written; audited by
    the model receivers). Discharging through the edit closes what a discharge closes."""
    lock_client(client.pk)
    claimed = Client.objects.filter(pk=client.pk, version=expected_version).update(version=F("version") + 1)
    if not claimed:
        raise StaleClientError(client.pk)
    was_active = Client.objects.filter(pk=client.pk, status=Client.Status.ACTIVE).exists()
    client.version = expected_version + 1
    client.save(update_fields=[*fields, "updated_at"])  # never the stored summary, which sessions write
    if was_active and client.status == Client.Status.DISCHARGED:
        close_at_discharge(client)
    refresh_flags(client, locked=True)  # the status and usual interval change what is open and when it stalls


@transaction.atomic
def discharge(client: Client) -> bool:
    """Discharge an active client (False if they already were): the status, a new
    version (an edit opened before is refused) and what closes with it: open
    self-report links, and open flags ("closed at discharge", kept in the history)."""
    lock_client(client.pk)
    claimed = Client.objects.filter(pk=client.pk, status=Client.Status.ACTIVE).update(version=F("version") + 1)
    if not claimed:
        return False
    client.status = Client.Status.DISCHARGED
    client.save(update_fields=["status", "updated_at"])  # audited by the model receivers
    client.version = Client.objects.values_list("version", flat=True).get(pk=client.pk)
    close_at_discharge(client)
    refresh_flags(client, locked=True)
    return True


def close_at_discharge(client: Client):
    """What a discharge ends: the client's self-report links that still wait for an answer."""
    _close_links(_links().objects.filter(session__client=client))


@transaction.atomic
def void_session(session: TherapySession, user, reason: str):
    """Void a session logged in error: it is kept (record, audit, backup), marked with
    when, who and why, closes its open self-report links and leaves every series,
    score and flag of its client, which are recomputed in the same transaction.
    Raises VoidedSessionError if it already was voided."""
    client = lock_client(session.client_id)
    now = timezone.now()
    voided = (
        TherapySession.objects.counted()
        .filter(pk=session.pk)
        .update(voided_at=now, voided_by=user, void_reason=reason, updated_at=now, version=F("version") + 1)
    )
    if not voided:
        raise VoidedSessionError(session.pk)
    session.voided_at, session.voided_by, session.void_reason = now, user, reason
    session.version = TherapySession.objects.values_list("version", flat=True).get(pk=session.pk)
    log.record(
        log.Action.UPDATE,
        session,
        changes={"voided_at": [None, str(now)], "voided_by": [None, user.pk], "void_reason": log.CHANGED},
    )
    _close_links(session.self_report_links.all())
    refresh_flags(client, locked=True)


def _links():
    """The self-report link model, reached through the session's relation: the
    selfreport app sits above this one (docs/architecture.md)."""
    return TherapySession._meta.get_field("self_report_links").related_model


def _close_links(links):
    """Close the still-open links among `links` (a bulk update, so audited here)."""
    now = timezone.now()
    ids = list(links.open(now).values_list("pk", flat=True))
    if not ids:
        return
    link_model = _links()
    link_model.objects.open(now).filter(pk__in=ids).update(closed_at=now)
    closed = link_model.objects.filter(pk__in=ids, closed_at=now).select_related("session")
    log.record_many(
        [
            log.event(
                log.Action.UPDATE, link, client_id=link.session.client_id, changes={"closed_at": [None, str(now)]}
            )
            for link in closed
        ]
    )


# --- The client's series and flags --------------------------------------------


def series(client: Client, after: tuple | None = None) -> list[rules.Point]:
    """The client's counted (not voided) sessions as the rules' series, oldest first (three
    queries); with `after` ((date, id) of a session), only the sessions after that one.

    The client's own answers come through the self-report links of each
    session (by relation name: that app sits above this one); where a session
    has several answered links, the latest answered one counts.
    """
    return _series(client, after)[0]


def _series(client: Client, after: tuple | None) -> tuple[list[rules.Point], dict[int, tuple[int, int]]]:
    """series(), and each session's stored co-rating ((pairs, difference): TherapySession.client_pairs)."""
    sessions = client.sessions.counted()
    counted = Rating.objects.filter(session__client=client, session__voided_at__isnull=True)
    if after is not None:
        day, pk = after
        sessions = sessions.filter(Q(date__gt=day) | Q(date=day, pk__gt=pk))
        counted = counted.filter(Q(session__date__gt=day) | Q(session__date=day, session_id__gt=pk))
    ratings: dict[int, dict[str, int | None]] = {}
    for session_id, key, score in counted.values_list("session_id", "factor__key", "score"):
        ratings.setdefault(session_id, {})[key] = score
    theirs: dict[int, dict[str, int | None]] = {}
    latest_link: dict[int, int] = {}
    for session_id, link_id, key, score in (
        # A link counts once it holds answers (one filter: the same join, an inner one): a later
        # link answered with only the progress measures leaves the earlier answers counting, as
        # SelfReportRating.objects.latest_by_session and calibration.pairs read them.
        sessions.filter(self_report_links__used_at__isnull=False, self_report_links__ratings__isnull=False)
        .order_by("self_report_links__used_at", "self_report_links__pk", "self_report_links__ratings__question__order")
        .values_list(
            "pk",
            "self_report_links__pk",
            "self_report_links__ratings__question__key",  # the factor's key, or the question's own
            "self_report_links__ratings__score",
        )
    ):
        if latest_link.get(session_id) != link_id:
            latest_link[session_id], theirs[session_id] = link_id, {}
        if key is not None:
            theirs[session_id][key] = score
    rows = sessions.order_by("date", "pk").values_list(
        "pk",
        "date",
        "overall_score",
        "setting",
        "client_pairs",
        "client_difference",
        "therapist_score",
        "client_score",
        "contextual_score",
    )
    points, stored = [], {}
    for pk, date, overall, setting, pairs, difference, *domain_scores in rows:
        points.append(
            rules.Point(
                id=pk,
                date=date,
                overall=overall,
                setting=setting,
                ratings=ratings.get(pk, {}),
                domains=dict(zip(scoring.DOMAINS, domain_scores, strict=True)),
                client_ratings=theirs.get(pk, {}),
            )
        )
        stored[pk] = (pairs, difference)
    return points, stored


def measure_inputs(client: Client) -> rules.Measures:
    """The client's progress-measure responses (oldest first; voided sessions' kept,
    marked not counted) and the scoring rules of the instruments in use (active or answered:
    switching one off stops it being asked, never read) (one query; three with any response)."""
    rows = (
        MeasureResponse.objects.filter(client=client)
        .order_by("session__date", "session_id", "created_at", "pk")
        .values_list(
            "pk",
            "session_id",
            "session__date",
            "session__voided_at",
            "instrument__key",
            "total",
            "safety",
            "source",
            "answered",
            "created_at",
        )
    )
    responses = [
        rules.Response(
            id=pk,
            session_id=session_id,
            date=day,
            instrument=key,
            total=total,
            safety=safety,
            counted=voided_at is None,
            source=source,
            answered=answered,
            at=at,
        )
        for pk, session_id, day, voided_at, key, total, safety, source, answered, at in rows
    ]
    if not responses:  # most clients, most of the time: no need for the instruments
        return rules.Measures()
    return rules.Measures(rules=Instrument.objects.in_use().rules(), responses=responses)


def refresh_flags(client: Client, locked: bool = False, appended: TherapySession | None = None) -> list[Flag]:
    """Bring the client's stored flags and summary up to date with their series.

    Called inside every write's transaction, under the client's lock (taken
    here unless the caller already holds it). The rules walk the whole series,
    so a back-dated, edited or voided session re-labels everything after it;
    only for a session `appended` after the latest one is the stored walk
    (FlagWalk) taken up, reading and walking that session alone. Either way the
    result equals a walk from nothing (tests/test_flag_refresh.py). Rows are
    written per identity: an identity that stays keeps its row. Returns the
    flags that may have changed: all of them after a whole walk.
    """
    with transaction.atomic(savepoint=False):
        return _refresh(client if locked else lock_client(client.pk), appended)


def _refresh(client: Client, appended: TherapySession | None) -> list[Flag]:
    t, domain_of = thresholds(), dict(Factor.objects.values_list("key", "domain"))
    fingerprint = state.fingerprint(t, domain_of)
    data = _walk_to_take_up(client, appended, fingerprint)
    walk = rules.Walk(t, domain_of) if data is None else state.load(data, t, domain_of)
    latest_index = None if data is None else data["latest_index"]
    points, stored = _series(client, walk.after)
    for point in points:
        walk.feed(point)
        latest_index = point.overall if point.overall is not None else latest_index
    _store_co_ratings(points, stored)
    reviews = list(FlagReview.objects.filter(client=client).select_related("as_of_session"))
    marks, measures = marks_for(reviews), measure_inputs(client)
    # The client's own voice changes only with their answers or the "discussed" marks:
    # after a taken-up walk of sessions they did not rate, with the marks as they were
    # when the walk was stored, its flags stand as stored (the open ones are read back,
    # with the rows that may change, for the summary and the off-track rule; the closed
    # ones are neither read nor rewritten). Every writer of answers or marks walks the
    # whole series anyway; the digest keeps this true for one that would not.
    discussed = state.marks_digest(marks)
    voice = (
        data is None
        or data.get("discussed") != discussed
        or any(v is not None for p in points for v in p.client_ratings.values())
    )
    walked = walk.flags(marks, voice=None if voice else [])
    stored = client.flags.all()
    if data is not None:  # the rows that may change: the rest closed before the walk and stay as they are
        # (the measures' flags are all read: every other flag wanted is one of the walk's)
        again = CLIENT_KINDS if voice else MEASURE_KINDS
        stored = stored.filter(Q(status=Status.OPEN) | Q(kind__in=again) | Q(key__in=[f.identity for f in walked]))
    stored = {f.key: f for f in stored}
    if not voice:
        as_stored = [f.as_rule() for f in stored.values() if f.kind in VOICE_KINDS and f.is_open]
        walked = walk.flags(marks, voice=as_stored)
    found = rules.with_measures(
        walked,
        _counted_sessions(client) if measures.responses else [],
        measures,
        domain_of,
        marks,
        discharged=client.status == Client.Status.DISCHARGED,
    )
    wanted = apply_reviews([Flag.from_rules(client, f, domain_of) for f in found], reviews)
    _write(wanted, stored)
    _set_summary(client, walk.position, walk.after, latest_index, wanted)
    Client.objects.filter(pk=client.pk).update(**{name: getattr(client, name) for name in SUMMARY_FIELDS})
    kept = {**state.dump(walk), "latest_index": latest_index, "discussed": discussed}
    if not FlagWalk.objects.filter(client=client).update(fingerprint=fingerprint, data=kept):
        FlagWalk.objects.create(client=client, fingerprint=fingerprint, data=kept)
    return wanted


def _counted_sessions(client: Client) -> list[rules.Point]:
    """The client's counted sessions as bare points (id and date), oldest first: what
    the off-track rule counts (one query of two columns, only for a client with measures)."""
    rows = client.sessions.filter(voided_at__isnull=True).order_by("date", "pk").values_list("pk", "date")
    return [rules.Point(id=pk, date=day) for pk, day in rows]


def _walk_to_take_up(client: Client, appended: TherapySession | None, fingerprint: str) -> dict | None:
    """The stored walk, if `appended` is the only change since it: a new session after
    its latest one, for an active client whose stored summary counts what it walked."""
    if appended is None or client.status != Client.Status.ACTIVE:
        return None
    data = FlagWalk.objects.filter(client=client, fingerprint=fingerprint).values_list("data", flat=True).first()
    if data is None or data["position"] == 0:
        return None
    day, pk = data["after"]
    if (data["position"], day, pk) != (client.session_count, str(client.last_session_on), client.latest_session_id):
        return None  # written before the stored summary last changed: walk the whole series
    if (str(appended.date), appended.pk) <= (day, pk):
        return None  # back-dated: the sessions after it are walked again
    return data


def _store_co_ratings(points: list[rules.Point], stored: dict[int, tuple[int, int]]):
    """Keep each walked session's co-rating (TherapySession.client_pairs, client_difference)
    equal to its ratings beside the answers that count: one UPDATE per session that changed
    (an answer given, a rating edited; none on most saves). Every write of ratings or
    answers ends in refresh_flags, which walks at least the sessions they touch."""
    for point in points:
        pairs, difference = scoring.co_rating(point.ratings, point.client_ratings)
        if stored[point.id] != (pairs, difference):
            TherapySession.objects.filter(pk=point.id).update(client_pairs=pairs, client_difference=difference)


def _write(wanted: list[Flag], stored: dict[str, Flag]):
    """Delete the stored rows no longer wanted, update those that changed, create the new."""
    keep = {f.key for f in wanted}
    gone = [f.pk for key, f in stored.items() if key not in keep]
    if gone:
        Flag.objects.filter(pk__in=gone).delete()
    for flag in wanted:
        old = stored.get(flag.key)
        if old is not None:
            flag.pk = old.pk
            changed = [a for name, a in FLAG_ATTRS if _differs(name, getattr(flag, a), getattr(old, a))]
            if changed:  # one UPDATE of what changed (bulk_update's CASE over every field costs more)
                Flag.objects.filter(pk=flag.pk).update(**{attname: getattr(flag, attname) for attname in changed})
    Flag.objects.bulk_create([f for f in wanted if f.pk is None])


def _differs(name: str, new, was) -> bool:
    """Whether a stored value must be rewritten: JSON is compared as text when it is not
    equal as it stands (the rules give tuples where the stored JSON has lists); a row whose
    values all match is not rewritten."""
    if new == was:
        return False
    return name not in JSON_FIELDS or json.dumps(new, sort_keys=True) != json.dumps(was, sort_keys=True)


def set_summary(client: Client, points: list[rules.Point], flags: list[Flag]):
    """The stored summary from a chronological series and its flags."""
    indexed = [p for p in points if p.overall is not None]
    after = (points[-1].date, points[-1].id) if points else None
    _set_summary(client, len(points), after, indexed[-1].overall if indexed else None, flags)


def _set_summary(client: Client, count: int, after: tuple | None, latest_index: float | None, flags: list[Flag]):
    """The stored summary: the number of sessions, the latest one ((date, id)), the latest
    index and, from `flags` (every open one among them), what the queues read."""
    in_queue = [f for f in flags if f.is_open and not f.quiet]
    client.session_count = count
    client.last_session_on, client.latest_session_id = after or (None, None)
    client.latest_index = latest_index
    client.top_urgency = max((f.urgency for f in in_queue), default=0)
    client.open_flag_count = len(in_queue)
    client.set_idle_since()

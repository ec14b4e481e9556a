"""Writing the record: the one path from a form (or a command) to the database
for sessions, client edits, discharges and voids.

`save_session` writes the session, one rating per factor, the stored scores
and the client's flags in one transaction, audits the rating rows it writes in
bulk, and refuses an edit based on a version someone else has since changed.
`save_client` does the same version check for a client's own fields;
`discharge` and `void_session` close what they end, all or nothing.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit import log
from clients.models import Client, Rating, TherapySession
from factors import scoring
from factors.models import Factor
from selfreport.models import SelfReportLink

SCORE_FIELDS = ["therapist_score", "client_score", "contextual_score", "overall_score"]


class StaleSessionError(Exception):
    """The session changed since the editor opened it."""


class VoidedSessionError(StaleSessionError):
    """The session was voided: it can no longer be edited."""


class StaleClientError(Exception):
    """The client changed since the editor opened it."""


@transaction.atomic
def save_session(session: TherapySession, ratings: dict[Factor, tuple[int | None, str]], expected_version=None):
    """Save `session` with its ratings, scores and flags, all or nothing.

    `ratings` maps each factor to (score or None, note); factors left out keep
    their rating. With `expected_version`, an existing session is only updated
    if nobody saved it since that version (checked in the UPDATE itself).
    """
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
    session.client.refresh_flags()


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
    claimed = Client.objects.filter(pk=client.pk, version=expected_version).update(version=F("version") + 1)
    if not claimed:
        raise StaleClientError(client.pk)
    was_active = Client.objects.filter(pk=client.pk, status=Client.Status.ACTIVE).exists()
    client.version = expected_version + 1
    client.save(update_fields=[*fields, "updated_at"])  # never the stored summary, which sessions write
    if was_active and client.status == Client.Status.DISCHARGED:
        close_at_discharge(client)


@transaction.atomic
def discharge(client: Client) -> bool:
    """Discharge an active client (False if they already were): the status, a new
    version (an edit opened before is refused) and what closes with it."""
    claimed = Client.objects.filter(pk=client.pk, status=Client.Status.ACTIVE).update(version=F("version") + 1)
    if not claimed:
        return False
    client.status = Client.Status.DISCHARGED
    client.save(update_fields=["status", "updated_at"])  # audited by the model receivers
    client.version = Client.objects.values_list("version", flat=True).get(pk=client.pk)
    close_at_discharge(client)
    return True


def close_at_discharge(client: Client):
    """What a discharge ends: the client's self-report links that still wait for an answer."""
    _close_links(SelfReportLink.objects.filter(session__client=client))


@transaction.atomic
def void_session(session: TherapySession, user, reason: str):
    """Void a session logged in error: it is kept (record, audit, backup), marked with
    when, who and why, closes its open self-report links and leaves every series,
    score and flag of its client, which are recomputed in the same transaction.
    Raises VoidedSessionError if it already was voided."""
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
    session.client.refresh_flags()


def _close_links(links):
    """Close the still-open links among `links` (a bulk update, so audited here)."""
    now = timezone.now()
    ids = list(links.open(now).values_list("pk", flat=True))
    if not ids:
        return
    SelfReportLink.objects.open(now).filter(pk__in=ids).update(closed_at=now)
    closed = SelfReportLink.objects.filter(pk__in=ids, closed_at=now).select_related("session")
    log.record_many(
        [
            log.event(
                log.Action.UPDATE, link, client_id=link.session.client_id, changes={"closed_at": [None, str(now)]}
            )
            for link in closed
        ]
    )

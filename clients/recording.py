"""Writing a session: the one path from a form (or a command) to the database.

`save_session` writes the session, one rating per factor, the stored scores
and the client's flags in one transaction, audits the rating rows it writes in
bulk, and refuses an edit based on a version someone else has since changed.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit import log
from clients.models import Rating, TherapySession
from factors import scoring
from factors.models import Factor

SCORE_FIELDS = ["therapist_score", "client_score", "contextual_score", "overall_score"]


class StaleSessionError(Exception):
    """The session changed since the editor opened it."""


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
    updated = TherapySession.objects.filter(pk=session.pk, version=expected_version).update(
        date=session.date,
        setting=session.setting,
        note=session.note,
        updated_at=timezone.now(),
        version=F("version") + 1,
    )
    if not updated:
        raise StaleSessionError(session.pk)
    session.version = expected_version + 1
    after = {"date": session.date, "setting": session.setting, "note": session.note}
    changes = log.diff("clients.therapysession", before, after)
    if changes:
        log.record(log.Action.UPDATE, session, changes=changes)

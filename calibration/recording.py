"""The one write path of calibration: observations and vignette attempts, audited.

An observation changes no flag and no score of the client, so it takes no
lock on the client (clients.recording.lock_client): the database's unique
(session, observer) constraint is what stops a second observation.
"""

from django.db import IntegrityError, transaction

from audit import log
from calibration.models import Observation, ObservationRating, VignetteAttempt, VignetteAttemptRating


class AlreadyObserved(Exception):
    """This observer has already observed this session."""


def save_observation(session, observer, note, ratings) -> Observation:
    """`ratings` maps Factor -> 1-5 or None. One transaction: the observation, its ratings and their audit rows."""
    try:
        with transaction.atomic():
            observation = Observation.objects.create(session=session, observer=observer, note=note)
            rows = ObservationRating.objects.bulk_create(
                ObservationRating(observation=observation, factor=factor, rating=rating)
                for factor, rating in ratings.items()
            )
            client_id = session.client_id
            log.record_many(
                [
                    log.event(
                        log.Action.CREATE,
                        observation,
                        client_id=client_id,
                        changes={
                            "session": session.pk,
                            "observer": observer.pk,
                            **({"note": log.CHANGED} if note else {}),
                        },
                    ),
                    *[
                        log.event(
                            log.Action.CREATE,
                            row,
                            client_id=client_id,
                            changes={"observation": observation.pk, "factor": row.factor.key, "rating": row.rating},
                        )
                        for row in rows
                    ],
                ]
            )
    except IntegrityError as error:
        if Observation.objects.filter(session=session, observer=observer).exists():
            raise AlreadyObserved from error
        raise
    return observation


def save_attempt(vignette, clinician, ratings) -> VignetteAttempt:
    """A clinician's ratings of a vignette (no client data; audited all the same)."""
    with transaction.atomic():
        attempt = VignetteAttempt.objects.create(vignette=vignette, clinician=clinician)
        reference = dict(vignette.references.values_list("factor_id", "rating"))
        VignetteAttemptRating.objects.bulk_create(
            VignetteAttemptRating(attempt=attempt, factor=factor, rating=rating, reference=reference.get(factor.pk))
            for factor, rating in ratings.items()
        )
        log.record(
            log.Action.CREATE,
            attempt,
            changes={"vignette": vignette.pk, "ratings": {f.key: r for f, r in ratings.items()}},
        )
    return attempt

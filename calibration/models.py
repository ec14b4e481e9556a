"""Calibration: a supervisor's blind observation of a session, and written vignettes with
reference ratings that clinicians rate to see where they differ.

Observations sit beside the clinician's ratings of the same session; the
agreement between the two (and with the client's own answers) is computed by
calibration/agreement.py from the pairs calibration/pairs.py reads.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from factors.models import Factor

NOTE_MAX_LENGTH = 2000
RATING_NOTE_MAX_LENGTH = 200


def _rating_range(name):
    return models.CheckConstraint(
        condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name=f"calibration_{name}_rating_1_5"
    )


class ObservationQuerySet(models.QuerySet):
    def for_user(self, user):
        """Observations of sessions `user` may see: the treating clinician's and the team supervisor's."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        visible = Q(session__client__clinician=user)
        if user.role == user.Role.SUPERVISOR:
            visible |= Q(session__client__clinician__team__supervisor=user)
        return self.filter(visible)

    def with_ratings(self):
        return self.select_related("observer", "session__client").prefetch_related("ratings__factor")


class Observation(models.Model):
    """A supervisor's ratings of a session they observed or reviewed on recording (blind to the clinician's)."""

    session = models.ForeignKey("clients.TherapySession", on_delete=models.CASCADE, related_name="observations")
    observer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="observations")
    note = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ObservationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "observer"], name="calibration_one_observation_per_observer"),
        ]

    def __str__(self):
        return f"Observation of {self.session} by {self.observer}"

    @property
    def scores(self) -> dict[str, int | None]:
        return {r.factor.key: r.rating for r in self.ratings.all()}


class ObservationRating(models.Model):
    """One factor of an observation: 1-5, or null for "not assessed"."""

    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="ratings")
    factor = models.ForeignKey(Factor, on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["factor__order"]
        constraints = [
            models.UniqueConstraint(fields=["observation", "factor"], name="calibration_observation_one_per_factor"),
            _rating_range("observation"),
        ]

    def __str__(self):
        return f"{self.factor}: {self.rating if self.rating is not None else 'not assessed'}"


class VignetteQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Vignette(models.Model):
    """A short written session for clinicians to rate, with reference ratings set by a supervisor (admin)."""

    title = models.CharField(max_length=120)
    theme = models.CharField(max_length=60, blank=True, help_text="What it is about, e.g. a rupture.")
    text = models.TextField(max_length=4000, help_text="The session as a clinician would recall it, in plain words.")
    rationale = models.TextField(
        max_length=2000, blank=True, help_text="Why the reference ratings are what they are; shown after rating."
    )
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True, help_text="Offered to clinicians.")

    objects = VignetteQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self):
        return self.title

    @property
    def reference(self) -> dict[str, int | None]:
        return {r.factor.key: r.rating for r in self.references.all()}


class VignetteReference(models.Model):
    """The reference rating of one factor in a vignette (null: the text does not let one judge it)."""

    vignette = models.ForeignKey(Vignette, on_delete=models.CASCADE, related_name="references")
    factor = models.ForeignKey(Factor, on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["factor__order"]
        constraints = [
            models.UniqueConstraint(fields=["vignette", "factor"], name="calibration_reference_one_per_factor"),
            _rating_range("reference"),
        ]

    def __str__(self):
        return f"{self.vignette}: {self.factor} {self.rating}"


class VignetteAttemptQuerySet(models.QuerySet):
    def for_user(self, user):
        """A clinician's own attempts; a supervisor's, and those of their team."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        visible = Q(clinician=user)
        if user.role == user.Role.SUPERVISOR:
            visible |= Q(clinician__team__supervisor=user)
        return self.filter(visible)


class VignetteAttempt(models.Model):
    """One clinician's ratings of one vignette (they may rate it again: every attempt is kept)."""

    vignette = models.ForeignKey(Vignette, on_delete=models.PROTECT, related_name="attempts")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="vignette_attempts")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VignetteAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.clinician} on {self.vignette}"

    @property
    def scores(self) -> dict[str, int | None]:
        return {r.factor.key: r.rating for r in self.ratings.all()}

    @property
    def reference(self) -> dict[str, int | None]:
        """The reference as it stood when the attempt was made (a later edit changes no past comparison)."""
        return {r.factor.key: r.reference for r in self.ratings.all()}


class VignetteAttemptRating(models.Model):
    attempt = models.ForeignKey(VignetteAttempt, on_delete=models.CASCADE, related_name="ratings")
    factor = models.ForeignKey(Factor, on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    reference = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The vignette's reference rating of the factor when the attempt was made."
    )

    class Meta:
        ordering = ["factor__order"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "factor"], name="calibration_attempt_one_per_factor"),
            _rating_range("attempt"),
            models.CheckConstraint(
                condition=Q(reference__isnull=True) | Q(reference__gte=1, reference__lte=5),
                name="calibration_attempt_reference_1_5",
            ),
        ]

    def __str__(self):
        return f"{self.factor}: {self.rating}"

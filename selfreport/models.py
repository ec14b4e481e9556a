"""One-time links through which a client rates their side of a session.

Only a hash of each link's token is stored: the link itself is shown once,
to the clinician who made it. A link works once and expires.

The questions are rows of `Question` (seeded by migration, editable in the
admin): each has a `key`, the name its answers go by everywhere else - the
factor's key for a question about a factor, its own key (e.g. "goals") for a
question about no factor. An answer points at the question as it was worded
when the client saw it: a rewording is a new row, the old one made inactive.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from factors.models import Factor

# The client-facing scale: plain words, 1 to 5.
CLIENT_SCALE = [(1, "Not at all"), (2, "A little"), (3, "Somewhat"), (4, "Mostly"), (5, "Completely")]
COMMENT_MAX_LENGTH = 1000


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class QuestionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True).select_related("factor").order_by("order", "pk")

    def asked_factor_keys(self) -> set[str]:
        """The keys of the factors clients are asked about now."""
        return set(self.filter(active=True, factor__isnull=False).values_list("factor__key", flat=True))

    def names(self) -> dict[str, str]:
        """{answer key: the short name clinicians see}, over every question ever asked."""
        return {q.key: q.name for q in self.select_related("factor").order_by("active", "pk")}


class Question(models.Model):
    """One question on the client's self-report, answered 1-5 (see CLIENT_SCALE)."""

    key = models.SlugField(
        max_length=40,
        blank=True,
        help_text="The name its answers go by: set to the factor's key for a question about a factor; "
        "otherwise a key of its own that no factor has (e.g. goals).",
    )
    factor = models.ForeignKey(
        Factor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="client_questions",
        help_text="The factor the answer is set beside; blank for a question about no factor.",
    )
    label = models.CharField(
        max_length=60, blank=True, help_text="Short name clinicians see beside the answer; blank: the factor's name."
    )
    text = models.CharField(
        max_length=200,
        help_text="Plain words, one idea, for a reading age of about 11. To change what is asked, "
        "add a new question and untick this one: answers keep the wording the client saw.",
    )
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True, help_text="Asked on new self-report links.")

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(active=True), name="selfreport_one_active_question_per_key"
            ),
        ]

    def __str__(self):
        return self.text

    def save(self, *args, **kwargs):
        if self.factor_id:
            self.key = self.factor.key
        super().save(*args, **kwargs)

    @property
    def name(self) -> str:
        return self.label or (self.factor.name if self.factor_id else self.key)

    def clean(self):
        if self.factor_id:
            self.key = self.factor.key
        elif not self.key:
            raise ValidationError({"key": "Give a question about no factor a key of its own (e.g. goals)."})
        elif Factor.objects.filter(key=self.key).exists():
            raise ValidationError({"key": "A factor has this key: choose the factor, or another key."})
        elif not self.label:
            raise ValidationError({"label": "Give a question about no factor a short name for clinicians."})
        clash = Question.objects.filter(key=self.key, active=True).exclude(pk=self.pk)
        if self.active and clash.exists():
            raise ValidationError("Another active question has this key: untick it first.")


class SelfReportLinkQuerySet(models.QuerySet):
    def by_token(self, token):
        return self.filter(token_hash=hash_token(token)).select_related("session__client").first()

    def answer_shown_for(self, session_id):
        """The answered link whose answers count for a session (the latest), or None."""
        return self.filter(session_id=session_id, used_at__isnull=False).order_by("-used_at", "-pk").first()

    def open(self, now=None):
        """Links that still accept an answer: not used, not closed, not expired."""
        return self.filter(used_at__isnull=True, closed_at__isnull=True, expires_at__gt=now or timezone.now())


class SelfReportLink(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Waiting for the client"
        USED = "used", "Answered"
        EXPIRED = "expired", "Expired unused"
        CLOSED = "closed", "Closed unanswered"  # the client was discharged or the session voided

    session = models.ForeignKey("clients.TherapySession", on_delete=models.CASCADE, related_name="self_report_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(
        max_length=COMMENT_MAX_LENGTH,
        blank=True,
        editable=False,
        help_text="What the client wrote in the free-text box: clinical text, shown only on the client page.",
    )
    # Set when the client is discharged or the session voided before an answer came (clients.recording).
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SelfReportLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Self-report link for {self.session}"

    @classmethod
    def create_for(cls, session, user, hours=None):
        """A new link; returns (link, token). The token is never stored, only its hash."""
        token = secrets.token_urlsafe(32)
        hours = hours or settings.SELF_REPORT_LINK_HOURS
        link = cls.objects.create(
            session=session,
            token_hash=hash_token(token),
            created_by=user,
            expires_at=timezone.now() + timedelta(hours=hours),
        )
        return link, token

    @property
    def state(self):
        if self.used_at:
            return self.State.USED
        if self.closed_at:
            return self.State.CLOSED
        if timezone.now() >= self.expires_at:
            return self.State.EXPIRED
        return self.State.OPEN

    def get_state_display(self):
        return self.State(self.state).label


class SelfReportRatingQuerySet(models.QuerySet):
    def latest_by_session(self, client_id) -> dict[int, dict[str, int | None]]:
        """A client's own answers, {session id: {question key: score or None}}: the key
        is the factor's key for a question about a factor, else the question's own
        (e.g. "goals"). Where a session has several answered links, the latest
        answered one counts; a voided session has none."""
        answers: dict[int, dict[str, int | None]] = {}
        latest_link: dict[int, int] = {}
        for session_id, link_id, key, score in (
            self.filter(link__session__client_id=client_id, link__used_at__isnull=False, link__session__voided_at=None)
            .order_by("link__used_at", "link_id", "question__order", "question_id")  # questions in page order
            .values_list("link__session_id", "link_id", "question__key", "score")
        ):
            if latest_link.get(session_id) != link_id:
                latest_link[session_id] = link_id
                answers[session_id] = {}
            answers[session_id][key] = score
        return answers


class SelfReportRating(models.Model):
    """The client's answer to one question through one link (null: they skipped it)."""

    link = models.ForeignKey(SelfReportLink, on_delete=models.CASCADE, related_name="ratings")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = SelfReportRatingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "question"], name="selfreport_one_rating_per_question"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="selfreport_score_1_5",
            ),
        ]

    def __str__(self):
        return f"{self.question.key}: {self.score}"

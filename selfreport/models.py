"""One-time links through which a client rates their side of a session.

Only a hash of each link's token is stored: the link itself is shown once,
to the clinician who made it. A link works once and expires.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

# The client-facing scale: plain words, 1 to 5.
CLIENT_SCALE = [(1, "Not at all"), (2, "A little"), (3, "Somewhat"), (4, "Mostly"), (5, "Completely")]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SelfReportLinkQuerySet(models.QuerySet):
    def by_token(self, token):
        return self.filter(token_hash=hash_token(token)).select_related("session__client").first()

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
        """A client's own answers, {session id: {factor key: score or None}}; where a
        session has several answered links, the latest answered one counts (voided sessions: none)."""
        answers: dict[int, dict[str, int | None]] = {}
        latest_link: dict[int, int] = {}
        for session_id, link_id, key, score in (
            self.filter(link__session__client_id=client_id, link__used_at__isnull=False, link__session__voided_at=None)
            .order_by("link__used_at", "link_id")
            .values_list("link__session_id", "link_id", "factor__key", "score")
        ):
            if latest_link.get(session_id) != link_id:
                latest_link[session_id] = link_id
                answers[session_id] = {}
            answers[session_id][key] = score
        return answers


class SelfReportRating(models.Model):
    """The client's rating of one factor through one link (null: they skipped it)."""

    link = models.ForeignKey(SelfReportLink, on_delete=models.CASCADE, related_name="ratings")
    factor = models.ForeignKey("factors.Factor", on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = SelfReportRatingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "factor"], name="selfreport_one_rating_per_factor"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="selfreport_score_1_5",
            ),
        ]

    def __str__(self):
        return f"{self.factor}: {self.score}"

from django.conf import settings
from django.db import models


class ReviewNoteQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class ReviewNote(models.Model):
    """A supervisor's note on a client, optionally about one of its flags.

    `flag_key` names the flag (clients.Flag.key) so that "reviewed" survives the
    flags being recomputed; `flag_label` keeps how it read when the note was
    written. `read_at` is set when the treating clinician marks it read.
    """

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="review_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=2000)
    flag_key = models.CharField(max_length=80, blank=True)
    flag_label = models.CharField(max_length=120, blank=True)
    marks_reviewed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["client", "read_at"], name="reviewnote_client_read")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(marks_reviewed=False) | ~models.Q(flag_key=""),
                name="reviewnote_reviewed_needs_flag",
            ),
        ]

    def __str__(self):
        return f"{self.client}: note by {self.author}"

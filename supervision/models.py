from django.conf import settings
from django.db import models


class ReviewNoteQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class ReviewNote(models.Model):
    """A supervisor's note on a client. `read_at` is set when the treating
    clinician marks it read. (Marks on flags are flags.FlagReview.)"""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="review_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["client", "read_at"], name="reviewnote_client_read")]

    def __str__(self):
        return f"{self.client}: note by {self.author}"

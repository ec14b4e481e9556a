from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditImmutableError(Exception):
    """Raised on any attempt to change or delete an audit row."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditImmutableError("Audit rows cannot be changed.")

    def delete(self):
        raise AuditImmutableError("Audit rows cannot be deleted.")

    def for_client(self, client_id):
        return self.filter(client_id=client_id)


class AuditEvent(models.Model):
    """One audited action: who, what, which action, what changed, when (UTC), from where.

    `changes` names the fields that changed with their old and new values,
    except clinical free text, which is only marked as changed. Rows are
    written once and never changed or deleted by the app (see save/delete).
    """

    class Action(models.TextChoices):
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        DELETE = "delete", "Delete"
        VIEW = "view", "View record"
        EXPORT = "export", "Export"
        LOGIN = "login", "Login"
        LOGOUT = "logout", "Logout"
        LOGIN_FAILED = "login_failed", "Failed login"
        LOCKOUT = "lockout", "Lockout"
        DENIED = "denied", "Access denied"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True, help_text="As typed for failed logins.")
    ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    client_id = models.BigIntegerField(null=True, blank=True, db_index=True, help_text="The client record concerned.")
    changes = models.JSONField(default=dict, blank=True)
    path = models.CharField(max_length=300, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["actor_username", "at"], name="audit_actor_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditImmutableError("Audit rows cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutableError("Audit rows cannot be deleted.")

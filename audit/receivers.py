"""Signal receivers that feed the audit trail: model changes and logins.

Bulk writes bypass these signals; their callers audit explicitly
(TherapySession.save_with_ratings for ratings, review_notes_read, restore).
"""

from django.apps import apps
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save

from audit import log

TRACKED = [
    "clients.Client",
    "clients.TherapySession",
    "clients.Rating",
    "clients.PromptTrial",
    "supervision.ReviewNote",
    "selfreport.SelfReportLink",
    "flags.FlagReview",
]


def _before(sender, instance, raw=False, update_fields=None, **kwargs):
    instance._audit_before = {}
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and set(update_fields) <= log.IGNORED:
        instance._audit_skip = True  # derived fields only (stored scores)
        return
    old = sender._base_manager.filter(pk=instance.pk).first()
    instance._audit_before = log.field_values(old) if old else {}


def _after(sender, instance, created, raw=False, **kwargs):
    if raw or getattr(instance, "_audit_skip", False):
        instance._audit_skip = False
        return
    label = sender._meta.label_lower
    after = log.field_values(instance)
    if created:
        changes = log.diff(label, {}, {k: v for k, v in after.items() if v not in (None, "")})
    else:
        changes = log.diff(label, getattr(instance, "_audit_before", {}), after)
        if not changes:
            return
    log.record(log.Action.CREATE if created else log.Action.UPDATE, instance, changes=changes)


def _deleted(sender, instance, **kwargs):
    log.record(log.Action.DELETE, instance)


def _logged_in(sender, request, user, **kwargs):
    log.record(log.Action.LOGIN, user=user, request=request, object_type="accounts.user")


def _logged_out(sender, request, user, **kwargs):
    log.record(log.Action.LOGOUT, user=user, request=request, object_type="accounts.user")


def _login_failed(sender, credentials, request=None, **kwargs):
    log.record(log.Action.LOGIN_FAILED, username=str(credentials.get("username", ""))[:150], request=request)


def _locked_out(sender, request, username, ip_address, **kwargs):
    log.record(log.Action.LOCKOUT, username=str(username or "")[:150], request=request)


def connect():
    for label in TRACKED:
        model = apps.get_model(label)
        pre_save.connect(_before, sender=model, dispatch_uid=f"audit.before.{label}")
        post_save.connect(_after, sender=model, dispatch_uid=f"audit.after.{label}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"audit.deleted.{label}")
    user_logged_in.connect(_logged_in, dispatch_uid="audit.login")
    user_logged_out.connect(_logged_out, dispatch_uid="audit.logout")
    user_login_failed.connect(_login_failed, dispatch_uid="audit.login_failed")
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="audit.lockout")

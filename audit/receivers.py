"""Signal receivers that feed the audit trail: model changes, deletions, group grants, logins
and the second factor (accounts.signals).

Bulk writes bypass these signals; their callers audit explicitly
(clients.recording.save_session for ratings, review_notes_read, flag marks, restore).
"""

from axes.signals import user_locked_out
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_delete, pre_save

from accounts import signals as account_signals
from alliance import datamap
from audit import log

# Models whose creations and changes are audited field by field.
TRACKED = [
    "clients.Client",
    "clients.TherapySession",
    "clients.Rating",
    "clients.PromptTrial",
    "supervision.ReviewNote",
    "selfreport.SelfReportLink",
    "flags.FlagReview",
    "factors.Factor",  # the instrument, edited in the admin
    "factors.Prompt",
    "selfreport.Question",
]


def _before(sender, instance, raw=False, update_fields=None, using=None, **kwargs):
    instance._audit_before = {}
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and set(update_fields) <= log.IGNORED:
        instance._audit_skip = True  # derived fields only (stored scores)
        return
    old = sender._base_manager.using(using).filter(pk=instance.pk).first()
    instance._audit_before = log.field_values(old) if old else {}


def _after(sender, instance, created, raw=False, using=None, **kwargs):
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
    log.record(log.Action.CREATE if created else log.Action.UPDATE, instance, changes=changes, using=using)


def _deleting(sender, instance, using=None, **kwargs):
    """Before any deletion, a cascade's included: the row as it was (free text only marked)."""
    label = sender._meta.label_lower
    log.record(log.Action.DELETE, instance, changes=log.removed(label, log.field_values(instance)), using=using)


def _groups_changed(sender, instance, action, reverse, model, pk_set, using=None, **kwargs):
    """Who was given or lost a group (the Privacy officers group opens the audit trail)."""
    if log.is_restoring() or action not in ("post_add", "post_remove", "pre_clear"):
        return
    if action == "pre_clear":
        pk_set = set(getattr(instance, "user_set" if reverse else "groups").values_list("pk", flat=True))
    verb = "added" if action == "post_add" else "removed"
    if reverse:  # group.user_set.add(...): the instance is the group, pk_set the users
        pairs = [(user_pk, [instance.name]) for user_pk in sorted(pk_set or ())]
    else:
        names = sorted(model._base_manager.using(using).filter(pk__in=pk_set or ()).values_list("name", flat=True))
        pairs = [(instance.pk, names)] if names else []
    log.record_many(
        [
            log.event(
                log.Action.UPDATE, object_type="accounts.user", object_id=user_pk, changes={f"groups {verb}": names}
            )
            for user_pk, names in pairs
        ],
        using=using,
    )


def _logged_in(sender, request, user, **kwargs):
    log.record(log.Action.LOGIN, user=user, request=request, object_type="accounts.user")


def _logged_out(sender, request, user, **kwargs):
    log.record(log.Action.LOGOUT, user=user, request=request, object_type="accounts.user")


def _login_failed(sender, credentials, request=None, second_factor=False, **kwargs):
    """A wrong password, or (second_factor) a wrong code at the second step."""
    log.record(
        log.Action.LOGIN_FAILED,
        username=str(credentials.get("username", ""))[:150],
        request=request,
        changes={"second factor": "wrong code"} if second_factor else None,
    )


def _second_factor(sender, user, request, event, actor=None, details=None, **kwargs):
    """Enrolment, reset, new recovery codes, a recovery code used, a wrong code at enrolment:
    one row on the user, by whoever did it (the administrator for a reset)."""
    action = log.Action.LOGIN_FAILED if event == account_signals.ENROLMENT_CODE_FAILED else log.Action.UPDATE
    log.record(
        action,
        user=actor or user,
        request=request,
        object_type="accounts.user",
        object_id=user.pk,
        changes={"second factor": event, **(details or {})},
    )


def _locked_out(sender, request, username, ip_address, **kwargs):
    log.record(log.Action.LOCKOUT, username=str(username or "")[:150], request=request)


def connect():
    for label in TRACKED:
        model = apps.get_model(label)
        pre_save.connect(_before, sender=model, dispatch_uid=f"audit.before.{label}")
        post_save.connect(_after, sender=model, dispatch_uid=f"audit.after.{label}")
    for model in datamap.deletion_audited_models():
        pre_delete.connect(_deleting, sender=model, dispatch_uid=f"audit.deleting.{model._meta.label_lower}")
    m2m_changed.connect(_groups_changed, sender=get_user_model().groups.through, dispatch_uid="audit.groups")
    user_logged_in.connect(_logged_in, dispatch_uid="audit.login")
    user_logged_out.connect(_logged_out, dispatch_uid="audit.logout")
    user_login_failed.connect(_login_failed, dispatch_uid="audit.login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="audit.lockout")
    account_signals.second_factor_changed.connect(_second_factor, dispatch_uid="audit.second_factor")

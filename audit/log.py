"""Writing the audit trail: the one module the rest of the app calls.

The request being served (set by AuditMiddleware) supplies who and from
where; management commands name themselves with `acting_as`.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from accounts.middleware import client_ip
from audit.models import AuditEvent

Action = AuditEvent.Action
_request = ContextVar("audit_request", default=None)
_system_actor = ContextVar("audit_system_actor", default="")
_restoring = ContextVar("audit_restoring", default=False)

# Fields never audited (derived or bookkeeping) and clinical free text (audited
# as "changed", never with its content), per model label.
IGNORED = {
    "id",
    "created_at",
    "updated_at",
    "version",
    "therapist_score",
    "client_score",
    "contextual_score",
    "overall_score",
    "password",
    "last_login",
    "token_hash",
    "idle_since",  # derived: when "stalled" starts counting
    "stalled_on",
}
FREE_TEXT = {
    "clients.client": {"culture_notes", "support_notes"},
    "clients.therapysession": {"note"},
    "clients.rating": {"note"},
    "supervision.reviewnote": {"text"},
    "flags.flagreview": {"note"},
    "selfreport.selfreportlink": {"comment"},
    "calibration.observation": {"note"},
}
CHANGED = "(changed)"


@contextmanager
def request_context(request):
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


@contextmanager
def acting_as(name):
    """Attribute what happens inside to a named system actor, e.g. "command:seed_demo"."""
    token = _system_actor.set(name)
    try:
        yield
    finally:
        _system_actor.reset(token)


@contextmanager
def restoring():
    """A backup is being restored (alliance.backup): the rows it writes are the backup's,
    audited by the restore itself, so receivers leave them alone."""
    token = _restoring.set(True)
    try:
        yield
    finally:
        _restoring.reset(token)


def is_restoring():
    return _restoring.get()


def _who(request=None, user=None, username=""):
    request = request or _request.get()
    if user is None and request is not None and getattr(request, "user", None) is not None:
        user = request.user if request.user.is_authenticated else None
    if user is not None and not user.pk:
        user = None
    name = username or (user.get_username() if user else "") or _system_actor.get()
    ip = None
    if request is not None:
        ip = client_ip(request) or None
    return user, name, ip, (request.path[:300] if request is not None else "")


def event(
    action,
    obj=None,
    *,
    client_id=None,
    changes=None,
    request=None,
    user=None,
    username="",
    object_type="",
    object_id="",
):
    """An unsaved AuditEvent (for bulk writes); `record` saves one."""
    actor, name, ip, path = _who(request, user, username)
    return AuditEvent(
        actor=actor,
        actor_username=name[:150],
        ip=ip,
        action=action,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=str(object_id or (obj.pk if obj is not None and obj.pk is not None else "")),
        client_id=client_id if client_id is not None else client_of(obj),
        changes=changes or {},
        path=path,
    )


def record(action, obj=None, *, using=None, **kwargs):
    """Write one event; `using` names the database (default: where the app writes)."""
    return AuditEvent.objects.using(using).create(**vars_of(event(action, obj, **kwargs)))


def record_list(page, client_ids, **kwargs):
    """A page listing clients (caseload, queues): one VIEW row naming the clients it showed."""
    return record(Action.VIEW, object_type=page, changes={"clients": sorted(set(client_ids))}, **kwargs)


def record_many(events, using=None):
    """Write events made by `event` in one statement (for bulk operations)."""
    AuditEvent.objects.using(using).bulk_create(events)


def vars_of(e):
    return {f.attname: getattr(e, f.attname) for f in AuditEvent._meta.concrete_fields if f.attname != "id"}


def client_of(obj):
    """The client record an object belongs to, for searching the trail by client."""
    if obj is None:
        return None
    label = obj._meta.label_lower
    if label == "clients.client":
        return obj.pk
    if hasattr(obj, "client_id"):
        return obj.client_id
    if label in ("clients.rating", "selfreport.selfreportlink"):
        return getattr(obj.session, "client_id", None)
    if label == "selfreport.selfreportrating":
        return obj.link.session.client_id
    if label == "measures.itemanswer":
        return obj.response.client_id
    if label == "calibration.observation":
        return obj.session.client_id
    if label == "calibration.observationrating":
        return obj.observation.session.client_id
    return None


def field_values(obj):
    return {f.name: f.value_from_object(obj) for f in obj._meta.concrete_fields if f.name not in IGNORED}


def diff(label, before, after):
    """{field: [old, new]} for changed fields; free text only as "(changed)"."""
    changes = {}
    for name, new in after.items():
        old = before.get(name)
        if old != new:
            if name in FREE_TEXT.get(label, ()):
                changes[name] = CHANGED
            else:
                changes[name] = [_plain(old), _plain(new)]
    return changes


def removed(label, values):
    """{field: [old, None]} for a deleted row; free text only as "(changed)"."""
    return {
        name: CHANGED if name in FREE_TEXT.get(label, ()) else [_plain(value), None]
        for name, value in values.items()
        if value not in (None, "")
    }


def _plain(value):
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)

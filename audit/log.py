"""Writing the audit trail: the one module the rest of the app calls.

The request being served (set by AuditMiddleware) supplies who and from
where; management commands name themselves with `acting_as`.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from audit.models import AuditEvent

Action = AuditEvent.Action
_request = ContextVar("audit_request", default=None)
_system_actor = ContextVar("audit_system_actor", default="")

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


def _who(request=None, user=None, username=""):
    request = request or _request.get()
    if user is None and request is not None and getattr(request, "user", None) is not None:
        user = request.user if request.user.is_authenticated else None
    if user is not None and not user.pk:
        user = None
    name = username or (user.get_username() if user else "") or _system_actor.get()
    ip = None
    if request is not None:
        from accounts.middleware import client_ip

        ip = client_ip(request) or None
    return user, name, ip, (request.path[:300] if request is not None else "")


def event(action, obj=None, *, client_id=None, changes=None, request=None, user=None, username="", object_type=""):
    """An unsaved AuditEvent (for bulk writes); `record` saves one."""
    actor, name, ip, path = _who(request, user, username)
    return AuditEvent(
        actor=actor,
        actor_username=name[:150],
        ip=ip,
        action=action,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        client_id=client_id if client_id is not None else client_of(obj),
        changes=changes or {},
        path=path,
    )


def record(action, obj=None, **kwargs):
    return AuditEvent.objects.create(**vars_of(event(action, obj, **kwargs)))


def record_many(events):
    """Write events made by `event` in one statement (for bulk operations)."""
    AuditEvent.objects.bulk_create(events)


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


def _plain(value):
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)

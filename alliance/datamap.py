"""What the app stores, table by table: what the backup covers and what the audit follows.

Every model of every installed app is backed up unless NOT_BACKED_UP names it
with the reason. So a model added later (a new app included) is in the
backup from its first migration; tests/test_backup.py fails if an exclusion
names no installed model, and its round trip fails if a backed-up model has no
row in the data it restores.

Deletions of every backed-up model are audited row by row (cascades
included), except the audit trail itself and DERIVED tables.
"""

from django.apps import apps
from django.core import serializers

NOT_BACKED_UP = {
    "admin.logentry": "the admin's own change history; every change it lists is also in the audit trail",
    "auth.permission": "made by `migrate` on every server; users and groups refer to permissions by name",
    "contenttypes.contenttype": "made by `migrate` on every server; nothing backed up refers to one by id",
    "sessions.session": "logins in progress; a restored server starts with everyone logged out",
    "axes.accessattempt": "failed-login counters for lockouts; they expire in minutes (failures are audited)",
    "axes.accessattemptexpiration": "when those counters expire",
    "axes.accessfailurelog": "django-axes' failure log (disabled here; failures are audited)",
    "axes.accesslog": "django-axes' login log (disabled here; logins are audited)",
    "clients.flagwalk": "the flag rules' walk of each series, kept to speed up saves; the first save after a "
    "restore walks the whole series again and stores it",
    "accounts.secondfactor": "the authenticator secrets, secrets like passwords but usable without cracking: "
    "after a restore each user who must have a second factor enrols again at their next login",
    "accounts.recoverycode": "the recovery codes of those secrets (hashed), void without them",
}

# Rows that migrations create on every server (the instrument, the audit readers'
# group): the backup's copy is written over them, matched by natural key where
# the model has one (factor key, group name), else by primary key.
SEEDED = {
    "auth.group": "the Privacy officers group is made by audit migration 0002; others are made in the admin",
    "factors.factor": "seeded by factors migration 0002; texts edited in the admin",
    "factors.prompt": "seeded by factors migrations 0004, 0006 and 0008; texts edited and prompts added in the admin",
    "measures.instrument": "PHQ-9 and GAD-7, seeded by measures migration 0002; switched on or off in the admin",
    "measures.item": "seeded by measures migration 0002 (standard wording, read-only in the admin)",
    "measures.responseoption": "seeded by measures migration 0002",
    "measures.band": "seeded by measures migration 0002",
    "measures.crisistext": "seeded by measures migration 0002; edited in the admin",
    "selfreport.question": "seeded by selfreport migrations 0002 and 0005; questions added in the admin",
    "calibration.vignette": "seeded by calibration migration 0002; written and edited in the admin",
    "calibration.vignettereference": "seeded by calibration migration 0002 with its vignettes; edited in the admin",
}

# Recomputed from other tables on every session save: their deletions are not
# audited one by one (what they were derived from is).
DERIVED = {
    "flags.flag": "rebuilt from the client's sessions by clients.recording.refresh_flags on every write",
}

AUDIT_TRAIL = "audit.auditevent"


def label(model):
    return model._meta.label_lower


def backed_up_models():
    """Every installed model the backup covers, in an order that restores (natural-key targets first)."""
    by_app = {}
    for model in apps.get_models():
        if label(model) not in NOT_BACKED_UP:
            by_app.setdefault(model._meta.app_config, []).append(model)
    return serializers.sort_dependencies(list(by_app.items()), allow_cycles=True)


def uses_natural_primary_key(model):
    """Seeded models with a natural key are matched on it, so their ids may differ between servers."""
    return label(model) in SEEDED and hasattr(model, "natural_key")


def deletion_audited_models():
    return [m for m in backed_up_models() if label(m) != AUDIT_TRAIL and label(m) not in DERIVED]

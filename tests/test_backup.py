"""Backup and restore: everything the app stores, restored into a new server's empty database.

The second database ("restore", alliance/settings_test.py) is migrated by the
test runner like a new server's and holds nothing but what migrations seed.
On PostgreSQL it is a real second database, so the restore meets real id
sequences.
"""

import json
import stat
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.db import connections, models
from django.test.utils import isolate_apps
from django.utils import timezone

from accounts.models import Team, User
from alliance import datamap
from alliance.backup import export_json
from audit.models import AuditEvent
from audit.readers import AUDIT_READERS
from clients.models import Client, PromptTrial, Rating, TherapySession
from factors.models import Factor, Prompt
from measures.models import MeasureResponse
from selfreport.models import Question, SelfReportLink, SelfReportRating
from tests.factories import TherapySessionFactory, UserFactory
from tests.measure_data import answer

pytestmark = pytest.mark.django_db(databases=["default", "restore"])
RESTORE = "restore"
IMPORTER = "command:clinical_data import"
NOW = timezone.now().isoformat()  # a stored timestamp in a hand-written file


# --- what the backup covers -------------------------------------------------------------


def test_every_installed_model_is_backed_up_or_excluded_with_a_reason():
    installed = {datamap.label(m) for m in apps.get_models()}
    backed_up = {datamap.label(m) for m in datamap.backed_up_models()}
    excluded = set(datamap.NOT_BACKED_UP)
    assert backed_up | excluded == installed
    assert not backed_up & excluded
    assert all(len(reason) > 20 for reason in datamap.NOT_BACKED_UP.values())
    assert set(datamap.SEEDED) <= backed_up, "a seeded model that is not backed up"
    assert set(datamap.DERIVED) <= backed_up, "a derived model that is not backed up"
    evidence = {
        "selfreport.selfreportlink",
        "selfreport.selfreportrating",
        "audit.auditevent",
        "flags.flag",
        "flags.flagreview",
    }
    assert evidence <= backed_up


def test_a_model_added_later_is_backed_up_without_being_listed(monkeypatch):
    with isolate_apps("clients"):

        class Consent(models.Model):
            client = models.ForeignKey(Client, on_delete=models.CASCADE)

            class Meta:
                app_label = "clients"

            def __str__(self):
                return "consent"

    installed = apps.get_models()
    monkeypatch.setattr(datamap.apps, "get_models", lambda: [*installed, Consent])
    assert Consent in datamap.backed_up_models()
    assert Consent in datamap.deletion_audited_models()


# --- the round trip -------------------------------------------------------------------------


def everything():
    """The demo organisation plus a row in every table the demo leaves empty."""
    call_command("seed_demo", stdout=StringIO())
    amara = User.objects.get(username="amara")
    client = Client.objects.filter(clinician=amara, sessions__isnull=False).distinct().first()
    latest = client.sessions.order_by("-date").first()
    PromptTrial.objects.create(client=client, prompt=Prompt.objects.first(), after_session=latest, chosen_by=amara)
    officer = UserFactory(username="privacy", is_staff=True)
    officer.groups.add(Group.objects.get(name=AUDIT_READERS))
    readers = Group.objects.create(name="Exports")
    readers.permissions.add(Permission.objects.get(codename="view_client"))
    amara.groups.add(readers)
    Factor.objects.filter(key="openness").update(name="Openness (our wording)")  # edited in the admin
    openness = Factor.objects.get(key="openness")
    Prompt.objects.create(factor=openness, applies_to="low_factor", text="Ours", source=Prompt.Source.PRACTICE)
    TherapySession.objects.filter(pk=latest.pk).update(created_at=timezone.now() - timedelta(days=3, microseconds=-123))
    # Progress measures: one entered from paper by the clinician, one the client answered on a link
    # (an item left empty: incomplete, and a safety answer).
    answer(latest, "phq9", 14)
    link = SelfReportLink.objects.filter(session__client__clinician=amara).first()
    answer(link.session, "gad7", values={1: 1, 2: 2, 3: None}, source=MeasureResponse.Source.CLIENT, link=link)


def natural_keys(model, using):
    return {obj.pk: obj.natural_key() for obj in model._base_manager.using(using).all()}


def snapshot(using):
    """Every field of every row of every backed-up table, many-to-many links included.
    Rows the restore matches by natural key (factors, groups) are compared by that key,
    and so are references to them, since their ids may differ between servers."""
    keys = {
        m: natural_keys(m, using)
        for m in [*datamap.backed_up_models(), Permission]
        if datamap.uses_natural_primary_key(m) or m is Permission
    }
    tables = {}
    for model in datamap.backed_up_models():
        natural = model in keys
        fields = [f for f in model._meta.concrete_fields if not (natural and f.primary_key)]
        rows = []
        for obj in model._base_manager.using(using).order_by("pk"):
            row = [
                keys[f.related_model].get(f.value_from_object(obj))
                if f.is_relation and f.related_model in keys
                else f.value_from_object(obj)
                for f in fields
            ]
            for m2m in model._meta.many_to_many:
                related = getattr(obj, m2m.name).values_list("pk", flat=True)
                row.append(sorted(keys[m2m.related_model][pk] if m2m.related_model in keys else pk for pk in related))
            rows.append(tuple(row))
        tables[datamap.label(model)] = sorted(rows) if natural else rows
    return tables


def next_id(using, model):
    """The id the database will give the next row of `model`'s table."""
    connection = connections[using]
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            [sequence] = connection.introspection.get_sequences(cursor, table, model._meta.local_fields)
            cursor.execute("SELECT last_value FROM pg_sequences WHERE sequencename = %s", [sequence["name"]])
            last = cursor.fetchone()[0]
        else:
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            last = (cursor.fetchone() or [None])[0]
    return (last or 0) + 1


def tables_with_ids():
    """Every backed-up table with an integer id, the many-to-many link tables included."""
    for model in datamap.backed_up_models():
        yield model
        for m2m in model._meta.many_to_many:
            yield m2m.remote_field.through


def test_a_backup_restores_into_a_new_servers_empty_database_field_for_field(tmp_path):
    everything()
    for model in datamap.backed_up_models():
        assert model._base_manager.exists(), f"no {model._meta.label} row to prove it round-trips"
    before = snapshot("default")
    path = tmp_path / "backup.json"
    call_command("clinical_data", "export", str(path), stdout=StringIO())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # every record and password hash: owner-only

    assert not Client.objects.using(RESTORE).exists()
    out = StringIO()
    call_command("clinical_data", "import", str(path), "--database", RESTORE, stdout=out)
    after = snapshot(RESTORE)

    restored_audit = len(before["audit.auditevent"])
    assert after["audit.auditevent"][:restored_audit] == before["audit.auditevent"]
    own_rows = AuditEvent.objects.using(RESTORE).order_by("pk")[restored_audit:]
    assert {e.actor_username for e in own_rows} == {IMPORTER}  # the restore audits itself, after the restored trail
    for label, rows in before.items():
        if label != "audit.auditevent":
            assert after[label] == rows, f"{label} differs after the restore"
    total = sum(len(rows) for rows in before.values())
    assert f"Imported {total} rows" in out.getvalue()

    # New records right after: every id sequence is past the restored ids...
    for model in tables_with_ids():
        highest = model._base_manager.using(RESTORE).order_by("-pk").values_list("pk", flat=True).first() or 0
        assert next_id(RESTORE, model) > highest, f"{model._meta.label}: the next id would collide"
    # ...so a clinician can add a client and log a session at once.
    amara = User.objects.using(RESTORE).get(username="amara")
    client = Client.objects.using(RESTORE).create(
        clinician=amara, label="After the restore", intake_date=timezone.localdate() - timedelta(days=7)
    )
    session = TherapySession.objects.using(RESTORE).create(client=client, date=timezone.localdate())
    Rating.objects.using(RESTORE).bulk_create(
        Rating(session=session, factor=f, score=4) for f in Factor.objects.using(RESTORE).all()
    )
    link = SelfReportLink.objects.using(RESTORE).create(
        session=session, token_hash="f" * 64, created_by=amara, expires_at=timezone.now() + timedelta(hours=1)
    )
    question = Question.objects.using(RESTORE).filter(active=True).first()
    SelfReportRating.objects.using(RESTORE).create(link=link, question=question, score=2)
    Team.objects.using(RESTORE).create(name="New team", supervisor=User.objects.using(RESTORE).get(username="morgan"))
    assert AuditEvent.objects.using(RESTORE).filter(client_id=client.pk, action="create").exists()


def test_timestamps_survive_the_round_trip_to_the_microsecond(tmp_path, their_client):
    session = TherapySessionFactory(client=their_client)
    stamp = timezone.now().replace(microsecond=123) - timedelta(days=400)
    TherapySession.objects.update(created_at=stamp)
    assert stamp.isoformat().replace("+00:00", "Z") in export_json()
    path = tmp_path / "backup.json"
    call_command("clinical_data", "export", str(path), stdout=StringIO())
    call_command("clinical_data", "import", str(path), "--database", RESTORE, stdout=StringIO())
    assert TherapySession.objects.using(RESTORE).get(pk=session.pk).created_at == stamp


def test_import_refuses_a_database_that_already_holds_records(tmp_path, their_client):
    TherapySessionFactory(client=their_client)
    path = tmp_path / "backup.json"
    call_command("clinical_data", "export", str(path), stdout=StringIO())
    with pytest.raises(CommandError, match="already has rows in this database"):
        call_command("clinical_data", "import", str(path), stdout=StringIO())
    assert Client.objects.count() == 1


def test_import_refuses_a_file_with_rows_the_backup_does_not_cover(tmp_path):
    path = tmp_path / "evil.json"
    rows = [
        {"model": "accounts.user", "pk": 999, "fields": {"username": "x", "password": "x"}},
        {"model": "sessions.session", "pk": "k", "fields": {"session_data": "x", "expire_date": NOW}},
    ]
    path.write_text(json.dumps(rows))
    with pytest.raises(CommandError, match="Session is not part of the backup"):
        call_command("clinical_data", "import", str(path), "--database", RESTORE, stdout=StringIO())
    assert not User.objects.using(RESTORE).exists()  # all or nothing


def test_import_refuses_a_file_whose_references_do_not_resolve_and_writes_nothing(tmp_path):
    path = tmp_path / "broken.json"
    rows = [
        {"model": "accounts.user", "pk": 5, "fields": {"username": "x", "password": "!"}},
        {
            "model": "clients.therapysession",
            "pk": 7,
            "fields": {"client": 12345, "date": NOW[:10], "created_at": NOW, "updated_at": NOW},
        },
    ]
    path.write_text(json.dumps(rows))
    with pytest.raises(CommandError, match="refers to a row that is not in the backup"):
        call_command("clinical_data", "import", str(path), "--database", RESTORE, stdout=StringIO())
    assert not User.objects.using(RESTORE).exists()


def test_an_unreadable_file_is_refused_with_a_message(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("clinical_data", "import", str(tmp_path / "missing.json"), "--database", RESTORE)
    (tmp_path / "junk.json").write_text("not json")
    with pytest.raises(CommandError, match="Cannot read the backup"):
        call_command("clinical_data", "import", str(tmp_path / "junk.json"), "--database", RESTORE)


def test_export_and_import_are_audited_where_they_happen(tmp_path, their_client):
    path = tmp_path / "backup.json"
    call_command("clinical_data", "export", str(path), stdout=StringIO())
    exported = AuditEvent.objects.get(action="export", object_type="clinical_data")
    assert (exported.actor_username, exported.changes["clients.client"]) == ("command:clinical_data export", 1)
    call_command("clinical_data", "import", str(path), "--database", RESTORE, stdout=StringIO())
    restored = AuditEvent.objects.using(RESTORE).filter(actor_username=IMPORTER)
    summary = restored.get(object_type="clinical_data")
    assert summary.changes["restored"]["clients.client"] == 1
    assert summary.changes["file"] == "backup.json"
    assert restored.filter(object_type="clients.client", client_id=their_client.pk).exists()

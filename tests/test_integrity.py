"""No lost updates, all-or-nothing writes, and backup/restore of the clinical data."""

import json
from datetime import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from clients import recording
from clients.management.commands.clinical_data import MODELS, export_json
from clients.models import Client, Rating, TherapySession
from clients.recording import StaleSessionError, save_session
from factors.models import Factor
from flags.models import Flag
from tests.factories import TherapySessionFactory

pytestmark = pytest.mark.django_db


def edit_data(session, **overrides):
    data = {"date": session.date.isoformat(), "setting": session.setting, "note": "", "version": session.version}
    data.update({f"score_{f.key}": "3" for f in Factor.objects.all()})
    data.update(overrides)
    return data


def test_an_edit_of_a_session_someone_else_changed_is_refused_and_keeps_the_typed_values(owner_client, their_client):
    session = TherapySessionFactory(client=their_client, default_score=3)
    url = reverse("session_edit", args=[session.pk])
    opened_by_a = owner_client.get(url).context["form"]["version"].value()
    opened_by_b = owner_client.get(url).context["form"]["version"].value()
    first = owner_client.post(url, edit_data(session, version=opened_by_a, note="A's note", score_openness="5"))
    assert first.status_code == 302
    second = owner_client.post(url, edit_data(session, version=opened_by_b, note="B's note", score_openness="1"))
    assert second.status_code == 200
    html = second.content.decode()
    assert "Someone else changed this session after you opened it" in html
    assert "B&#x27;s note" in html  # what B typed is still on the form
    session.refresh_from_db()
    assert (session.note, session.version) == ("A's note", 2)
    assert session.ratings.get(factor__key="openness").score == 5


def test_the_version_check_is_in_the_update_itself(their_client):
    session = TherapySessionFactory(client=their_client)
    stale = TherapySession.objects.get(pk=session.pk)
    fresh = TherapySession.objects.get(pk=session.pk)
    fresh.note = "first"
    save_session(fresh, {}, expected_version=1)
    stale.note = "second"
    with pytest.raises(StaleSessionError):
        save_session(stale, {}, expected_version=1)
    session.refresh_from_db()
    assert session.note == "first"


def test_an_edit_without_its_version_is_refused(owner_client, their_client):
    session = TherapySessionFactory(client=their_client)
    data = edit_data(session, note="changed")
    del data["version"]
    response = owner_client.post(reverse("session_edit", args=[session.pk]), data)
    assert "This form is out of date" in response.content.decode()
    session.refresh_from_db()
    assert session.note == ""


def test_a_failure_midway_leaves_no_session_ratings_flags_or_audit_rows(owner_client, their_client, monkeypatch):
    def fail(client, locked=False):
        raise RuntimeError("injected failure while computing flags")

    monkeypatch.setattr(recording, "refresh_flags", fail)
    before = AuditEvent.objects.count()
    owner_client.raise_request_exception = False
    data = {"client": their_client.pk, "date": their_client.intake_date.isoformat(), "setting": "online"}
    data.update({f"score_{f.key}": "1" for f in Factor.objects.all()})
    response = owner_client.post(reverse("session_create"), data)
    assert response.status_code == 500
    assert not TherapySession.objects.exists()
    assert not Rating.objects.exists()
    assert not Flag.objects.exists()
    assert AuditEvent.objects.count() == before  # the audit rows were rolled back with the data


def test_the_clinical_data_round_trips_through_json(tmp_path):
    call_command("seed_demo", stdout=StringIO())
    before = export_json()
    counts = {m: m.objects.count() for m in MODELS}
    path = tmp_path / "backup.json"
    call_command("clinical_data", "export", str(path), stdout=StringIO())
    Client.objects.all().delete()  # cascades to everything clinical
    assert all(m.objects.count() == 0 for m in MODELS)
    out = StringIO()
    call_command("clinical_data", "import", str(path), stdout=out)
    assert {m: m.objects.count() for m in MODELS} == counts
    assert export_json() == before  # identical contents, keys included
    assert f"Imported {sum(counts.values())} rows" in out.getvalue()
    assert AuditEvent.objects.filter(action="export", object_type="clinical_data").exists()


def test_timestamps_survive_the_round_trip_to_the_microsecond(tmp_path, their_client):
    TherapySessionFactory(client=their_client)
    TherapySession.objects.update(created_at=timezone.make_aware(datetime(2026, 3, 4, 5, 6, 7, 123)))
    before = export_json()
    assert "2026-03-04T05:06:07.000123Z" in before
    path = tmp_path / "backup.json"
    call_command("clinical_data", "export", str(path), stdout=StringIO())
    Client.objects.all().delete()
    call_command("clinical_data", "import", str(path), stdout=StringIO())
    assert export_json() == before


def test_import_refuses_to_overwrite_existing_rows(tmp_path, their_client):
    TherapySessionFactory(client=their_client)
    path = tmp_path / "backup.json"
    call_command("clinical_data", "export", str(path), stdout=StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("clinical_data", "import", str(path), stdout=StringIO())


def test_import_refuses_a_file_with_non_clinical_rows(tmp_path, owner):
    path = tmp_path / "evil.json"
    path.write_text(json.dumps([{"model": "accounts.user", "pk": 999, "fields": {"username": "x", "password": "x"}}]))
    with pytest.raises(CommandError, match="not clinical data"):
        call_command("clinical_data", "import", str(path), stdout=StringIO())
    assert not owner.__class__.objects.filter(pk=999).exists()

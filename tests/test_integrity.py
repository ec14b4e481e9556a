"""No lost updates and all-or-nothing writes (backup and restore: tests/test_backup.py)."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from clients import recording
from clients.models import Rating, TherapySession
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

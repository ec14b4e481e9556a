"""Discharge closes the client's open self-report links; client edits carry the
version they were opened at, so two edits never overwrite each other."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from clients.models import Client
from clients.recording import StaleClientError, discharge, save_client
from selfreport import views as selfreport_views
from selfreport.forms import SelfReportForm
from selfreport.models import Question, SelfReportLink, SelfReportRating
from tests.factories import TherapySessionFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
ANSWERS = dict.fromkeys(
    ["q_communication", "q_cultural_competence", "q_boundaries", "q_flexibility", "q_openness", "q_expectations",
     "q_setting"],
    "2",
)  # fmt: skip


@pytest.fixture
def session(their_client):
    return TherapySessionFactory(client=their_client, date=TODAY() - timedelta(days=1))


def make_link(owner_client, session):
    # confirm: a deliberate further link where the client has already answered
    response = owner_client.post(reverse("self_report_create", args=[session.pk]), {"confirm": "yes"})
    return reverse("self_report", args=[re.search(r"/r/([^/]+)/$", response.context["url"]).group(1)])


def edit_data(client, **overrides):
    data = {
        "label": client.label,
        "intake_date": client.intake_date.isoformat(),
        "status": client.status,
        "attachment_style": client.attachment_style,
        "usual_setting": client.usual_setting,
        "fee_arrangement": client.fee_arrangement,
        "culture_notes": client.culture_notes,
        "support_notes": client.support_notes,
        "version": client.version,
    }
    data.update(overrides)
    return data


# --- discharge closes the self-report links -----------------------------------------------


def test_discharging_closes_the_clients_open_self_report_links(owner_client, session, their_client):
    url = make_link(owner_client, session)
    assert owner_client.post(reverse("client_discharge", args=[their_client.pk])).status_code == 302
    link = SelfReportLink.objects.get()
    assert link.closed_at is not None
    assert link.state == SelfReportLink.State.CLOSED
    phone = Browser()
    assert "This link has closed" in phone.get(url).content.decode()
    response = phone.post(url, ANSWERS)
    assert "This link has closed" in response.content.decode()
    assert not SelfReportRating.objects.exists()
    link.refresh_from_db()
    assert link.used_at is None
    closed = AuditEvent.objects.get(object_type="selfreport.selfreportlink", action="update")
    assert (closed.client_id, list(closed.changes)) == (their_client.pk, ["closed_at"])
    page = owner_client.get(reverse("client_detail", args=[their_client.pk])).content.decode()
    assert "closed unanswered" in page


def test_an_answered_or_expired_link_stays_as_it_was(owner_client, session, their_client):
    answered = make_link(owner_client, session)
    Browser().post(answered, ANSWERS)
    with time_machine.travel(timezone.now() - timedelta(hours=72)):
        make_link(owner_client, session)  # expired by now
    owner_client.post(reverse("client_discharge", args=[their_client.pk]))
    assert not SelfReportLink.objects.filter(closed_at__isnull=False).exists()
    assert sorted(link.state for link in SelfReportLink.objects.all()) == ["expired", "used"]
    assert SelfReportRating.objects.count() == Question.objects.active().count()  # the client's answers stay


def test_discharging_through_the_edit_form_closes_the_links_too(owner_client, session, their_client):
    make_link(owner_client, session)
    response = owner_client.post(
        reverse("client_edit", args=[their_client.pk]), edit_data(their_client, status="discharged")
    )
    assert response.status_code == 302
    assert SelfReportLink.objects.get().state == SelfReportLink.State.CLOSED


def test_reactivating_a_client_does_not_reopen_a_closed_link(owner_client, session, their_client):
    url = make_link(owner_client, session)
    owner_client.post(reverse("client_discharge", args=[their_client.pk]))
    their_client.refresh_from_db()
    owner_client.post(reverse("client_edit", args=[their_client.pk]), edit_data(their_client, status="active"))
    assert Client.objects.get().status == "active"
    assert "This link has closed" in Browser().get(url).content.decode()


def test_an_answer_already_on_the_clients_screen_at_discharge_is_not_stored(owner_client, session, their_client):
    make_link(owner_client, session)
    link = SelfReportLink.objects.select_related("session__client").get()  # the page the client has open
    form = SelfReportForm(ANSWERS, questions=Question.objects.active())
    assert form.is_valid()
    discharge(Client.objects.get())
    assert selfreport_views._save(link, form) is None
    assert not SelfReportRating.objects.exists()


def test_a_link_of_a_client_discharged_before_links_closed_accepts_nothing(owner_client, session, their_client):
    url = make_link(owner_client, session)
    Client.objects.filter(pk=their_client.pk).update(status="discharged")  # as older discharges left it
    assert "This link has closed" in Browser().post(url, ANSWERS).content.decode()
    assert not SelfReportRating.objects.exists()


def test_discharging_twice_changes_nothing_more(owner_client, their_client):
    owner_client.post(reverse("client_discharge", args=[their_client.pk]))
    version = Client.objects.get().version
    owner_client.post(reverse("client_discharge", args=[their_client.pk]))
    assert Client.objects.get().version == version
    assert AuditEvent.objects.filter(object_type="clients.client", action="update").count() == 1


# --- the version lock on client edits -----------------------------------------------------


def test_an_edit_of_a_client_someone_else_changed_is_refused_and_keeps_the_typed_values(owner_client, their_client):
    url = reverse("client_edit", args=[their_client.pk])
    opened_by_a = owner_client.get(url).context["form"]["version"].value()
    opened_by_b = owner_client.get(url).context["form"]["version"].value()
    first = owner_client.post(url, edit_data(their_client, version=opened_by_a, support_notes="A's notes"))
    assert first.status_code == 302
    second = owner_client.post(
        url, edit_data(their_client, version=opened_by_b, support_notes="B's notes", fee_arrangement="pro_bono")
    )
    assert second.status_code == 200
    html = second.content.decode()
    assert "Someone else changed J.M. after you opened this page, so your changes were not saved." in html
    assert "B&#x27;s notes" in html  # what B typed is still on the form
    assert second.context["form"]["fee_arrangement"].value() == "pro_bono"
    their_client.refresh_from_db()
    assert (their_client.support_notes, their_client.fee_arrangement, their_client.version) == (
        "A's notes",
        "standard",
        2,
    )


def test_a_discharge_after_the_edit_page_was_opened_refuses_the_edit(owner_client, their_client):
    url = reverse("client_edit", args=[their_client.pk])
    opened = owner_client.get(url).context["form"]["version"].value()
    owner_client.post(reverse("client_discharge", args=[their_client.pk]))
    response = owner_client.post(url, edit_data(their_client, version=opened, status="active"))
    assert "Someone else changed J.M." in response.content.decode()
    assert Client.objects.get().status == "discharged"  # the stale form did not silently reactivate


@pytest.mark.parametrize("version", [None, "", "abc", "-1", "0", "99", "9" * 30, "1\x00"])
def test_a_client_edit_without_its_current_version_is_refused(owner_client, their_client, version):
    data = edit_data(their_client, label="Changed")
    if version is None:
        del data["version"]
    else:
        data["version"] = version
    response = owner_client.post(reverse("client_edit", args=[their_client.pk]), data)
    assert response.status_code == 200
    assert Client.objects.get().label == "J.M."


def test_the_client_version_check_is_in_the_update_itself(their_client):
    stale = Client.objects.get(pk=their_client.pk)
    fresh = Client.objects.get(pk=their_client.pk)
    fresh.support_notes = "first"
    save_client(fresh, ["support_notes"], expected_version=1)
    stale.support_notes = "second"
    with pytest.raises(StaleClientError):
        save_client(stale, ["support_notes"], expected_version=1)
    assert Client.objects.get().support_notes == "first"


def test_a_client_edit_leaves_the_session_summary_alone(owner_client, their_client):
    url = reverse("client_edit", args=[their_client.pk])
    form_version = owner_client.get(url).context["form"]["version"].value()
    TherapySessionFactory(client=their_client, date=TODAY() - timedelta(days=2))  # logged meanwhile
    response = owner_client.post(url, edit_data(their_client, version=form_version, support_notes="Partner"))
    assert response.status_code == 302
    saved = Client.objects.get()
    assert (saved.session_count, saved.last_session_on, saved.support_notes) == (
        1,
        TODAY() - timedelta(days=2),
        "Partner",
    )

"""The client's one-time self-report link and the discrepancy flag."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from audit.models import AuditEvent
from selfreport.models import Question, SelfReportLink, SelfReportRating, hash_token
from tests.factories import TherapySessionFactory

pytestmark = pytest.mark.django_db
ASKED = [
    "communication",
    "cultural_competence",
    "openness",
    "goals",
    "flexibility",
    "boundaries",
    "setting",
    "expectations",
    "overall",
]


@pytest.fixture
def phone():
    """The client's own phone: no account, no session with the app."""
    return Browser()


@pytest.fixture
def session(their_client):
    return TherapySessionFactory(
        client=their_client, date=timezone.localdate() - timedelta(days=1), note="Private session note"
    )


def make_link(owner_client, session):
    response = owner_client.post(reverse("self_report_create", args=[session.pk]))
    assert response.status_code == 200
    url = response.context["url"]
    return response, re.search(r"/r/([^/]+)/$", url).group(1)


def answers(comment="", **overrides):
    """The form data: every question answered 4 unless overridden (None: skipped)."""
    data = dict.fromkeys(ASKED, "4")
    data.update(overrides)
    return {f"q_{k}": v for k, v in data.items() if v is not None} | {"comment": comment}


def test_a_clinician_makes_a_link_shown_once_with_a_qr_code_and_only_its_hash_is_kept(owner_client, session):
    response, token = make_link(owner_client, session)
    html = response.content.decode()
    assert 'src="data:image/svg+xml;charset=utf-8,%3Csvg%20xmlns%3D%27http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%27' in html
    assert token in html
    assert len(token) >= 43  # 32 random bytes
    link = SelfReportLink.objects.get()
    assert link.token_hash == hash_token(token)
    assert not SelfReportLink.objects.filter(token_hash=token).exists()
    assert link.expires_at - timezone.now() > timedelta(hours=47)
    assert AuditEvent.objects.filter(action="create", object_type="selfreport.selfreportlink").exists()


def test_the_client_page_reveals_only_a_greeting(phone, owner_client, session):
    _, token = make_link(owner_client, session)
    html = phone.get(reverse("self_report", args=[token])).content.decode()
    assert "Hi J.M." in html
    assert html.count('type="radio"') == len(ASKED) * 5 + (9 + 7) * 4  # then the PHQ-9 and GAD-7 items, 0-3
    assert f"Did your therapist understand what you told them on {date_format(session.date)}?" in html
    assert "even if it is criticism" in html
    assert "anything you would like your therapist to know, or to do differently?" in html
    for private in ["Private session note", str(session.client.clinician), "Log out"]:
        assert private not in html


def test_the_client_answers_once_and_sees_a_friendly_page_afterwards(phone, owner_client, session):
    _, token = make_link(owner_client, session)
    url = reverse("self_report", args=[token])
    response = phone.post(url, answers(communication="2", setting=None))
    assert "Thank you, J.M." in response.content.decode()
    link = SelfReportLink.objects.get()
    assert link.used_at is not None
    scores = dict(SelfReportRating.objects.values_list("question__key", "score"))
    assert scores["communication"] == 2
    assert scores["setting"] is None  # skipped
    assert len(scores) == len(ASKED)
    again = phone.get(url).content.decode()
    assert "your answers are already in" in again
    phone.post(url, answers(communication="5"))
    assert SelfReportRating.objects.count() == len(ASKED)  # the second submit saved nothing
    assert SelfReportRating.objects.get(question__key="communication").score == 2


def test_an_expired_link_gets_a_friendly_page_and_saves_nothing(phone, owner_client, session):
    _, token = make_link(owner_client, session)
    with time_machine.travel(timezone.now() + timedelta(hours=49)):
        url = reverse("self_report", args=[token])
        assert "This link has expired" in phone.get(url).content.decode()
        response = phone.post(url, answers())
    assert response.status_code == 200
    assert not SelfReportRating.objects.exists()


@pytest.mark.parametrize("token", ["nonsense", "x" * 200, "a\x00b"])
def test_an_unknown_link_says_so_kindly(phone, token):
    response = phone.get(reverse("self_report", args=[token]) if "\x00" not in token else "/r/a%00b/")
    assert response.status_code == 200
    assert "This link does not work" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (answers(openness="7"), "Choose one of the five answers."),
        (answers(openness="<script>"), "Choose one of the five answers."),
        (answers(**dict.fromkeys(ASKED, "")), "Answer at least one question"),
        (answers(comment="x" * 1001), "Please keep it under 1000 characters."),
    ],
)
def test_bad_answers_show_an_error_and_keep_the_link_open(phone, owner_client, session, data, message):
    _, token = make_link(owner_client, session)
    response = phone.post(reverse("self_report", args=[token]), data)
    assert message in response.content.decode()
    assert "<script>" not in response.content.decode().split("</form>")[0].split("<form")[1]
    assert not SelfReportRating.objects.exists()
    assert SelfReportLink.objects.get().used_at is None


def test_a_lower_client_rating_raises_a_discrepancy_flag_with_prompts(phone, owner_client, session, their_client):
    _, token = make_link(owner_client, session)
    phone.post(reverse("self_report", args=[token]), answers(communication="2"))  # clinician rated 4
    flag = their_client.flags.get(kind="discrepancy")
    assert flag.factor_keys == ["communication"]
    page = owner_client.get(reverse("client_detail", args=[their_client.pk]))
    insight = page.context["insight"]
    assert insight.detail(flag) == "Communication: the client rated 2, the clinician 4."
    # An answer of 2 is a client concern in its own right, ranked first; the gap is a discrepancy.
    assert [f.kind for f in insight.flags[:2]] == ["client_concern", "discrepancy"]
    assert {item.prompt.applies_to for item in insight.focus} & {"client_concern", "discrepancy"}
    html = page.content.decode()
    assert "Client rated lower: Communication" in html
    assert "the client rated 2 or more lower" in html
    assert page.context["chart"]["client_view"][-1] == pytest.approx(69.4, abs=0.1)  # (8*4+2)/9 = 3.78 -> 69.4


def test_a_supervisor_cannot_make_a_link_and_a_discharged_client_gets_none(owner_client, session, their_client):
    their_client.status = "discharged"
    their_client.save()
    assert owner_client.post(reverse("self_report_create", args=[session.pk])).status_code == 404
    assert not SelfReportLink.objects.exists()


def test_an_administrator_rewords_a_question_by_adding_one_and_retiring_the_old(client, admin_user):
    client.force_login(admin_user)
    old = Question.objects.get(key="setting", active=True)
    change = reverse("admin:selfreport_question_change", args=[old.pk])
    data = {"factor": old.factor_id, "key": "", "label": "", "text": old.text, "order": old.order}
    assert client.post(change, data).status_code == 302  # "active" unticked
    data |= {"text": "Did meeting this way work for you?", "active": "on"}
    assert client.post(reverse("admin:selfreport_question_add"), data).status_code == 302
    new = Question.objects.get(key="setting", active=True)
    assert (new.text, new.factor.key) == ("Did meeting this way work for you?", "setting")
    assert Question.objects.filter(pk=old.pk, active=False).exists()


def test_an_answered_question_keeps_its_factor_and_key_in_the_admin(client, admin_user, session):
    question = Question.objects.get(key="communication", active=True)
    link, _ = SelfReportLink.create_for(session, session.client.clinician)
    SelfReportRating.objects.create(link=link, question=question, score=2)
    client.force_login(admin_user)
    change = reverse("admin:selfreport_question_change", args=[question.pk])
    openness = Question.objects.get(key="openness", active=True).factor
    data = {"factor": openness.pk, "key": "openness", "label": "", "text": question.text, "order": question.order}
    assert client.post(change, data | {"active": "on"}).status_code == 302
    question.refresh_from_db()
    assert (question.factor.key, question.key) == ("communication", "communication")  # its answers keep their meaning
    unanswered = Question.objects.get(key="goals", active=True)
    form = client.get(reverse("admin:selfreport_question_change", args=[unanswered.pk])).context["adminform"].form
    assert {"factor", "key"} <= set(form.fields)  # still editable before any answer


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"key": "stigma", "label": "Shame"}, "A factor has this key"),
        ({"key": "", "label": "Trust"}, "Give a question about no factor a key"),
        ({"key": "trust", "label": ""}, "Give a question about no factor a short name"),
        ({"key": "goals", "label": "Goals", "active": "on"}, "Another active question has this key"),
    ],
)
def test_the_question_admin_refuses_a_key_that_would_collide(client, admin_user, data, message):
    client.force_login(admin_user)
    response = client.post(reverse("admin:selfreport_question_add"), {"text": "Do you trust them?", "order": 9} | data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Question.objects.filter(text="Do you trust them?").exists()


def test_the_session_page_offers_a_link_for_that_session(owner_client, session):
    html = owner_client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert reverse("self_report_create", args=[session.pk]) in html


def test_a_link_for_todays_session_asks_about_today_and_one_for_a_past_session_names_its_date(
    phone, owner_client, their_client
):
    today = TherapySessionFactory(client=their_client, date=timezone.localdate())
    _, token = make_link(owner_client, today)
    html = phone.get(reverse("self_report", args=[token])).content.decode()
    assert "how today's session felt" in html
    assert "Did your therapist understand what you told them today?" in html

    earlier = TherapySessionFactory(client=their_client, date=timezone.localdate() - timedelta(days=8))
    _, token = make_link(owner_client, earlier)
    html = phone.get(reverse("self_report", args=[token])).content.decode()
    when = date_format(earlier.date)
    assert f"your session of <strong>{when}</strong> felt" in html
    assert f"Did your therapist keep the session of {when} focused on you?" in html
    assert "today" not in html.lower()


def test_a_second_link_for_an_answered_session_asks_first_and_keeps_every_answer_set(phone, owner_client, session):
    _, token = make_link(owner_client, session)
    phone.post(reverse("self_report", args=[token]), answers(communication="2", comment="Too fast"))

    response = owner_client.post(reverse("self_report_create", args=[session.pk]))
    html = response.content.decode()
    assert "has already answered for the session of" in html
    assert "the session's PHQ-9 and GAD-7 scores" in html
    assert "an earlier answer about self-harm stays a safety alert" in html
    assert 'name="confirm" value="yes"' in html
    assert SelfReportLink.objects.count() == 1  # asked, nothing made

    response = owner_client.post(reverse("self_report_create", args=[session.pk]), {"confirm": "yes"})
    token = re.search(r"/r/([^/]+)/$", response.context["url"]).group(1)
    phone.post(reverse("self_report", args=[token]), answers(communication="5"))
    assert SelfReportLink.objects.filter(used_at__isnull=False).count() == 2
    assert sorted(SelfReportRating.objects.filter(question__key="communication").values_list("score", flat=True)) == [
        2,
        5,
    ]
    latest = SelfReportRating.objects.latest_by_session(session.client_id)[session.pk]
    assert latest["communication"] == 5  # the latest answers count

    page = owner_client.get(reverse("client_detail", args=[session.client_id])).content.decode()
    assert "Earlier answers, no longer counted (1)" in page
    assert "Too fast" in page  # the earlier words stay visible


def test_a_confirmation_other_than_yes_still_only_asks(owner_client, session, phone):
    _, token = make_link(owner_client, session)
    phone.post(reverse("self_report", args=[token]), answers())
    for value in ["", "no", "YES ", "<script>"]:
        response = owner_client.post(reverse("self_report_create", args=[session.pk]), {"confirm": value})
        assert "has already answered" in response.content.decode()
    assert SelfReportLink.objects.count() == 1


def test_a_new_link_names_an_earlier_one_still_waiting_for_the_same_session(owner_client, session):
    """A lost link keeps working until it expires: the page making a new one says so."""
    first, _ = make_link(owner_client, session)
    assert "An earlier link for this session" not in first.content.decode()
    second, _ = make_link(owner_client, session)
    html = second.content.decode()
    assert "An earlier link for this session, made " in html
    assert "If J.M. answers both, the later answers count" in html
    # Once the earlier one has expired (or been answered, which asks first), nothing is said.
    SelfReportLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    third, _ = make_link(owner_client, session)
    assert "An earlier link for this session" not in third.content.decode()

"""Logging, reading and editing a session with its twelve ratings."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import Rating, TherapySession
from factors.models import Factor
from tests.factories import ClientFactory, TherapySessionFactory

TODAY = timezone.localdate
CREATE = reverse("session_create")


def form_data(for_client, **overrides):
    data = {
        "client": for_client.pk,
        "date": (TODAY() - timedelta(days=1)).isoformat(),
        "setting": "online",
        "note": "Talked about the move.",
        **{f"score_{key}": "4" for key in Factor.objects.values_list("key", flat=True)},
        **{f"note_{key}": "" for key in Factor.objects.values_list("key", flat=True)},
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_clinician_logs_a_session_with_twelve_ratings_and_sees_it_on_the_client_page(owner_client, their_client):
    data = form_data(their_client, score_stigma="", score_support="2", note_support="Partner dismissive.")
    response = owner_client.post(CREATE, data)
    session = TherapySession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("session_detail", args=[session.pk])
    assert (session.client, session.setting, session.note) == (their_client, "online", "Talked about the move.")
    ratings = {r.factor.key: (r.score, r.note) for r in session.ratings.select_related("factor")}
    assert len(ratings) == 12
    assert ratings["stigma"] == (None, "")
    assert ratings["support"] == (2, "Partner dismissive.")
    assert session.contextual_score == pytest.approx(58.3)  # (4+4+2)/3
    assert session.overall_score == pytest.approx(70.5)  # (9*4+2)/11
    assert "J.M.: session of" in owner_client.get(response["Location"]).content.decode()
    page = owner_client.get(reverse("client_detail", args=[their_client.pk])).content.decode()
    assert ">71<" in page


def test_a_radio_left_unticked_counts_as_not_assessed(owner_client, their_client):
    owner_client.post(CREATE, form_data(their_client, score_beliefs=None))
    assert Rating.objects.get(factor__key="beliefs").score is None


def test_the_form_preselects_the_client_and_todays_date(owner_client, their_client):
    response = owner_client.get(CREATE, {"client": their_client.pk})
    form = response.context["form"]
    assert form["client"].value() == their_client.pk
    assert form["date"].value() == TODAY()
    html = response.content.decode()
    # 12 factors x (1-5 and "not assessed"), 3 settings, and the paper PHQ-9 and GAD-7 (0-3 and "blank").
    assert html.count('type="radio"') == 12 * 6 + 3 + (9 + 7) * 5
    assert "Did you listen fully" in html  # the factor's help text


@pytest.mark.parametrize("param", ["abc", "99999999999999999999999", "-1", ""])
def test_a_junk_client_parameter_just_preselects_nothing(owner_client, param):
    response = owner_client.get(CREATE, {"client": param})
    assert response.status_code == 200
    assert response.context["form"]["client"].value() is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"score_communication": "6"}, "score_communication", "Choose a rating from 1 to 5"),
        ({"score_openness": "0"}, "score_openness", "Choose a rating from 1 to 5"),
        ({"score_stigma": "three"}, "score_stigma", "Choose a rating from 1 to 5"),
        ({"date": ""}, "date", "Enter the date of the session."),
        ({"date": "2026-13-40"}, "date", "Enter a valid date."),
        ({"date": (TODAY() + timedelta(days=1)).isoformat()}, "date", "cannot be in the future"),
        ({"date": (TODAY() - timedelta(days=400)).isoformat()}, "date", "a session cannot be earlier"),
        ({"setting": "telepathy"}, "setting", "Select a valid choice."),
        ({"note": "x" * 2001}, "note", "at most 2000 characters"),
        ({"note_boundaries": "x" * 201}, "note_boundaries", "at most 200 characters"),
        ({"client": ""}, "client", "This field is required."),
        ({"client": "not-a-number"}, "client", "Choose one of your active clients."),
    ],
)
def test_bad_input_on_the_session_form_shows_an_error_and_saves_nothing(
    owner_client, their_client, overrides, field, message
):
    response = owner_client.post(CREATE, form_data(their_client, note_support="keep me", **overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert 'value="keep me"' in html  # what was typed is kept
    assert not TherapySession.objects.exists()
    assert not Rating.objects.exists()


def test_a_tampered_client_id_gets_a_clear_message_and_saves_nothing(owner_client, their_client, colleagues_client):
    response = owner_client.post(CREATE, form_data(their_client, client=colleagues_client.pk))
    assert response.context["form"].errors["client"] == ["Choose one of your active clients."]
    assert "Z.Z.-private" not in response.content.decode()
    assert not TherapySession.objects.filter(client=colleagues_client).exists()


def test_a_discharged_client_cannot_get_new_sessions(owner_client, owner):
    gone = ClientFactory(clinician=owner, status="discharged")
    response = owner_client.post(CREATE, form_data(gone))
    assert "Choose one of your active clients." in response.context["form"].errors["client"]
    assert not TherapySession.objects.exists()


def test_a_second_session_on_the_same_date_and_setting_is_refused(owner_client, their_client):
    existing = TherapySessionFactory(client=their_client, date=TODAY() - timedelta(days=1), setting="online")
    response = owner_client.post(CREATE, form_data(their_client))
    assert "An online session on " in " ".join(response.context["form"].errors["date"])  # "an", not "a online"
    assert "is already logged for J.M." in " ".join(response.context["form"].errors["date"])
    assert TherapySession.objects.get() == existing
    assert owner_client.post(CREATE, form_data(their_client, setting="phone")).status_code == 302


def test_the_session_page_shows_the_ratings_and_notes(owner_client, their_client):
    session = TherapySessionFactory(client=their_client, note="Quiet session.", ratings={"stigma": 1})
    Rating.objects.filter(session=session, factor__key="stigma").update(note="Has not told family.")
    html = owner_client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert "Quiet session." in html
    assert "Has not told family." in html
    assert "Shame about therapy may stop the client coming" in html  # the anchor of a 1 on stigma


def test_editing_a_session_changes_its_ratings_and_recomputes_its_scores(owner_client, their_client):
    session = TherapySessionFactory(client=their_client, default_score=3)
    url = reverse("session_edit", args=[session.pk])
    form = owner_client.get(url).context["form"]
    assert "client" not in form.fields
    assert form["score_communication"].value() == 3
    data = form_data(
        their_client, date=session.date.isoformat(), setting=session.setting, score_communication="5", version="1"
    )
    response = owner_client.post(url, data)
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.ratings.get(factor__key="communication").score == 5
    assert session.overall_score == pytest.approx(77.1)  # (11*4+5)/12 = 4.083 -> 77.1
    assert session.ratings.count() == 12


def test_an_edit_cannot_collide_with_another_session_and_saves_nothing(owner_client, their_client):
    other = TherapySessionFactory(client=their_client, date=TODAY() - timedelta(days=3), setting="online")
    session = TherapySessionFactory(client=their_client, date=TODAY() - timedelta(days=10), default_score=3)
    response = owner_client.post(
        reverse("session_edit", args=[session.pk]),
        form_data(their_client, date=other.date.isoformat(), setting="online", score_communication="1", version="1"),
    )
    assert "already logged" in " ".join(response.context["form"].errors["date"])
    session.refresh_from_db()
    assert session.date == TODAY() - timedelta(days=10)
    assert session.ratings.get(factor__key="communication").score == 3


def test_an_edit_with_a_bad_rating_changes_nothing(owner_client, their_client):
    session = TherapySessionFactory(client=their_client, default_score=3)
    response = owner_client.post(
        reverse("session_edit", args=[session.pk]),
        form_data(their_client, date=session.date.isoformat(), score_flexibility="9", note="changed", version="1"),
    )
    assert response.status_code == 200
    session.refresh_from_db()
    assert session.note == ""
    assert set(session.ratings.values_list("score", flat=True)) == {3}


def test_it_hides_other_clinicians_sessions_behind_404(owner_client, colleagues_session):
    for name in ["session_detail", "session_edit"]:
        response = owner_client.get(reverse(name, args=[colleagues_session.pk]))
        assert response.status_code == 404
        assert "confidential" not in response.content.decode()
    response = owner_client.post(
        reverse("session_edit", args=[colleagues_session.pk]),
        form_data(colleagues_session.client, date=colleagues_session.date.isoformat(), note="overwritten"),
    )
    assert response.status_code == 404
    colleagues_session.refresh_from_db()
    assert colleagues_session.note == "colleague's confidential note"


def test_the_factor_texts_on_the_form_come_from_the_factor_table(owner_client, their_client):
    Factor.objects.filter(key="stigma").update(description="Edited in the admin today.")
    html = owner_client.get(CREATE).content.decode()
    assert "Edited in the admin today." in html

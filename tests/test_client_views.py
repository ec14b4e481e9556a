"""Adding, editing and reading a client's record."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, PromptTrial
from factors.models import Prompt
from tests.factories import ClientFactory, TherapySessionFactory

TODAY = timezone.localdate


def valid_data(**overrides):
    return {
        "label": "R.T.",
        "intake_date": (TODAY() - timedelta(days=30)).isoformat(),
        "status": "active",
        "attachment_style": "anxious",
        "usual_setting": "online",
        "fee_arrangement": "sliding_scale",
        "culture_notes": "Observes Ramadan.",
        "support_notes": "",
        **overrides,
    }


def test_a_clinician_adds_a_client_and_lands_on_the_client_page(owner_client, owner):
    response = owner_client.post(reverse("client_create"), valid_data())
    client = Client.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("client_detail", args=[client.pk])
    assert (client.clinician, client.label, client.fee_arrangement) == (owner, "R.T.", "sliding_scale")
    page = owner_client.get(response["Location"]).content.decode()
    assert "Client R.T. added" in page
    assert "No sessions yet" in page
    assert "Observes Ramadan." in page


def test_the_add_form_offers_today_as_intake_date(owner_client):
    response = owner_client.get(reverse("client_create"))
    assert TODAY().isoformat() in response.content.decode()


def test_an_owner_field_in_the_post_cannot_assign_the_client_to_someone_else(owner_client, owner, colleague):
    owner_client.post(reverse("client_create"), valid_data(clinician=colleague.pk))
    assert Client.objects.get().clinician == owner


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("label", "", "This field is required."),
        ("label", "x" * 41, "Ensure this value has at most 40 characters"),
        ("intake_date", "", "This field is required."),
        ("intake_date", "31/02/2026", "Enter a valid date."),
        ("intake_date", (TODAY() + timedelta(days=1)).isoformat(), "cannot be in the future"),
        ("status", "deceased", "Select a valid choice."),
        ("attachment_style", "clingy", "Select a valid choice."),
        ("fee_arrangement", "", "This field is required."),
        ("culture_notes", "x" * 1001, "at most 1000 characters"),
        ("support_notes", "x" * 1001, "at most 1000 characters"),
    ],
)
def test_bad_input_on_the_client_form_shows_an_error_and_saves_nothing(owner_client, field, value, message):
    response = owner_client.post(reverse("client_create"), valid_data(**{field: value}))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert "Nothing was saved" in response.content.decode()
    assert not Client.objects.exists()


def test_a_duplicate_label_is_refused_whatever_its_case(owner_client, owner):
    ClientFactory(clinician=owner, label="R.T.")
    response = owner_client.post(reverse("client_create"), valid_data(label="r.t."))
    assert "already have a client with this label" in response.content.decode()
    assert Client.objects.count() == 1


def test_another_clinician_may_use_the_same_label(owner_client, colleague):
    ClientFactory(clinician=colleague, label="R.T.")
    assert owner_client.post(reverse("client_create"), valid_data()).status_code == 302


def test_the_owner_edits_their_client_and_discharges_them(owner_client, their_client):
    url = reverse("client_edit", args=[their_client.pk])
    assert owner_client.get(url).status_code == 200
    response = owner_client.post(url, valid_data(label="J.M.", status="discharged", version=their_client.version))
    assert response.status_code == 302
    their_client.refresh_from_db()
    assert their_client.status == "discharged"


def test_the_intake_date_cannot_move_after_the_first_session(owner_client, their_client):
    TherapySessionFactory(client=their_client, date=TODAY() - timedelta(days=20))
    response = owner_client.post(
        reverse("client_edit", args=[their_client.pk]),
        valid_data(label="J.M.", intake_date=(TODAY() - timedelta(days=10)).isoformat(), version=1),
    )
    assert "the intake date cannot be later" in response.content.decode()
    their_client.refresh_from_db()
    assert their_client.intake_date == TODAY() - timedelta(days=365)


def test_it_hides_other_clinicians_clients_behind_404(owner_client, colleagues_client):
    for name in ["client_detail", "client_edit"]:
        response = owner_client.get(reverse(name, args=[colleagues_client.pk]))
        assert response.status_code == 404
        assert "Z.Z.-private" not in response.content.decode()
    response = owner_client.post(reverse("client_edit", args=[colleagues_client.pk]), valid_data(label="Hijacked"))
    assert response.status_code == 404
    colleagues_client.refresh_from_db()
    assert colleagues_client.label == "Z.Z.-private"


def test_the_client_page_shows_each_sessions_twelve_ratings_in_date_order(owner_client, their_client):
    early = TherapySessionFactory(client=their_client, date=TODAY() - timedelta(days=14), default_score=2)
    late = TherapySessionFactory(
        client=their_client, date=TODAY() - timedelta(days=7), ratings={"stigma": None}, default_score=5
    )
    response = owner_client.get(reverse("client_detail", args=[their_client.pk]))
    assert [s.pk for s in response.context["sessions"]] == [early.pk, late.pk]
    grid = dict(
        (factor.key, [r.score if r else None for r in ratings])
        for _, rows in response.context["grid"]
        for factor, ratings in rows
    )
    assert len(grid) == 12
    assert grid["communication"] == [2, 5]
    assert grid["stigma"] == [2, None]
    html = response.content.decode()
    assert "Not assessed" in html
    assert html.count('class="rating rating-5"') == 11


def test_the_client_page_paginates_sessions_20_at_a_time(owner_client, their_client):
    for days in range(25):
        TherapySessionFactory(client=their_client, date=TODAY() - timedelta(days=days))
    url = reverse("client_detail", args=[their_client.pk])
    assert len(owner_client.get(url).context["sessions"]) == 20
    second = owner_client.get(url, {"page": 2}).context["sessions"]
    assert len(second) == 5
    assert second[0].date == TODAY() - timedelta(days=24)  # oldest sessions on the last page


@pytest.mark.parametrize("count", [5, 50])
def test_the_client_page_query_count_does_not_grow_with_sessions(
    owner_client, their_client, count, django_assert_num_queries
):
    for days in range(count):
        TherapySessionFactory(client=their_client, date=TODAY() - timedelta(days=days), default_score=2)
    PromptTrial.objects.create(
        client=their_client,
        prompt=Prompt.objects.first(),
        after_session=their_client.sessions.first(),
        chosen_by=their_client.clinician,
    )
    # 1 session, 2 user, 3 client, 4 factors, 5 session count, 6 sessions of the page, 7 their ratings,
    # 8-10 the whole series (ratings, the client's self-reports, sessions) for chart and rules, 11 stored
    # flags, 12 the marks on them, 13 the client's PHQ-9/GAD-7 responses (none here: no instruments
    # query), 14 tried prompts, 15 prompts for the open flags, 16-17 the base rate for the tried prompt
    # (the clinician's trials and their ratings of its factor), 18 review notes, 19 the self-report
    # links (recent, shown and superseded from one query; no answers here, so no question names and no
    # earlier answer sets), 20 the audit row for viewing the record
    with django_assert_num_queries(20):
        response = owner_client.get(reverse("client_detail", args=[their_client.pk]))
    assert len(response.context["insight"].flags) == 12  # every factor persistently weak
    assert len(response.context["chart"]["labels"]) == count

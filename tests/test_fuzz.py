"""Property-based abuse of every form and query parameter (hypothesis).

Hostile values never cause a server error, never change a row when they are
invalid, and come back escaped when a page shows them.
"""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.models import Client, PromptTrial, Rating, TherapySession
from factors.models import Factor
from supervision.models import ReviewNote
from tests.factories import ClientFactory, TherapySessionFactory

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    "'; DROP TABLE clients_client; --",
    "A\x00B",
    "\x00",
    "9" * 40,
    "-1",
    "1e309",
    "NaN",
    "{{ 7|add:7 }}",
    "../../etc/passwd",
    "",
    " ",
]
hostile = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(max_size=300),
    st.text(min_size=2000, max_size=2100),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SCRIPT = "<script>alert(1)</script>"


def rows():
    return (
        Client.objects.count(),
        TherapySession.objects.count(),
        Rating.objects.count(),
        ReviewNote.objects.count(),
        PromptTrial.objects.count(),
    )


def assert_safe(response):
    assert response.status_code < 500
    assert SCRIPT not in response.content.decode(errors="replace")


CLIENT_FIELDS = [
    "label",
    "intake_date",
    "status",
    "attachment_style",
    "usual_setting",
    "fee_arrangement",
    "culture_notes",
    "support_notes",
]


@pytest.mark.django_db
@FUZZ
@given(field=st.sampled_from(CLIENT_FIELDS), value=hostile)
def test_the_client_form_survives_hostile_values(owner_client, owner, field, value):
    data = {
        "label": "F.Z.",
        "intake_date": "2026-01-05",
        "status": "active",
        "attachment_style": "unknown",
        "usual_setting": "online",
        "fee_arrangement": "standard",
        "culture_notes": "",
        "support_notes": "",
        "clinician": "999",
        field: value,
    }
    before = rows()
    response = owner_client.post(reverse("client_create"), data)
    assert_safe(response)
    if response.status_code == 200:
        assert rows() == before  # invalid: nothing saved
    else:
        created = Client.objects.latest("pk")
        assert created.clinician == owner  # an injected owner id is ignored
        assert "\x00" not in created.label
        page = owner_client.get(reverse("client_detail", args=[created.pk]))
        assert_safe(page)
        created.delete()


SESSION_FIELDS = ["client", "date", "setting", "note", "score_communication", "score_stigma", "note_openness"]


@pytest.mark.django_db
@FUZZ
@given(field=st.sampled_from(SESSION_FIELDS), value=hostile)
def test_the_session_form_survives_hostile_values(owner_client, owner, field, value):
    their = Client.objects.filter(clinician=owner).first() or ClientFactory(clinician=owner)
    data = {
        "client": their.pk,
        "date": "2026-02-02",
        "setting": "online",
        **{f"score_{f.key}": "3" for f in Factor.objects.all()},
        field: value,
    }
    before = rows()
    response = owner_client.post(reverse("session_create"), data)
    assert_safe(response)
    if response.status_code == 200:
        assert rows() == before
    else:
        TherapySession.objects.filter(client=their).delete()


@pytest.mark.django_db
@FUZZ
@given(field=st.sampled_from(["version", "date", "setting", "note", "score_flexibility"]), value=hostile)
def test_the_session_edit_survives_hostile_values_and_changes_nothing_when_invalid(owner_client, owner, field, value):
    session = TherapySession.objects.filter(client__clinician=owner).first() or TherapySessionFactory(
        client=ClientFactory(clinician=owner), default_score=3
    )
    snapshot = (
        session.date,
        session.setting,
        session.note,
        session.version,
        list(session.ratings.order_by("pk").values_list("score", "note")),
    )
    data = {
        "date": session.date.isoformat(),
        "setting": session.setting,
        "note": session.note,
        "version": session.version,
        **{f"score_{f.key}": "3" for f in Factor.objects.all()},
        field: value,
    }
    response = owner_client.post(reverse("session_edit", args=[session.pk]), data)
    assert_safe(response)
    session.refresh_from_db()
    if response.status_code == 200:
        assert snapshot == (
            session.date,
            session.setting,
            session.note,
            session.version,
            list(session.ratings.order_by("pk").values_list("score", "note")),
        )


@pytest.mark.django_db
@FUZZ
@given(prompt=hostile, action=hostile)
def test_the_prompt_trial_survives_hostile_values(owner_client, owner, prompt, action):
    session = TherapySession.objects.filter(client__clinician=owner).first() or TherapySessionFactory(
        client=ClientFactory(clinician=owner)
    )
    before = rows()
    response = owner_client.post(
        reverse("prompt_trial", args=[session.client_id]),
        {"prompt": prompt, "action": action, "next": value_or(prompt)},
    )
    assert_safe(response)
    assert response.status_code == 302
    assert response["Location"].startswith("/")  # never an outside redirect
    assert rows() == before


def value_or(text):
    return text if text.startswith(("http", "//", "/")) else "//evil.example/"


@pytest.mark.django_db
@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["status", "q", "sort", "page", "clinician", "kind", "domain", "since_from", "since_to"]),
        hostile,
        max_size=4,
    )
)
def test_lists_survive_hostile_query_parameters(owner_client, params):
    for url in [reverse("caseload"), reverse("home"), reverse("session_create")]:
        assert_safe(owner_client.get(url, params))


@pytest.mark.django_db
@FUZZ
@given(username=hostile, password=hostile)
def test_the_login_survives_hostile_values(client, username, password):
    assert_safe(client.post(reverse("login"), {"username": username, "password": password}))


def test_duplicated_parameters_cannot_smuggle_another_clinicians_client(owner_client, their_client, colleagues_client):
    data = {"date": "2026-02-02", "setting": "online", **{f"score_{f.key}": "3" for f in Factor.objects.all()}}
    data["client"] = [their_client.pk, colleagues_client.pk]  # the last one wins in Django's QueryDict
    response = owner_client.post(reverse("session_create"), data)
    assert response.status_code == 200
    assert "Choose one of your active clients." in response.content.decode()
    assert not TherapySession.objects.exists()


def test_a_nul_byte_is_refused_with_a_message(owner_client, their_client):
    data = {
        "client": their_client.pk,
        "date": "2026-02-02",
        "setting": "online",
        "note": "a\x00b",
        **{f"score_{f.key}": "3" for f in Factor.objects.all()},
    }
    response = owner_client.post(reverse("session_create"), data)
    assert "Null characters are not allowed." in response.content.decode()
    assert not TherapySession.objects.exists()


def test_an_over_long_username_is_refused_before_any_lookup(client, db):
    response = client.post(reverse("login"), {"username": "0" * 300, "password": "x"})
    assert response.status_code == 200
    assert "at most 150 characters" in response.content.decode()


@pytest.mark.parametrize("param", ["q", "since_from", "clinician", "kind", "sort", "page", "status", "client"])
def test_a_nul_byte_in_a_query_parameter_is_harmless(owner_client, param):
    for url in [reverse("caseload"), reverse("home"), reverse("session_create")]:
        response = owner_client.get(url, {param: "a\x00b"})
        assert response.status_code == (404 if param == "clinician" and url == reverse("caseload") else 200)

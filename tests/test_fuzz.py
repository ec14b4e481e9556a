"""Property-based abuse of every form and query parameter (hypothesis).

Hostile values never cause a server error, never change a row when they are
invalid, and come back escaped when a page shows them.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
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


def days_ago(n):
    return (timezone.localdate() - timedelta(days=n)).isoformat()


def assert_both_branches_ran(outcomes):
    """A property test whose valid branch never runs still passes while testing nothing
    (a fixed date that falls before the intake did exactly that): make it fail."""
    assert outcomes["valid"] > 0, f"no example reached the valid branch: {dict(outcomes)}"
    assert outcomes["invalid"] > 0, f"no example reached the invalid branch: {dict(outcomes)}"


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
def test_the_client_form_survives_hostile_values(owner_client, owner):
    outcomes = Counter()

    @FUZZ
    @example(field="culture_notes", value=SCRIPT)  # valid: kept as text, shown escaped
    @example(field="intake_date", value=SCRIPT)  # invalid
    @given(field=st.sampled_from(CLIENT_FIELDS), value=hostile)
    def check(field, value):
        data = {
            "label": "F.Z.",
            "intake_date": days_ago(30),
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
            outcomes["invalid"] += 1
            assert rows() == before  # invalid: nothing saved
        else:
            outcomes["valid"] += 1
            created = Client.objects.latest("pk")
            assert created.clinician == owner  # an injected owner id is ignored
            assert "\x00" not in created.label
            page = owner_client.get(reverse("client_detail", args=[created.pk]))
            assert_safe(page)
            created.delete()

    check()
    assert_both_branches_ran(outcomes)


SESSION_FIELDS = ["client", "date", "setting", "note", "score_communication", "score_stigma", "note_openness"]


@pytest.mark.django_db
def test_the_session_form_survives_hostile_values(owner_client, owner):
    their = ClientFactory(clinician=owner)
    outcomes = Counter()

    @FUZZ
    @example(field="note", value=SCRIPT)  # valid: kept as text
    @example(field="date", value=SCRIPT)  # invalid
    @given(field=st.sampled_from(SESSION_FIELDS), value=hostile)
    def check(field, value):
        data = {
            "client": their.pk,
            "date": days_ago(1),
            "setting": "online",
            **{f"score_{f.key}": "3" for f in Factor.objects.all()},
            field: value,
        }
        before = rows()
        response = owner_client.post(reverse("session_create"), data)
        assert_safe(response)
        if response.status_code == 200:
            outcomes["invalid"] += 1
            assert rows() == before
        else:
            outcomes["valid"] += 1
            TherapySession.objects.filter(client=their).delete()

    check()
    assert_both_branches_ran(outcomes)


def session_state(session):
    session.refresh_from_db()
    ratings = list(session.ratings.order_by("pk").values_list("score", "note"))
    return (session.date, session.setting, session.note, session.version, ratings)


@pytest.mark.django_db
def test_the_session_edit_survives_hostile_values_and_changes_nothing_when_invalid(owner_client, owner):
    session = TherapySessionFactory(client=ClientFactory(clinician=owner), default_score=3)
    outcomes = Counter()

    @FUZZ
    @example(field="note", value=SCRIPT)  # valid
    @example(field="version", value="0")  # invalid: out of date
    @given(field=st.sampled_from(["version", "date", "setting", "note", "score_flexibility"]), value=hostile)
    def check(field, value):
        before = session_state(session)
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
        if response.status_code == 200:
            outcomes["invalid"] += 1
            assert session_state(session) == before
        else:
            outcomes["valid"] += 1
            assert session_state(session)[3] == before[3] + 1  # saved: the version moved on

    check()
    assert_both_branches_ran(outcomes)


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
    data = {"date": days_ago(1), "setting": "online", **{f"score_{f.key}": "3" for f in Factor.objects.all()}}
    data["client"] = [their_client.pk, colleagues_client.pk]  # the last one wins in Django's QueryDict
    response = owner_client.post(reverse("session_create"), data)
    assert response.status_code == 200
    assert "Choose one of your active clients." in response.content.decode()
    assert not TherapySession.objects.exists()


def test_a_nul_byte_is_refused_with_a_message(owner_client, their_client):
    data = {
        "client": their_client.pk,
        "date": days_ago(1),
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

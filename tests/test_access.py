"""Access rules for every app URL, built from the URL configuration itself.

A URL added to clients/urls.py without a row in EXPECTED fails this suite.
The full role matrix (supervisors, administrators) extends this file when
roles arrive.
"""

import pytest
from django.urls import URLPattern, get_resolver, reverse

from clients import urls as client_urls
from tests.factories import ClientFactory, TherapySessionFactory

# name -> (which object fills <pk>, the methods it answers, status of the owner's GET)
GET, POST, BOTH = {"get"}, {"post"}, {"get", "post"}
EXPECTED = {
    "home": (None, GET, 302),
    "caseload": (None, GET, 200),
    "client_create": (None, BOTH, 200),
    "client_detail": ("client", GET, 200),
    "client_edit": ("client", BOTH, 200),
    "prompt_trial": ("client", POST, 405),
    "session_create": (None, BOTH, 200),
    "session_detail": ("session", GET, 200),
    "session_edit": ("session", BOTH, 200),
}
APP_URL_NAMES = [p.name for p in client_urls.urlpatterns if isinstance(p, URLPattern)]


@pytest.fixture
def records(owner, colleague):
    mine = TherapySessionFactory(client=ClientFactory(clinician=owner), note="owner's secret note")
    theirs = TherapySessionFactory(
        client=ClientFactory(clinician=colleague, label="Colleague-only"), note="colleague's secret note"
    )
    return {
        "owner": {"client": mine.client, "session": mine},
        "colleague": {"client": theirs.client, "session": theirs},
    }


def url_for(name, records, whose):
    kind = EXPECTED[name][0]
    return reverse(name, args=[records[whose][kind].pk]) if kind else reverse(name)


def test_every_app_url_has_an_access_rule():
    assert set(APP_URL_NAMES) == set(EXPECTED)


def test_every_page_but_login_needs_a_login():
    resolver = get_resolver()
    names = {p.name for p in resolver.url_patterns if isinstance(p, URLPattern)}
    assert names == {"login", "logout"}  # the rest are the app's include and the admin


@pytest.mark.parametrize("name", APP_URL_NAMES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_users_are_sent_to_login_and_see_nothing(client, records, name, method):
    url = url_for(name, records, "owner")
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert b"secret" not in response.content


@pytest.mark.parametrize("name", APP_URL_NAMES)
def test_the_owner_reaches_every_page(owner_client, records, name):
    assert owner_client.get(url_for(name, records, "owner")).status_code == EXPECTED[name][2]


@pytest.mark.parametrize("name", [n for n in APP_URL_NAMES if "post" not in EXPECTED[n][1]])
def test_read_only_pages_refuse_post_even_for_the_owner(owner_client, records, name):
    assert owner_client.post(url_for(name, records, "owner")).status_code == 405


@pytest.mark.parametrize("name", [n for n in APP_URL_NAMES if EXPECTED[n][0]])
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_clinicians_record_answers_404_and_reveals_nothing(owner_client, records, name, method):
    response = getattr(owner_client, method)(url_for(name, records, "colleague"))
    # A method the URL does not answer is refused with 405 whoever's record it is: that reveals nothing either.
    assert response.status_code == (404 if method in EXPECTED[name][1] else 405)
    assert b"Colleague-only" not in response.content
    assert b"secret" not in response.content


@pytest.mark.parametrize("name", [n for n in APP_URL_NAMES if EXPECTED[n][0]])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_deactivated_owner_is_logged_out_of_their_own_records(client, owner, records, name, method):
    client.force_login(owner)
    owner.is_active = False
    owner.save()
    response = getattr(client, method)(url_for(name, records, "owner"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", [n for n in APP_URL_NAMES if EXPECTED[n][0]])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_superuser_sees_no_client_records_in_the_app(client, admin_user, records, name, method):
    client.force_login(admin_user)
    response = getattr(client, method)(url_for(name, records, "owner"))
    assert response.status_code == (404 if method in EXPECTED[name][1] else 405)
    assert b"secret" not in response.content


def test_lists_never_show_another_clinicians_clients(owner_client, records):
    for url in [reverse("caseload") + "?status=all", reverse("session_create")]:
        assert b"Colleague-only" not in owner_client.get(url).content


def test_login_and_logout(client, owner):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "owner", "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert client.get(reverse("caseload")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405  # logging out is a POST
    client.post(reverse("logout"))
    assert client.get(reverse("caseload")).status_code == 302


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, owner):
    response = client.post(reverse("login"), {"username": "owner", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()

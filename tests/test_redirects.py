"""A `next` the request supplies is followed only if it is a safe local path;
anything else falls back to the page the form belongs to (alliance.redirects)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from alliance.redirects import is_safe_local_path
from tests.factories import TherapySessionFactory

HOSTILE = [
    '"><img src=x>',
    '/"><img src=x onerror=alert(1)>',
    "/clients/'\"<script>alert(1)</script>",
    "'",
    '"',
    "/clients/\x00",
    "\x00",
    "/clients/%00/",
    "/clients/\r\nSet-Cookie: x=1",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "/%2F/evil.example/",
    "\\\\evil.example",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " /clients/",
    "/" + "a" * 100_000,
    "client_detail",
    "",
]


@pytest.fixture
def session(their_client):
    return TherapySessionFactory(client=their_client, ratings={"openness": 1})


@pytest.mark.parametrize("value", HOSTILE)
def test_the_focus_form_falls_back_to_the_client_page_for_a_hostile_next(owner_client, session, value):
    response = owner_client.post(reverse("prompt_trial", args=[session.client_id]), {"next": value, "action": "try"})
    assert response.status_code == 302
    assert response["Location"] == reverse("client_detail", args=[session.client_id]) + "#focus"


def test_the_focus_form_returns_to_the_session_page_it_was_posted_from(owner_client, session):
    page = reverse("session_detail", args=[session.pk])
    response = owner_client.post(reverse("prompt_trial", args=[session.client_id]), {"next": page + "?x=1#top"})
    assert response["Location"] == page + "?x=1#focus"


@pytest.mark.parametrize("value", HOSTILE)
def test_logging_in_with_a_hostile_next_lands_on_home(client, owner, value):
    response = client.post(
        reverse("login") + "?next=/clients/",
        {"username": "owner", "password": "correct horse battery staple", "next": value},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)


def test_logging_in_follows_a_local_next(client, owner):
    response = client.post(
        reverse("login"), {"username": "owner", "password": "correct horse battery staple", "next": "/clients/?page=2"}
    )
    assert response["Location"] == "/clients/?page=2"


def test_the_login_page_carries_only_a_safe_next(client, db):
    html = client.get(reverse("login"), {"next": '"><img src=x>'}).content.decode()
    assert 'name="next" value=""' in html
    html = client.get(reverse("login"), {"next": "/clients/"}).content.decode()
    assert 'name="next" value="/clients/"' in html


@pytest.mark.parametrize("value", ['"><img src=x>', "//evil.example/", "javascript:alert(1)"])
def test_logging_out_with_a_hostile_next_lands_on_the_logged_out_page(owner_client, value):
    response = owner_client.post(reverse("logout"), {"next": value})
    assert response.status_code == 302
    assert response["Location"] == reverse("logged_out")


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_is_never_a_safe_local_path(value):
    assert not is_safe_local_path(RequestFactory().get("/"), value)


@pytest.mark.parametrize("value", ["/", "/clients/12/", "/clients/?status=all&q=O'Brien&page=2", "/sessions/3/#focus"])
def test_a_local_path_is_safe(value):
    assert is_safe_local_path(RequestFactory().get("/"), value)


def test_no_view_reads_next_or_checks_a_redirect_itself():
    """Every redirect to user input goes through alliance.redirects."""
    root = Path(settings.BASE_DIR)
    offenders = []
    packages = [d for d in root.iterdir() if (d / "__init__.py").exists() and d.name != "tests"]
    for path in (p for package in packages for p in package.rglob("*.py")):
        if "migrations" in path.parts or path.name == "redirects.py":
            continue
        text = path.read_text()
        if "url_has_allowed_host_and_scheme" in text or '"next"' in text or "HTTP_REFERER" in text:
            offenders.append(str(path.relative_to(root)))
    assert offenders == []

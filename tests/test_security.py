"""Production configuration, headers, sessions and logins (issue: trust)."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, PBKDF2PasswordHasher
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.hashers import Argon2idHasher
from accounts.models import User
from alliance import settings as production_settings
from audit.models import AuditEvent
from selfreport.models import SelfReportLink
from tests.factories import ClientFactory, UserFactory
from tests.test_access import EXPECTED, make_world, url_for

PASSWORD = "correct horse battery staple"


def login(http, username="owner", password=PASSWORD):
    return http.post(reverse("login"), {"username": username, "password": password})


# --- production configuration ------------------------------------------------------


@pytest.mark.parametrize("mfa_for_clinicians", ["false", "true"])
def test_the_deployment_check_passes_in_production_mode(mfa_for_clinicians):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DEBUG="false",
        SECRET_KEY="p" * 20 + "-production-secret-key-for-the-check-" + "x9Yz" * 5,
        ALLOWED_HOSTS="alliance.example.org",
        DJANGO_SETTINGS_MODULE="alliance.settings",
        MFA_FOR_CLINICIANS=mfa_for_clinicians,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_hashes_passwords_with_argon2id_at_owasps_cost_and_validates_them():
    assert production_settings.PASSWORD_HASHERS[0] == "accounts.hashers.Argon2idHasher"
    encoded = Argon2idHasher().encode(PASSWORD, "somesaltvalue123")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")  # 19 MiB, 2 passes, 1 lane
    with pytest.raises(ValidationError):
        validate_password("password1")
    with pytest.raises(ValidationError):
        validate_password("12345678901")
    validate_password("a long and unusual passphrase 42")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "old_hasher",
    [Argon2PasswordHasher, PBKDF2PasswordHasher],
    ids=["django-default-argon2", "pbkdf2"],
)
def test_an_older_password_hash_is_upgraded_at_the_next_login(client, old_hasher):
    user = UserFactory(username="owner")
    old = old_hasher().encode(PASSWORD, old_hasher().salt())
    User.objects.filter(pk=user.pk).update(password=old)
    with override_settings(PASSWORD_HASHERS=production_settings.PASSWORD_HASHERS):
        assert login(client, password="wrong").status_code == 200
        user.refresh_from_db()
        assert user.password == old  # a failed login changes nothing
        assert login(client).status_code == 302
        user.refresh_from_db()
        assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
        assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_every_page_carries_the_security_headers(client, owner):
    client.force_login(owner)
    their = ClientFactory(clinician=owner)
    for url in [reverse("login"), reverse("home"), reverse("client_detail", args=[their.pk])]:
        response = client.get(url, secure=True)
        csp = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
        assert directives["script-src"] == "'self'"
        assert "unsafe-inline" not in csp
        assert directives["frame-ancestors"] == "'none'"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        assert "no-store" in response["Cache-Control"]


def test_production_cookies_are_secure_and_host_bound():
    assert production_settings.SESSION_COOKIE_SECURE is True
    assert production_settings.CSRF_COOKIE_SECURE is True
    assert production_settings.SESSION_COOKIE_NAME.startswith("__Host-")
    assert production_settings.SECURE_SSL_REDIRECT is True


# --- automatic logoff -----------------------------------------------------------------


@pytest.mark.django_db
def test_fifteen_idle_minutes_log_the_user_off_and_say_why(client, owner):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        login(client)
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(timedelta(minutes=14))
        assert client.get(reverse("home")).status_code == 200  # activity resets the clock
        traveller.shift(timedelta(minutes=16))
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("logged_out") + "?reason=idle"
    page = client.get(response["Location"]).content.decode()
    assert "logged out after 15 minutes without activity" in page
    assert client.get(reverse("home")).status_code == 302  # really logged out


@pytest.mark.django_db
def test_twelve_hours_end_a_session_however_active(client, owner):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        login(client)
        for _ in range(12 * 6 + 2):
            traveller.shift(timedelta(minutes=10))
            response = client.get(reverse("home"))
            if response.status_code == 302:
                break
    assert response["Location"] == reverse("logged_out") + "?reason=expired"
    assert "reached its limit of 12 hours" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_logout_invalidates_the_session_on_the_server(owner):
    http = HttpClient()
    login(http)
    key = http.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()
    http.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    replay = HttpClient()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_the_session_key_changes_at_login(client, owner):
    client.get(reverse("login"))
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    login(client)
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before


@pytest.mark.django_db
def test_a_deactivated_users_session_stops_at_once(client, owner):
    login(client)
    assert client.get(reverse("home")).status_code == 200
    owner.is_active = False
    owner.save()
    assert client.get(reverse("home")).status_code == 302


# --- login lockout ----------------------------------------------------------------------


@pytest.mark.django_db
def test_five_failures_lock_the_username_for_fifteen_minutes_with_a_clear_message(client, owner):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(4):
            assert login(client, password="wrong").status_code == 200
        fifth = login(client, password="wrong")
        assert fifth.status_code == 429  # the fifth failure locks
        assert "After 5 failed attempts" in fifth.content.decode()
        locked = login(client)  # further attempts are refused, even with the right password
        assert locked.status_code == 429
        assert "locked for 15 minutes" in locked.content.decode()
        assert client.get(reverse("home")).status_code == 302
        traveller.shift(timedelta(minutes=16))
        assert login(client).status_code == 302
    actions = list(AuditEvent.objects.filter(actor_username="owner").values_list("action", flat=True))
    assert actions.count("login_failed") >= 5
    assert "lockout" in actions
    assert "login" in actions


@pytest.mark.django_db
def test_another_address_is_not_locked_out(owner):
    attacker = HttpClient(REMOTE_ADDR="203.0.113.9")
    for _ in range(6):
        login(attacker, password="wrong")
    assert login(HttpClient(REMOTE_ADDR="198.51.100.7")).status_code == 302


@pytest.mark.django_db
def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(client, owner):
    wrong = login(client, password="wrong")
    unknown = login(client, username="nobody-here")
    message = "Please enter a correct username and password"
    assert message in wrong.content.decode()
    assert message in unknown.content.decode()
    assert wrong.status_code == unknown.status_code == 200


# --- CSRF and error pages ------------------------------------------------------------------


def post_endpoints():
    """(URL name, role) for every URL that accepts a POST from someone, from the access matrix
    (which tests/test_access.py keeps in step with the URL configuration): the anonymous
    pages first (the login, the client's self-report link), else the first user allowed."""
    for name, (_, rules) in sorted(EXPECTED.items()):
        if rules["anonymous"][1] == 200:
            yield name, "anonymous"
            continue
        role = next((r for r in ("owner", "own_supervisor") if rules[r][1] not in (404, 405)), None)
        if role:
            yield name, role


POST_ENDPOINTS = list(post_endpoints())


def test_the_csrf_list_includes_every_kind_of_post():
    names = {name for name, _ in POST_ENDPOINTS}
    assert {"self_report", "login", "logout", "session_create", "self_report_create", "review_note_create"} <= names
    assert ("self_report", "anonymous") in POST_ENDPOINTS


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), POST_ENDPOINTS)
def test_every_post_without_a_csrf_token_is_refused(name, role):
    world = make_world()
    url = url_for(name, world)
    if name == "self_report":
        _link, token = SelfReportLink.create_for(world["session"], world["users"]["owner"])
        url = reverse(name, args=[token])
    http = HttpClient(enforce_csrf_checks=True)
    if role != "anonymous":
        http.force_login(world["users"][role])
    response = http.post(url, {"label": "X", "text": "X"})
    assert response.status_code == 403
    assert "This request was refused" in response.content.decode()


@pytest.mark.django_db
def test_a_server_error_shows_a_generic_page_without_internals(client, owner, monkeypatch):
    from clients import views

    def broken(*args, **kwargs):
        raise RuntimeError("SELECT secret FROM clients_client")

    monkeypatch.setattr(views.insights, "for_client", broken)
    client.force_login(owner)
    client.raise_request_exception = False
    their = ClientFactory(clinician=owner)
    response = client.get(reverse("client_detail", args=[their.pk]))
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "SELECT" not in body
    assert "Traceback" not in body


@pytest.mark.django_db
def test_a_missing_page_is_generic_and_audited_as_denied(client, owner):
    client.force_login(owner)
    response = client.get(reverse("client_detail", args=[999999]))
    assert response.status_code == 404
    assert "not part of your records" in response.content.decode()
    assert AuditEvent.objects.filter(action="denied", actor=owner, path="/clients/999999/").exists()


def test_a_weak_password_is_refused_when_an_administrator_sets_one(client, db):
    admin = UserFactory(username="adm", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newbie",
            "password1": "password",
            "password2": "password",
            "usable_password": "true",
            "role": "clinician",
        },
    )
    assert response.status_code == 200
    assert "This password is too common" in response.content.decode()

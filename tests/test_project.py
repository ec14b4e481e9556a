"""Project-level guarantees: settings from the environment, migrations, demo data."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from accounts.models import User
from alliance.env import env_bool, env_int, env_list
from clients.models import Client, Rating, TherapySession


def test_a_missing_migration_fails_the_suite(db):
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit:
        pytest.fail(f"Model changes without a migration:\n{out.getvalue()}")


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("true", True), ("Off", False), ("", False)])
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG") is expected


def test_env_helpers_fail_loudly_on_bad_values(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    monkeypatch.setenv("X_NUM", "ten")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG")
    with pytest.raises(ImproperlyConfigured, match="X_NUM"):
        env_int("X_NUM", 1)


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("X_HOSTS", "a.example, b.example,,")
    assert env_list("X_HOSTS", []) == ["a.example", "b.example"]
    assert env_list("X_UNSET", ["x"]) == ["x"]


def _settings_in_subprocess(env):
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'])"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "alliance.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_without_a_secret_key_refuses_to_start():
    result = _settings_in_subprocess({"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_runs_on_sqlite_with_the_development_key_by_default():
    result = _settings_in_subprocess({"DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"


def test_database_url_selects_postgresql():
    result = _settings_in_subprocess({"SECRET_KEY": "x" * 50, "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/db"})
    assert result.stdout.strip() == "django.db.backends.postgresql", result.stderr


@pytest.mark.django_db
def test_seed_demo_loads_the_demo_set_once_however_often_it_runs():
    call_command("seed_demo", stdout=StringIO())
    counts = (Client.objects.count(), TherapySession.objects.count(), Rating.objects.count())
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert (Client.objects.count(), TherapySession.objects.count(), Rating.objects.count()) == counts
    assert "0 clients and 0 sessions created" in out.getvalue()
    assert counts[0] == 36
    assert counts[2] == counts[1] * 12
    for client in Client.objects.all():
        assert 6 <= client.sessions.count() <= 15, client
    assert User.objects.get(username="amara").check_password("alliance-demo")
    assert "morgan" in out.getvalue()


@pytest.mark.django_db
def test_seed_demo_trajectories_vary():
    call_command("seed_demo", stdout=StringIO())
    latest = {}
    for client in Client.objects.filter(clinician__username="amara"):
        scores = list(client.sessions.order_by("date").values_list("overall_score", flat=True))
        latest[client.label] = scores
    improving, declining = latest["B.R."], latest["D.L."]
    assert improving[-1] - improving[0] > 20
    assert declining[0] - declining[-1] > 20
    rupture = latest["F.T."]
    assert rupture[-2] - rupture[-1] > 15  # a drop in the latest session

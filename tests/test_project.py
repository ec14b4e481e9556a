"""Project-level guarantees: settings from the environment, migrations, demo data."""

import json
import os
import re
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
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


def test_a_bad_mfa_for_clinicians_value_stops_the_start():
    result = _settings_in_subprocess({"DEBUG": "true", "MFA_FOR_CLINICIANS": "sometimes"})
    assert result.returncode != 0
    assert "MFA_FOR_CLINICIANS must be one of" in result.stderr


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


# --- the suite keeps testing, and checks the code it does not run --------------------------

ISO_DATE = re.compile(r"""["']20\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])""")


def test_tests_use_dates_relative_to_today():
    """A fixed date ages: posted as a session date it falls before the intake one day,
    and the test then only ever exercises the refusal."""
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted((settings.BASE_DIR / "tests").glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ISO_DATE.search(line)
    ]
    assert found == [], "use timezone.localdate() ± timedelta instead:\n" + "\n".join(found)


def test_ci_sets_the_ci_variable_before_running_the_suite():
    """conftest.py reads CI: hypothesis replays fixed examples, and browser tests may not skip."""
    script = (settings.BASE_DIR / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^export CI=1$", script, re.MULTILINE)
    assert script.index("export CI=1") < script.index("make test")


def test_bandit_finds_no_medium_or_high_issue_in_the_code():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-c", "pyproject.toml", "-r", ".", "-f", "json", "-q"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    scanned = set(report["metrics"]) - {"_totals"}
    assert {"./bench/load.py", "./clients/views.py", "./alliance/backup.py"} <= scanned
    assert not any("/tests/" in path or "/migrations/" in path for path in scanned)
    serious = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
        if r["issue_severity"] in ("MEDIUM", "HIGH")
    ]
    assert serious == []


def test_every_bandit_exception_gives_its_reason_on_the_same_line():
    nosec = re.compile(r"#\s*nosec\b(.*)")
    reasoned = re.compile(r"^\s+B\d{3}(,\s*B\d{3})*\s+\w+.*")
    bare = []
    for path in sorted(settings.BASE_DIR.rglob("*.py")):
        relative = path.relative_to(settings.BASE_DIR).as_posix()
        if relative.startswith((".venv/", "tests/", "staticfiles/")) or "/migrations/" in relative:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = nosec.search(line)
            if match and not reasoned.match(match.group(1)):
                bare.append(f"{relative}:{number}: {line.strip()}")
    assert bare == [], "write `# nosec BXXX <reason>`:\n" + "\n".join(bare)

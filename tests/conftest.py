"""Shared fixtures: the named users every access test is written around.

- owner: the clinician whose clients the tests look at;
- colleague: another clinician in the same practice, with clients of their own;
- admin_user: a staff superuser, who gets the Django admin but no client records.
"""

import importlib
import io
import os

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.signals import user_logged_in
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import settings as hypothesis_settings

from accounts import twostep
from tests.factories import ClientFactory, TherapySessionFactory, UserFactory

# pytest-django's live_server with Playwright's sync API (stack notes).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# In CI the property tests replay a fixed set of examples, so a landing never
# hangs on a chance draw; locally they explore new ones on every run.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


def passed_second_step_in_force_login(sender, request, user, **kwargs):
    """Test-only: Client.force_login (and Client.login) log a user in without any page, so a
    supervisor's session would lack the mark of a passed second step and
    accounts.middleware.SecondStepMiddleware would send them to it. Most tests are about
    other pages, so a session made that way counts as having passed it. Only those logins
    are marked: the test client builds a bare HttpRequest for them (no method, no path),
    which no real request is; a real login still goes through twostep.finish.
    tests/test_two_step_session.py disconnects this to test the middleware itself."""
    if request is not None and request.method is None and not request.path:
        twostep.mark_passed(request, user)


user_logged_in.connect(passed_second_step_in_force_login, dispatch_uid="tests.force_login_passes_second_step")


@pytest.fixture
def instrument():
    """The factor, prompt and question rows the data migrations seed. A transactional
    test starts from whatever the previous one left (its tables are flushed), so the
    seeds are re-run here; they are idempotent."""
    for name in [
        "factors.migrations.0002_seed_factors",
        "factors.migrations.0008_revise_anchors_and_prompts",  # the anchors and the whole prompt library
        "selfreport.migrations.0005_revise_client_questions",
        "measures.migrations.0002_seed_instruments",
        "factors.migrations.0011_seed_off_track_prompts",
        "calibration.migrations.0002_seed_vignettes",
    ]:
        importlib.import_module(name).seed(django_apps, None)


# --- The demo organisation for the browser tests ---
#
# The browser tests test pages, and most of them start from the demo organisation
# (`seed_demo`), which takes 5 s on SQLite and 15 s on PostgreSQL: it saves every session
# through clients.recording, flags and audit included. Their database is flushed after
# each test, so each would build it again. demo_data() runs the real seed_demo once per
# test process (and per database and day), copies every table's rows, and for the next
# test that asks puts exactly those rows back (same ids, sequences moved past them). It
# does so only when the database starts from the same state as when the copy was taken
# (every table's row count: a flushed database with the seeded instrument); otherwise it
# runs seed_demo again. seed_demo itself is tested in test_project, test_two_step and
# the "the demo has / shows" tests, which always run it.

_DEMO = {}


def _tables():
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


def _counts(tables):
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (our table names)
            counts[table] = cursor.fetchone()[0]
    return counts


def _copy_out(tables):
    rows = {}
    with connection.cursor() as cursor:
        for table in tables:
            name = connection.ops.quote_name(table)
            if connection.vendor == "postgresql":
                buffer = io.StringIO()
                cursor.copy_expert(f"COPY {name} TO STDOUT", buffer)
                cursor.execute(f"SELECT * FROM {name} LIMIT 0")  # noqa: S608
                rows[table] = ([c.name for c in cursor.description], buffer.getvalue())
            else:
                cursor.execute(f"SELECT * FROM {name}")  # noqa: S608
                rows[table] = ([c[0] for c in cursor.description], cursor.fetchall())
    return rows


def _copy_in(rows, counts):
    qn = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:  # foreign keys are checked at the commit
        for table, count in counts.items():
            if count:
                cursor.execute(f"DELETE FROM {qn(table)}")  # noqa: S608
        for table, (columns, data) in rows.items():
            if not data:
                continue
            names = ", ".join(qn(c) for c in columns)
            if connection.vendor == "postgresql":
                cursor.copy_expert(f"COPY {qn(table)} ({names}) FROM STDIN", io.StringIO(data))
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {qn(table)} ({names}) VALUES ({marks})", data)  # noqa: S608
        models = django_apps.get_models(include_auto_created=True)
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
    ContentType.objects.clear_cache()


def demo_data():
    """The database as `manage.py seed_demo` leaves it (see above)."""
    tables = _tables()
    counts = _counts(tables)
    key = (connection.vendor, connection.settings_dict["NAME"], timezone.localdate())
    saved = _DEMO.get(key)
    if saved is not None and saved["before"] == counts:
        _copy_in(saved["rows"], counts)
        return
    call_command("seed_demo", stdout=io.StringIO())
    _DEMO[key] = {"before": counts, "rows": _copy_out(tables)}


@pytest.fixture
def owner(db):
    return UserFactory(username="owner", first_name="Olive", last_name="Owner")


@pytest.fixture
def colleague(db):
    return UserFactory(username="colleague", first_name="Cole", last_name="League")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def owner_client(client, owner):
    """Django's test client, logged in as the owner."""
    client.force_login(owner)
    return client


@pytest.fixture
def their_client(owner):
    """One of the owner's clients (a person in therapy), with no sessions."""
    return ClientFactory(clinician=owner, label="J.M.")


@pytest.fixture
def colleagues_client(colleague):
    return ClientFactory(clinician=colleague, label="Z.Z.-private")


@pytest.fixture
def colleagues_session(colleagues_client):
    return TherapySessionFactory(client=colleagues_client, note="colleague's confidential note")


# --- Browser tests (Playwright driving Debian's Chromium; see stack notes) ---

CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    """Browser tests skip on a machine without Chromium, but never in CI."""
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI must run the browser tests but {CHROMIUM} is missing (see .ci/run).")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed: apt-get install chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


# axe-core checks the page once it has settled: CSS transitions still running are let finish
# first. A full-page screenshot moves the page under the mouse, so a button's hover colours
# can be half-way through their transition, and a colour half-way fails the contrast rule.
RUN_AXE = """async () => {
  const running = document.getAnimations().filter((a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity);
  await Promise.all(running.map((a) => a.finished.catch(() => null)));
  return await axe.run(document, {resultTypes: ['violations']});
}"""


def save_screenshot(page, name):
    """A full-page PNG under SCREENSHOT_DIR (test-results/screenshots; docs/screenshots for the README)."""
    folder = os.environ.get("SCREENSHOT_DIR", "test-results/screenshots")
    os.makedirs(folder, exist_ok=True)
    page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


@pytest.fixture
def screenshot(page):
    return lambda name: save_screenshot(page, name)

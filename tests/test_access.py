"""The access matrix, built from the URL configuration itself.

Every URL pattern (the admin aside: it has its own staff check, tested at the
end) by seven users by GET and POST, with the expected status for each. A URL
added without a row in EXPECTED fails the suite, and a refused response must
carry none of the record's content.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Team, User
from calibration.models import Vignette
from tests.factories import ClientFactory, TherapySessionFactory, UserFactory

ROLES = ["owner", "colleague", "own_supervisor", "other_supervisor", "administrator", "deactivated", "anonymous"]
LOGGED_OUT = {"deactivated": (302, 302), "anonymous": (302, 302)}


def rule(default, **special):
    """Expected (GET, POST) status per role: `default` for logged-in users unless named."""
    return {role: special.get(role, LOGGED_OUT.get(role, default)) for role in ROLES}


# name -> (object whose pk fills the URL, {role: (GET status, POST status)})
EXPECTED = {
    "login": (None, rule((302, 302), deactivated=(200, 200), anonymous=(200, 200))),
    "logout": (None, rule((405, 302))),
    "logged_out": (None, rule((200, 405), deactivated=(200, 405), anonymous=(200, 405))),
    "profile": (None, rule((200, 200))),
    # Two-step login (tests/test_two_step.py has every branch). Here nobody has a login pending:
    # the code page sends a logged-in user home and everyone else to the login page; enrolment is
    # open to a logged-in user without an app (an empty code is a form error); new recovery codes
    # are POST-only and send a user without an app to enrolment.
    "two_step": (None, rule((302, 302))),
    "two_step_enrol": (None, rule((200, 200))),
    "recovery_codes_renew": (None, rule((405, 302))),
    "home": (None, rule((200, 405))),
    "team_dashboard": (None, rule((404, 405), own_supervisor=(200, 405), other_supervisor=(200, 405))),
    "alliance_progress": (None, rule((404, 405), own_supervisor=(200, 405), other_supervisor=(200, 405))),
    "caseload": (None, rule((200, 405))),
    "caseload_export_csv": (None, rule((200, 405))),
    "fhir_questionnaire": (None, rule((200, 405))),
    # Clinical guidance and the prompt library: no client data, any signed-in user.
    "guidance": (None, rule((200, 405))),
    "prompt_library": (None, rule((200, 405))),
    "client_export_csv": ("client", rule((404, 405), owner=(200, 405), own_supervisor=(200, 405))),
    "client_summary": ("client", rule((404, 405), owner=(200, 405), own_supervisor=(200, 405))),
    "session_fhir": ("session", rule((404, 405), owner=(200, 405), own_supervisor=(200, 405))),
    "session_measures_fhir": ("session", rule((404, 405), owner=(200, 405), own_supervisor=(200, 405))),
    "client_create": (None, rule((200, 200))),
    "session_create": (None, rule((200, 200))),
    "client_detail": ("client", rule((404, 405), owner=(200, 405), own_supervisor=(200, 405))),
    "client_edit": ("client", rule((404, 404), owner=(200, 200))),
    "client_discharge": ("client", rule((404, 404), owner=(200, 302))),
    "prompt_trial": ("client", rule((405, 404), owner=(405, 302))),
    "review_note_create": ("client", rule((404, 404), own_supervisor=(200, 200))),
    "review_notes_read": ("client", rule((405, 404), owner=(405, 302))),
    # One-click marks on flags; "reviewed" here (discussed and known circumstance: tests/test_flag_reviews.py).
    "flag_mark": ("client_mark", rule((405, 404), own_supervisor=(405, 302))),
    "session_detail": ("session", rule((404, 405), owner=(200, 405), own_supervisor=(200, 405))),
    "session_edit": ("session", rule((404, 404), owner=(200, 200))),
    "session_void": ("session", rule((404, 404), owner=(200, 200))),
    "self_report_create": ("session", rule((405, 404), owner=(405, 200))),
    # Calibration (issue 15): one's own page; a clinician's page for themself and their supervisor;
    # the team page for supervisors; the blind observation of a session for the team's supervisor only.
    "calibration_mine": (None, rule((200, 405))),
    "calibration_clinician": ("clinician", rule((404, 405), owner=(200, 405), own_supervisor=(200, 405))),
    "calibration_team": (None, rule((404, 405), own_supervisor=(200, 405), other_supervisor=(200, 405))),
    "observation": ("session", rule((404, 404), own_supervisor=(200, 200))),
    "vignette_list": (None, rule((200, 405))),
    "vignette": ("vignette", rule((200, 200))),
    # The client's public page: no login; an unknown link gets the same friendly page for everyone.
    "self_report": ("token", rule((200, 200), deactivated=(200, 200), anonymous=(200, 200))),
}


def url_names(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace != "admin":
                yield from url_names(p.url_patterns, p.namespace or namespace)
        elif isinstance(p, URLPattern):
            yield p.name


ALL_URL_NAMES = sorted(set(url_names(get_resolver().url_patterns)))
SECRET = "owner-secret-note"
LABEL = "Owner-only-label"


@pytest.fixture
def world(db):
    return make_world()


def make_world():
    """Two teams: the owner and a colleague under one supervisor; another team elsewhere."""
    own_supervisor = UserFactory(username="own_supervisor", role=User.Role.SUPERVISOR)
    other_supervisor = UserFactory(username="other_supervisor", role=User.Role.SUPERVISOR)
    team = Team.objects.create(name="Riverside", supervisor=own_supervisor)
    elsewhere = Team.objects.create(name="Harbour", supervisor=other_supervisor)
    owner = UserFactory(username="owner", team=team)
    users = {
        "owner": owner,
        "colleague": UserFactory(username="colleague", team=team),
        "own_supervisor": own_supervisor,
        "other_supervisor": other_supervisor,
        "administrator": UserFactory(
            username="administrator", role=User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True
        ),
        "deactivated": owner,
    }
    UserFactory(username="elsewhere", team=elsewhere)
    client = ClientFactory(clinician=owner, label=LABEL)
    session = TherapySessionFactory(client=client, note=SECRET, ratings={"openness": 1})
    return {"users": users, "client": client, "session": session}


def url_for(name, world):
    kind = EXPECTED[name][0]
    if kind == "token":
        return reverse(name, args=["an-unknown-token"])
    if kind == "clinician":
        return reverse(name, args=[world["users"]["owner"].pk])
    if kind == "vignette":
        return reverse(name, args=[Vignette.objects.active().first().pk])
    if kind == "client_mark":
        return reverse(name, args=[world["client"].pk, "reviewed"])
    return reverse(name, args=[world[kind].pk]) if kind else reverse(name)


def test_every_url_has_an_access_rule():
    assert set(ALL_URL_NAMES) == set(EXPECTED)


@pytest.mark.parametrize("name", ALL_URL_NAMES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_access_matrix(client, world, name, role, method):
    if role != "anonymous":
        user = world["users"][role]
        client.force_login(user)
        if role == "deactivated":
            user.is_active = False
            user.save()
    response = getattr(client, method)(url_for(name, world))
    expected = EXPECTED[name][1][role][0 if method == "get" else 1]
    assert response.status_code == expected, f"{method.upper()} {name} as {role}"
    if response.status_code in (302, 403, 404, 405):
        body = response.content.decode()
        assert LABEL not in body
        assert SECRET not in body
    if response.status_code == 302 and role in LOGGED_OUT and name not in ("login", "logout"):
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["owner", "colleague", "other_supervisor", "administrator"])
def test_lists_never_show_a_record_outside_ones_scope(client, world, role):
    client.force_login(world["users"][role])
    pages = [reverse("home"), reverse("caseload") + "?status=all", reverse("session_create"), reverse("team_dashboard")]
    for url in pages:
        response = client.get(url)
        if role == "owner" and url != reverse("team_dashboard"):
            continue  # the owner's own lists show their client
        assert LABEL not in response.content.decode(), f"{url} as {role}"


def test_the_own_supervisor_sees_the_client_in_the_team_lists(client, world):
    client.force_login(world["users"]["own_supervisor"])
    assert LABEL in client.get(reverse("team_dashboard")).content.decode()
    owner = world["users"]["owner"]
    assert LABEL in client.get(reverse("caseload"), {"clinician": owner.pk}).content.decode()


@pytest.mark.parametrize(
    ("role", "status"),
    [("own_supervisor", 200), ("other_supervisor", 404), ("colleague", 404), ("administrator", 404)],
)
def test_only_the_own_supervisor_opens_a_clinicians_caseload(client, world, role, status):
    client.force_login(world["users"][role])
    response = client.get(reverse("caseload"), {"clinician": world["users"]["owner"].pk})
    assert response.status_code == status
    if status == 404:
        assert LABEL not in response.content.decode()


@pytest.mark.parametrize("value", ["abc", "99999999999999999999999", "-1"])
def test_a_junk_clinician_parameter_answers_404(client, world, value):
    client.force_login(world["users"]["own_supervisor"])
    assert client.get(reverse("caseload"), {"clinician": value}).status_code == 404


@pytest.mark.parametrize(("role", "status"), [("administrator", 200), ("owner", 302), ("own_supervisor", 302)])
def test_only_staff_reach_the_admin(client, world, role, status):
    client.force_login(world["users"][role])
    assert client.get(reverse("admin:index")).status_code == status


def test_login_and_logout(client, world):
    response = client.post(reverse("login"), {"username": "owner", "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert client.get(reverse("caseload")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("caseload")).status_code == 302


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, world):
    response = client.post(reverse("login"), {"username": "owner", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()

"""Two-step login, part 2 (issue 16 review): open sessions of users who come to need the second
step, the mark a passed second step leaves, voluntary enrolment behind the password, the
lockout on new recovery codes, the code page's two inputs, how the login row says how, the
enrolment's candidate secret and link, wrong codes at enrolment, and resets.

Named users: `sam` a supervisor, `owner` a clinician, `admin` a superuser. The suite marks
sessions made by Client.force_login as having passed the second step (tests/conftest.py);
the `real_logins_only` fixture turns that off here, so only the real pages mark a session.
"""

import time
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.signals import user_logged_in
from django.db.models import F
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts import twostep
from accounts.middleware import SecondStepMiddleware
from accounts.models import RecoveryCode, SecondFactor, User
from audit.models import AuditEvent
from tests.conftest import passed_second_step_in_force_login
from tests.factories import UserFactory
from tests.test_two_step import PASSWORD, audit_rows, code, enrolled, password

pytestmark = pytest.mark.django_db


@pytest.fixture
def real_logins_only():
    user_logged_in.disconnect(dispatch_uid="tests.force_login_passes_second_step")
    yield
    user_logged_in.connect(passed_second_step_in_force_login, dispatch_uid="tests.force_login_passes_second_step")


@pytest.fixture
def sam(db):
    return UserFactory(username="sam", role=User.Role.SUPERVISOR)


@pytest.fixture
def frozen():
    now = (int(time.time()) // 30) * 30 + 15
    with time_machine.travel(now, tick=False) as traveller:
        yield traveller


def logged_in(http):
    return "_auth_user_id" in http.session


# --- open sessions of users who come to need it ---------------------------------------------


def test_a_clinician_promoted_while_logged_in_is_sent_to_enrolment_on_their_next_page(client, owner, real_logins_only):
    assert password(client, "owner")["Location"] == reverse("home")  # the password alone, as a clinician
    assert client.get(reverse("caseload")).status_code == 200
    User.objects.filter(pk=owner.pk).update(role=User.Role.SUPERVISOR)  # promoted in the admin meanwhile
    response = client.get(reverse("caseload") + "?page=1")
    assert response.status_code == 302
    assert response["Location"] == reverse("two_step_enrol")
    assert not logged_in(client)  # the session was flushed; the login is pending
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))
    assert client.session[twostep.PENDING]["then"] == reverse("caseload") + "?page=1"  # `next` kept


@pytest.mark.parametrize("change", [{"is_staff": True}, {"is_superuser": True}, {"role": User.Role.ADMINISTRATOR}])
def test_any_promotion_that_needs_the_second_step_ends_a_password_only_session(client, owner, real_logins_only, change):
    password(client, "owner")
    User.objects.filter(pk=owner.pk).update(**change)
    assert client.get(reverse("home"))["Location"] == reverse("two_step_enrol")
    assert not logged_in(client)


def test_an_enrolled_clinician_promoted_while_logged_in_gives_a_code_and_returns_to_the_page(
    client, owner, frozen, real_logins_only
):
    secret, _ = enrolled(owner)
    client.force_login(owner)  # a session that never passed the second step (the mark is not set here)
    User.objects.filter(pk=owner.pk).update(role=User.Role.SUPERVISOR)
    response = client.get(reverse("caseload"))
    assert response["Location"] == reverse("two_step")
    done = client.post(reverse("two_step"), {"code": code(secret)})
    assert done["Location"] == reverse("caseload")
    assert client.get(reverse("caseload")).status_code == 200
    assert client.session[twostep.PASSED] == 0


def test_turning_on_the_organisation_setting_sends_open_clinician_sessions_to_the_second_step(
    client, owner, real_logins_only
):
    password(client, "owner")
    assert client.get(reverse("home")).status_code == 200
    with override_settings(MFA_FOR_CLINICIANS=True):
        assert client.get(reverse("home"))["Location"] == reverse("two_step_enrol")
    assert not logged_in(client)


def test_a_session_from_before_the_upgrade_is_sent_to_the_second_step(client, sam, frozen, real_logins_only):
    enrolled(sam)
    client.force_login(sam)  # like a session opened before the second step existed: no mark
    assert twostep.PASSED not in client.session
    assert client.get(reverse("home"))["Location"] == reverse("two_step")
    assert AuditEvent.objects.filter(action="logout", actor_username="sam").exists()


def test_a_posted_form_is_not_replayed_after_the_second_step(client, sam, frozen, real_logins_only):
    secret, _ = enrolled(sam)
    client.force_login(sam)
    before = sam.time_zone
    assert client.post(reverse("profile"), {"time_zone": "Pacific/Kiritimati"})["Location"] == reverse("two_step")
    assert User.objects.get(pk=sam.pk).time_zone == before  # the form never reached the view
    assert client.session[twostep.PENDING]["then"] == ""  # lands on home, not on a form's POST address
    assert client.post(reverse("two_step"), {"code": code(secret)})["Location"] == reverse("home")


def test_a_passed_mark_from_before_a_reset_no_longer_counts(client, sam, frozen, real_logins_only):
    secret, _ = enrolled(sam)
    password(client)
    client.post(reverse("two_step"), {"code": code(secret)})
    assert client.get(reverse("home")).status_code == 200
    User.objects.filter(pk=sam.pk).update(second_factor_resets=F("second_factor_resets") + 1)  # a reset whose
    # session deletion this session escaped (a request under way wrote it back)
    assert client.get(reverse("home"))["Location"] == reverse("two_step")
    assert not logged_in(client)


def test_logging_out_works_for_a_session_without_the_mark(client, sam, real_logins_only):
    client.force_login(sam)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert reverse("two_step") not in response["Location"]
    assert not logged_in(client)


def test_a_clinicians_password_only_session_is_not_marked_and_needs_no_mark(client, owner, real_logins_only):
    password(client, "owner")
    assert twostep.PASSED not in client.session
    assert client.get(reverse("home")).status_code == 200


def test_the_check_adds_no_query_to_a_page_of_a_user_who_passed(sam, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = sam  # loaded by AuthenticationMiddleware on a real request
    request.session = Client().session
    request.session[twostep.PASSED] = sam.second_factor_resets
    middleware = SecondStepMiddleware(lambda r: "the page")
    with django_assert_num_queries(0):
        assert middleware(request) == "the page"


# --- voluntary enrolment asks for the password -----------------------------------------------


def test_enrolling_from_the_settings_page_asks_for_the_password_before_showing_a_secret(owner_client, owner):
    page = owner_client.get(reverse("two_step_enrol"))
    assert page.status_code == 200
    assert "accounts/two_step_reauth.html" in [t.name for t in page.templates]
    assert "secret_groups" not in page.context
    assert "otpauth://" not in page.content.decode()
    assert not SecondFactor.objects.filter(user=owner).exists()  # no candidate made either
    wrong = owner_client.post(reverse("two_step_enrol"), {"password": "not it"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["password"]
    assert "otpauth://" not in wrong.content.decode()
    assert AccessAttempt.objects.get(username="owner").failures_since_start == 1  # counted like at login
    assert owner_client.post(reverse("two_step_enrol"), {"password": ""}).context["form"].errors["password"]
    assert owner_client.post(reverse("two_step_enrol"), {"code": "123456"}).context["form"].errors["password"]
    right = owner_client.post(reverse("two_step_enrol"), {"password": PASSWORD})
    assert right["Location"] == reverse("two_step_enrol")
    assert len(owner_client.get(reverse("two_step_enrol")).context["secret_groups"]) == 8


def test_a_locked_out_user_cannot_confirm_their_password_to_enrol(owner_client, owner):
    for _ in range(5):
        password(Client(), "owner", pw="wrong")
    response = owner_client.post(reverse("two_step_enrol"), {"password": PASSWORD})
    assert response.status_code == 429
    assert not logged_in(owner_client)


# --- new recovery codes check the lockout first ----------------------------------------------


def test_a_locked_out_user_cannot_renew_recovery_codes_even_with_the_right_code(client, sam, frozen):
    secret, _ = enrolled(sam)
    before = set(RecoveryCode.objects.filter(user=sam).values_list("code_hash", flat=True))
    client.force_login(sam)
    for _ in range(5):
        password(Client(), pw="wrong")
    response = client.post(reverse("recovery_codes_renew"), {"code": code(secret)})
    assert response.status_code == 429
    assert set(RecoveryCode.objects.filter(user=sam).values_list("code_hash", flat=True)) == before
    assert twostep.factor_of(sam).last_step == 0  # the code was not even tried
    assert not logged_in(client)


def test_a_malformed_code_at_renewal_is_a_format_error_not_a_failure(client, sam, frozen):
    enrolled(sam)
    client.force_login(sam)
    response = client.post(reverse("recovery_codes_renew"), {"code": "12345x"})
    assert "six digits" in response.context["code_form"].errors["code"][0]
    assert not AccessAttempt.objects.exists()


# --- the code page ---------------------------------------------------------------------------


def test_the_code_page_has_a_numeric_one_time_code_input_and_a_recovery_code_input(client, sam):
    enrolled(sam)
    password(client)
    html = client.get(reverse("two_step")).content.decode()
    app_input = html[html.index('id="id_code"') :].split(">")[0]
    for attribute in ['inputmode="numeric"', 'autocomplete="one-time-code"', "autofocus"]:
        assert attribute in app_input
    assert "Use a recovery code instead" in html
    recovery_input = html[html.index('id="id_recovery_code"') :].split(">")[0]
    assert 'type="text"' in recovery_input
    assert "inputmode" not in recovery_input


def test_a_wrong_recovery_code_shows_its_error_under_the_recovery_input(client, sam, frozen):
    enrolled(sam)
    password(client)
    html = client.post(reverse("two_step"), {"code": "aaaa-bbbb-cccc", "method": "recovery"}).content.decode()
    assert '<details class="mt-3" id="recovery" open>' in html
    assert 'id="recovery-error"' in html
    assert 'id="code-error"' not in html


def test_the_recovery_codes_page_has_a_copy_button_from_a_static_script(client, sam, frozen):
    password(client)
    secret = "".join(client.get(reverse("two_step_enrol")).context["secret_groups"])
    html = client.post(reverse("two_step_enrol"), {"code": code(secret)}).content.decode()
    assert 'id="copy-codes"' in html
    assert '<script src="/static/js/recovery-codes.js"></script>' in html
    assert "<script>" not in html  # no inline script under the Content Security Policy


# --- the login row says how ------------------------------------------------------------------


def login_rows(username):
    return audit_rows(username, "login")


def test_the_login_row_says_how_the_user_signed_in(client, sam, owner, frozen):
    secret, codes = enrolled(sam)
    password(client)
    client.post(reverse("two_step"), {"code": code(secret)})
    client.post(reverse("logout"))
    password(client)
    client.post(reverse("two_step"), {"code": codes[0]})
    password(Client(), "owner")
    assert login_rows("sam") == [
        {"signed in with": "password and app code"},
        {"signed in with": "password and recovery code"},
    ]
    assert login_rows("owner") == [{"signed in with": "password"}]


def test_the_login_row_of_an_enrolment_says_a_new_app(client, frozen):
    UserFactory(username="ada", role=User.Role.ADMINISTRATOR)
    password(client, "ada")
    secret = "".join(client.get(reverse("two_step_enrol")).context["secret_groups"])
    client.post(reverse("two_step_enrol"), {"code": code(secret)})
    assert login_rows("ada") == [{"signed in with": "password and a newly enrolled app"}]


# --- enrolment: the candidate secret, the link, wrong codes; resets -------------------------


def test_logging_in_again_before_confirming_shows_the_same_secret_so_the_app_entry_keeps_working(client, sam):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        password(client)
        first = "".join(client.get(reverse("two_step_enrol")).context["secret_groups"])
        traveller.shift(timedelta(minutes=20))  # the pending login ran out; the user logs in again
        assert client.get(reverse("two_step_enrol"))["Location"] == reverse("login")
        password(client)
        assert "".join(client.get(reverse("two_step_enrol")).context["secret_groups"]) == first
        traveller.shift(timedelta(minutes=1))
        now = int(time.time()) // 30 * 30 + 15
        traveller.move_to(now)
        assert client.post(reverse("two_step_enrol"), {"code": code(first)}).status_code == 200
        assert twostep.factor_of(sam).secret == first


def test_someone_else_with_the_password_is_never_shown_the_secret_the_user_will_confirm(client, sam, frozen):
    password(client)
    users = "".join(client.get(reverse("two_step_enrol")).context["secret_groups"])
    intruder = Client()
    password(intruder)  # another browser, the same password, while the user is enrolling
    theirs = "".join(intruder.get(reverse("two_step_enrol")).context["secret_groups"])
    assert theirs != users
    password(client)  # the user logs in again: the intruder's key is not passed on either
    again = "".join(client.get(reverse("two_step_enrol")).context["secret_groups"])
    assert again not in (theirs, users)
    assert SecondFactor.objects.get(user=sam).secret == again


def test_a_secret_shown_over_an_hour_ago_and_never_confirmed_is_replaced(client, sam):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        password(client)
        first = "".join(client.get(reverse("two_step_enrol")).context["secret_groups"])
        traveller.shift(timedelta(minutes=61))
        password(client)
        assert "".join(client.get(reverse("two_step_enrol")).context["secret_groups"]) != first


def test_enrolment_offers_a_link_that_opens_the_authenticator_app(client, sam):
    password(client)
    page = client.get(reverse("two_step_enrol"))
    secret = "".join(page.context["secret_groups"])
    html = page.content.decode()
    assert 'href="otpauth://totp/' in html
    assert f"secret={secret}" in html
    assert "Open in your authenticator app" in html


def test_wrong_codes_at_enrolment_are_audited_at_most_once_a_minute_with_their_count(client, sam):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        password(client)
        secret = "".join(client.get(reverse("two_step_enrol")).context["secret_groups"])
        wrong = "111111" if code(secret) != "111111" else "222222"
        for _ in range(20):
            client.post(reverse("two_step_enrol"), {"code": wrong})
        assert audit_rows("sam", "login_failed") == [{"second factor": "wrong code at enrolment", "wrong codes": 1}]
        traveller.shift(timedelta(seconds=61))
        client.post(reverse("two_step_enrol"), {"code": wrong})
        assert audit_rows("sam", "login_failed")[-1]["wrong codes"] == 20  # 19 held back and this one
        for _ in range(3):
            client.post(reverse("two_step_enrol"), {"code": wrong})
        traveller.move_to(int(time.time()) // 30 * 30 + 15)
        client.post(reverse("two_step_enrol"), {"code": code(secret)})
        assert audit_rows("sam", "update") == [{"second factor": "enrolled", "wrong codes before": 3}]
        assert not AccessAttempt.objects.exists()


def test_a_pending_login_from_before_a_reset_is_refused_even_if_its_session_survives(client, sam, frozen):
    enrolled(sam)
    password(client)
    saved = dict(client.session.items())
    twostep.reset(sam)  # ends the session row...
    session = client.session
    session.update(saved)  # ...which a request still under way could write back
    session.save()
    client.cookies["sessionid"] = session.session_key
    assert client.get(reverse("two_step_enrol"))["Location"] == reverse("login")
    assert not SecondFactor.objects.filter(user=sam).exists()


def test_an_administrator_resetting_users_with_no_second_factor_changes_nothing(client, sam, owner, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [sam.pk, owner.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "nobody (none of them had one)" in response.content.decode()
    assert not AuditEvent.objects.filter(action="update", object_type="accounts.user").exists()
    assert password(Client())["Location"] == reverse("two_step_enrol")  # sam still enrols at login

"""Two-step login (issue 16): enrolment, codes, recovery codes, lockout, reset, audit.

Named users: `sam` a supervisor (must have a second factor), `owner` a clinician (need not,
unless the organisation sets MFA_FOR_CLINICIANS), `admin` an administrator who resets.
"""

import time
from datetime import timedelta
from io import StringIO

import pyotp
import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts import twostep
from accounts.models import RecoveryCode, SecondFactor, User
from audit.models import AuditEvent
from selfreport.models import SelfReportLink
from tests.factories import TherapySessionFactory, UserFactory

PASSWORD = "correct horse battery staple"
pytestmark = pytest.mark.django_db


@pytest.fixture
def sam(db):
    return UserFactory(username="sam", role=User.Role.SUPERVISOR)


@pytest.fixture
def frozen():
    """The clock stopped in the middle of a 30-second step (codes do not roll over mid-test)."""
    now = (int(time.time()) // 30) * 30 + 15
    with time_machine.travel(now, tick=False) as traveller:
        yield traveller


def password(http, username="sam", pw=PASSWORD, **extra):
    return http.post(reverse("login"), {"username": username, "password": pw, **extra})


def code(secret, steps=0):
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(int(time.time()) // 30 + steps)


def enrolled(user):
    """`user` with an authenticator app (secret returned) and recovery codes (returned)."""
    secret = twostep.new_secret()
    codes = twostep.enrol(user, secret, step=0)
    return secret, codes


def logged_in_as(http):
    return http.get(reverse("profile")).status_code == 200 and http.session.get("_auth_user_id")


def audit_rows(username, action):
    events = AuditEvent.objects.filter(actor_username=username, action=action).order_by("pk")
    return list(events.values_list("changes", flat=True))


# --- who needs it -----------------------------------------------------------------------------


def test_supervisors_administrators_and_staff_need_a_second_factor_clinicians_do_not(sam, owner):
    admin = UserFactory(username="ada", role=User.Role.ADMINISTRATOR)
    staff_clinician = UserFactory(username="staffer", is_staff=True)
    assert twostep.required_for(sam)
    assert twostep.required_for(admin)
    assert twostep.required_for(staff_clinician)
    assert not twostep.required_for(owner)
    with override_settings(MFA_FOR_CLINICIANS=True):
        assert twostep.required_for(owner)


def test_a_clinician_without_an_app_logs_in_with_the_password_alone(client, owner):
    response = password(client, "owner")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert logged_in_as(client)


@override_settings(MFA_FOR_CLINICIANS=True)
def test_the_organisation_setting_sends_a_clinician_to_enrolment(client, owner):
    response = password(client, "owner")
    assert response["Location"] == reverse("two_step_enrol")
    assert not logged_in_as(client)


# --- enrolment right after the password -------------------------------------------------------


def test_a_supervisor_without_an_app_is_sent_to_enrolment_and_can_reach_nothing_else(client, sam, their_client):
    response = password(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("two_step_enrol")
    assert "_auth_user_id" not in client.session  # not logged in: the login is only pending
    for url in [reverse("home"), reverse("profile"), reverse("caseload"), reverse("client_detail", args=[1])]:
        refused = client.get(url)
        assert refused.status_code == 302
        assert refused["Location"].startswith(reverse("login"))
    assert client.get(reverse("two_step")).status_code == 302  # no app yet: back to enrolment
    assert client.get(reverse("two_step"))["Location"] == reverse("two_step_enrol")
    page = client.get(reverse("two_step_enrol"))
    assert page.status_code == 200
    assert "data:image/svg+xml" in page.content.decode()


def test_enrolment_shows_the_secret_and_a_qr_code_and_keeps_them_across_reloads(client, sam):
    password(client)
    first = client.get(reverse("two_step_enrol"))
    second = client.get(reverse("two_step_enrol"))
    secret = "".join(first.context["secret_groups"])
    assert len(secret) == 32
    assert "".join(second.context["secret_groups"]) == secret  # the app may already have scanned it
    assert " ".join(first.context["secret_groups"]) in first.content.decode()
    assert twostep.factor_of(sam) is None  # a candidate only, until a code confirms it
    assert not SecondFactor.objects.get(user=sam).confirmed


def test_confirming_enrolment_logs_in_and_shows_ten_recovery_codes_once(client, sam, frozen):
    password(client, next="/clients/")
    before = client.session.session_key
    secret = "".join(client.get(reverse("two_step_enrol")).context["secret_groups"])
    response = client.post(reverse("two_step_enrol"), {"code": code(secret)})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == len(set(codes)) == 10
    assert all(c in response.content.decode() for c in codes)
    assert response.context["continue_to"] == "/clients/"  # `next` survives the second step
    assert client.session.session_key != before
    assert logged_in_as(client)
    factor = SecondFactor.objects.get(user=sam)
    assert factor.secret == secret
    stored = list(RecoveryCode.objects.filter(user=sam).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not any(c.replace("-", "") in h or c in h for c in codes for h in stored)  # hashed, never plain
    assert client.get(reverse("profile")).context["codes_left"] == 10
    assert "second factor" in audit_rows("sam", "update")[0]
    assert audit_rows("sam", "update")[0]["second factor"] == "enrolled"


@pytest.mark.parametrize("typed", ["", "12345", "abcdef", "1234567", "000000"])
def test_a_wrong_or_malformed_enrolment_code_is_refused_and_nothing_is_saved(client, sam, typed, frozen):
    password(client)
    secret = "".join(client.get(reverse("two_step_enrol")).context["secret_groups"])
    if typed == "000000" and code(secret) == "000000":
        typed = "111111"
    response = client.post(reverse("two_step_enrol"), {"code": typed})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert 'aria-invalid="true"' in response.content.decode()
    assert twostep.factor_of(sam) is None
    assert RecoveryCode.objects.count() == 0
    assert "_auth_user_id" not in client.session
    if typed and len(typed) == 6 and typed.isdigit():
        assert audit_rows("sam", "login_failed") == [{"second factor": "wrong code at enrolment", "wrong codes": 1}]
    assert not AccessAttempt.objects.exists()  # not counted toward the lockout


def test_a_pending_login_gives_five_minutes_for_a_code_and_fifteen_to_enrol(client, sam):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        password(client)
        traveller.shift(timedelta(minutes=14))
        assert client.get(reverse("two_step_enrol")).status_code == 200
        traveller.shift(timedelta(minutes=2))
        response = client.get(reverse("two_step_enrol"), follow=True)
        assert response.redirect_chain == [(reverse("login"), 302)]
        assert "the set-up was not finished within 15 minutes" in response.content.decode()
        enrolled(sam)
        password(client)
        traveller.shift(timedelta(minutes=6))
        assert client.get(reverse("two_step"))["Location"] == reverse("login")


def test_a_logged_in_clinician_may_enrol_from_their_settings_and_is_then_asked_for_codes(owner_client, frozen):
    page = owner_client.get(reverse("profile"))
    assert reverse("two_step_enrol") in page.content.decode()
    owner_client.post(reverse("two_step_enrol"), {"password": PASSWORD})
    secret = "".join(owner_client.get(reverse("two_step_enrol")).context["secret_groups"])
    done = owner_client.post(reverse("two_step_enrol"), {"code": code(secret)})
    assert done.context["continue_to"] == reverse("profile")
    assert owner_client.get(reverse("two_step_enrol"))["Location"] == reverse("profile")  # enrolled already
    owner_client.post(reverse("logout"))
    assert password(owner_client, "owner")["Location"] == reverse("two_step")


# --- the second step ----------------------------------------------------------------------


def test_an_enrolled_user_gives_a_code_after_the_password_and_lands_on_next(client, sam, frozen):
    secret, _ = enrolled(sam)
    client.get(reverse("login"))
    fixed = client.session.session_key
    response = password(client, next="/clients/?page=2")
    assert response["Location"] == reverse("two_step")
    assert client.session.session_key != fixed  # a new key already when the password is accepted
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))
    page = client.get(reverse("two_step"))
    assert page.status_code == 200
    pending_key = client.session.session_key
    done = client.post(reverse("two_step"), {"code": code(secret)})
    assert done.status_code == 302
    assert done["Location"] == "/clients/?page=2"
    assert client.session.session_key != pending_key
    assert logged_in_as(client)
    assert AuditEvent.objects.filter(actor_username="sam", action="login").count() == 1


@pytest.mark.parametrize("hostile", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_a_hostile_next_lands_on_home_after_the_code(client, sam, frozen, hostile):
    secret, _ = enrolled(sam)
    password(client, next=hostile)
    assert client.post(reverse("two_step"), {"code": code(secret)})["Location"] == reverse("home")


def test_a_code_from_the_step_before_or_after_is_accepted_one_two_steps_away_is_not(client, sam, frozen):
    secret, _ = enrolled(sam)
    password(client)
    assert client.post(reverse("two_step"), {"code": code(secret, -2)}).status_code == 200
    assert client.post(reverse("two_step"), {"code": code(secret, 2)}).status_code == 200
    assert client.post(reverse("two_step"), {"code": code(secret, -1)}).status_code == 302


def test_a_code_works_once_and_no_earlier_code_works_after_it(client, sam, frozen):
    secret, _ = enrolled(sam)
    password(client)
    assert client.post(reverse("two_step"), {"code": code(secret)}).status_code == 302
    client.post(reverse("logout"))
    password(client)
    again = client.post(reverse("two_step"), {"code": code(secret)})
    assert again.status_code == 200
    assert "already used" in again.content.decode()
    assert client.post(reverse("two_step"), {"code": code(secret, -1)}).status_code == 200  # an earlier step
    assert "_auth_user_id" not in client.session
    assert client.post(reverse("two_step"), {"code": code(secret, 1)}).status_code == 302  # the next one does


@pytest.mark.parametrize("typed", ["", "12345", "abcdef", "x" * 41, "9999999", "12345x", "abcd-efgh-jkm"])
def test_a_malformed_code_is_a_clear_error_and_does_not_count_toward_the_lockout(client, sam, frozen, typed):
    enrolled(sam)
    password(client)
    response = client.post(reverse("two_step"), {"code": typed})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert "_auth_user_id" not in client.session
    assert not AccessAttempt.objects.exists()
    assert not audit_rows("sam", "login_failed")


def test_spaces_in_an_app_code_and_hyphens_in_a_recovery_code_are_fine(client, sam, frozen):
    secret, codes = enrolled(sam)
    password(client)
    typed = code(secret)
    assert client.post(reverse("two_step"), {"code": f" {typed[:3]} {typed[3:]} "}).status_code == 302
    client.post(reverse("logout"))
    password(client)
    assert client.post(reverse("two_step"), {"code": codes[0], "method": "recovery"}).status_code == 302


def test_a_wrong_code_is_audited_as_a_failed_login(client, sam, frozen):
    secret, _ = enrolled(sam)
    password(client)
    wrong = "111111" if code(secret) != "111111" else "222222"
    client.post(reverse("two_step"), {"code": wrong})
    assert audit_rows("sam", "login_failed") == [{"second factor": "wrong code"}]


def test_wrong_codes_and_wrong_passwords_share_one_lockout(client, sam, frozen):
    secret, _ = enrolled(sam)
    wrong = "111111" if code(secret) != "111111" else "222222"
    for _ in range(3):
        assert password(client, pw="wrong").status_code == 200
    password(client)
    assert client.post(reverse("two_step"), {"code": wrong}).status_code == 200  # the fourth failure
    fifth = client.post(reverse("two_step"), {"code": wrong})
    assert fifth.status_code == 429
    assert "After 5 failed attempts" in fifth.content.decode()
    assert password(client).status_code == 429  # the password is refused too
    assert client.post(reverse("two_step"), {"code": code(secret)}).status_code == 302  # the pending login is gone
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(actor_username="sam", action="lockout").exists()


def test_a_locked_out_user_cannot_pass_the_second_step_even_with_the_right_code(client, sam, frozen):
    secret, _ = enrolled(sam)
    password(client)
    for _ in range(5):
        password(Client(), pw="wrong")  # another browser, the same address
    locked = client.post(reverse("two_step"), {"code": code(secret)})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert SecondFactor.objects.get(user=sam).last_step == 0  # the code was not even tried


def test_only_five_wrong_codes_lock_the_user(client, sam, frozen):
    secret, _ = enrolled(sam)
    wrong = "111111" if code(secret) != "111111" else "222222"
    password(client)
    statuses = [client.post(reverse("two_step"), {"code": wrong}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]


def test_a_correct_login_resets_the_failure_count(client, sam, frozen):
    secret, _ = enrolled(sam)
    wrong = "111111" if code(secret) != "111111" else "222222"
    password(client)
    for _ in range(4):
        client.post(reverse("two_step"), {"code": wrong})
    assert client.post(reverse("two_step"), {"code": code(secret)}).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert password(client, pw="wrong").status_code == 200  # four more without a lockout


# --- recovery codes ---------------------------------------------------------------------------


def test_a_recovery_code_logs_in_once_and_is_audited(client, sam, frozen):
    _, codes = enrolled(sam)
    password(client)
    response = client.post(reverse("two_step"), {"code": codes[3].upper().replace("-", " ")}, follow=True)
    assert response.redirect_chain[0][0] == reverse("home")
    assert "9 left" in response.content.decode()
    assert audit_rows("sam", "update") == [{"second factor": "recovery code used", "left": 9}]
    client.post(reverse("logout"))
    password(client)
    again = client.post(reverse("two_step"), {"code": codes[3]})
    assert again.status_code == 200
    assert "_auth_user_id" not in client.session
    assert twostep.recovery_codes_left(sam) == 9


def test_another_users_recovery_code_does_not_work(client, sam, colleague, frozen):
    enrolled(sam)
    _, theirs = enrolled(colleague)
    password(client)
    assert client.post(reverse("two_step"), {"code": theirs[0]}).status_code == 200
    assert twostep.recovery_codes_left(colleague) == 10


def test_a_new_set_of_recovery_codes_voids_the_old_one(client, sam, frozen):
    secret, old = enrolled(sam)
    client.force_login(sam)
    response = client.post(reverse("recovery_codes_renew"), {"code": code(secret)})
    assert response.status_code == 200
    new = response.context["codes"]
    assert len(new) == 10
    assert not set(new) & set(old)
    assert "no longer work" in response.content.decode()
    assert audit_rows("sam", "update") == [{"second factor": "recovery codes renewed"}]
    client.post(reverse("logout"))
    password(client)
    assert client.post(reverse("two_step"), {"code": old[0]}).status_code == 200
    assert client.post(reverse("two_step"), {"code": new[0]}).status_code == 302


@pytest.mark.parametrize("typed", ["", "111111", "not a code"])
def test_new_recovery_codes_need_a_right_code_from_the_app(client, sam, frozen, typed):
    secret, old = enrolled(sam)
    if typed == code(secret):
        typed = "222222"
    client.force_login(sam)
    response = client.post(reverse("recovery_codes_renew"), {"code": typed})
    assert response.status_code == 200
    assert response.context["code_form"].errors["code"]
    assert "codes" not in response.context
    other = Client()
    password(other)
    assert other.post(reverse("two_step"), {"code": old[0]}).status_code == 302  # the old set still works


# --- reset by an administrator ----------------------------------------------------------------


def test_an_administrator_resets_a_second_factor_and_the_user_enrols_again(client, sam, admin_user, frozen):
    enrolled(sam)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [sam.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Second factor reset for sam" in response.content.decode()
    assert not SecondFactor.objects.filter(user=sam).exists()
    assert not RecoveryCode.objects.filter(user=sam).exists()
    row = AuditEvent.objects.get(action="update", object_type="accounts.user", object_id=str(sam.pk))
    assert row.actor == admin_user
    assert row.changes == {"second factor": "reset"}
    client.post(reverse("logout"))
    assert password(client)["Location"] == reverse("two_step_enrol")


def test_a_reset_ends_the_users_open_sessions_and_no_one_elses(sam, owner, frozen):
    enrolled(sam)
    sams, owners = Client(), Client()
    sams.force_login(sam)
    owners.force_login(owner)
    twostep.reset(sam)
    assert sams.get(reverse("home"))["Location"].startswith(reverse("login"))
    assert owners.get(reverse("home")).status_code == 200


def test_a_reset_ends_a_login_waiting_at_the_code_so_it_cannot_enrol_an_app(client, sam, frozen):
    enrolled(sam)
    password(client)  # someone with the password, waiting at the code
    twostep.reset(sam)
    assert client.get(reverse("two_step"))["Location"] == reverse("login")
    assert client.get(reverse("two_step_enrol"))["Location"] == reverse("login")
    assert twostep.factor_of(sam) is None
    assert not SecondFactor.objects.filter(user=sam).exists()  # not even a candidate


def test_a_clinician_cannot_reset_anyones_second_factor(client, owner, sam):
    enrolled(sam)
    client.force_login(owner)
    client.post(
        reverse("admin:accounts_user_changelist"), {"action": "reset_second_factor", "_selected_action": [sam.pk]}
    )
    assert SecondFactor.objects.filter(user=sam).exists()


def test_the_admin_login_page_sends_everyone_to_the_two_step_login(client, sam, owner):
    response = client.get(reverse("admin:login") + "?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=/admin/accounts/user/"
    posted = client.post(reverse("admin:login"), {"username": "sam", "password": PASSWORD})
    assert "_auth_user_id" not in client.session  # the admin's password-only form is gone
    assert posted["Location"].startswith(reverse("login"))
    client.force_login(owner)
    assert client.get(reverse("admin:login")).status_code == 403


def test_the_user_list_shows_who_has_a_second_factor(client, sam, owner, admin_user):
    enrolled(sam)
    twostep.candidate_secret(owner)  # shown at enrolment, never confirmed: not a second factor
    client.force_login(admin_user)
    response = client.get(reverse("admin:accounts_user_changelist"))
    admin = response.context["cl"].model_admin
    shown = {user.username: admin.two_step(user) for user in response.context["cl"].result_list}
    assert shown == {"sam": True, "owner": False, "admin": False}


# --- what it does not touch ---------------------------------------------------------------


@override_settings(MFA_FOR_CLINICIANS=True)
def test_client_self_report_links_need_no_login_whatever_the_setting(client, db):
    response = client.get(reverse("self_report", args=["an-unknown-token"]))
    assert response.status_code == 200


@override_settings(MFA_FOR_CLINICIANS=True)
def test_a_valid_self_report_link_works_with_the_organisation_setting_on(client, owner, their_client):
    _, token = SelfReportLink.create_for(TherapySessionFactory(client=their_client), owner)
    response = client.get(reverse("self_report", args=[token]))
    assert response.status_code == 200
    assert "selfreport/respond.html" in [t.name for t in response.templates]  # the questions, not "closed"
    assert "Hi J.M." in response.content.decode()


def test_the_secret_is_never_shown_after_enrolment(client, sam, frozen):
    secret, _ = enrolled(sam)
    client.force_login(sam)
    for url in [reverse("profile"), reverse("two_step_enrol"), reverse("home")]:
        assert secret not in client.get(url, follow=True).content.decode()


def test_the_backup_carries_no_secret_nor_recovery_code(sam, tmp_path):
    secret, _ = enrolled(sam)
    hashes = list(RecoveryCode.objects.values_list("code_hash", flat=True))
    path = tmp_path / "backup.json"
    call_command("clinical_data", "export", str(path), stdout=StringIO())
    text = path.read_text()
    assert '"sam"' in text  # the user is backed up
    assert secret not in text
    assert not any(h in text for h in hashes)
    assert "accounts.secondfactor" not in text
    assert "accounts.recoverycode" not in text


def test_seed_demo_enrols_the_users_who_must_have_a_second_factor_and_prints_their_keys(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    enrolled_names = set(SecondFactor.objects.values_list("user__username", flat=True))
    assert enrolled_names == {"morgan", "nadia", "admin"}
    for factor in SecondFactor.objects.all():
        assert f"{factor.user.username:<8} {factor.secret}" in out.getvalue()
    secrets_before = dict(SecondFactor.objects.values_list("user__username", "secret"))
    call_command("seed_demo", stdout=StringIO())
    assert dict(SecondFactor.objects.values_list("user__username", "secret")) == secrets_before  # keys stay


def test_two_requests_with_the_same_code_cannot_both_pass(sam, frozen):
    secret, _ = enrolled(sam)
    first, second = SecondFactor.objects.get(user=sam), SecondFactor.objects.get(user=sam)  # both read last_step 0
    assert twostep.use_code(first, code(secret))
    assert not twostep.use_code(second, code(secret))  # the UPDATE's WHERE last_step < step refuses it


def test_a_typed_code_is_not_kept_in_the_lockout_records(client, sam, frozen):
    _, codes = enrolled(sam)
    password(client)
    near_miss = codes[0][:-1] + ("x" if codes[0][-1] != "x" else "y")  # one code in 31 ends in x
    client.post(reverse("two_step"), {"code": near_miss})  # a near miss of a recovery code
    attempt = AccessAttempt.objects.get(username="sam")
    assert attempt.failures_since_start == 1
    assert codes[0][:-1] not in attempt.post_data

"""Two-step login in a real browser (issue 16): a supervisor enrols an authenticator app and
logs in with a code computed from the secret the page showed; another logs in with a recovery code."""

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from accounts import twostep
from accounts.models import SecondFactor, User
from tests.conftest import RUN_AXE, save_screenshot
from tests.factories import UserFactory
from tests.test_browser import AXE, PASSWORD, csp_violations, next_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def give_password(page, base, username, path="/accounts/login/"):
    page.goto(f"{base}{path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def serious_accessibility_problems(page):
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(RUN_AXE)
    return [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_a_supervisor_enrols_an_app_and_logs_in_with_its_code(live_server, browser):
    UserFactory(username="morgan", first_name="Morgan", last_name="Lee", role=User.Role.SUPERVISOR, password=PASSWORD)
    context = browser.new_context(bypass_csp=True, permissions=["clipboard-read", "clipboard-write"])  # axe-core
    page = context.new_page()
    violations = csp_violations(page)
    give_password(page, live_server.url, "morgan", "/accounts/login/?next=/team/")
    expect(page).to_have_url(re.compile(r"/accounts/two-step/enrol/$"))
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert page.get_by_role("link", name="Team dashboard").count() == 0  # nothing else is reachable
    page.goto(f"{live_server.url}/team/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/accounts/two-step/enrol/$"))
    save_screenshot(page, "two-step-01-enrol")
    assert serious_accessibility_problems(page) == []
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    save_screenshot(page, "two-step-01-enrol-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    secret = page.locator("#secret").inner_text().replace(" ", "")
    assert len(secret) == 32
    app_link = page.get_by_role("link", name="Open in your authenticator app")
    assert app_link.get_attribute("href").startswith("otpauth://totp/")
    assert f"secret={secret}" in app_link.get_attribute("href")
    page.get_by_label("Code from the app").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("That code does not match")).to_be_visible()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", c) for c in codes)
    page.get_by_role("button", name="Copy the codes").click()
    expect(page.get_by_text("Copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()").split() == codes
    save_screenshot(page, "two-step-02-recovery-codes")
    assert serious_accessibility_problems(page) == []
    page.get_by_role("link", name="I have saved them, continue").click()
    expect(page).to_have_url(re.compile(r"/team/$"))  # where the login started for

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/logged-out/$"))  # the logout is done before the next login
    give_password(page, live_server.url, "morgan")
    expect(page).to_have_url(re.compile(r"/accounts/two-step/$"))
    expect(page.get_by_text("Password accepted for morgan")).to_be_visible()
    save_screenshot(page, "two-step-03-code")
    assert serious_accessibility_problems(page) == []
    page.get_by_label("Code", exact=True).fill(next_code(SecondFactor.objects.get(user__username="morgan")))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("link", name="Team dashboard", exact=True)).to_be_visible()

    page.get_by_role("link", name=re.compile("Morgan Lee")).click()
    expect(page.get_by_text("10 unused recovery codes")).to_be_visible()
    save_screenshot(page, "two-step-04-settings")
    assert violations == []


def test_a_supervisor_without_the_phone_logs_in_with_a_recovery_code_once(live_server, page, screenshot):
    nadia = UserFactory(username="nadia", role=User.Role.SUPERVISOR, password=PASSWORD)
    codes = twostep.enrol(nadia, twostep.new_secret(), step=int(time.time()) // 30)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    give_password(page, live_server.url, "nadia")
    expect(page).to_have_url(re.compile(r"/accounts/two-step/$"))
    assert page.get_by_label("Code", exact=True).get_attribute("inputmode") == "numeric"
    page.get_by_text("Use a recovery code instead").click()
    expect(page.get_by_text("Enter one of the recovery codes")).to_be_visible()
    page.get_by_label("Recovery code").fill(codes[0])
    screenshot("two-step-05-recovery-code-phone")
    page.get_by_role("button", name="Continue with the recovery code").click()
    expect(page.get_by_text("You used a recovery code; 9 left.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Toggle navigation").click()
    # Wait until the menu has slid open: under load a click during the slide did not log out.
    expect(page.locator("#nav-main")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/logged-out/$"))  # the logout is done before the next login

    give_password(page, live_server.url, "nadia")
    page.get_by_text("Use a recovery code instead").click()
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Continue with the recovery code").click()
    expect(page.get_by_text("That code is not right, or was already used.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/two-step/$"))
    expect(page.get_by_label("Recovery code")).to_be_focused()  # the recovery input stays open, with its error
    page.get_by_label("Recovery code").fill(codes[1])
    page.get_by_role("button", name="Continue with the recovery code").click()
    expect(page.get_by_text("You used a recovery code; 8 left.")).to_be_visible()

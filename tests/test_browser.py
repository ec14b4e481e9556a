"""End to end in a real browser: Playwright driving Debian's Chromium."""

import re

import pytest
from playwright.sync_api import expect

from clients.models import TherapySession
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_clinician_logs_in_adds_a_client_logs_a_session_and_sees_it(live_server, page, screenshot):
    UserFactory(username="dana", first_name="Dana", last_name="Reyes")
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="No clients yet")).to_be_visible()
    screenshot("01-empty-caseload")

    page.get_by_role("link", name="Add your first client").click()
    page.get_by_label("Label").fill("T.W.")
    page.get_by_label("Attachment style").select_option("anxious")
    page.get_by_role("button", name="Add client").click()
    expect(page.get_by_text("Client T.W. added")).to_be_visible()

    page.get_by_role("link", name="Log the first session").click()
    page.wait_for_load_state("load")  # the keyboard handler is attached by a script at the end of the page
    expect(page.locator("#id_client")).to_have_value(re.compile(r"\d+"))
    # Rate with the keyboard: focus a factor's row, type the digit.
    page.get_by_role("radiogroup", name="Communication").get_by_role("radio").first.focus()
    page.keyboard.press("5")
    page.get_by_role("radiogroup", name="Openness").get_by_role("radio").first.focus()
    page.keyboard.press("2")
    page.get_by_role("radiogroup", name="Stigma").get_by_role("radio").first.focus()
    page.keyboard.press("0")
    page.get_by_text("Note on openness").click()
    page.get_by_label("Note on openness").fill("Guarded about family history.")
    screenshot("02-session-form")
    page.get_by_role("button", name="Save session").click()

    expect(page.get_by_text(re.compile(r"T\.W\.: session of .* saved\."))).to_be_visible()
    expect(page.get_by_role("heading", name="What changed")).to_be_visible()
    expect(page.get_by_text("This is the first session logged for T.W.")).to_be_visible()
    expect(page.get_by_role("heading", name="Focus for the next session")).to_be_visible()
    expect(page.locator("#focus").get_by_text("Low: Openness").first).to_be_visible()
    screenshot("03-after-saving")

    page.get_by_label("breadcrumb").get_by_role("link", name="T.W.").click()
    grid = page.locator("table.ratings-grid")
    expect(grid.get_by_role("row", name=re.compile("^Communication"))).to_contain_text("5")
    expect(grid.get_by_role("row", name=re.compile("^Openness"))).to_contain_text("2")
    expect(grid.get_by_role("row", name=re.compile("^Stigma"))).to_contain_text("not assessed")
    chart_lines = page.evaluate("() => Chart.getChart('trend-chart').data.datasets.length")
    assert chart_lines == 7  # overall, three domains, the client's view, rupture and repair markers
    screenshot("04-client-page")
    assert violations == []  # the pages run under the strict CSP without breaking anything

    session = TherapySession.objects.get()
    ratings = {r.factor.key: r.score for r in session.ratings.select_related("factor")}
    assert (ratings["communication"], ratings["openness"], ratings["stigma"]) == (5, 2, None)
    assert session.ratings.get(factor__key="openness").note == "Guarded about family history."

"""The supervisor's "alliance x progress" view in a real browser: on a phone (390 px)
with no sideways scrolling, a count opens its clients, no serious axe violation."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from measures.models import MeasureResponse
from tests.conftest import RUN_AXE, demo_data, save_screenshot
from tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("instrument")]
AXE = next(Path(__file__).parent.glob("vendor/axe-core-*/axe.min.js"))
TITLE = "Alliance \N{MULTIPLICATION SIGN} progress"


def demo_with_measures():
    """The demo organisation: its clients fill in PHQ-9 and GAD-7 along their trajectories
    (supervision/demo_measures.py), some off track with an open alliance rupture."""
    demo_data()
    assert MeasureResponse.objects.exists()


def test_a_supervisor_opens_the_off_track_clients_on_a_phone(live_server, browser):
    demo_with_measures()
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    log_in(page, live_server.url, "morgan")
    page.goto(live_server.url + "/team/")
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    save_screenshot(page, "14-alliance-progress-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    grid = page.get_by_role("table", name="The team's active clients by progress (rows) and alliance (columns)")
    grid.get_by_role("row", name="Off track").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Open alliance flags, off track")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    save_screenshot(page, "15-alliance-progress-clients-phone")
    page.get_by_role("table", name="The clients in this group").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/clients/\d+/$"))
    phone.close()


def test_the_view_has_no_serious_accessibility_violations(live_server, browser):
    demo_with_measures()
    context = browser.new_context(bypass_csp=True)  # to inject axe-core
    page = context.new_page()
    log_in(page, live_server.url, "morgan")
    page.goto(live_server.url + "/team/alliance-progress/?alliance=none&progress=improving")
    save_screenshot(page, "16-alliance-progress")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(RUN_AXE)
    serious = [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    context.close()
    assert serious == []

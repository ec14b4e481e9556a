"""Calibration end to end in Chromium: a clinician rates a vignette from their home page with the
keyboard and sees the comparison; a supervisor observes a session blind and sees the comparison;
the pages at 390 px have no serious accessibility violations. Screenshots: 20-*.png."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from calibration.models import Observation, VignetteAttempt
from tests.conftest import RUN_AXE, demo_data, save_screenshot
from tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("instrument")]
AXE = next(Path(__file__).parent.glob("vendor/axe-core-*/axe.min.js"))
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def axe_serious(page):
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(RUN_AXE)
    return [
        f"{v['id']}: {v['nodes'][0]['target']}" for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_clinician_rates_a_vignette_from_home_with_the_keyboard_and_sees_the_comparison(live_server, browser):
    demo_data()
    context = browser.new_context(**PHONE, bypass_csp=True)  # to inject axe-core
    page = context.new_page()
    log_in(page, live_server.url, "amara")
    page.get_by_role("link", name="Rate a vignette").click()
    expect(page.get_by_role("heading", name="Calibration vignettes")).to_be_visible()
    save_screenshot(page, "20-vignette-list-390")
    page.get_by_role("link", name="Sixth session: “This isn't working”").click()
    page.wait_for_load_state("load")
    # Keyboard only: Tab to the first factor, a digit per factor (the next one follows), Ctrl+Enter saves.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "score_communication":
            break
    order = page.eval_on_selector_all("[data-scale] input:first-child", "els => els.map(e => e.name.slice(6))")
    assert len(order) == 12
    mine = {"flexibility": "4", "communication": "4", "cultural_competence": "0", "attachment": "0", "beliefs": "0"}
    for key in order:
        assert page.evaluate("document.activeElement.name") == f"score_{key}"
        page.keyboard.press(mine.get(key, "3"))
    save_screenshot(page, "21-vignette-form-390")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_text("Here is how they compare with the reference")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("^Flexibility"))
    expect(row).to_contain_text("+3")  # 4 against the reference's 1
    expect(page.get_by_role("heading", name="Why the reference rates it so")).to_be_visible()
    assert no_horizontal_scroll(page)
    save_screenshot(page, "22-vignette-comparison-390")
    assert axe_serious(page) == []
    attempt = VignetteAttempt.objects.get(clinician__username="amara")
    assert attempt.scores["flexibility"] == 4
    assert attempt.scores["beliefs"] is None
    context.close()


def test_a_supervisor_observes_a_session_blind_and_then_sees_the_comparison(live_server, browser):
    demo_data()
    context = browser.new_context(**PHONE, bypass_csp=True)  # to inject axe-core
    page = context.new_page()
    log_in(page, live_server.url, "morgan")
    page.goto(live_server.url + "/team/")
    assert no_horizontal_scroll(page)
    save_screenshot(page, "23-team-dashboard-390")
    page.get_by_role("link", name="Team calibration and sessions to observe").click()
    expect(page.get_by_role("heading", name="Team calibration")).to_be_visible()
    assert no_horizontal_scroll(page)
    save_screenshot(page, "24-team-calibration-390")
    assert axe_serious(page) == []
    page.get_by_role("link", name=re.compile("^Observe")).first.click()
    expect(page.get_by_text("This form does not show them")).to_be_visible()
    assert page.locator("table").count() == 0  # no ratings table: nothing of the clinician's to lean on
    assert no_horizontal_scroll(page)
    save_screenshot(page, "25-observation-form-390")
    assert axe_serious(page) == []
    page.locator("label[for='id_score_communication_2']").click()  # 3
    page.locator("label[for='id_score_openness_1']").click()  # 2
    page.get_by_label("Note for the clinician").fill("Good pace; the client held back on the family history.")
    page.get_by_role("button", name="Save observation").click()
    expect(page.get_by_text("Observation saved")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("^Openness"))).to_contain_text("2")
    assert no_horizontal_scroll(page)
    save_screenshot(page, "26-observation-comparison-390")
    assert Observation.objects.filter(observer__username="morgan", note__startswith="Good pace").count() == 1

    # Carmen rates high: her calibration page carries the gentle note.
    page.goto(live_server.url + "/team/")
    page.get_by_role("link", name=re.compile("^Calibration of Carmen")).click()
    expect(page.locator("#gentle-note")).to_be_visible()
    assert no_horizontal_scroll(page)
    save_screenshot(page, "27-calibration-carmen-390")
    assert axe_serious(page) == []
    context.close()

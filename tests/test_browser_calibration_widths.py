"""Calibration at the widths people use (issue 15, second pass): the dashboard's calibration
cell with its n inside a 1280 px window, and every calibration page at 390 px with nothing
scrolling sideways, the page or a table in it. Screenshots: 28-*.png."""

import pytest
from django.urls import reverse

from calibration.models import Observation, Vignette
from tests.conftest import demo_data, save_screenshot
from tests.test_browser import log_in
from tests.test_browser_calibration import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("instrument")]
DESKTOP = {"viewport": {"width": 1280, "height": 800}}

# Everything that scrolls sideways: the page itself, or a scrolling region (a wide table) in it.
OVERFLOWING = """() => {
  const out = [];
  if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push('page');
  for (const el of document.querySelectorAll('main *')) {
    const x = getComputedStyle(el).overflowX;
    if ((x === 'auto' || x === 'scroll') && el.scrollWidth > el.clientWidth + 1)
      out.push(`${el.getAttribute('aria-label') || el.className} ${el.scrollWidth}>${el.clientWidth}`);
  }
  return out;
}"""

NO_PAGE_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth + 1"


def test_the_dashboards_calibration_cell_and_its_n_fit_at_1280_and_390(live_server, browser):
    demo_data()
    for name, options in (("1280", DESKTOP), ("390", PHONE)):
        context = browser.new_context(**options)
        page = context.new_page()
        log_in(page, live_server.url, "morgan")
        page.goto(live_server.url + reverse("team_dashboard"))
        save_screenshot(page, f"28-dashboard-calibration-{name}")
        cells = page.locator(".calibration-cell")
        assert cells.count() >= 2
        region = page.locator("main .table-responsive").first.bounding_box()
        right = min(options["viewport"]["width"], region["x"] + region["width"])  # not clipped by the table's region
        for i in range(cells.count()):
            cell = cells.nth(i)
            cell.scroll_into_view_if_needed()
            assert cell.locator(".calibration-n").count() == 2  # clients, observers
            for n in cell.locator(".calibration-n").all():
                box = n.bounding_box()
                assert box is not None
                assert box["x"] >= 0
                assert box["x"] + box["width"] <= right + 0.5, (name, i, box)
        if name == "1280":
            assert page.evaluate(OVERFLOWING) == [], name
        else:  # the team table becomes cards (supervision's table-cards); the page must not scroll sideways
            assert page.evaluate(NO_PAGE_SCROLL), name
        context.close()


def test_every_calibration_page_fits_390_without_sideways_scrolling(live_server, browser):
    demo_data()
    observed = Observation.objects.filter(observer__username="morgan").select_related("session__client")
    carmen = observed.filter(session__client__clinician__username="carmen").first()
    vignette = Vignette.objects.active().first()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, live_server.url, "morgan")
    pages = {
        "team": reverse("calibration_team"),
        "clinician": reverse("calibration_clinician", args=[carmen.session.client.clinician_id]),
        "observation": reverse("observation", args=[carmen.session_id]),
        "vignettes": reverse("vignette_list"),
    }
    for name, url in pages.items():
        page.goto(live_server.url + url)
        save_screenshot(page, f"28-{name}-390")
        assert page.evaluate(OVERFLOWING) == [], name
    context.close()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, live_server.url, "carmen")
    pages = {
        "session": reverse("session_detail", args=[carmen.session_id]),
        "mine": reverse("calibration_mine"),
        "vignette": reverse("vignette", args=[vignette.pk]),
    }
    for name, url in pages.items():
        page.goto(live_server.url + url)
        save_screenshot(page, f"28-{name}-390")
        assert page.evaluate(OVERFLOWING) == [], name
    context.close()

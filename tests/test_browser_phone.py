"""On a 390 px phone: no page scrolls sideways, lists of clients are cards that keep the
index and the flags in view, and every touch target is at least 24 x 24 px (WCAG 2.2 AA,
2.5.8, with its spacing and in-a-sentence exceptions)."""

import pytest
from playwright.sync_api import expect

from clients.models import Client
from selfreport.models import SelfReportLink
from tests.conftest import demo_data, save_screenshot
from tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("instrument")]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

# The targets on the page smaller than 24 x 24 px that no exception covers.
SMALL_TARGETS = """() => {
  const sel = 'a[href], button, input:not([type=hidden]):not(.btn-check), select, textarea, summary, label.btn';
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'
      && !el.closest('.visually-hidden, .visually-hidden-focusable');
  };
  const els = [...document.querySelectorAll(sel)].filter(shown);
  const rects = els.map((el) => el.getBoundingClientRect());
  const small = rects.map((r) => r.width < 24 || r.height < 24);
  const inSentence = (el) => {  // a link inside running text: the line height sets its size
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    const block = el.parentElement.closest('p, li, dd, td, th, figcaption, div, span');
    return block && block.textContent.replace(el.textContent, '').trim().length >= 10;
  };
  const centre = (r) => [r.x + r.width / 2, r.y + r.height / 2];
  const distance = ([x, y], r) =>
    Math.hypot(Math.max(r.left - x, 0, x - r.right), Math.max(r.top - y, 0, y - r.bottom));
  return els.flatMap((el, i) => {
    if (!small[i] || inSentence(el)) return [];
    const c = centre(rects[i]);
    const clash = els.some((other, j) => j !== i && !other.contains(el) && !el.contains(other) && (
      small[j] ? Math.hypot(c[0] - centre(rects[j])[0], c[1] - centre(rects[j])[1]) < 24 : distance(c, rects[j]) < 12));
    if (!clash) return [];
    return [`${el.tagName.toLowerCase()} "${(el.textContent || el.name || '').trim().slice(0, 40)}" `
      + `${Math.round(rects[i].width)}x${Math.round(rects[i].height)}`];
  });
}"""


def scrolls_inside(wrapper):
    """Whether a table's scrolling wrapper needs sideways scrolling to show the whole table."""
    return wrapper.evaluate("el => el.scrollWidth > el.clientWidth + 1")


def main_pages(base):
    """(name, user, path) for every main page, with demo data."""
    client = Client.objects.get(clinician__username="amara", label="F.T.")
    session = client.sessions.order_by("-date").first()
    _, token = SelfReportLink.create_for(session, client.clinician)
    return [
        ("home", "amara", "/"),
        ("caseload", "amara", "/clients/"),
        ("client page", "amara", f"/clients/{client.pk}/"),
        ("print summary", "amara", f"/clients/{client.pk}/summary/"),
        ("new client", "amara", "/clients/new/"),
        ("edit client", "amara", f"/clients/{client.pk}/edit/"),
        ("discharge", "amara", f"/clients/{client.pk}/discharge/"),
        ("session form", "amara", f"/sessions/new/?client={client.pk}"),
        ("session page", "amara", f"/sessions/{session.pk}/"),
        ("edit session", "amara", f"/sessions/{session.pk}/edit/"),
        ("void session", "amara", f"/sessions/{session.pk}/void/"),
        ("guidance", "amara", "/guidance/"),
        ("prompt library", "amara", "/guidance/prompts/"),
        ("your settings", "amara", "/accounts/profile/"),
        ("supervisor home", "morgan", "/"),
        ("team dashboard", "morgan", "/team/"),
        ("alliance x progress", "morgan", "/team/alliance-progress/"),
        ("self-report", None, f"/r/{token}/"),
        ("login", None, "/accounts/login/"),
    ]


def phone_page(browser, base, user):
    """A phone's browser with the demo data, logged in as `user`: (context, page)."""
    demo_data()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, base, user)
    return context, page


def visit_main_pages(browser, base, visit, **context_args):
    """Open every main page in one browser context and call visit(name, page) on each."""
    context = browser.new_context(**context_args)
    page = context.new_page()
    current = "nobody"
    for name, user, path in main_pages(base):
        if user != current:
            context.clear_cookies()
            if user:
                log_in(page, base, user)
            current = user
        page.goto(base + path)
        page.wait_for_load_state("load")
        visit(name, page)
    context.close()


def test_no_main_page_scrolls_sideways_and_every_touch_target_is_big_enough_on_a_phone(live_server, browser):
    demo_data()
    sideways, small = {}, {}

    def check(name, page):
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            sideways[name] = width
        if offenders := page.evaluate(SMALL_TARGETS):
            small[name] = offenders
        save_screenshot(page, "13-phone-" + name.replace(" ", "-"))

    visit_main_pages(browser, live_server.url, check, **PHONE)
    assert sideways == {}
    assert small == {}


def test_every_touch_target_is_big_enough_on_a_laptop_too(live_server, browser):
    demo_data()
    small = {}

    def check(name, page):
        if offenders := page.evaluate(SMALL_TARGETS):
            small[name] = offenders

    visit_main_pages(browser, live_server.url, check, viewport={"width": 1366, "height": 768})
    assert small == {}


def test_on_a_phone_the_caseload_and_the_queues_are_cards_with_the_index_and_flags_in_view(live_server, browser):
    context, page = phone_page(browser, live_server.url, "amara")
    page.goto(f"{live_server.url}/clients/")
    card = page.locator("table.table-cards tbody tr", has_text="F.T.")
    index = card.locator(".cell-index")
    flags = card.locator(".cell-flags .flag").first
    for part in (index, flags):
        expect(part).to_be_visible()
        box = part.bounding_box()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390  # in view, not off to the right
    assert card.bounding_box()["width"] <= 390
    assert not scrolls_inside(page.locator(".table-responsive:has(table.table-cards)"))
    save_screenshot(page, "14-caseload-phone")

    context.clear_cookies()
    log_in(page, live_server.url, "morgan")
    page.goto(f"{live_server.url}/team/")
    for table in ("The team: one row per clinician", "Clients with open flags"):
        assert not scrolls_inside(page.locator(".table-responsive", has=page.get_by_role("table", name=table))), table
        first = page.get_by_role("table", name=table).locator("tbody tr").first
        for part in (first.locator(".cell-index"), first.locator(".cell-flags")):
            box = part.bounding_box()
            assert box, table
            assert box["x"] >= 0, table
            assert box["x"] + box["width"] <= 390, table
    name_link = page.get_by_role("table", name="The team: one row per clinician").locator("tbody th a").first
    assert name_link.bounding_box()["height"] < 30  # a clinician's name stays on one line
    context.close()


def test_on_a_phone_the_queue_filters_fold_away_so_the_rows_come_first(live_server, browser):
    context, page = phone_page(browser, live_server.url, "morgan")
    page.goto(f"{live_server.url}/team/#queue-title")
    filters = page.get_by_role("form", name="Filter the flag queue")
    expect(filters).to_be_hidden()
    expect(page.locator("#queue-rows tbody tr").first).to_be_in_viewport()
    page.get_by_role("button", name="Filters").tap()
    expect(filters).to_be_visible()
    page.get_by_label("Flag", exact=True).select_option("rupture")
    page.get_by_role("button", name="Apply").tap()
    button = page.get_by_role("button", name="Filters (1 set)")  # says a filter is in use, rows still first
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(filters).to_be_hidden()
    save_screenshot(page, "14-queue-filters-phone")
    page.goto(f"{live_server.url}/team/?kind=rupture&since_from=notadate")
    expect(page.get_by_role("button", name="Filters (1 set)")).to_have_attribute("aria-expanded", "true")
    expect(filters).to_be_visible()  # a refused filter opens them, with its message; it is not counted
    expect(filters).to_contain_text("left out")
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(page.get_by_role("button", name="Filters (1 set)")).to_be_hidden()  # wider: always shown, no button
    context.close()


def test_on_a_phone_a_queue_cards_links_and_buttons_come_in_reading_order(live_server, browser):
    """The clinician's name sits beside the client's, as it comes in the tab order, not at the
    bottom of the card after the buttons that follow it."""
    context, page = phone_page(browser, live_server.url, "morgan")
    page.goto(f"{live_server.url}/team/")
    card = page.locator("#queue-rows tbody tr").first
    tops = [
        card.locator(part).first.bounding_box()["y"]
        for part in ("th[scope=row] a", ".cell-who a", "button:has-text('Mark reviewed')")
    ]
    assert tops == sorted(tops)  # client, clinician, then the first button: down the card in tab order
    context.close()

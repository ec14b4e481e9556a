"""PHQ-9 / GAD-7 in a real browser: a client on a phone (390 px) answers item 9 above 0
and sees the crisis text; the clinician finds the safety alert first on home and closes
it with a follow-up note; a clinician enters a paper PHQ-9 in the session form; the
client page draws progress beside the alliance with the bands shaded."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.models import Client
from flags.models import Flag, FlagReview
from measures.models import MeasureResponse
from selfreport.models import SelfReportLink
from tests.conftest import save_screenshot
from tests.factories import TherapySessionFactory, UserFactory
from tests.test_browser import PASSWORD, csp_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("instrument")]

# How much of a canvas is painted (not transparent): a drawn chart, not an empty box.
PAINTED = """(canvas) => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted / (data.length / 4);
}"""


def a_client(label="K.L.", sessions=1):
    user = UserFactory(username="dana", first_name="Dana", last_name="Doe", password=PASSWORD)
    today = timezone.localdate()
    client = Client.objects.create(clinician=user, label=label, intake_date=today - timedelta(days=90))
    for n in range(sessions):
        TherapySessionFactory(client=client, date=today - timedelta(days=7 * (sessions - 1 - n)))
    return user, client


def follow_up_on_the_client_page(page, base, client):
    page.goto(f"{base}/clients/{client.pk}/")
    card = page.locator(".safety-card")
    expect(card).to_contain_text("Safety alert")
    card.get_by_role("button", name=re.compile("Record follow-up and close")).click()
    # The note is required: the browser keeps the form until it is written.
    expect(page.locator(".safety-card")).to_be_visible()
    assert not FlagReview.objects.exists()
    card.get_by_label("What you did to follow it up").fill("Phoned K.L. the same day; safety plan agreed.")
    card.get_by_role("button", name=re.compile("Record follow-up and close")).click()
    expect(page.get_by_text("recorded as followed up")).to_be_visible()
    expect(page.locator(".safety-card")).to_have_count(0)


def test_a_client_on_a_phone_answers_item_9_and_sees_the_crisis_text(live_server, browser):
    user, client = a_client()
    _, token = SelfReportLink.create_for(client.sessions.get(), user)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    violations = csp_violations(page)
    page.goto(f"{live_server.url}/r/{token}/")
    expect(page.get_by_text("Over the last 2 weeks, how often have you been bothered").first).to_be_visible()
    phq9 = page.locator("section.measure").first
    for n in range(9):
        answer = "Several days" if n == 8 else "Not at all"
        phq9.locator("fieldset").nth(n).get_by_text(answer, exact=True).tap()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    phq9.locator("fieldset").nth(8).scroll_into_view_if_needed()
    save_screenshot(page, "measures-phone-item-9")
    page.get_by_role("button", name="Send my answers").tap()
    expect(page.get_by_role("heading", name="Thank you, K.L.")).to_be_visible()
    crisis = page.locator("#crisis-text")
    expect(crisis).to_be_visible()
    expect(crisis).to_contain_text("crisis line")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    save_screenshot(page, "measures-phone-crisis-text")
    assert violations == []
    phone.close()

    response = MeasureResponse.objects.get()
    assert (response.source, response.total, response.safety) == ("client", 1, True)
    desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(desk, live_server.url, "dana")
    desk.goto(f"{live_server.url}/")
    first_row = desk.locator("table tbody tr").first
    expect(first_row).to_contain_text("K.L.")
    expect(first_row).to_contain_text("Safety alert")
    save_screenshot(desk, "measures-home-safety-alert")
    follow_up_on_the_client_page(desk, live_server.url, client)
    assert Flag.objects.get(kind="safety").closed_reason == "followed_up"
    save_screenshot(desk, "measures-followed-up")


def test_a_clinician_enters_a_paper_phq9_and_the_alert_heads_home(live_server, page):
    _, client = a_client(sessions=0)
    log_in(page, live_server.url, "dana")
    page.goto(f"{live_server.url}/sessions/new/?client={client.pk}")
    page.locator("label[for='id_score_communication_2']").click()  # a rating of 3 for one factor
    section = page.locator("#measure-phq9")
    section.locator("summary").click()
    for n in range(1, 10):
        value = 1 if n == 9 else 2
        section.locator(f"label[for='id_m_phq9_{n}_{value}']").click()
    save_screenshot(page, "measures-paper-entry")
    page.get_by_role("button", name="Save session").click()
    save_screenshot(page, "measures-paper-saved")
    expect(page.get_by_text(re.compile(r"session of .* saved\."))).to_be_visible()
    stored = MeasureResponse.objects.get()
    assert (stored.source, stored.total, stored.band, stored.safety) == ("clinician", 17, "Moderately severe", True)
    page.goto(f"{live_server.url}/")
    expect(page.locator("table tbody tr").first).to_contain_text("Safety alert")
    follow_up_on_the_client_page(page, live_server.url, client)


def test_the_client_page_draws_progress_beside_the_alliance_with_the_bands_shaded(live_server, page):
    _, client = a_client(sessions=0)
    today = timezone.localdate()
    for n, total in enumerate([18, 16, 15, 13, 11, 8, 6]):
        values = [min(3, max(0, total - 3 * i)) for i in range(8)] + [0]
        TherapySessionFactory(client=client, date=today - timedelta(days=7 * (6 - n)), measures={"phq9": values})
    log_in(page, live_server.url, "dana")
    page.goto(f"{live_server.url}/clients/{client.pk}/")
    progress = page.locator("#progress")
    expect(progress).to_contain_text("Recovery")
    canvas = page.locator("#progress-chart-phq9")
    expect(canvas).to_be_visible()
    page.wait_for_timeout(300)
    assert canvas.evaluate(PAINTED) > 0.3  # the shaded bands fill the plot area
    trend = page.locator("#trend-chart").bounding_box()
    box = canvas.bounding_box()
    assert abs(trend["x"] - box["x"]) < 40  # the two charts line up on one page column
    progress.scroll_into_view_if_needed()
    save_screenshot(page, "measures-progress-chart")

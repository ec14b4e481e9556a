"""The clinician's side of self-report links in a real browser: the QR code draws, a second
link for an answered session asks first, and a link for a past session names its date."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.models import Client
from selfreport.models import Question, SelfReportLink, SelfReportRating
from tests.conftest import save_screenshot
from tests.factories import TherapySessionFactory, UserFactory
from tests.test_browser import PASSWORD, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("instrument")]

# The QR image as the browser decoded it: its size and how many of its pixels are dark.
QR_PIXELS = """async (img) => {
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let dark = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 128 && data[i] + data[i + 1] + data[i + 2] < 300) dark++;
  return {width: img.naturalWidth, height: img.naturalHeight, dark: dark, total: data.length / 4};
}"""


def a_client_with_a_session(days_ago=0):
    user = UserFactory(username="dana", password=PASSWORD)
    today = timezone.localdate()
    client = Client.objects.create(clinician=user, label="K.L.", intake_date=today - timedelta(days=60))
    session = TherapySessionFactory(client=client, date=today - timedelta(days=days_ago))
    return user, client, session


def answer(session, user, score=4):
    link, _ = SelfReportLink.create_for(session, user)
    SelfReportLink.objects.filter(pk=link.pk).update(used_at=timezone.now())
    SelfReportRating.objects.bulk_create(
        SelfReportRating(link=link, question=q, score=score) for q in Question.objects.active()
    )
    return link


def test_the_qr_code_of_a_new_link_draws_a_real_image(live_server, page):
    _, client, _ = a_client_with_a_session()
    log_in(page, live_server.url, "dana")
    page.goto(f"{live_server.url}/clients/{client.pk}/")
    page.get_by_role("button", name="Make a self-report link for the latest session").click()
    qr = page.get_by_role("img", name="QR code of the self-report link")
    expect(qr).to_be_visible()
    pixels = qr.evaluate(QR_PIXELS)
    assert pixels["width"] > 0
    assert pixels["height"] > 0
    assert 0.2 < pixels["dark"] / pixels["total"] < 0.8  # modules drawn, not a blank square
    save_screenshot(page, "15-self-report-link")


def test_a_second_link_for_an_answered_session_warns_first_and_keeps_the_earlier_answers(live_server, page):
    user, client, session = a_client_with_a_session()
    answer(session, user, score=2)
    log_in(page, live_server.url, "dana")
    page.goto(f"{live_server.url}/clients/{client.pk}/")
    page.get_by_role("button", name="Make a self-report link for the latest session").click()
    expect(page.get_by_role("heading", name=re.compile("has already answered"))).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("the earlier ones are kept")
    save_screenshot(page, "16-second-link-warning")
    assert SelfReportLink.objects.count() == 1  # nothing made yet
    page.get_by_role("button", name="Make another link").click()
    expect(page.get_by_role("img", name="QR code of the self-report link")).to_be_visible()
    assert SelfReportLink.objects.count() == 2

    SelfReportLink.objects.exclude(used_at__isnull=False).delete()
    answer(session, user, score=5)  # the client answers again: the latest counts, the first stays listed
    page.goto(f"{live_server.url}/clients/{client.pk}/")
    page.locator("#earlier-answers summary").click()
    expect(page.locator("#earlier-answers")).to_contain_text("Communication 2")
    assert SelfReportRating.objects.filter(score=2).count() == Question.objects.active().count()


def test_a_link_for_a_past_session_asks_about_that_session_by_its_date(live_server, browser):
    user, _, session = a_client_with_a_session(days_ago=3)
    _, token = SelfReportLink.create_for(session, user)
    page = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    page.goto(f"{live_server.url}/r/{token}/")
    expect(page.get_by_role("heading", name="Hi K.L.")).to_be_visible()
    text = page.locator("main").inner_text()
    assert "today" not in text.lower()
    day = session.date.day
    assert re.search(rf"session of \w+\.? {day}, {session.date.year}", text), text
    assert page.title().startswith("Your view of the session of")


def test_the_new_link_can_be_copied_with_one_button(live_server, page):
    _, client, _ = a_client_with_a_session()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in(page, live_server.url, "dana")
    page.goto(f"{live_server.url}/clients/{client.pk}/")
    page.get_by_role("button", name="Make a self-report link for the latest session").click()
    link = page.get_by_label("Link").input_value()
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status").filter(has_text="Link copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link

"""End to end in a real browser: Playwright driving Debian's Chromium.

Screenshots land in SCREENSHOT_DIR (test-results/screenshots by default;
docs/screenshots for the README).
"""

import re
import time
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import expect

from accounts.models import SecondFactor
from clients.models import Client, TherapySession
from flags.models import FlagReview
from selfreport.models import SelfReportLink, SelfReportRating
from tests.conftest import RUN_AXE, demo_data, save_screenshot
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("instrument")]
AXE = next(Path(__file__).parent.glob("vendor/axe-core-*/axe.min.js"))
PASSWORD = "alliance-demo"


def log_in(page, base, username, password=PASSWORD):
    """Password, then (for a user with an authenticator app, like the demo's supervisors) a code
    computed from their stored secret, as their app would."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))  # the login went through before we move on
    if re.search(r"/accounts/two-step/$", page.url):
        page.get_by_label("Code", exact=True).fill(next_code(SecondFactor.objects.get(user__username=username)))
        page.get_by_role("button", name="Continue").click()
        expect(page).not_to_have_url(re.compile(r"/accounts/two-step/"))


def next_code(factor):
    """The code of the first step the server will still accept: a code works once, so a second
    login within 30 seconds takes the next step's code (accepted a step early), waiting if need be."""
    factor.refresh_from_db()
    step = max(int(time.time()) // 30, factor.last_step + 1)
    while step > int(time.time()) // 30 + 1:
        time.sleep(1)
    return pyotp.TOTP(factor.secret).generate_otp(step)


def settled_top(page, selector):
    """An element's top in the window once the page has stopped scrolling: a smooth scroll
    would let a check catch it passing through the window on its way elsewhere."""
    page.evaluate(
        """() => new Promise((done) => {
          let last = -1, still = 0;
          const tick = () => {
            still = window.scrollY === last ? still + 1 : 0;
            last = window.scrollY;
            if (still > 10) done(); else requestAnimationFrame(tick);
          };
          tick();
        })"""
    )
    return page.evaluate(f"document.querySelector({selector!r}).getBoundingClientRect().top")


def csp_violations(page):
    found = []
    page.on("console", lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None)
    return found


def tab_until(page, script, limit=80):
    """Press Tab until `script` (JS, true/false about document.activeElement) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(script):
            return
    raise AssertionError(f"never reached: {script}")


def test_a_clinician_adds_a_client_and_logs_a_session_with_the_keyboard_only(live_server, page, screenshot):
    UserFactory(username="dana", first_name="Dana", last_name="Reyes", password=PASSWORD)
    violations = csp_violations(page)
    log_in(page, live_server.url, "dana")
    expect(page.get_by_role("heading", name="No clients yet")).to_be_visible()
    screenshot("01-empty-home")

    page.get_by_role("link", name="Add your first client").click()
    page.get_by_label("Label").fill("T.W.")
    page.get_by_role("button", name="Add client").click()
    expect(page.get_by_text("Client T.W. added")).to_be_visible()
    expect(page.get_by_role("link", name="Log the first session")).to_be_visible()
    page.get_by_role("link", name="Log a session", exact=True).first.click()
    page.wait_for_load_state("load")  # the keyboard handler is attached by a script at the end of the page

    # From page load to saved, only the keyboard, every key counted: the client select has the
    # focus; a letter picks the client, Enter moves to the first factor, each digit rates a factor
    # and moves to the next, Ctrl+Enter saves.
    keystrokes = []

    def press(key):
        keystrokes.append(key)
        page.keyboard.press(key)

    assert page.evaluate("document.activeElement.name") == "client"
    press("T")
    press("Enter")
    wanted = {"communication": "5", "openness": "2", "stigma": "0", "support": "4"}
    order = page.eval_on_selector_all("[data-scale] input:first-child", "els => els.map(e => e.name.slice(6))")
    assert len(order) == 12
    for key in order:
        assert page.evaluate("document.activeElement.name") == f"score_{key}"
        press(wanted.get(key, "4"))
    expect(page.get_by_label("Session note")).to_be_focused()  # after the twelfth factor
    screenshot("02-session-form")
    press("Control+Enter")
    expect(page.get_by_text(re.compile(r"T\.W\.: session of .* saved\."))).to_be_visible()
    assert len(keystrokes) <= 30, keystrokes  # 15: one letter, Enter, twelve digits, Ctrl+Enter
    expect(page.get_by_role("heading", name="What changed")).to_be_visible()
    focus = page.locator("#focus")
    expect(focus.get_by_text("Low factor: Openness").first).to_be_visible()
    expect(focus.get_by_text("Keep gently asking about the hesitation")).to_be_visible()
    screenshot("03-after-saving")
    session = TherapySession.objects.get()
    ratings = {r.factor.key: r.score for r in session.ratings.select_related("factor")}
    assert (ratings["communication"], ratings["openness"], ratings["stigma"], ratings["support"]) == (5, 2, None, 4)
    assert ratings["flexibility"] == 4
    assert len(ratings) == 12

    page.get_by_label("breadcrumb").get_by_role("link", name="T.W.").click()
    grid = page.locator("table.ratings-grid")
    expect(grid.get_by_role("row", name=re.compile("^Openness"))).to_contain_text("2")
    expect(grid.get_by_role("row", name=re.compile("^Stigma"))).to_contain_text("not assessed")
    expect(page.locator("#chart-single")).to_contain_text("One session so far")  # not a lone dot in a corner
    assert violations == []


def test_bad_input_in_the_session_form_shows_errors_and_keeps_the_typed_values(live_server, page, screenshot):
    user = UserFactory(username="dana", password=PASSWORD)
    today = timezone.localdate()
    client = Client.objects.create(clinician=user, label="K.L.", intake_date=today - timedelta(days=30))
    log_in(page, live_server.url, "dana")
    page.goto(f"{live_server.url}/sessions/new/?client={client.pk}")
    page.get_by_label("Date").fill((today + timedelta(days=1)).isoformat())
    page.locator("label[for=id_score_flexibility_1]").click()  # a rating of 2
    page.get_by_text("Note on flexibility").click()
    page.get_by_label("Note on flexibility").fill("Homework not landing")
    page.get_by_label("Session note").fill("Typed before the error")
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text("Nothing was saved")).to_be_visible()
    expect(page.get_by_text("The session date cannot be in the future.")).to_be_visible()
    expect(page.get_by_label("Note on flexibility")).to_have_value("Homework not landing")
    expect(page.get_by_label("Session note")).to_have_value("Typed before the error")
    expect(page.locator("#id_score_flexibility_1")).to_be_checked()
    screenshot("05-session-form-errors")
    assert not TherapySession.objects.exists()


def test_a_supervisor_filters_the_queue_and_leaves_a_note_the_clinician_then_sees(live_server, browser):
    demo_data()
    supervisor = browser.new_context(viewport={"width": 1280, "height": 900})
    page = supervisor.new_page()
    log_in(page, live_server.url, "morgan")
    page.get_by_role("link", name="Team dashboard", exact=True).click()
    expect(page.get_by_role("heading", name="Flag queue")).to_be_visible()
    save_screenshot(page, "06-team-dashboard")
    page.get_by_label("Flag", exact=True).select_option("persistent")
    page.get_by_role("button", name="Apply").click()
    queue = page.get_by_role("table", name="Clients with open flags")
    expect(queue.get_by_text("Persistent").first).to_be_visible()
    rows = queue.locator("tbody tr")
    assert rows.count() >= 1
    for i in range(rows.count()):
        expect(rows.nth(i)).to_contain_text("Persistent")
    queue.locator("tbody tr").first.get_by_role("link").first.click()
    expect(page.get_by_text("read-only")).to_be_visible()
    label = page.get_by_role("heading", level=1).inner_text().split()[0]
    page.locator("details:has(#id_text)").evaluate("d => d.open = true")
    page.locator("#id_text").fill("Let's look at this persistent weakness on Thursday.")
    page.get_by_role("button", name="Save review note").click()
    expect(page.get_by_text("Review note saved")).to_be_visible()
    supervisor.close()

    client = Client.objects.get(label=label, clinician__team__supervisor__username="morgan")
    clinician = browser.new_context().new_page()
    log_in(clinician, live_server.url, client.clinician.username)
    expect(clinician.get_by_text("Let's look at this persistent weakness on Thursday.")).to_be_visible()  # on home
    clinician.goto(f"{live_server.url}/clients/")
    expect(clinician.get_by_text("1 new review note").first).to_be_visible()
    clinician.goto(f"{live_server.url}/clients/{client.pk}/")
    notes = clinician.locator("#review-notes")
    expect(notes).to_contain_text("Morgan Lee")
    expect(notes).to_contain_text("Let's look at this persistent weakness on Thursday.")
    clinician.get_by_role("button", name=re.compile("Mark 1 new note as read")).click()
    expect(clinician.get_by_text("1 review note marked as read.")).to_be_visible()


def test_a_client_completes_the_self_report_on_a_phone(live_server, browser):
    demo_data()
    client = Client.objects.get(clinician__username="amara", label="C.M.")
    session = client.sessions.order_by("-date").first()
    _, token = SelfReportLink.create_for(session, client.clinician)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    violations = csp_violations(page)
    page.goto(f"{live_server.url}/r/{token}/")
    expect(page.get_by_role("heading", name="Hi C.M.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    expect(page.get_by_text("even if it is criticism")).to_be_visible()
    answers = ["Mostly", "Completely", "Mostly", "Somewhat", "A little", "Mostly", "Completely", "Mostly", "Mostly"]
    for i, answer in enumerate(answers):
        page.locator("fieldset").nth(i).get_by_text(answer, exact=True).tap()
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "9")
    page.get_by_label("Is there anything you would like your therapist to know").fill("Slower, please.")
    page.wait_for_timeout(800)  # let the progress bar's transition finish before the picture
    save_screenshot(page, "07-self-report-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Send my answers").tap()
    expect(page.get_by_role("heading", name="Thank you, C.M.")).to_be_visible()
    assert SelfReportRating.objects.filter(link__session=session, score__isnull=False).count() == 9
    assert SelfReportLink.objects.get(session=session, used_at__isnull=False).comment == "Slower, please."
    assert client.flags.filter(kind="discrepancy").exists() == (  # the 5th question: flexibility, "A little"
        session.ratings.get(factor__key="flexibility").score - 2 >= 2
    )
    assert violations == []
    phone.close()


def test_a_clinician_voids_a_mistaken_session_and_sees_it_struck_through(live_server, page):
    demo_data()
    client = Client.objects.get(clinician__username="amara", label="F.T.")
    session = client.sessions.order_by("-date").first()
    log_in(page, live_server.url, "amara")
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    page.get_by_role("link", name="Void…").click()
    page.get_by_role("button", name="Void this session").click()
    expect(page.get_by_text("Give the reason for voiding this session.")).to_be_visible()
    page.get_by_label("Why is this session void?").fill("Logged for the wrong client")
    save_screenshot(page, "11-void-session")
    page.get_by_role("button", name="Void this session").click()
    expect(page.locator("#voided")).to_contain_text("Logged for the wrong client")
    expect(page.get_by_role("link", name="Edit session")).to_have_count(0)
    page.goto(f"{live_server.url}/clients/{client.pk}/")
    row = page.locator("tr.session-voided")
    expect(row).to_contain_text("Voided: Logged for the wrong client")
    save_screenshot(page, "12-client-with-voided-session")
    assert TherapySession.objects.get(pk=session.pk).is_voided


CHART_CONFIG = """() => {
  const chart = Chart.getChart('trend-chart');
  return {
    x: chart.options.scales.x.type,
    tension: chart.data.datasets.filter(d => d.type === 'line').map(d => d.tension),
    labels: chart.data.datasets.map(d => d.label),
    overall: chart.data.datasets[0].data.map(p => p.x),
    ticks: chart.scales.x.ticks.map(t => t.label),
  };
}"""


@pytest.mark.parametrize(("width", "height", "phone"), [(1366, 768, False), (390, 844, True)], ids=["laptop", "phone"])
def test_the_chart_is_on_the_first_screen_after_a_rupture(live_server, browser, width, height, phone):
    demo_data()
    client = Client.objects.get(clinician__username="amara", label="F.T.")
    assert client.flags.filter(kind="rupture", status="open").exists()
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone)
    page = context.new_page()
    violations = csp_violations(page)
    log_in(page, live_server.url, "amara")
    page.goto(f"{live_server.url}/clients/{client.pk}/")
    page.wait_for_function("() => Chart.getChart('trend-chart') !== undefined")
    box = page.locator("#trend-chart").bounding_box()
    assert 0 < box["y"] < height  # its top edge without scrolling
    expect(page.locator("#status")).to_contain_text("Alliance rupture")
    tallest = max(part.bounding_box()["height"] for part in page.locator("#status > div").all())
    if not phone:  # index, flags and last seen on one line on a laptop
        assert page.locator("#status").bounding_box()["height"] < 1.5 * tallest
    if phone:
        assert box["y"] + box["height"] <= height  # on a phone, the whole chart on the first screen
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        save_screenshot(page, "13-client-page-phone")
    drawn = page.evaluate(CHART_CONFIG)
    dates = [s.date for s in client.sessions.counted().order_by("date")]
    assert drawn["x"] == "linear"
    assert drawn["overall"] == [(d - dates[0]).days for d in dates]  # time, not session number
    assert set(drawn["tension"]) == {0}  # straight segments
    assert {"Usual range (mean ± 1 SD)", "Client's own ratings", "Alliance rupture"} <= set(drawn["labels"])
    assert drawn["ticks"][-1] == date_format(dates[-1])  # the same dates as the tables
    assert violations == []
    context.close()


PAGES = [
    ("login", None, "/accounts/login/"),
    ("home", "amara", "/"),
    ("caseload", "amara", "/clients/"),
    ("session form", "amara", "/sessions/new/?client={client}"),
    ("client page", "amara", "/clients/{client}/"),
    ("an earlier session", "amara", "/sessions/{session}/"),
    ("print summary", "amara", "/clients/{client}/summary/"),
    ("void a session", "amara", "/sessions/{session}/void/"),
    ("your settings", "amara", "/accounts/profile/"),
    ("supervisor home", "morgan", "/"),
    ("team dashboard", "morgan", "/team/"),
]


def test_the_main_pages_have_no_serious_accessibility_violations(live_server, browser):
    demo_data()
    client = Client.objects.get(clinician__username="amara", label="F.T.")
    context = browser.new_context(bypass_csp=True)  # to inject axe-core
    page = context.new_page()
    problems = {}
    current = None
    for name, user, path in PAGES:
        if user != current:
            context.clear_cookies()
            if user:
                log_in(page, live_server.url, user)
            current = user
        page.goto(live_server.url + path.format(client=client.pk, session=client.sessions.first().pk))
        save_screenshot(page, "10-" + name.replace(" ", "-"))
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(RUN_AXE)
        serious = [
            f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            problems[name] = serious
    context.close()
    assert problems == {}


def test_the_print_summary_fits_on_one_a4_page(live_server, browser):
    demo_data()
    client = Client.objects.get(clinician__username="amara", label="D.L.")
    page = browser.new_context().new_page()
    log_in(page, live_server.url, "amara")
    page.goto(f"{live_server.url}/clients/{client.pk}/summary/")
    page.wait_for_function("() => Chart.getChart('trend-chart') !== undefined")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    letter = page.pdf(format="Letter")
    assert len(re.findall(rb"/Type\s*/Page[^s]", letter)) == 1


def test_a_supervisor_reviews_three_flags_from_the_queue_with_three_clicks(live_server, browser):
    demo_data()
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, live_server.url, "morgan")
    page.goto(f"{live_server.url}/team/")
    queue = page.get_by_role("table", name="Clients with open flags")
    buttons = queue.get_by_role("button", name=re.compile("^Mark reviewed"))
    before = FlagReview.objects.count()
    reviewed_clients = FlagReview.objects.values("client").distinct().count()
    waiting = buttons.count()
    assert waiting >= 3
    for _ in range(3):
        name = buttons.first.inner_text()
        buttons.first.click()  # one click each (a card also marks the weak factors inside it)
        expect(page.get_by_text("marked reviewed")).to_be_visible()
        assert 0 <= settled_top(page, "#messages") < 900 - 100  # back at the queue, the confirmation in view
        expect(page.locator("#messages")).to_be_focused()  # read out; the keyboard carries on into the queue
        expect(queue).to_be_in_viewport()
        assert FlagReview.objects.count() > before, name
        before = FlagReview.objects.count()
    assert FlagReview.objects.values("client").distinct().count() >= reviewed_clients + 2
    save_screenshot(page, "11-queue-after-reviews")
    page.get_by_label("Review", exact=True).select_option("reviewed")
    page.get_by_role("button", name="Apply").click()
    expect(queue.get_by_text("✓ reviewed").first).to_be_visible()


def test_a_clinician_marks_a_discrepancy_discussed_with_the_client(live_server, browser):
    demo_data()
    client = Client.objects.get(label="A.K.", clinician__username="amara")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, live_server.url, "amara")
    page.goto(f"{live_server.url}/clients/{client.pk}/")
    card = page.locator(".flag-card", has_text="Client rated lower")
    expect(card).to_be_visible()
    card.get_by_label("Note (optional)").fill("Went over it together; agreed to slow down.")
    card.get_by_role("button", name=re.compile("^Discussed with the client")).click()
    expect(page.get_by_text("marked discussed with the client")).to_be_visible()
    assert 0 <= settled_top(page, "#messages") < 900 - 100  # back at the flags, the confirmation in view
    expect(page.locator("#messages")).to_be_focused()
    expect(page.get_by_role("heading", name="Open flags")).to_be_in_viewport()
    expect(page.locator(".flag-card", has_text="Client rated lower")).to_have_count(0)
    save_screenshot(page, "12-discrepancy-discussed-confirmation")
    page.locator("#flag-history summary").click()
    history = page.locator("#flag-history")
    expect(history).to_contain_text("discussed with the client")
    expect(history).to_contain_text("Went over it together; agreed to slow down.")
    save_screenshot(page, "12-discrepancy-discussed")


def test_notes_open_from_the_keyboard_without_sitting_between_factors(live_server, page):
    user = UserFactory(username="dana", password=PASSWORD)
    client = Client.objects.create(clinician=user, label="K.L.", intake_date=timezone.localdate() - timedelta(days=30))
    log_in(page, live_server.url, "dana")
    page.goto(f"{live_server.url}/sessions/new/?client={client.pk}")
    page.wait_for_load_state("load")
    order = page.eval_on_selector_all("[data-scale] input:first-child", "els => els.map(e => e.name)")
    assert page.evaluate("document.activeElement.name") == order[0]  # the client is preset: the first factor
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == order[1]  # no note toggle in between
    page.keyboard.press("Enter")
    note = page.get_by_label(re.compile("^Note on"), exact=False).and_(page.locator(":focus"))
    expect(note).to_be_visible()
    page.keyboard.type("Quieter today")
    page.keyboard.press("Enter")  # moves on, does not submit
    assert page.evaluate("document.activeElement.name") == order[2]
    assert not TherapySession.objects.exists()

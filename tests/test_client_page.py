"""The client page at a glance (issue 13): status first, then an honest chart; small
multiples that carry signal; old sessions with their own flags; one date format."""

import json
import re
from statistics import fmean, pstdev
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from clients import chart
from clients.insights import Cell, mark_weakest
from clients.models import TherapySession
from clients.templatetags.alliance import sparkline
from flags import rules
from tests.factories import ClientFactory, TherapySessionFactory, days_ago

TODAY = timezone.localdate



def page_html(http, name, pk, **headers):
    return http.get(reverse(name, args=[pk]), **headers).content.decode()


def chart_json(html):
    return json.loads(html.split('id="chart-data" type="application/json">')[1].split("</script>")[0])


def point(pk, n, overall, client_ratings=None):
    return rules.Point(id=pk, date=days_ago(n), overall=overall, client_ratings=client_ratings or {})


def insight_of(points, episodes=()):
    return SimpleNamespace(points=points, episodes=list(episodes), detail=lambda flag: "", progress=[])


@pytest.fixture
def ruptured(their_client):
    """Four steady sessions a week apart, a five-week gap, then a rupture."""
    for n in (70, 63, 56, 49):
        TherapySessionFactory(client=their_client, date=days_ago(n), default_score=4)
    TherapySessionFactory(client=their_client, date=days_ago(14), default_score=2)
    return their_client


# --- the order of the client page ---------------------------------------------------


def test_the_client_page_opens_with_the_status_then_the_chart_then_flags_and_focus(owner_client, ruptured):
    html = page_html(owner_client, "client_detail", ruptured.pk)
    order = [
        'id="status"',
        'id="trend-chart"',
        'id="focus"',
        'id="review-notes"',
        'id="self-report"',
        "Factor heat map",
        ">Sessions</h2>",
    ]
    positions = [html.index(marker) for marker in order]
    assert positions == sorted(positions)
    status = html[html.index('id="status"') : html.index("</dl>", html.index('id="status"'))]
    assert re.search(r'status-index">25<.*\u221250 over 3 sessions', status, re.S)
    assert "1 Alliance rupture" in status  # open flags counted by kind
    assert "Last seen</dt>" in status
    assert date_format(days_ago(14)) in status
    assert "14 days ago" in status


def test_a_client_with_one_session_gets_a_sentence_and_the_value_not_a_lone_dot(owner_client, their_client):
    TherapySessionFactory(client=their_client, date=days_ago(3), default_score=4)
    html = page_html(owner_client, "client_detail", their_client.pk)
    assert 'id="chart-single"' in html
    assert 'id="trend-chart"' not in html
    assert f"One session so far, on {date_format(days_ago(3))}: overall index" in html
    assert '<strong class="fs-4">75</strong>' in html


def test_a_client_whose_every_session_is_voided_gets_no_chart_and_says_why(owner_client, owner, their_client):
    session = TherapySessionFactory(client=their_client, date=days_ago(3))
    TherapySession.objects.filter(pk=session.pk).update(voided_at=timezone.now(), voided_by=owner, void_reason="x")
    html = page_html(owner_client, "client_detail", their_client.pk)
    assert "Every session of J.M. is voided" in html
    assert 'id="trend-chart"' not in html


# --- the chart's data ---------------------------------------------------------------


def test_the_chart_places_sessions_at_their_dates_so_gaps_are_proportional(owner_client, ruptured):
    data = chart_json(page_html(owner_client, "client_detail", ruptured.pk))
    assert data["days"] == [0, 7, 14, 21, 56]  # the five-week gap is five times a weekly one
    assert data["dates"] == [date_format(days_ago(n)) for n in (70, 63, 56, 49, 14)]
    assert data["ticks"] == [0, 1, 2, 3, 4]
    assert data["markers"]["rupture"][0]["x"] == 56


def test_the_chart_ticks_keep_the_first_and_last_dates_and_spread_the_rest_in_time():
    days = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 200, 300]
    chosen = chart.ticks(days, limit=4)
    assert chosen[0] == 0
    assert chosen[-1] == len(days) - 1
    assert [days[i] for i in chosen] == [0, 100, 200, 300]


def test_the_baseline_band_is_the_mean_and_one_sd_of_the_sessions_before_the_latest():
    values = [60.0, 70.0, 65.0, 75.0, 30.0]
    points = [point(i, 50 - 7 * i, v) for i, v in enumerate(values)]
    band = chart.chart_data(insight_of(points))["baseline"]
    earlier = values[:-1]
    assert band["mean"] == round(fmean(earlier), 1)
    assert (band["low"], band["high"]) == (
        round(fmean(earlier) - pstdev(earlier), 1),
        round(fmean(earlier) + pstdev(earlier), 1),
    )
    assert band["sessions"] == 4
    assert band["from"] == 0


def test_the_baseline_band_waits_for_three_earlier_sessions_and_uses_at_most_the_last_ten():
    assert chart.baseline([point(i, 30 - i, 50.0) for i in range(3)]) is None
    many = [point(i, 40 - i, 40.0 if i < 5 else 80.0) for i in range(16)]
    band = chart.baseline(many)
    assert band["sessions"] == chart.BASELINE_WINDOW
    assert band["mean"] == 80.0
    assert band["from"] == 5


def test_the_clients_own_ratings_are_a_series_of_their_own():
    points = [point(1, 21, 75.0), point(2, 14, 70.0, {"communication": 2, "goals": 2}), point(3, 7, 65.0)]
    data = chart.chart_data(insight_of(points))
    assert data["client_view"] == [None, 25.0, None]
    assert data["overall"] == [75.0, 70.0, 65.0]  # the clinician's index is untouched by them
    assert data["self_reported"] is True


# --- small multiples ----------------------------------------------------------------


def spark_points(svg):
    return [tuple(map(float, p.split(","))) for p in re.search(r'points="([^"]+)"', svg).group(1).split()]


def test_sparklines_share_one_0_to_100_scale_and_label_the_latest_value():
    flat_high = [SimpleNamespace(overall_score=v) for v in (80, 82)]
    flat_low = [SimpleNamespace(overall_score=v) for v in (20, 22)]
    high, low = spark_points(sparkline(flat_high)), spark_points(sparkline(flat_low))
    assert high[0][1] < low[0][1]  # a high series sits higher than a low one: no per-row rescaling
    assert sparkline(flat_high).count('class="sparkline-value">82</text>') == 1
    svg = sparkline([SimpleNamespace(overall_score=v) for v in (0, 100)])
    (_, bottom), (_, top) = spark_points(svg)
    assert f'y1="{bottom:.1f}"' in svg
    assert f'y1="{top:.1f}"' in svg
    assert "on a 0 to 100 scale: from 0 to 100" in svg


def test_sparklines_place_dated_sessions_at_their_dates():
    sessions = [SimpleNamespace(overall_score=50, date=days_ago(n)) for n in (30, 28, 0)]
    xs = [x for x, _ in spark_points(sparkline(sessions))]
    assert (xs[1] - xs[0]) * 14 == pytest.approx(xs[2] - xs[1], abs=1.5)  # coordinates to 0.1 px


def test_the_factor_map_colours_separate_a_mean_of_3_1_from_4_2():
    assert Cell(mean=3.1, count=3).band == 30
    assert Cell(mean=4.2, count=3).band == 40
    assert Cell(mean=1.0, count=1).band == 10
    assert Cell(mean=5.0, count=1).band == 50


@pytest.mark.parametrize(
    ("means", "weakest"),
    [
        ([3.0, 3.4, 3.4, 3.4, 4.1], [3.0, 3.4, 3.4, 3.4]),  # every factor tied with the second is outlined
        ([3.2, 3.2, 3.2, 3.6], [3.2, 3.2, 3.2]),
        ([2.0, 2.5, 3.0], [2.0, 2.5]),
        ([4.0, 4.5, 4.2], []),  # a column of strong factors singles none out
        ([3.9, 4.0], [3.9]),
    ],
)
def test_the_factor_map_outlines_the_two_weakest_and_their_ties(means, weakest):
    cells = [Cell(mean=m, count=1) for m in means]
    mark_weakest(cells)
    assert [c.mean for c in cells if c.weakest] == weakest


def test_the_factor_map_has_a_legend_and_states_its_tie_rule(owner_client, ruptured):
    html = owner_client.get(reverse("caseload")).content.decode()
    legend = html[html.index('id="map-legend-client"') :]
    assert all(f'class="swatch map-{band}"' in legend for band in range(10, 55, 5))
    assert "its two lowest means under 4 and every factor tied with them" in legend
    assert "not rated" in legend
    assert "Latest rating:" in legend  # one client's latest session: a rating, not a mean


# --- old sessions -------------------------------------------------------------------


@pytest.fixture
def repaired(their_client):
    """Steady, a rupture, then a repair: sessions 70..35 days ago, oldest first."""
    scores = [(70, 4), (63, 4), (56, 4), (49, 2), (42, 4)]
    return [TherapySessionFactory(client=their_client, date=days_ago(n), default_score=s) for n, s in scores]


def test_an_old_session_shows_the_flags_as_they_stood_after_it(owner_client, repaired):
    html = page_html(owner_client, "session_detail", repaired[3].pk)  # the rupture, since repaired
    then = html[html.index('id="flags-then"') :]
    assert "Flags after this session" in then
    assert f"As they stood on {date_format(days_ago(49))}" in then
    assert "not as they are today" in then
    assert "Alliance rupture" in then.split("</section>")[0]
    assert 'id="focus"' not in html  # today's focus prompts belong to the client page


def test_an_old_session_labels_the_open_flags_it_is_part_of_as_todays(owner_client, their_client):
    """The "what changed" line of an earlier session names the flags still open that it helped
    raise, in today's words: it says so, next to the flags as they stood then."""
    weak = [TherapySessionFactory(client=their_client, date=days_ago(n), ratings={"openness": 1}) for n in (21, 14, 7)]
    html = page_html(owner_client, "session_detail", weak[0].pk)
    line = html[html.index("Still open today, with this session among theirs:") :].split("</p>")[0]
    assert "Openness" in line
    latest = page_html(owner_client, "session_detail", weak[-1].pk)
    assert "Flags this session is part of:" in latest
    assert "Still open today" not in latest


def test_a_session_before_any_flag_says_none_was_open_then(owner_client, repaired):
    html = page_html(owner_client, "session_detail", repaired[1].pk)
    assert "No flag was open after this session." in html


def test_the_latest_session_shows_todays_flags_and_says_so(owner_client, repaired):
    html = page_html(owner_client, "session_detail", repaired[-1].pk)
    assert "the flags and focus below are today's" in html
    assert 'id="focus"' in html
    assert 'id="flags-then"' not in html


def test_a_voided_session_page_says_it_raises_no_flag(owner_client, owner, repaired):
    TherapySession.objects.filter(pk=repaired[2].pk).update(voided_at=timezone.now(), voided_by=owner, void_reason="x")
    html = page_html(owner_client, "session_detail", repaired[2].pk)
    assert "A voided session raises no flag." in html


# --- one date format, labels not codes, grammar --------------------------------------


SHORT_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b")


def test_the_client_page_and_its_chart_use_one_date_format(owner_client, ruptured):
    html = page_html(owner_client, "client_detail", ruptured.pk)
    assert not SHORT_DATE.search(html)
    shown = date_format(days_ago(14))
    assert html.count(shown) >= 4  # status line, heat map, sessions table, the rupture's session link
    assert shown in chart_json(html)["dates"]


def test_dates_follow_the_users_locale_in_text_and_chart(owner_client, ruptured):
    html = page_html(owner_client, "client_detail", ruptured.pk, HTTP_ACCEPT_LANGUAGE="en-gb")
    with translation.override("en-gb"):
        british = date_format(days_ago(14))
    assert british == days_ago(14).strftime("%-d %b %Y")
    assert british in html
    assert chart_json(html)["dates"][-1] == british


def test_the_print_summary_uses_the_same_dates_and_labels_not_codes(owner_client, their_client):
    for n, setting in [(28, "in_person"), (21, "online"), (14, "in_person"), (7, "online")]:
        TherapySessionFactory(client=their_client, date=days_ago(n), setting=setting)
    html = page_html(owner_client, "client_summary", their_client.pk)
    assert "In person 75" in html
    assert "Online 75" in html
    assert "in_person" not in html
    assert not SHORT_DATE.search(html)
    assert date_format(days_ago(7)) in html
    assert date_format(days_ago(7)) in chart_json(html)["dates"]
    assert "Printed " + date_format(timezone.localtime()) in html


def test_a_second_online_session_on_one_day_is_refused_in_good_english(owner_client, their_client):
    TherapySessionFactory(client=their_client, date=days_ago(2), setting="online")
    data = {"client": their_client.pk, "date": days_ago(2).isoformat(), "setting": "online", "score_openness": "3"}
    errors = owner_client.post(reverse("session_create"), data).context["form"].errors["date"]
    assert errors[0].startswith(f"An online session on {date_format(days_ago(2))} is already logged for J.M.")


def test_a_client_page_without_sessions_still_opens_with_the_empty_state(owner_client, owner):
    fresh = ClientFactory(clinician=owner, label="N.S.")
    html = page_html(owner_client, "client_detail", fresh.pk)
    assert html.index("No sessions yet") < html.index('id="focus"')

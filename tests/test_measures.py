"""PHQ-9 and GAD-7 in the app: the clinician's paper entry in the session form, the
client's answers on their phone, incomplete measures, the safety alert from both
(crisis text, queues, follow-up with a note, audited), progress on the client page
and the administrator's switch. Named users: owner (treating clinician), colleague,
supervisor (the owner's team), outsider (another team's supervisor)."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from clients import insights
from clients.models import TherapySession
from factors.models import Factor
from flags import rules
from flags.models import Flag, FlagReview
from measures.models import CrisisText, Instrument, MeasureResponse
from selfreport.models import SelfReportLink
from supervision import dashboard
from tests import teams
from tests.factories import ClientFactory, TherapySessionFactory, days_ago

# The team's fixtures (tests/teams.py).
supervisor, owner, colleague, outsider = teams.supervisor, teams.owner, teams.colleague, teams.outsider


@pytest.fixture
def person(owner):
    return ClientFactory(clinician=owner, label="P.Q.")


def session_data(person, **measures):
    """A valid session form for `person` today, with paper-form answers: phq9=[...] / gad7=[...]."""
    data = {"client": person.pk, "date": timezone.localdate().isoformat(), "setting": "in_person"}
    data.update({f"score_{f.key}": "4" for f in Factor.objects.all()})
    for key, values in measures.items():
        data.update({f"m_{key}_{n}": "" if v is None else str(v) for n, v in enumerate(values, start=1)})
    return data


def safety_alerts(person):
    return Flag.objects.filter(client=person, kind="safety")


# --- The clinician enters a paper form ------------------------------------------------------


def test_a_paper_phq9_entered_in_the_session_form_is_scored_and_stored(client, owner, person):
    client.force_login(owner)
    response = client.post(reverse("session_create"), session_data(person, phq9=[1, 2, 0, 3, 1, 1, 2, 0, 0]))
    assert response.status_code == 302
    detail = client.get(response.url).content.decode()
    assert "PHQ-9: <strong>10</strong> (Moderate)" in detail
    stored = MeasureResponse.objects.get()
    assert (stored.total, stored.band, stored.source, stored.entered_by, stored.safety) == (
        10,
        "Moderate",
        "clinician",
        owner,
        False,
    )
    assert stored.session.client == person
    assert list(stored.answers.order_by("item__number").values_list("value", flat=True)) == [1, 2, 0, 3, 1, 1, 2, 0, 0]
    assert not MeasureResponse.objects.filter(instrument__key="gad7").exists()  # left empty: not stored
    assert AuditEvent.objects.filter(object_type="measures.measureresponse", client_id=person.pk).exists()
    assert AuditEvent.objects.filter(object_type="measures.itemanswer", client_id=person.pk).count() == 9


def test_an_unanswered_item_keeps_the_measure_as_incomplete(client, owner, person):
    client.force_login(owner)
    client.post(reverse("session_create"), session_data(person, gad7=[3, 3, 3, None, 3, 3, 3]))
    stored = MeasureResponse.objects.get()
    assert (stored.total, stored.band, stored.answered) == (None, "", 6)
    html = client.get(reverse("client_detail", args=[person.pk])).content.decode()
    assert "incomplete (6 answered)" in html
    assert "no complete measure yet" in html


@pytest.mark.parametrize("bad", ["4", "-1", "x", "99999999999999999999"])
def test_a_bad_item_value_is_a_field_error_and_nothing_is_saved(client, owner, person, bad):
    client.force_login(owner)
    data = session_data(person, phq9=[1] * 9)
    data["m_phq9_3"] = bad
    response = client.post(reverse("session_create"), data)
    assert response.status_code == 200
    assert "Choose one of the four answers." in response.content.decode()
    assert not TherapySession.objects.exists()
    assert not MeasureResponse.objects.exists()


def test_item_9_on_a_paper_form_raises_a_safety_alert_on_home_and_the_supervisors_queue(
    client, owner, supervisor, person
):
    client.force_login(owner)
    client.post(reverse("session_create"), session_data(person, phq9=[0, 0, 0, 0, 0, 0, 0, 0, 1]))
    alert = safety_alerts(person).get()
    assert alert.is_open
    assert alert.urgency == max(Flag.objects.values_list("urgency", flat=True))
    home = client.get(reverse("home")).content.decode()
    assert "Safety alert" in home
    assert "P.Q." in home
    client.force_login(supervisor)
    queue = client.get(reverse("team_dashboard")).content.decode()
    assert "Safety alert" in queue
    assert "P.Q." in queue


def test_the_safety_alert_counts_even_when_only_item_9_was_answered(client, owner, person):
    client.force_login(owner)
    client.post(reverse("session_create"), session_data(person, phq9=[None] * 8 + [3]))
    assert MeasureResponse.objects.get().total is None
    assert safety_alerts(person).get().is_open


def test_a_later_session_never_closes_or_merges_a_safety_alert(owner, person):
    TherapySessionFactory(client=person, date=days_ago(14), measures={"phq9": [2] * 8 + [1]})
    TherapySessionFactory(client=person, date=days_ago(7), measures={"phq9": [1] * 8 + [2]})
    TherapySessionFactory(client=person, date=days_ago(1), measures={"phq9": [0] * 9})
    assert list(safety_alerts(person).values_list("status", flat=True)) == ["open", "open"]


# --- Following it up -----------------------------------------------------------------------


@pytest.fixture
def alert(person):
    TherapySessionFactory(client=person, date=days_ago(2), measures={"phq9": [1] * 8 + [2]})
    return safety_alerts(person).get()


def follow_up(http, person, key, action="follow_up", note="Phoned them the same day; safety plan agreed."):
    return http.post(reverse("flag_mark", args=[person.pk, action]), {"key": key, "note": note})


def test_the_clinician_closes_a_safety_alert_by_recording_the_follow_up_with_a_note(client, owner, person, alert):
    client.force_login(owner)
    page = client.get(reverse("client_detail", args=[person.pk])).content.decode()
    assert "Record follow-up and close" in page
    response = follow_up(client, person, alert.key)
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.closed_reason) == ("closed", "followed_up")
    review = FlagReview.objects.get(key=alert.key)
    assert (review.action, review.by, review.note) == (
        "follow_up",
        owner,
        "Phoned them the same day; safety plan agreed.",
    )
    event = AuditEvent.objects.get(object_type="flags.flagreview")
    assert event.changes == {"action": "follow_up", "flag": alert.key, "note": "(changed)"}
    assert event.client_id == person.pk
    history = client.get(reverse("client_detail", args=[person.pk])).content.decode()
    assert "followed up by the clinician" in history
    assert not client.get(reverse("home")).context["rows"]


def test_a_follow_up_without_a_note_is_refused_and_the_alert_stays_open(client, owner, person, alert):
    client.force_login(owner)
    response = follow_up(client, person, alert.key, note="   ")
    assert "Write what you did to follow the safety alert up" in client.get(response.url).content.decode()
    alert.refresh_from_db()
    assert alert.is_open
    assert not FlagReview.objects.exists()


@pytest.mark.parametrize("action", ["discussed", "known"])
def test_a_safety_alert_is_not_closed_by_another_mark(client, owner, person, alert, action):
    client.force_login(owner)
    follow_up(client, person, alert.key, action=action)
    alert.refresh_from_db()
    assert alert.is_open
    assert not FlagReview.objects.exists()


def test_only_a_safety_alert_is_followed_up(client, owner, person):
    TherapySessionFactory(client=person, date=days_ago(2), ratings={"openness": 1})
    low = Flag.objects.get(client=person, kind="low_factor")
    client.force_login(owner)
    follow_up(client, person, low.key)
    assert not FlagReview.objects.exists()


@pytest.mark.parametrize("who", ["supervisor", "colleague", "outsider"])
def test_only_the_treating_clinician_records_a_follow_up(client, person, alert, who, supervisor, colleague, outsider):
    client.force_login({"supervisor": supervisor, "colleague": colleague, "outsider": outsider}[who])
    assert follow_up(client, person, alert.key).status_code == 404
    alert.refresh_from_db()
    assert alert.is_open


def test_a_supervisor_may_mark_the_alert_reviewed_but_it_stays_open(client, supervisor, person, alert):
    client.force_login(supervisor)
    page = client.get(reverse("client_detail", args=[person.pk])).content.decode()
    assert "Record follow-up and close" not in page
    client.post(reverse("flag_mark", args=[person.pk, "reviewed"]), {"key": alert.key})
    alert.refresh_from_db()
    assert alert.is_open
    assert alert.reviewed_at is not None


def test_a_reviewed_safety_alert_stays_in_the_pending_queue_until_the_clinician_follows_it_up(
    client, owner, supervisor, person, alert
):
    other = ClientFactory(clinician=owner, label="R.V.")
    TherapySessionFactory(client=other, date=days_ago(2), ratings={"openness": 1})
    reviewed_only = other.flags.get()  # a low factor
    client.force_login(supervisor)
    for flag in (alert, reviewed_only):
        client.post(reverse("flag_mark", args=[flag.client_id, "reviewed"]), {"key": flag.key})
    assert Flag.objects.filter(reviewed_at__isnull=False).count() == 2

    def pending_rows():
        return [c.label for c in client.get(reverse("team_dashboard"), {"review": "pending"}).context["rows"]]

    assert pending_rows() == ["P.Q."]  # the reviewed low factor left; the reviewed safety alert did not
    assert dashboard.team_flag_counts(supervisor) == (2, 1)
    client.force_login(owner)
    assert "P.Q." in [c.label for c in client.get(reverse("home"), {"review": "pending"}).context["rows"]]
    follow_up(client, person, alert.key)
    client.force_login(supervisor)
    assert pending_rows() == []


def test_discharging_the_client_leaves_the_safety_alert_open(client, owner, person, alert):
    client.force_login(owner)
    client.post(reverse("client_discharge", args=[person.pk]))
    alert.refresh_from_db()
    assert alert.is_open


# --- The client answers on their phone ----------------------------------------------------


@pytest.fixture
def link(owner, person):
    session = TherapySessionFactory(client=person, date=timezone.localdate())
    made, token = SelfReportLink.create_for(session, owner)
    return made, reverse("self_report", args=[token])


def phone_answers(phq9=(), gad7=()):
    data = {f"m_phq9_{n}": str(v) for n, v in enumerate(phq9, start=1) if v is not None}
    data.update({f"m_gad7_{n}": str(v) for n, v in enumerate(gad7, start=1) if v is not None})
    return data


def test_the_phone_page_asks_the_measures_after_the_alliance_questions_with_their_standard_wording(client, link):
    html = client.get(link[1]).content.decode()
    stem = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    assert html.index("Question 1 of") < html.index(stem)
    assert "Thoughts that you would be better off dead or of hurting yourself in some way" in html
    assert "Feeling afraid, as if something awful might happen" in html
    assert "More than half the days" in html


def test_a_client_answering_item_9_above_zero_sees_the_crisis_text_and_an_alert_is_raised(client, link, person):
    CrisisText.objects.update(text="Call the Riverside crisis line on 0800 000 000.")
    response = client.post(link[1], phone_answers(phq9=[1, 1, 1, 1, 1, 1, 1, 1, 1]))
    html = response.content.decode()
    assert "Thank you" in html
    assert "Call the Riverside crisis line on 0800 000 000." in html
    stored = MeasureResponse.objects.get()
    assert (stored.source, stored.link, stored.total, stored.safety) == ("client", link[0], 9, True)
    assert safety_alerts(person).get().is_open
    assert AuditEvent.objects.filter(
        object_type="measures.measureresponse", actor_username=f"client (self-report link {link[0].pk})"
    ).exists()


def test_a_client_with_item_9_at_zero_sees_no_crisis_text(client, link, person):
    response = client.post(link[1], phone_answers(phq9=[2] * 8 + [0], gad7=[1] * 7))
    assert 'id="crisis-text"' not in response.content.decode()
    assert not safety_alerts(person).exists()
    assert sorted(MeasureResponse.objects.values_list("instrument__key", "total")) == [("gad7", 7), ("phq9", 16)]


def test_the_default_crisis_text_names_the_clinician_emergency_services_and_a_crisis_line(client, link):
    html = client.post(link[1], phone_answers(phq9=[None] * 8 + [1])).content.decode()
    for words in ("your clinician", "emergency services", "crisis line"):
        assert words in html
    assert MeasureResponse.objects.get().total is None  # incomplete, and still an alert


def test_a_bad_answer_on_the_phone_is_refused_and_nothing_is_saved(client, link):
    response = client.post(link[1], {"m_phq9_1": "7"})
    assert "Choose one of the four answers." in response.content.decode()
    assert not MeasureResponse.objects.exists()
    link[0].refresh_from_db()
    assert link[0].used_at is None


def test_answering_only_a_measure_is_enough_to_send(client, link):
    response = client.post(link[1], phone_answers(gad7=[0] * 7))
    assert "Thank you" in response.content.decode()
    assert MeasureResponse.objects.get().total == 0


# --- Progress on the client page and the administrator's switch ---------------------------


def test_the_client_page_shows_progress_beside_the_alliance(client, owner, person):
    for n, total in enumerate([16, 12, 7]):
        TherapySessionFactory(client=person, date=days_ago(30 - 7 * n), measures={"phq9": spread(total)})
    client.force_login(owner)
    response = client.get(reverse("client_detail", args=[person.pk]))
    html = response.content.decode()
    assert "Progress beside the alliance" in html
    assert "latest <strong" in html
    assert "Recovery" in html
    chart = response.context["chart"]["measures"][0]
    assert [p["y"] for p in chart["points"]] == [16, 12, 7]
    assert [b["low"] for b in chart["bands"]] == [0, 5, 10, 15, 20]
    assert 'id="progress-chart-phq9"' in html


def spread(total, items=9):
    """`total` over the items other than item 9, 3s first."""
    values = []
    for _ in range(items - 1):
        values.append(min(3, total))
        total -= values[-1]
    return [*values, 0]


def test_an_administrator_switches_a_measure_off_and_it_is_no_longer_asked(client, admin_user, owner, link):
    client.force_login(admin_user)
    gad7 = Instrument.objects.get(key="gad7")
    form = client.get(reverse("admin:measures_instrument_change", args=[gad7.pk]))
    assert form.status_code == 200
    client.post(reverse("admin:measures_instrument_change", args=[gad7.pk]), {"active": ""} | inline_management())
    gad7.refresh_from_db()
    assert not gad7.active
    assert "Feeling afraid" not in client.get(link[1]).content.decode()
    client.force_login(owner)
    assert "GAD-7 from a paper form" not in client.get(reverse("session_create")).content.decode()
    assert AuditEvent.objects.filter(object_type="measures.instrument", changes__active=[True, False]).exists()


def test_switching_a_measure_off_keeps_its_history_scored_flagged_shown_and_exported(client, owner, person):
    for n, total in enumerate([3, 12]):  # GAD-7 rose 9: a reliable deterioration, off track
        TherapySessionFactory(client=person, date=days_ago(14 - 7 * n), measures={"gad7": spread(total, items=7)})
    assert Flag.objects.get(client=person, kind="off_track").is_open
    Instrument.objects.filter(key="gad7").update(active=False)
    TherapySessionFactory(client=person, date=days_ago(0))  # a later write walks the flags again
    client.force_login(owner)
    assert Flag.objects.get(client=person, kind="off_track").is_open
    page = client.get(reverse("client_detail", args=[person.pk]))
    assert [p.key for p in page.context["insight"].progress] == ["gad7"]
    assert [m["key"] for m in page.context["chart"]["measures"]] == ["gad7"]
    header, *rows = csv_rows(client.get(reverse("client_export_csv", args=[person.pk])))
    assert [dict(zip(header, row, strict=True))["GAD-7 total"] for row in rows] == ["3", "12", ""]
    header, row = csv_rows(client.get(reverse("caseload_export_csv")))
    cells = dict(zip(header, row, strict=True))
    assert (cells["GAD-7 latest"], cells["GAD-7 change"], cells["Progress"]) == ("12", "9", "Off track")
    assert cells["GAD-7 status"].startswith("Reliable deterioration")
    assert "GAD-7 from a paper form" not in client.get(reverse("session_create")).content.decode()
    _, url = SelfReportLink.create_for(person.sessions.order_by("-date").first(), owner)
    assert "Feeling afraid" not in client.get(reverse("self_report", args=[url])).content.decode()


def test_switching_a_measure_on_the_admins_list_is_audited_as_well(client, admin_user):
    client.force_login(admin_user)
    phq9, gad7 = Instrument.objects.get(key="phq9"), Instrument.objects.get(key="gad7")
    data = {"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2", "_save": "Save"}
    data.update({"form-0-id": str(phq9.pk), "form-0-active": "on", "form-1-id": str(gad7.pk)})  # GAD-7 off
    assert client.post(reverse("admin:measures_instrument_changelist"), data).status_code == 302
    assert not Instrument.objects.get(key="gad7").active
    event = AuditEvent.objects.get(object_type="measures.instrument", changes__active=[True, False])
    assert (event.object_id, event.actor) == (str(gad7.pk), admin_user)
    assert not AuditEvent.objects.filter(object_type="measures.instrument", object_id=str(phq9.pk)).exists()


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def inline_management():
    data = {}
    for prefix in ("options", "items", "bands"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def test_the_admin_shows_the_standard_wording_read_only(client, admin_user):
    client.force_login(admin_user)
    html = client.get(reverse("admin:measures_instrument_change", args=[Instrument.objects.get(key="phq9").pk]))
    assert "Little interest or pleasure in doing things" in html.content.decode()


# --- Off track on the client page: the alliance's prompts first -----------------------------


def off_track_person(owner, weak_openness):
    person = ClientFactory(clinician=owner, label="O.T.")
    for n, total in enumerate([8, 15]):
        ratings = {"openness": 2} if weak_openness else {}
        TherapySessionFactory(
            client=person, date=days_ago(14 - 7 * n), ratings=ratings, measures={"phq9": spread(total)}
        )
    return person


def test_an_off_track_client_with_a_weak_alliance_gets_that_factors_prompts_first(client, owner):
    person = off_track_person(owner, weak_openness=True)
    client.force_login(owner)
    insight = client.get(reverse("client_detail", args=[person.pk])).context["insight"]
    assert insight.flags[0].kind == "off_track"
    assert insight.flags[0].facts["alliance"] == "weak"
    first = insight.focus[0]
    assert first.flag.kind == "off_track"
    assert first.prompt.factor.key == "openness"
    assert first.prompt.applies_to == "low_factor"  # weak, not ruptured: not the rupture-repair prompts
    assert any(item.prompt.factor_id is None and item.prompt.applies_to == "off_track" for item in insight.focus)
    page = client.get(reverse("client_detail", args=[person.pk])).content.decode()
    assert "the alliance is weak too" in page
    assert "Off track: PHQ-9 · alliance weak too" in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize(("alliance", "kind"), [("ruptured", "rupture"), ("weak", "low_factor")])
def test_off_track_borrows_the_rupture_prompts_only_when_the_alliance_is_ruptured(db, alliance, kind):
    flag = rules.Flag(
        kind=rules.OFF_TRACK,
        opened_session_id=1,
        since=days_ago(7),
        factors=("openness",),
        facts={"instrument": "phq9", "alliance": alliance},
    )
    focus = insights.focus_prompts([flag], insights._prompts_for([flag]), [], None)
    assert (focus[0].prompt.factor.key, focus[0].prompt.applies_to) == ("openness", kind)


def test_an_off_track_client_with_a_sound_alliance_gets_the_general_off_track_prompts(client, owner):
    person = off_track_person(owner, weak_openness=False)
    client.force_login(owner)
    insight = client.get(reverse("client_detail", args=[person.pk])).context["insight"]
    assert [f.kind for f in insight.flags] == ["off_track"]
    assert insight.focus[0].prompt.applies_to == "off_track"
    assert insight.focus[0].prompt.factor_id is None


@pytest.mark.parametrize("measured", [3, 12])
def test_the_client_page_reads_every_measure_in_a_fixed_number_of_queries(
    client, owner, measured, django_assert_num_queries
):
    person = ClientFactory(clinician=owner, label="Q.C.")
    for n in range(measured):  # below caseness, no change: no flag, so no prompt queries either way
        TherapySessionFactory(
            client=person, date=days_ago(7 * (measured - n)), measures={"phq9": spread(6), "gad7": [1] * 7}
        )
    client.force_login(owner)
    # 1 session, 2 user, 3 client, 4 the audit row, 5 factors, 6 session count, 7 sessions of the page,
    # 8 their ratings, 9-11 the series (ratings, self-reports, sessions), 12 stored flags, 13 their marks,
    # 14 the client's measure responses, 15 the instruments in use with their item counts, 16 their bands,
    # 17 tried prompts, 18 review notes, 19 self-report links (no answers: no question names)
    with django_assert_num_queries(19):
        response = client.get(reverse("client_detail", args=[person.pk]))
    assert len(response.context["insight"].measures.responses) == 2 * measured

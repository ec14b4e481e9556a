"""Flags, prompts, the closed loop and the chart as a clinician sees them."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from clients.models import Client, PromptTrial
from clients.recording import discharge, save_session
from factors.models import Factor, Prompt
from flags.models import Flag
from tests.factories import ClientFactory, TherapySessionFactory, days_ago

TODAY = timezone.localdate



def client_page(http, client):
    return http.get(reverse("client_detail", args=[client.pk]))


# --- the prompt library ---------------------------------------------------------


def test_an_administrator_edits_and_deactivates_prompts_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    prompt = Prompt.objects.first()
    url = reverse("admin:factors_prompt_change", args=[prompt.pk])
    data = {"factor": prompt.factor_id, "applies_to": "rupture", "text": "A new wording.", "order": 0}
    data["source"] = "practice"
    assert client.post(url, data).status_code == 302  # "active" unticked
    prompt.refresh_from_db()
    assert (prompt.text, prompt.active) == ("A new wording.", False)


# --- flags stored on save -------------------------------------------------------


def test_saving_sessions_stores_the_clients_flags(their_client):
    for n in (21, 14, 7):
        TherapySessionFactory(client=their_client, date=days_ago(n), ratings={"support": 2})
    assert [(f.kind, f.factor_keys) for f in their_client.flags.all()] == [("persistent", ["support"])]


def test_a_back_dated_session_re_labels_the_series(their_client):
    for n in (28, 21, 14, 7):
        TherapySessionFactory(client=their_client, date=days_ago(n), default_score=4)
    assert not their_client.flags.exists()
    TherapySessionFactory(client=their_client, date=days_ago(10), default_score=2)  # between 14 and 7
    rupture = their_client.flags.get(kind="rupture")
    assert (rupture.status, rupture.since, rupture.resolved_on) == ("repaired", days_ago(10), days_ago(7))


def test_editing_an_old_session_recomputes_the_flags(owner_client, their_client):
    sessions = [TherapySessionFactory(client=their_client, date=days_ago(n), default_score=4) for n in (28, 21, 14, 7)]
    dip = sessions[2]
    save_session(dip, {f: (1, "") for f in Factor.objects.all()})
    assert their_client.flags.filter(kind="rupture").exists()
    save_session(dip, {f: (4, "") for f in Factor.objects.all()})
    assert not their_client.flags.exists()


# --- client page: flags, focus, chart -----------------------------------------------


def test_a_client_with_no_flags_gets_a_short_note_not_an_empty_box(owner_client, their_client):
    TherapySessionFactory(client=their_client, date=days_ago(3), default_score=4)
    html = client_page(owner_client, their_client).content.decode()
    assert "Nothing needs attention" in html
    assert "Nothing needs a change of course" in html


def test_the_client_page_shows_flags_and_at_most_five_prompts_most_urgent_first(owner_client, their_client):
    weak = {"support": 2, "stigma": 1, "openness": 2, "setting": 2, "beliefs": 2, "attachment": 2}
    TherapySessionFactory(client=their_client, date=days_ago(21), ratings=weak)
    TherapySessionFactory(client=their_client, date=days_ago(14), ratings=weak)
    TherapySessionFactory(client=their_client, date=days_ago(7), ratings={"flexibility": 2, **weak})
    response = client_page(owner_client, their_client)
    insight = response.context["insight"]
    assert insight.flags[0].kind == "factor_drop"  # flexibility fell 4 -> 2 (the index barely moved)
    focus = insight.focus
    assert len(focus) == 5
    assert focus[0].prompt.applies_to in ("factor_drop", "rupture")  # its own prompts, or the rupture ones
    assert focus[0].prompt.factor.key == "flexibility"
    latest = their_client.sessions.order_by("date").last()
    flags_panel = response.content.decode().split('id="flags-title"')[1].split('id="focus-title"')[0]
    assert reverse("session_detail", args=[latest.pk]) in flags_panel  # the session that raised it
    assert (focus[1].prompt.factor.key, focus[1].prompt.applies_to) == ("stigma", "persistent")  # a 1 before 2s
    html = response.content.decode()
    assert escape(focus[0].prompt.text) in html
    assert "Focus for the next session" in html
    assert "I'll try this" in html  # the owner can tick a prompt


def test_a_stalled_client_is_flagged_and_offered_a_reach_out_prompt(owner_client, their_client):
    TherapySessionFactory(client=their_client, date=days_ago(30), default_score=4)
    insight = client_page(owner_client, their_client).context["insight"]
    assert [f.kind for f in insight.flags] == ["stalled"]
    assert insight.detail(insight.flags[0]) == "No session for 30 days; this client usually comes every 7 days."
    assert insight.focus[0].prompt.applies_to == "stalled"


def test_a_discharged_client_is_never_stalled(owner_client, owner):
    gone = ClientFactory(clinician=owner)
    TherapySessionFactory(client=gone, date=days_ago(90), ratings={"openness": 1})
    discharge(gone)
    insight = client_page(owner_client, gone).context["insight"]
    assert insight.flags == []
    assert [(f.kind, f.closed_reason) for f in insight.history] == [("low_factor", "discharged")]


def test_the_chart_data_is_in_the_page_with_rupture_and_repair_markers(owner_client, their_client):
    for n, score in [(35, 4), (28, 4), (21, 4), (14, 2), (7, 4)]:
        TherapySessionFactory(client=their_client, date=days_ago(n), default_score=score)
    response = client_page(owner_client, their_client)
    html = response.content.decode()
    data = json.loads(html.split('id="chart-data" type="application/json">')[1].split("</script>")[0])
    assert data["labels"] == [days_ago(n).isoformat() for n in (35, 28, 21, 14, 7)]
    assert data["overall"] == [75.0, 75.0, 75.0, 25.0, 75.0]
    assert data["therapist"] == data["overall"]
    assert data["days"] == [0, 7, 14, 21, 28]
    assert (data["markers"]["rupture"][0]["x"], data["markers"]["rupture"][0]["y"]) == (21, 25.0)
    assert data["markers"]["repair"] == [{"x": 28, "y": 75.0, "status": "repaired"}]
    # The whole fall at day 21 includes the money rating: its context change has a marker of its own.
    assert [m["x"] for m in data["markers"]["context_change"]] == [21]
    assert data["markers"]["factor_drop"] == []
    assert "vendor/chart.js-4.6.1/chart.umd.js" in html
    assert "over 3 sessions" in html


def test_the_index_by_setting_shows_when_both_settings_have_two_sessions(owner_client, their_client):
    for n, setting, score in [(28, "in_person", 5), (21, "online", 2), (14, "in_person", 5), (7, "online", 2)]:
        TherapySessionFactory(client=their_client, date=days_ago(n), setting=setting, default_score=score)
    html = client_page(owner_client, their_client).content.decode()
    assert "Mean index by setting" in html
    assert "In person <strong>100</strong>" in html
    assert "Online <strong>25</strong>" in html


# --- after saving a session ---------------------------------------------------------


def test_the_page_after_saving_shows_what_changed_and_what_to_try(owner_client, their_client):
    TherapySessionFactory(client=their_client, date=days_ago(8), default_score=4)
    data = {"client": their_client.pk, "date": days_ago(1).isoformat(), "setting": "in_person"}
    for factor in Factor.objects.all():
        data[f"score_{factor.key}"] = "2" if factor.key == "openness" else "4"
    response = owner_client.post(reverse("session_create"), data, follow=True)
    html = response.content.decode()
    assert "What changed" in html
    assert "Openness 4 → 2" in html
    prompt = response.context["insight"].focus[0].prompt
    assert (prompt.factor.key, prompt.applies_to in ("factor_drop", "rupture")) == ("openness", True)
    assert escape(prompt.text) in html
    assert "Factor drop" in html


# --- the closed loop: tick a prompt, see whether its factor moved --------------------


@pytest.fixture
def flagged(their_client):
    TherapySessionFactory(client=their_client, date=days_ago(14), ratings={"support": 2})
    return their_client


def trial_url(client):
    return reverse("prompt_trial", args=[client.pk])


def test_a_clinician_ticks_a_prompt_and_later_sees_that_its_factor_rose(owner_client, owner, flagged):
    prompt = Prompt.objects.get(factor__key="support", applies_to="low_factor")
    response = owner_client.post(trial_url(flagged), {"prompt": prompt.pk, "action": "try"})
    assert response.status_code == 302
    assert response["Location"] == reverse("client_detail", args=[flagged.pk]) + "#focus"
    trial = PromptTrial.objects.get()
    assert (trial.prompt, trial.chosen_by, trial.after_session) == (prompt, owner, flagged.sessions.get())
    html = client_page(owner_client, flagged).content.decode()
    assert "You plan to try this" in html
    assert "Waiting for the next rating" in html

    TherapySessionFactory(client=flagged, date=days_ago(7), ratings={"support": 4})
    result = client_page(owner_client, flagged).context["insight"].trials[0]
    assert (result.outcome, result.before, result.after) == ("rose", 2, [4])
    assert "▲ Rose" in client_page(owner_client, flagged).content.decode()


def test_ticking_twice_keeps_one_trial_and_undo_removes_it(owner_client, flagged):
    prompt = Prompt.objects.get(factor__key="support", applies_to="low_factor")
    owner_client.post(trial_url(flagged), {"prompt": prompt.pk, "action": "try"})
    owner_client.post(trial_url(flagged), {"prompt": prompt.pk, "action": "try"})
    assert PromptTrial.objects.count() == 1
    owner_client.post(trial_url(flagged), {"prompt": prompt.pk, "action": "undo"})
    assert not PromptTrial.objects.exists()


@pytest.mark.parametrize(
    "data",
    [{"prompt": "999999", "action": "try"}, {"prompt": "abc", "action": "try"}, {"action": "try"}, {"prompt": "1"}],
)
def test_a_bad_trial_request_saves_nothing_and_says_why(owner_client, flagged, data):
    response = owner_client.post(trial_url(flagged), data, follow=True)
    assert response.status_code == 200
    assert not PromptTrial.objects.exists()
    assert next(iter(response.context["messages"])).level_tag == "error"


def test_an_inactive_prompt_cannot_be_chosen(owner_client, flagged):
    prompt = Prompt.objects.get(factor__key="support", applies_to="low_factor")
    prompt.active = False
    prompt.save()
    owner_client.post(trial_url(flagged), {"prompt": prompt.pk, "action": "try"})
    assert not PromptTrial.objects.exists()


def test_a_prompt_needs_a_session_first(owner_client, their_client):
    response = owner_client.post(trial_url(their_client), {"prompt": Prompt.objects.first().pk, "action": "try"})
    assert response.status_code == 302
    assert not PromptTrial.objects.exists()


def test_an_offsite_next_url_is_ignored(owner_client, flagged):
    prompt = Prompt.objects.first()
    response = owner_client.post(
        trial_url(flagged), {"prompt": prompt.pk, "action": "try", "next": "https://evil.example/"}
    )
    assert response["Location"].startswith(reverse("client_detail", args=[flagged.pk]))


def test_another_clinicians_client_cannot_get_a_trial(owner_client, colleagues_session):
    response = owner_client.post(
        trial_url(colleagues_session.client), {"prompt": Prompt.objects.first().pk, "action": "try"}
    )
    assert response.status_code == 404
    assert not PromptTrial.objects.exists()


# --- caseload ------------------------------------------------------------------------


def test_a_factor_drop_has_its_own_chart_marker_not_a_rupture_one(owner_client, their_client):
    for n in (28, 21, 14):
        TherapySessionFactory(client=their_client, date=days_ago(n), default_score=4)
    TherapySessionFactory(client=their_client, date=days_ago(7), ratings={"openness": 2})
    html = client_page(owner_client, their_client).content.decode()
    data = json.loads(html.split('id="chart-data" type="application/json">')[1].split("</script>")[0])
    assert [m["x"] for m in data["markers"]["factor_drop"]] == [21]
    assert data["markers"]["rupture"] == []
    assert "Openness fell from 4 to 2" in data["markers"]["factor_drop"][0]["detail"]


def test_the_caseload_shows_flag_badges_and_sorts_the_most_urgent_first(owner_client, owner):
    calm = ClientFactory(clinician=owner, label="A-calm")
    TherapySessionFactory(client=calm, date=days_ago(2), default_score=4)
    stalled = ClientFactory(clinician=owner, label="B-stalled")
    TherapySessionFactory(client=stalled, date=days_ago(40), default_score=4)
    weak = ClientFactory(clinician=owner, label="C-weak")
    TherapySessionFactory(client=weak, date=days_ago(3), ratings={"stigma": 2})
    response = owner_client.get(reverse("caseload"), {"sort": "-flags"})
    assert [c.label for c in response.context["page"].object_list] == ["C-weak", "B-stalled", "A-calm"]
    html = response.content.decode()
    assert "Low factor: Stigma" in html
    assert "Stalled" in html


# --- demo data ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_data_shows_every_flag_kind():
    call_command("seed_demo", stdout=StringIO())
    stored = set(Flag.objects.values_list("kind", "status"))
    expected = {
        ("rupture", "open"),
        ("rupture", "repaired"),
        ("factor_drop", "open"),
        ("persistent", "open"),
        ("low_factor", "open"),
        ("discrepancy", "open"),
        ("discrepancy", "closed"),
        ("client_concern", "open"),
    }
    assert expected <= stored
    assert Flag.objects.filter(kind="rupture", status="open", reviewed_at__isnull=False).exists()
    assert Flag.objects.filter(kind="discrepancy", closed_reason="discussed", discussed_at__isnull=False).exists()
    stalled = [c for c in Client.objects.with_summary() if c.stalled_flag() is not None]
    assert stalled

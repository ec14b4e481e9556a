"""The review loop: one-click marks on flags (reviewed, discussed with the client, known
circumstance), reviews that survive a flag growing, queues that default to unreviewed flags,
and flags closed at discharge. Around named users: the owner (treating clinician), their
supervisor, a colleague and another team's supervisor."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from clients.models import TherapySession
from clients.recording import EmptySessionError, refresh_flags, save_session
from factors.models import Factor
from flags.models import Flag, FlagReview
from selfreport.models import Question, SelfReportLink, SelfReportRating
from tests import teams
from tests.factories import ClientFactory, TherapySessionFactory, days_ago

# The team's fixtures (tests/teams.py).
supervisor, owner, colleague, outsider = teams.supervisor, teams.owner, teams.colleague, teams.outsider

RELATIONSHIP = ["communication", "cultural_competence", "boundaries", "flexibility",
                "openness", "expectations", "attachment", "beliefs"]  # fmt: skip


@pytest.fixture
def ruptured(owner):
    """A client whose relationship factors all fell to 2 in the latest session."""
    client = ClientFactory(clinician=owner, label="R.U.")
    for n in (28, 21, 14):
        TherapySessionFactory(client=client, date=days_ago(n))
    TherapySessionFactory(client=client, date=days_ago(7), ratings=dict.fromkeys(RELATIONSHIP, 2))
    return client


def mark(http, client, action, flag_key, **extra):
    return http.post(reverse("flag_mark", args=[client.pk, action]), {"key": flag_key, **extra})


def rupture_of(client):
    return client.flags.get(kind="rupture")


# --- marking reviewed ---------------------------------------------------------------------


def test_a_supervisor_marks_a_flag_reviewed_with_one_click_and_an_optional_note(client, supervisor, ruptured):
    client.force_login(supervisor)
    flag = rupture_of(ruptured)
    response = mark(client, ruptured, "reviewed", flag.key, note="Seen; talk on Thursday.")
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.reviewed_by, flag.reviewed_at is not None) == (supervisor, True)
    review = FlagReview.objects.get()
    assert (review.action, review.note, review.by) == ("reviewed", "Seen; talk on Thursday.", supervisor)
    assert AuditEvent.objects.filter(object_type="flags.flagreview", action="create").exists()
    page = client.get(reverse("client_detail", args=[ruptured.pk])).content.decode()
    assert "✓ Reviewed by Sam Super" in page
    assert "Seen; talk on Thursday." in page


def test_marking_twice_keeps_the_first_review_and_says_so(client, supervisor, ruptured):
    client.force_login(supervisor)
    key = rupture_of(ruptured).key
    mark(client, ruptured, "reviewed", key)
    response = mark(client, ruptured, "reviewed", key, note="again")
    assert FlagReview.objects.count() == 1
    assert "already" in [str(m) for m in response.wsgi_request._messages][-1]


@pytest.mark.parametrize("who", ["owner", "colleague", "outsider"])
def test_only_the_clients_supervisor_can_mark_it_reviewed(client, who, ruptured, owner, colleague, outsider):
    client.force_login({"owner": owner, "colleague": colleague, "outsider": outsider}[who])
    assert mark(client, ruptured, "reviewed", rupture_of(ruptured).key).status_code == 404
    assert not FlagReview.objects.exists()


@pytest.mark.parametrize("who", ["supervisor", "colleague", "outsider"])
def test_only_the_treating_clinician_marks_a_flag_discussed(client, who, ruptured, supervisor, colleague, outsider):
    client.force_login({"supervisor": supervisor, "colleague": colleague, "outsider": outsider}[who])
    assert mark(client, ruptured, "discussed", rupture_of(ruptured).key).status_code == 404
    assert not FlagReview.objects.exists()


def test_marking_needs_a_post(client, supervisor, ruptured):
    client.force_login(supervisor)
    assert client.get(reverse("flag_mark", args=[ruptured.pk, "reviewed"])).status_code == 405


def test_an_unknown_action_is_not_found(client, supervisor, ruptured):
    client.force_login(supervisor)
    assert mark(client, ruptured, "deleted", rupture_of(ruptured).key).status_code == 404


@pytest.mark.parametrize(
    "key", ["", "rupture:999999:", "<script>alert(1)</script>", "x" * 121, "rupture:1:\x00", "low_factor:1:nope"]
)
def test_a_bad_or_stale_flag_key_marks_nothing_and_says_why(client, supervisor, ruptured, key):
    client.force_login(supervisor)
    response = mark(client, ruptured, "reviewed", key)
    assert response.status_code == 302
    assert not FlagReview.objects.exists()
    assert [str(m) for m in response.wsgi_request._messages]


def test_a_note_over_2000_characters_is_refused(client, supervisor, ruptured):
    client.force_login(supervisor)
    mark(client, ruptured, "reviewed", rupture_of(ruptured).key, note="x" * 2001)
    assert not FlagReview.objects.exists()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", '"><img src=x>'])
def test_after_marking_an_unsafe_next_falls_back_to_the_client_page(client, supervisor, ruptured, target):
    client.force_login(supervisor)
    response = mark(client, ruptured, "reviewed", rupture_of(ruptured).key, next=target)
    assert response["Location"] == reverse("client_detail", args=[ruptured.pk]) + "#focus"


def test_a_supervisor_can_review_a_stalled_client(client, supervisor, owner):
    idle = ClientFactory(clinician=owner, label="S.T.")
    TherapySessionFactory(client=idle, date=days_ago(40))
    idle.refresh_from_db()
    client.force_login(supervisor)
    stalled = idle.stalled_flag()
    mark(client, idle, "reviewed", stalled.identity)
    assert FlagReview.objects.get().kind == "stalled"
    queue = client.get(reverse("team_dashboard")).content.decode()
    assert "S.T." not in queue.split('id="queue-title"')[1]  # reviewed: out of the default queue
    queue = client.get(reverse("team_dashboard") + "?review=reviewed").content.decode()
    assert "S.T." in queue.split('id="queue-title"')[1]


# --- reviews survive the flag changing --------------------------------------------------------


def test_a_review_survives_the_episode_growing_and_gaining_a_factor(client, supervisor, ruptured):
    client.force_login(supervisor)
    key = rupture_of(ruptured).key
    mark(client, ruptured, "reviewed", key)
    TherapySessionFactory(client=ruptured, date=days_ago(3), ratings={**dict.fromkeys(RELATIONSHIP, 1)})
    flag = rupture_of(ruptured)
    assert (flag.key, len(flag.session_ids)) == (key, 2)
    assert flag.reviewed_by == supervisor


def test_a_review_survives_a_session_back_dated_after_the_episode_began(client, supervisor, ruptured):
    client.force_login(supervisor)
    key = rupture_of(ruptured).key
    mark(client, ruptured, "reviewed", key)
    TherapySessionFactory(client=ruptured, date=days_ago(5), ratings=dict.fromkeys(RELATIONSHIP, 2))
    flag = rupture_of(ruptured)
    assert flag.key == key
    assert flag.reviewed_at is not None


def test_an_all_factor_rupture_can_be_reviewed_without_a_server_error(client, supervisor, owner):
    worst = ClientFactory(clinician=owner, label="W.X.")
    for n in (28, 21, 14):
        TherapySessionFactory(client=worst, date=days_ago(n), default_score=5)
    TherapySessionFactory(client=worst, date=days_ago(7), default_score=1)
    client.force_login(supervisor)
    for flag in worst.flags.open():
        assert mark(client, worst, "reviewed", flag.key, note="n" * 2000).status_code == 302
    assert FlagReview.objects.count() == worst.flags.open().count() >= 12


# --- discussed with the client, known circumstance ------------------------------------------


@pytest.fixture
def discrepancy(owner):
    client = ClientFactory(clinician=owner, label="D.I.")
    session = TherapySessionFactory(client=client, date=days_ago(7), default_score=5)
    link, _ = SelfReportLink.create_for(session, owner)
    link.used_at = timezone.now()
    link.save()
    SelfReportRating.objects.create(link=link, question=Question.objects.get(key="openness", active=True), score=3)
    refresh_flags(client)
    return client


def test_the_clinician_marks_a_discrepancy_discussed_and_it_closes(client, owner, discrepancy):
    client.force_login(owner)
    flag = discrepancy.flags.get(kind="discrepancy")
    mark(client, discrepancy, "discussed", flag.key, note="We went over it.")
    flag.refresh_from_db()
    assert (flag.status, flag.closed_reason, flag.discussed_by) == ("closed", "discussed", owner)
    page = client.get(reverse("client_detail", args=[discrepancy.pk])).content.decode()
    assert "Flag history" in page
    assert "discussed with the client" in page
    assert "We went over it." in page


def test_a_discussed_flag_that_is_not_a_discrepancy_stays_open_with_its_mark(client, owner, ruptured):
    client.force_login(owner)
    mark(client, ruptured, "discussed", rupture_of(ruptured).key)
    flag = rupture_of(ruptured)
    assert (flag.status, flag.discussed_by) == ("open", owner)


def test_a_low_contextual_factor_can_be_marked_a_known_circumstance_until_its_rating_changes(client, owner):
    hardship = ClientFactory(clinician=owner, label="H.A.")
    for n in (21, 14, 7):
        TherapySessionFactory(client=hardship, date=days_ago(n), ratings={"socioeconomic": 2})
    flag = hardship.flags.get(kind="persistent")
    client.force_login(owner)
    mark(client, hardship, "known", flag.key)
    hardship.refresh_from_db()
    assert hardship.flags.get(pk=flag.pk).quiet
    assert hardship.open_flag_count == 0  # out of the queues...
    page = client.get(reverse("client_detail", args=[hardship.pk])).content.decode()
    assert "known circumstance" in page  # ...but still on the client page
    TherapySessionFactory(client=hardship, date=days_ago(1), ratings={"socioeconomic": 1})
    assert not hardship.flags.get(kind="persistent").quiet


def test_a_relationship_factor_cannot_be_marked_a_known_circumstance(client, owner, ruptured):
    client.force_login(owner)
    low = ruptured.flags.filter(kind="low_factor").first()
    mark(client, ruptured, "known", low.key)
    assert not FlagReview.objects.exists()


# --- queues --------------------------------------------------------------------------------


def test_the_queue_defaults_to_unreviewed_flags_and_sorts_reviewed_ones_below(client, supervisor, owner, ruptured):
    other = ClientFactory(clinician=owner, label="O.T.")
    for n in (28, 21, 14):
        TherapySessionFactory(client=other, date=days_ago(n))
    TherapySessionFactory(client=other, date=days_ago(6), ratings=dict.fromkeys(RELATIONSHIP, 2))
    client.force_login(supervisor)
    mark(client, ruptured, "reviewed", rupture_of(ruptured).key)
    default = client.get(reverse("team_dashboard"))
    labels = [c.label for c in default.context["rows"]]
    assert labels[0] == "O.T."  # its rupture is not reviewed yet
    everything = [c.label for c in client.get(reverse("team_dashboard") + "?review=all").context["rows"]]
    assert everything.index("O.T.") < everything.index("R.U.")


def test_the_queue_shows_how_many_days_each_flag_has_been_open(client, supervisor, ruptured):
    client.force_login(supervisor)
    html = client.get(reverse("team_dashboard")).content.decode()
    assert "open 7 days" in html


def test_the_supervisors_home_counts_the_teams_open_and_unreviewed_flags(client, supervisor, ruptured):
    client.force_login(supervisor)
    html = client.get(reverse("home")).content.decode()
    open_count = ruptured.flags.filter(status="open", quiet=False).count()
    assert f"<strong>{open_count}</strong> open flag" in html
    assert "nobody needs attention" not in html


# --- discharge and a session that says nothing -------------------------------------------------


def test_discharge_closes_open_flags_and_keeps_them_in_the_history(client, owner, ruptured):
    client.force_login(owner)
    client.post(reverse("client_discharge", args=[ruptured.pk]))
    assert not Flag.objects.filter(client=ruptured, status="open").exists()
    assert Flag.objects.filter(client=ruptured, closed_reason="discharged").exists()
    ruptured.refresh_from_db()
    assert (ruptured.open_flag_count, ruptured.top_urgency) == (0, 0)


def test_a_session_with_every_factor_not_assessed_is_refused_and_keeps_what_was_typed(client, owner, ruptured):
    client.force_login(owner)
    data = {"client": ruptured.pk, "date": days_ago(1).isoformat(), "setting": "online", "note": "typed note"}
    data.update({f"score_{f.key}": "" for f in Factor.objects.all()})
    response = client.post(reverse("session_create"), data)
    assert response.status_code == 200
    assert "Rate at least one factor" in response.content.decode()
    assert "typed note" in response.content.decode()
    assert ruptured.sessions.count() == 4


def test_the_save_path_refuses_an_all_not_assessed_session_too(owner, ruptured):
    with pytest.raises(EmptySessionError):
        save_session(TherapySession(client=ruptured, date=days_ago(2)), {f: (None, "") for f in Factor.objects.all()})
    assert ruptured.sessions.count() == 4


def test_a_client_added_today_with_a_past_intake_is_not_stalled(client, owner):
    client.force_login(owner)
    client.post(
        reverse("client_create"),
        {"label": "N.E.", "intake_date": days_ago(60).isoformat(), "status": "active",
         "attachment_style": "unknown", "usual_setting": "in_person", "fee_arrangement": "standard"},
    )  # fmt: skip
    new = owner.clients.get(label="N.E.")
    assert new.stalled_flag() is None
    assert new.stalled_flag(timezone.localdate() + timedelta(days=21)) is not None


def test_a_monthly_client_stalls_only_after_eight_weeks(owner):
    monthly = ClientFactory(clinician=owner, label="M.O.", session_interval_days=28)
    TherapySessionFactory(client=monthly, date=days_ago(40))
    monthly.refresh_from_db()
    assert monthly.stalled_flag() is None
    assert monthly.stalled_flag(timezone.localdate() + timedelta(days=16)) is not None


@pytest.mark.parametrize("bad", ["13", "0", "-7", "weekly", "<b>28</b>", "9" * 30])
def test_a_bad_usual_interval_is_refused_with_a_message_and_saves_nothing(client, owner, bad):
    client.force_login(owner)
    response = client.post(
        reverse("client_create"),
        {"label": "B.I.", "intake_date": days_ago(10).isoformat(), "status": "active",
         "attachment_style": "unknown", "usual_setting": "in_person", "fee_arrangement": "standard",
         "session_interval_days": bad},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not owner.clients.filter(label="B.I.").exists()


def test_a_mark_made_on_the_client_page_returns_to_its_flags_not_the_top(client, supervisor, ruptured):
    """The card shows the mark where it was made: the page comes back at its flags."""
    client.force_login(supervisor)
    page = reverse("client_detail", args=[ruptured.pk])
    html = client.get(page).content.decode()
    assert f'name="next" value="{page}#focus"' in html
    response = mark(client, ruptured, "reviewed", rupture_of(ruptured).key, next=f"{page}#focus")
    assert response["Location"] == f"{page}#focus"


def test_a_mark_made_in_a_queue_returns_to_the_queue_not_the_top(client, supervisor, ruptured):
    client.force_login(supervisor)
    dashboard = reverse("team_dashboard") + "?kind=rupture"
    html = client.get(dashboard).content.decode()
    assert 'id="queue-rows"' in html
    assert f'name="next" value="{dashboard}#queue-rows"' in html
    response = mark(client, ruptured, "reviewed", rupture_of(ruptured).key, next=f"{dashboard}#queue-rows")
    assert response["Location"] == f"{dashboard}#queue-rows"


def test_a_reviewed_card_offers_the_supervisor_no_note_it_could_not_send(client, supervisor, ruptured):
    client.force_login(supervisor)
    key = rupture_of(ruptured).key
    page = reverse("client_detail", args=[ruptured.pk])
    before = client.get(page).content.decode().split(f'data-flag="{key}"')[1].split("</li>")[0]
    assert 'name="note"' in before
    mark(client, ruptured, "reviewed", key)
    after = client.get(page).content.decode().split(f'data-flag="{key}"')[1].split("</li>")[0]
    assert "✓ Reviewed by" in after
    assert 'name="note"' not in after

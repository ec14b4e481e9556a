"""Roles, teams, the supervisor's dashboard, review notes and the home page."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team, User
from clients.models import Client
from supervision import dashboard
from supervision.models import ReviewNote
from tests.factories import ClientFactory, TherapySessionFactory, UserFactory, days_ago

TODAY = timezone.localdate
DASHBOARD = reverse("team_dashboard")



@pytest.fixture
def supervisor(db):
    return UserFactory(username="sup", first_name="Sam", last_name="Super", role=User.Role.SUPERVISOR)


@pytest.fixture
def team(supervisor):
    return Team.objects.create(name="Riverside", supervisor=supervisor)


@pytest.fixture
def alice(team):
    return UserFactory(username="alice", first_name="Alice", last_name="Adams", team=team)


@pytest.fixture
def bob(team):
    return UserFactory(username="bob", first_name="Bob", last_name="Brown", team=team)


@pytest.fixture
def sup_client(client, supervisor):
    client.force_login(supervisor)
    return client


def queue_labels(response):
    return [c.label for c in response.context["rows"]]


# --- team overview ------------------------------------------------------------------


def test_the_team_overview_sums_up_each_clinician(sup_client, alice, bob):
    a1 = ClientFactory(clinician=alice, label="A1")
    TherapySessionFactory(client=a1, date=days_ago(40), default_score=3)  # index 50 thirty days ago
    TherapySessionFactory(client=a1, date=days_ago(5), default_score=4)  # 75 now
    a2 = ClientFactory(clinician=alice, label="A2")
    TherapySessionFactory(client=a2, date=days_ago(10), ratings={"stigma": 2}, default_score=5)
    ClientFactory(clinician=alice, label="A-gone", status="discharged")
    stalled = ClientFactory(clinician=bob, label="B1")
    TherapySessionFactory(client=stalled, date=days_ago(45), default_score=4)

    rows = {row.clinician.username: row for row in sup_client.get(DASHBOARD).context["overview"]}
    a, b = rows["alice"], rows["bob"]
    assert (a.active_clients, a.sessions_30d) == (2, 2)
    assert a.mean_index == pytest.approx((75 + 93.75) / 2, abs=0.1)  # A2: (11*5+2)/12 = 4.75 -> 93.75
    assert a.trend == 25.0  # only A1 has an index 30 days ago: 50 -> 75
    assert a.open_flags == 1  # A2's low stigma
    assert (b.active_clients, b.sessions_30d, b.mean_index, b.trend, b.open_flags) == (1, 0, 75.0, 0.0, 1)


def test_a_supervisor_without_a_team_gets_an_empty_state(sup_client):
    response = sup_client.get(DASHBOARD)
    assert "No team yet" in response.content.decode()


def test_a_deactivated_clinicians_caseload_stays_visible_to_the_supervisor(sup_client, alice):
    ClientFactory(clinician=alice, label="A1")
    alice.is_active = False
    alice.save()
    html = sup_client.get(DASHBOARD).content.decode()
    assert "inactive" in html
    assert sup_client.get(reverse("caseload"), {"clinician": alice.pk}).status_code == 200


# --- flag queue -------------------------------------------------------------------


@pytest.fixture
def flagged_team(alice, bob):
    """One client per flag kind, raised at different dates."""
    rupture = ClientFactory(clinician=alice, label="Rupture")
    for n, score in [(30, 4), (23, 4), (16, 4), (9, 2)]:
        TherapySessionFactory(client=rupture, date=days_ago(n), default_score=score)
    persistent = ClientFactory(clinician=bob, label="Persistent")
    for n in (20, 13, 6):
        TherapySessionFactory(client=persistent, date=days_ago(n), ratings={"support": 2})
    low = ClientFactory(clinician=alice, label="Low")
    TherapySessionFactory(client=low, date=days_ago(3), ratings={"openness": 2})
    stalled = ClientFactory(clinician=bob, label="Stalled")
    TherapySessionFactory(client=stalled, date=days_ago(60), default_score=4)
    calm = ClientFactory(clinician=alice, label="Calm")
    TherapySessionFactory(client=calm, date=days_ago(2), default_score=4)
    return {c.label: c for c in [rupture, persistent, low, stalled, calm]}


def test_the_queue_lists_flagged_clients_most_urgent_first(sup_client, flagged_team):
    assert queue_labels(sup_client.get(DASHBOARD)) == ["Rupture", "Persistent", "Low", "Stalled"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "rupture"}, ["Rupture"]),
        ({"kind": "persistent"}, ["Persistent"]),
        ({"kind": "low_factor"}, ["Rupture", "Low"]),  # the rupture client is also low on every factor
        ({"kind": "stalled"}, ["Stalled"]),
        ({"domain": "contextual"}, ["Rupture", "Persistent"]),
        ({"domain": "client", "kind": "low_factor"}, ["Rupture", "Low"]),
        ({"since_from": (TODAY() - timedelta(days=10)).isoformat()}, ["Rupture", "Low"]),
        ({"since_to": (TODAY() - timedelta(days=15)).isoformat()}, ["Persistent", "Stalled"]),
        ({"sort": "client"}, ["Low", "Persistent", "Rupture", "Stalled"]),
        ({"sort": "last"}, ["Low", "Persistent", "Rupture", "Stalled"]),
    ],
)
def test_the_queue_filters_and_sorts(sup_client, flagged_team, params, expected):
    response = sup_client.get(DASHBOARD, params)
    assert queue_labels(response) == expected
    # Each row leads with a card the filters found it by (dashboard.matches reads them as flag_queue does).
    filters = response.context["form"].filters()
    for row in response.context["rows"]:
        lead = row.flag_cards[0]
        assert any(dashboard.matches(f, **filters) for f in [lead.flag, *lead.members]), row.label


def test_the_queue_filters_by_clinician(sup_client, flagged_team, alice):
    assert queue_labels(sup_client.get(DASHBOARD, {"clinician": alice.pk})) == ["Rupture", "Low"]


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "<script>"},
        {"domain": "weather"},
        {"sort": "password"},
        {"since_from": "yesterday"},
        {"clinician": "999999"},
        {"since_from": TODAY().isoformat(), "since_to": days_ago(5).isoformat()},
    ],
)
def test_a_bad_filter_is_reported_and_ignored(sup_client, flagged_team, params):
    response = sup_client.get(DASHBOARD, params)
    assert response.status_code == 200
    assert "That filter was left out" in response.content.decode()
    assert "<script>" not in response.content.decode()  # nothing typed comes back unescaped
    assert len(queue_labels(response)) >= 1


def test_each_bad_filter_is_named_and_its_field_points_to_its_message(sup_client, flagged_team):
    html = sup_client.get(DASHBOARD, {"kind": "bogus", "clinician": "x", "sort": "password"}).content.decode()
    alert = html.split('role="alert"')[1].split("</div>")[0]
    assert '<span id="id_kind_error">Flag: Select a valid choice. bogus is not one' in alert
    assert '<span id="id_clinician_error">Clinician: ' in alert
    assert '<span id="id_sort_error">Sort by: ' in alert
    assert "Those filters were left out." in alert
    for field in ("kind", "clinician", "sort"):
        tag = re.search(rf'<select name="{field}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in tag
        assert f'aria-describedby="id_{field}_error"' in tag


def test_home_selects_the_review_filter_it_applies(client, alice, flagged_team):
    """Home shows every open flag of one's own clients by default, and says so in its filter."""
    client.force_login(alice)
    html = client.get(reverse("home")).content.decode()
    review = re.search(r'<select name="review".*?</select>', html, re.S).group(0)
    assert '<option value="all" selected>All</option>' in review
    assert "selected" not in review.replace('<option value="all" selected>', "")
    dashboard = client.get(DASHBOARD)  # alice is no supervisor: the dashboard is not hers
    assert dashboard.status_code == 404


def test_a_filter_for_another_teams_clinician_shows_nothing_of_theirs(sup_client, flagged_team):
    outsider = UserFactory(username="outsider")
    ClientFactory(clinician=outsider, label="Outside")
    response = sup_client.get(DASHBOARD, {"clinician": outsider.pk})
    assert "Outside" not in response.content.decode()


def test_the_queue_pages_25_at_a_time(sup_client, alice):
    for i in range(30):
        c = ClientFactory(clinician=alice, label=f"Q{i:02d}")
        TherapySessionFactory(client=c, date=days_ago(3), ratings={"stigma": 2})
    first = sup_client.get(DASHBOARD, {"sort": "client"})
    assert len(queue_labels(first)) == 25
    second = sup_client.get(DASHBOARD, {"sort": "client", "page": 2})
    assert queue_labels(second) == ["Q25", "Q26", "Q27", "Q28", "Q29"]
    assert "sort=client" in first.content.decode()  # the pager keeps the sort


# --- factor map ---------------------------------------------------------------------------


def test_the_factor_map_averages_each_clinicians_latest_ratings(sup_client, alice, bob):
    for label, score in [("A1", 2), ("A2", 4)]:
        c = ClientFactory(clinician=alice, label=label)
        TherapySessionFactory(client=c, date=days_ago(20), default_score=5)  # older: ignored
        TherapySessionFactory(client=c, date=days_ago(5), ratings={"stigma": score, "support": 3}, default_score=4)
    fmap = sup_client.get(DASHBOARD).context["factor_map"]
    cells = {
        f.key: dict(zip([c.username for c in fmap.columns], cells, strict=True))
        for _, rows in fmap.rows
        for f, cells in rows
    }
    assert (cells["stigma"]["alice"].mean, cells["stigma"]["alice"].count) == (3.0, 2)
    assert cells["communication"]["alice"].mean == 4.0
    # the two weakest of the column stand out; a factor at 4 or more is never singled out
    weakest = {key for key, by_clinician in cells.items() if by_clinician["alice"] and by_clinician["alice"].weakest}
    assert weakest == {"stigma", "support"}
    assert cells["stigma"]["bob"] is None  # no clients: no cell, never a low score


# --- query counts --------------------------------------------------------------------------


def build_team(supervisor, clinicians, clients_each):
    team = Team.objects.create(name=f"T{clinicians}", supervisor=supervisor)
    for i in range(clinicians):
        clinician = UserFactory(username=f"c{clinicians}-{i}", team=team)
        for j in range(clients_each):
            c = ClientFactory(clinician=clinician, label=f"{i}-{j}")
            TherapySessionFactory(client=c, date=days_ago(j % 40 + 1), ratings={"stigma": 1 + j % 5})


@pytest.mark.parametrize(("clinicians", "clients_each"), [(3, 10), (10, 50)])
def test_the_dashboard_query_count_stays_flat(
    sup_client, supervisor, clinicians, clients_each, django_assert_num_queries
):
    build_team(supervisor, clinicians, clients_each)
    sup_client.force_login(supervisor)  # a fresh session: a build over a minute would make the request note the time
    # 1 session, 2 user, 3 clinicians, 4 team clients with summaries, 5 weekly means, 6 queue count,
    # 7 queue page (with each client's most urgent unreviewed flag), 8 its open flags (who reviewed them
    # is stored on each), 9 the reviews of stalled spells, 10 the audit row naming the clients shown,
    # 11 factors (the badges' names and the map's rows), 12 factor map ratings, 13 the clinician
    # filter's choices, 14 calibration against clients' self-reports, 15 calibration against observers
    # (tests/test_calibration.py pins the same count with self-reports and observations in the team)
    with django_assert_num_queries(15):
        response = sup_client.get(DASHBOARD)
    assert len(response.context["overview"]) == clinicians


@pytest.mark.parametrize("clients_each", [10, 50])
def test_the_home_query_count_stays_flat(client, alice, clients_each, django_assert_num_queries):
    for j in range(clients_each):
        c = ClientFactory(clinician=alice, label=f"H{j}")
        TherapySessionFactory(client=c, date=days_ago(j % 40 + 1), ratings={"stigma": 1 + j % 5})
    client.force_login(alice)
    # 1 session, 2 user, 3 queue count, 4 queue page, 5 its open flags (with their reviews), 6 the reviews
    # of stalled spells, 7 recent sessions, 8 new review notes, 9 the audit row naming the clients shown,
    # 10 factor names
    with django_assert_num_queries(10):
        client.get(reverse("home"))


# --- review notes -----------------------------------------------------------------------------


@pytest.fixture
def flagged_client(alice):
    c = ClientFactory(clinician=alice, label="R.N.")
    TherapySessionFactory(client=c, date=days_ago(3), ratings={"openness": 2})
    return c


def note_url(c):
    return reverse("review_note_create", args=[c.pk])


def test_a_supervisor_reviews_a_flag_and_the_clinician_sees_the_note(sup_client, client, alice, flagged_client):
    flag = flagged_client.flags.get()
    page = sup_client.get(reverse("client_detail", args=[flagged_client.pk])).content.decode()
    assert "Add a review note" in page
    # read-only for the supervisor: no edit, no logging, no ticking prompts
    assert "Edit client" not in page
    assert "I'll try this" not in page
    assert 'value="try"' not in page
    assert reverse("session_create") + f"?client={flagged_client.pk}" not in page
    response = sup_client.post(note_url(flagged_client), {"text": "Talk about openness on Thursday."})
    assert response.status_code == 302
    note = ReviewNote.objects.get()
    assert (note.author.username, note.text) == ("sup", "Talk about openness on Thursday.")
    response = sup_client.post(
        reverse("flag_mark", args=[flagged_client.pk, "reviewed"]), {"key": flag.key, "next": DASHBOARD}
    )
    assert response["Location"] == DASHBOARD
    queue = sup_client.get(DASHBOARD + "?review=all").content.decode()
    assert "✓ reviewed" in queue

    client.force_login(alice)
    assert "1 new review note" in client.get(reverse("caseload")).content.decode()
    assert "Talk about openness on Thursday." in client.get(reverse("home")).content.decode()
    page = client.get(reverse("client_detail", args=[flagged_client.pk])).content.decode()
    assert "Talk about openness on Thursday." in page
    assert "Sam Super" in page
    assert "Add a review note" not in page
    client.post(reverse("review_notes_read", args=[flagged_client.pk]))
    assert ReviewNote.objects.get().read_at is not None
    assert "new review note" not in client.get(reverse("caseload")).content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"text": ""}, "text", "Write the note before saving it."),
        ({"text": "x" * 2001}, "text", "at most 2000 characters"),
    ],
)
def test_a_bad_review_note_shows_an_error_and_saves_nothing(sup_client, flagged_client, data, field, message):
    response = sup_client.post(note_url(flagged_client), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert "The note was not saved" in response.content.decode()
    assert not ReviewNote.objects.exists()


def test_an_owner_id_in_the_post_does_not_change_the_author(sup_client, flagged_client, alice):
    sup_client.post(note_url(flagged_client), {"text": "Hello", "author": alice.pk, "client": 999})
    note = ReviewNote.objects.get()
    assert (note.author.username, note.client) == ("sup", flagged_client)


def test_a_note_text_with_html_is_shown_escaped(sup_client, flagged_client):
    sup_client.post(note_url(flagged_client), {"text": "<b>bold</b>"})
    html = sup_client.get(reverse("client_detail", args=[flagged_client.pk])).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


# --- home ------------------------------------------------------------------------------------------


def test_the_home_page_shows_the_users_own_queue_and_recent_sessions(client, alice, bob):
    mine = ClientFactory(clinician=alice, label="Mine")
    TherapySessionFactory(client=mine, date=days_ago(2), ratings={"stigma": 1})
    theirs = ClientFactory(clinician=bob, label="Theirs")
    TherapySessionFactory(client=theirs, date=days_ago(2), ratings={"stigma": 1})
    client.force_login(alice)
    response = client.get(reverse("home"))
    assert queue_labels(response) == ["Mine"]
    assert [s.client.label for s in response.context["recent"]] == ["Mine"]
    assert "Theirs" not in response.content.decode()


def test_an_administrator_lands_on_a_page_without_client_records(client, flagged_client):
    admin = UserFactory(username="adm", role=User.Role.ADMINISTRATOR, is_staff=True)
    client.force_login(admin)
    html = client.get(reverse("home")).content.decode()
    assert "You have no caseload" in html
    assert "R.N." not in html


# --- demo data ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_supervisors_dashboard_shows_every_flag_kind(client):
    call_command("seed_demo", stdout=StringIO())
    client.force_login(User.objects.get(username="morgan"))
    response = client.get(DASHBOARD, {"page": 1})
    kinds = set()
    for page in range(1, response.context["page"].paginator.num_pages + 1):
        for row in client.get(DASHBOARD, {"page": page}).context["rows"]:
            kinds |= {(f.kind, getattr(f, "status", "open")) for f in row.flag_list}
    expected = {
        ("rupture", "open"),
        ("persistent", "open"),
        ("low_factor", "open"),
        ("stalled", "open"),
        ("discrepancy", "open"),
    }
    assert expected <= kinds
    assert {r.clinician.username for r in response.context["overview"]} == {"amara", "ben", "carmen"}
    assert Client.objects.filter(clinician__username="morgan").exists()  # the supervisor carries a caseload


# --- administration -------------------------------------------------------------------------------


def test_an_administrator_builds_a_team_in_the_admin_and_only_a_supervisor_can_lead_it(client, supervisor, alice):
    admin = UserFactory(username="adm", role=User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    add = reverse("admin:accounts_team_add")
    inline = {"members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0"}
    response = client.post(add, {"name": "North", "supervisor": alice.pk, **inline})
    assert response.status_code == 200
    assert not Team.objects.filter(name="North").exists()
    assert client.post(add, {"name": "North", "supervisor": supervisor.pk, **inline}).status_code == 302
    assert Team.objects.get(name="North").supervisor == supervisor


def test_home_with_no_flags_says_so_rather_than_blaming_a_filter(client, alice):
    TherapySessionFactory(client=ClientFactory(clinician=alice, label="Calm"), date=days_ago(3), default_score=4)
    client.force_login(alice)
    html = client.get(reverse("home")).content.decode()
    assert "No open flags: nobody needs attention right now." in html
    assert "No client matches these filters" not in html


def test_a_supervisors_empty_own_queue_does_not_say_nobody_needs_attention_when_the_team_has_flags(
    sup_client, supervisor, alice
):
    TherapySessionFactory(client=ClientFactory(clinician=supervisor, label="Own"), date=days_ago(3), default_score=4)
    TherapySessionFactory(client=ClientFactory(clinician=alice, label="Low"), date=days_ago(3), ratings={"openness": 1})
    html = sup_client.get(reverse("home")).content.decode()
    assert "open flag on your team's clients" in html
    assert "No open flags on your own clients; your team's are on the team dashboard." in html
    assert "nobody needs attention" not in html


def test_the_queue_counts_the_filters_in_use_and_leaves_out_refused_ones(sup_client, alice):
    TherapySessionFactory(client=ClientFactory(clinician=alice, label="Low"), date=days_ago(3), ratings={"openness": 1})
    assert sup_client.get(DASHBOARD).context["form"].in_use == 0
    assert sup_client.get(DASHBOARD, {"review": "pending", "sort": "urgency"}).context["form"].in_use == 0  # defaults
    form = sup_client.get(DASHBOARD, {"kind": "low_factor", "domain": "nonsense", "since_from": "x"}).context["form"]
    assert form.in_use == 1
    html = sup_client.get(DASHBOARD, {"kind": "low_factor", "domain": "nonsense"}).content.decode()
    assert "Filters (1 set)" in html
    assert 'aria-expanded="true"' in html.split("Filters (1 set)")[0].rsplit("<button", 1)[1]  # refused: open


def test_a_filtered_queue_row_leads_with_the_flags_it_was_found_by(sup_client, alice):
    """Its first card (and so its first "Mark reviewed") is the filtered kind, not the row's most urgent."""
    both = ClientFactory(clinician=alice, label="Both")
    # stigma 2 in the first session: a low factor with no fall before it (no drop, no context change)
    TherapySessionFactory(client=both, date=days_ago(20), ratings={"support": 2, "stigma": 2})
    for n in (13, 6):
        TherapySessionFactory(client=both, date=days_ago(n), ratings={"support": 2, "stigma": None})
    unfiltered = sup_client.get(DASHBOARD).context["rows"]
    assert [c.flag.kind for c in unfiltered[0].flag_cards] == ["persistent", "low_factor"]
    filtered = sup_client.get(DASHBOARD, {"kind": "low_factor"})
    [row] = filtered.context["rows"]
    assert [c.flag.kind for c in row.flag_cards] == ["low_factor", "persistent"]
    html = filtered.content.decode()
    assert html.index("Low factor: Stigma") < html.index("Persistent weakness: Support")


def test_applying_the_default_filters_is_not_a_filter(client, alice):
    """Apply with nothing changed (the form sends every field, sort included) says there are
    no open flags, not that no client matches."""
    TherapySessionFactory(client=ClientFactory(clinician=alice, label="Calm"), date=days_ago(3), default_score=4)
    client.force_login(alice)
    unchanged = {"kind": "", "domain": "", "review": "all", "since_from": "", "since_to": "", "sort": "urgency"}
    html = client.get(reverse("home"), unchanged).content.decode()
    assert "No open flags: nobody needs attention right now." in html

"""The supervisor's "alliance x progress" view: each client placed by alliance (open
alliance flags or not) and progress on the measures, counted per clinician, each
count listing its clients; scoped to the supervisor's team; flat query counts."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Team, User
from audit.models import AuditEvent
from clients import progress
from clients.models import Client
from clients.recording import void_session
from factors.kinds import FlagKind
from factors.models import Factor
from flags import rules
from supervision import dashboard
from tests.factories import ClientFactory, TherapySessionFactory, UserFactory, days_ago
from tests.measure_data import answer

PAGE = reverse("alliance_progress")
pytestmark = pytest.mark.django_db



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


def measured(clinician, label, totals, flagged=False, key="phq9"):
    """A client with one session per total (a week apart), the last rating openness 1 if `flagged`."""
    client = ClientFactory(clinician=clinician, label=label)
    for n, total in enumerate(totals):
        last = n == len(totals) - 1
        session = TherapySessionFactory(
            client=client, date=days_ago(7 * (len(totals) - n)), ratings={"openness": 1} if flagged and last else {}
        )
        if total is not None:
            answer(session, key, total)
    return client


@pytest.fixture
def caseloads(alice, bob):
    return {
        "worse": measured(alice, "Worse", [12, 19], flagged=True),  # reliable deterioration: off track
        "better": measured(alice, "Better", [18, 8]),  # recovery: improving
        "same": measured(alice, "Same", [12, 13]),  # no reliable change, only two sessions
        "anxious": measured(bob, "Anxious", [15, 16], key="gad7", flagged=True),
        "unmeasured": measured(bob, "Unmeasured", [None]),
    }


def test_each_client_is_placed_by_alliance_and_progress_and_counted_per_clinician(supervisor, alice, bob, caseloads):
    grid = dashboard.alliance_by_progress(supervisor, [alice, bob])
    placed = {c.label: (c.alliance, c.progress.place) for c in grid.clients}
    assert placed == {
        "Worse": ("flags", "off_track"),
        "Better": ("none", "improving"),
        "Same": ("none", "no_change"),
        "Anxious": ("flags", "no_change"),
        "Unmeasured": ("none", "not_measured"),
    }
    rows = {row.clinician.username: row for row in grid.rows}
    assert rows["alice"].counts == {("flags", "off_track"): 1, ("none", "improving"): 1, ("none", "no_change"): 1}
    assert rows["bob"].total == 2
    assert grid.team.total == 5
    assert [c.label for c in grid.clients_in("flags", "off_track")] == ["Worse"]
    assert [c.label for c in grid.clients_in("none", "no_change", bob.pk)] == []


def test_no_reliable_improvement_after_six_sessions_at_caseness_is_off_track(supervisor, alice):
    measured(alice, "Stuck", [14, 13, 14, 13, 14, 13])
    measured(alice, "Early", [14, 13, 14, 13, 14])  # five sessions: not yet
    grid = dashboard.alliance_by_progress(supervisor, [alice])
    assert {c.label: c.progress.place for c in grid.clients} == {"Stuck": "off_track", "Early": "no_change"}


def test_a_voided_sessions_measure_does_not_count(supervisor, alice):
    client = measured(alice, "Voided", [12, 19])
    void_session(client.sessions.order_by("date").last(), alice, "Logged for the wrong client.")
    [placed] = dashboard.alliance_by_progress(supervisor, [alice]).clients
    assert placed.progress.place == progress.NO_CHANGE  # 12 then 19 would be off track; 12 alone is no change
    assert placed.progress.get("phq9").latest == 12
    void_session(client.sessions.counted().get(), alice, "Logged for the wrong client.")
    [placed] = dashboard.alliance_by_progress(supervisor, [alice]).clients
    assert placed.progress.place == progress.NOT_MEASURED  # only voided sessions' measures: none counts


@pytest.mark.parametrize(
    ("kind", "factor"),
    [(kind, factor) for kind in FlagKind if kind != FlagKind.STALLED for factor in ("openness", "setting", "")],
)
def test_the_grid_and_the_off_track_flag_read_the_alliance_by_one_rule(supervisor, alice, kind, factor):
    """A context change or a low setting is not "the alliance" in the grid, as it is not
    for "alliance weak too"; a weak relationship factor or a rupture is, in both."""
    client = measured(alice, "One", [10, 10])
    domain_of = dict(Factor.objects.values_list("key", "domain"))
    client.flags.create(
        key=f"{kind}:x",
        kind=kind,
        since=days_ago(3),
        urgency=20,
        factor_keys=[factor] if factor else [],
        domains=domain_of.get(factor, ""),
    )
    as_rule = rules.Flag(kind=kind, opened_session_id=1, since=days_ago(3), factors=(factor,) if factor else ())
    weak_or_ruptured = rules._alliance([as_rule], domain_of)[0] != ""
    [placed] = dashboard.alliance_by_progress(supervisor, [alice]).clients
    assert (placed.alliance == dashboard.FLAGGED) == weak_or_ruptured
    if kind == FlagKind.CONTEXT_CHANGE or (factor == "setting" and kind != FlagKind.RUPTURE):
        assert placed.alliance == dashboard.NOT_FLAGGED
    if kind == FlagKind.LOW_FACTOR and factor == "openness":
        assert placed.alliance == dashboard.FLAGGED


def test_a_quiet_flag_a_measure_flag_or_a_stalled_client_is_not_an_open_alliance_flag(supervisor, alice):
    measured(alice, "Calm", [10, 10])
    client = Client.objects.get(label="Calm")
    client.flags.create(key="low_factor:x", kind="low_factor", since=days_ago(3), urgency=20, quiet=True)
    client.flags.create(key="safety:x", kind="safety", since=days_ago(3), urgency=90)
    client.flags.create(key="off_track:x", kind="off_track", since=days_ago(3), urgency=45)
    Client.objects.filter(pk=client.pk).update(stalled_on=days_ago(1))
    [placed] = dashboard.alliance_by_progress(supervisor, [alice]).clients
    assert placed.alliance == dashboard.NOT_FLAGGED


def test_the_page_counts_the_team_and_a_count_lists_its_clients(sup_client, alice, bob, caseloads):
    page = sup_client.get(PAGE).content.decode()
    assert "<h1 class=\"h3 mb-2\">Alliance \N{MULTIPLICATION SIGN} progress</h1>" in page
    assert f'?alliance=flags&amp;progress=off_track&amp;clinician={alice.pk}#clients-title"' in page
    assert "Worse" not in page  # names appear only once a count is chosen
    response = sup_client.get(PAGE, {"alliance": "flags", "progress": "off_track"})
    html = response.content.decode()
    assert [c.label for c in response.context["chosen"]["clients"]] == ["Worse"]
    assert reverse("client_detail", args=[caseloads["worse"].pk]) in html
    assert "19 (+7) reliable deterioration" in html
    event = AuditEvent.objects.filter(object_type="supervision.alliance_progress").latest("pk")
    assert event.changes == {"clients": [caseloads["worse"].pk]}


def test_a_count_for_one_clinician_lists_only_their_clients(sup_client, alice, bob, caseloads):
    response = sup_client.get(PAGE, {"alliance": "flags", "progress": "no_change", "clinician": bob.pk})
    assert [c.label for c in response.context["chosen"]["clients"]] == ["Anxious"]
    response = sup_client.get(PAGE, {"alliance": "flags", "progress": "no_change", "clinician": alice.pk})
    assert response.context["chosen"]["clients"] == []


@pytest.mark.parametrize(
    "query",
    [
        {"alliance": "maybe", "progress": "off_track"},
        {"alliance": "flags", "progress": "sideways"},
        {"alliance": "flags", "progress": "off_track", "clinician": "999999"},  # not in the team
        {"alliance": "flags", "progress": "off_track", "clinician": "x"},
    ],
)
def test_a_cell_off_the_lists_lists_nobody_and_says_so(sup_client, alice, caseloads, query):
    response = sup_client.get(PAGE, query)
    assert response.status_code == 200
    assert response.context["chosen"] is None
    assert "No such group of clients" in response.content.decode()
    assert "Worse" not in response.content.decode()


def test_another_teams_clients_are_not_placed(sup_client, alice, caseloads):
    other = UserFactory(username="other-sup", role=User.Role.SUPERVISOR)
    stranger = UserFactory(username="stranger", team=Team.objects.create(name="Elsewhere", supervisor=other))
    measured(stranger, "Elsewhere-client", [12, 19], flagged=True)
    response = sup_client.get(PAGE, {"alliance": "flags", "progress": "off_track"})
    assert [c.label for c in response.context["chosen"]["clients"]] == ["Worse"]
    assert response.context["grid"].team.total == 5
    assert "Elsewhere-client" not in response.content.decode()


def test_discharged_clients_are_left_out(supervisor, alice, caseloads):
    Client.objects.filter(label="Worse").update(status=Client.Status.DISCHARGED)
    grid = dashboard.alliance_by_progress(supervisor, [alice])
    assert "Worse" not in {c.label for c in grid.clients}


def test_a_clinician_gets_404(client, alice):
    client.force_login(alice)
    assert client.get(PAGE).status_code == 404


def test_empty_states(sup_client, supervisor, team):
    assert "No team yet" in sup_client.get(PAGE).content.decode()
    UserFactory(username="new", team=team)
    assert "No active clients yet" in sup_client.get(PAGE).content.decode()


def test_the_team_dashboard_links_to_the_view(sup_client, alice):
    assert f'href="{PAGE}"' in sup_client.get(reverse("team_dashboard")).content.decode()


def build_team(supervisor, clinicians, clients_each):
    team = Team.objects.create(name=f"T{clinicians}", supervisor=supervisor)
    for i in range(clinicians):
        clinician = UserFactory(username=f"c{clinicians}-{i}", team=team)
        for j in range(clients_each):
            c = ClientFactory(clinician=clinician, label=f"{i}-{j}")
            session = TherapySessionFactory(client=c, date=days_ago(j % 40 + 1), ratings={"stigma": 1 + j % 5})
            if j % 3:
                answer(session, "phq9" if j % 2 else "gad7", j % 20)


@pytest.mark.parametrize(("clinicians", "clients_each"), [(3, 10), (10, 50)])
def test_the_query_count_stays_flat(sup_client, supervisor, clinicians, clients_each, django_assert_num_queries):
    build_team(supervisor, clinicians, clients_each)
    # Log in again: a build longer than a minute would make the request rewrite the session's
    # last-seen time (accounts.middleware), three queries that have nothing to do with the page.
    sup_client.force_login(supervisor)
    # 1 session, 2 user, 3 clinicians, 4 team clients with whether they have an open alliance flag,
    # 5 active instruments with their item counts, 6 their bands, 7 the clients' counted responses,
    # 8 the counted sessions of the measured clients, 9 the audit row naming the clients listed
    with django_assert_num_queries(9):
        response = sup_client.get(PAGE, {"alliance": "none", "progress": "no_change"})
    assert response.context["grid"].team.total == clinicians * clients_each
    assert response.context["chosen"]["clients"]


def test_the_demo_has_a_client_off_track_with_a_sound_alliance(supervisor):
    call_command("seed_demo", stdout=StringIO())
    morgan = User.objects.get(username="morgan")
    grid = dashboard.alliance_by_progress(morgan, list(morgan.supervisees()))
    assert "K.W." in [c.label for c in grid.clients_in(dashboard.NOT_FLAGGED, progress.OFF_TRACK)]
    assert grid.clients_in(dashboard.FLAGGED, progress.OFF_TRACK)  # and the alliance-flagged ones beside them

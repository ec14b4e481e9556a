"""The clinician's caseload page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clients import insights
from clients.models import Client
from clients.recording import refresh_flags
from tests import teams
from tests.factories import ClientFactory, TherapySessionFactory, days_ago, mark_flag

supervisor = teams.supervisor  # a reviewer (the owner here has no team: conftest's)
URL = reverse("caseload")


def rows(response):
    return [c.label for c in response.context["page"].object_list]


def test_it_lists_the_owners_active_clients_with_their_summary(owner_client, owner):
    client = ClientFactory(clinician=owner, label="A.K.")
    today = timezone.localdate()
    TherapySessionFactory(client=client, date=today - timedelta(days=16), default_score=2)
    TherapySessionFactory(client=client, date=today - timedelta(days=9), default_score=4)
    response = owner_client.get(URL)
    assert response.status_code == 200
    [row] = response.context["page"].object_list
    assert (row.label, row.session_count, row.last_session_on, row.latest_index) == (
        "A.K.",
        2,
        today - timedelta(days=9),
        75.0,
    )
    html = response.content.decode()
    assert "9 days ago" in html
    assert ">75<" in html
    assert '<svg class="sparkline"' in html


def test_it_hides_other_clinicians_clients(owner_client, owner, colleagues_session):
    ClientFactory(clinician=owner, label="Mine")
    response = owner_client.get(URL, {"status": "all"})
    assert rows(response) == ["Mine"]
    assert "Z.Z.-private" not in response.content.decode()


def test_discharged_clients_are_behind_a_filter(owner_client, owner):
    ClientFactory(clinician=owner, label="Active one")
    ClientFactory(clinician=owner, label="Gone", status="discharged")
    assert rows(owner_client.get(URL)) == ["Active one"]
    assert rows(owner_client.get(URL, {"status": "discharged"})) == ["Gone"]
    assert rows(owner_client.get(URL, {"status": "all"})) == ["Active one", "Gone"]
    assert rows(owner_client.get(URL, {"status": "nonsense"})) == ["Active one"]


def test_a_new_clinician_sees_an_empty_state_that_says_what_to_do_first(owner_client):
    response = owner_client.get(URL)
    assert "No clients yet" in response.content.decode()
    assert reverse("client_create") in response.content.decode()


def test_a_search_with_no_match_says_so(owner_client, owner):
    ClientFactory(clinician=owner, label="A.K.")
    response = owner_client.get(URL, {"q": "<b>zz</b>"})
    html = response.content.decode()
    assert "matches “&lt;b&gt;zz&lt;/b&gt;”" in html  # typed text shown escaped


@pytest.mark.parametrize("typed", ["FT", "ft", "f.t", "F-T", " f t. "])
def test_search_ignores_case_and_punctuation(owner_client, owner, typed):
    for label in ["F.T.", "F.A.T.", "Client 14"]:
        ClientFactory(clinician=owner, label=label)
    assert rows(owner_client.get(URL, {"q": typed})) == ["F.T."]


def test_search_of_punctuation_only_or_sql_wildcards_is_harmless(owner_client, owner):
    for label in ["F.T.", "Client 14"]:
        ClientFactory(clinician=owner, label=label)
    assert rows(owner_client.get(URL, {"q": "..."})) == ["Client 14", "F.T."]  # nothing to search for: all
    assert rows(owner_client.get(URL, {"q": "%"})) == []
    assert rows(owner_client.get(URL, {"q": "client14"})) == ["Client 14"]


def test_search_filters_by_label(owner_client, owner):
    for label in ["Anna K.", "Ben T.", "Hanna L."]:
        ClientFactory(clinician=owner, label=label)
    assert rows(owner_client.get(URL, {"q": "anna"})) == ["Anna K.", "Hanna L."]


def test_it_sorts_by_each_column_and_ignores_unknown_sorts(owner_client, owner):
    today = timezone.localdate()
    never = ClientFactory(clinician=owner, label="B-never")
    old = ClientFactory(clinician=owner, label="A-old")
    recent = ClientFactory(clinician=owner, label="C-recent")
    TherapySessionFactory(client=old, date=today - timedelta(days=40), default_score=5)
    for days in (3, 10):
        TherapySessionFactory(client=recent, date=today - timedelta(days=days), default_score=2)
    assert never  # no sessions
    assert rows(owner_client.get(URL, {"sort": "-label"})) == ["C-recent", "B-never", "A-old"]
    assert rows(owner_client.get(URL, {"sort": "-last"})) == ["C-recent", "A-old", "B-never"]
    assert rows(owner_client.get(URL, {"sort": "last"})) == ["B-never", "A-old", "C-recent"]
    assert rows(owner_client.get(URL, {"sort": "-sessions"})) == ["C-recent", "A-old", "B-never"]
    assert rows(owner_client.get(URL, {"sort": "index"})) == ["C-recent", "A-old", "B-never"]
    assert rows(owner_client.get(URL, {"sort": "-index"})) == ["A-old", "C-recent", "B-never"]
    assert rows(owner_client.get(URL, {"sort": "password; DROP TABLE"})) == ["A-old", "B-never", "C-recent"]


def test_it_paginates_25_clients_a_page(owner_client, owner):
    ClientFactory.create_batch(30, clinician=owner)
    first = owner_client.get(URL)
    assert len(rows(first)) == 25
    assert "Page 1 of 2" in first.content.decode()
    assert len(rows(owner_client.get(URL, {"page": 2}))) == 5
    assert len(rows(owner_client.get(URL, {"page": "999"}))) == 5  # out of range: last page
    assert len(rows(owner_client.get(URL, {"page": "x"}))) == 25


@pytest.mark.parametrize("count", [5, 50])
def test_the_caseload_query_count_does_not_grow_with_clients(owner_client, owner, count, django_assert_num_queries):
    for client in ClientFactory.create_batch(count, clinician=owner):
        TherapySessionFactory.create_batch(3, client=client)
    # 1 session, 2 user, 3 page count, 4 clients with summaries, 5 the open flags' columns the
    # badges read, 6 the supervisor's reviews of the stalled clients on the page, 7 the audit row
    # naming the clients shown, 8 recent sessions for the sparklines, 9 the factors (the badges'
    # names and the factor map's rows), 10 latest ratings for the factor map
    with django_assert_num_queries(10):
        response = owner_client.get(URL)
    assert len(rows(response)) == min(count, 25)


RUPTURED = ["communication", "cultural_competence", "boundaries", "flexibility",
            "openness", "expectations", "attachment", "beliefs"]  # fmt: skip
WEAK = ["communication", "openness", "expectations", "support", "stigma", "flexibility"]


def test_each_row_shows_its_four_most_urgent_flags_and_counts_the_rest(owner_client, owner, supervisor):
    """The badges read only the columns they draw: the same four flags, in the same order, as
    the client's whole list of open flags (stalled included, reviewed ones after the others of
    their urgency), and "+N more" for the rest."""
    many = ClientFactory(clinician=owner, label="Many")
    for n in (70, 63, 56):  # weak factors in the last three sessions, the last 7 weeks ago: stalled too
        TherapySessionFactory(client=many, date=days_ago(n), ratings=dict.fromkeys(WEAK, 1 if n == 56 else 2))
    few = ClientFactory(clinician=owner, label="Few")
    TherapySessionFactory(client=few, date=days_ago(3), ratings={"openness": 1})
    ClientFactory(clinician=owner, label="None")
    mixed = ClientFactory(clinician=owner, label="Mixed")  # a reviewed rupture and stalled among its first four
    for n in (70, 63, 56):
        TherapySessionFactory(client=mixed, date=days_ago(n), default_score=5)
    TherapySessionFactory(client=mixed, date=days_ago(49), default_score=5, ratings=dict.fromkeys(RUPTURED, 3))
    rupture = mixed.flags.get(kind="rupture", status="open")
    mark_flag(mixed, rupture, supervisor)
    refresh_flags(mixed)
    for flag in many.flags.filter(status="open", kind="persistent")[:2]:  # a supervisor reviewed two of them
        mark_flag(many, flag, supervisor)
    mark_flag(many, Client.objects.get(pk=many.pk).stalled_flag(), supervisor)
    refresh_flags(many)

    response = owner_client.get(URL)
    shown = {c.label: c for c in response.context["rows"]}
    whole = {c.label: c for c in insights.attach_flags(Client.objects.filter(clinician=owner).with_open_flags())}
    assert whole["Many"].flag_count > 6
    assert whole["Many"].flag_list[0].kind == "persistent"
    assert any(f.kind == "stalled" for f in whole["Many"].flag_list)
    first = whole["Mixed"].flag_list[:4]
    assert first[0].kind == "rupture" and first[0].reviewed_at  # noqa: PT018
    assert "stalled" in [f.kind for f in first]
    for label, row in shown.items():
        expected = whole[label].flag_list
        assert [f.identity for f in row.flag_list] == [f.identity for f in expected[:4]], label
        assert [bool(f.reviewed_at) for f in row.flag_list] == [bool(f.reviewed_at) for f in expected[:4]]
        assert row.flag_count == len(expected), label
    html = response.content.decode()
    assert f"+{len(whole['Many'].flag_list) - 4} more" in html
    assert html.count(" more<span") == 1  # only "Many" has more than four

"""The bulk generator and the query count of logging a session (issue: organisation scale)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team, User
from calibration import pairs
from calibration.models import Observation
from clients.models import SUMMARY_FIELDS, Client, Rating, TherapySession
from clients.recording import refresh_flags
from factors.models import Factor
from flags.models import Flag
from measures import scoring
from measures.models import Instrument, MeasureResponse
from selfreport.models import Question, SelfReportLink, SelfReportRating
from tests.factories import TherapySessionFactory

pytestmark = pytest.mark.django_db


def test_generate_org_builds_teams_caseloads_and_flags_and_is_safe_to_rerun():
    args = ["--clinicians", "4", "--clients-per-clinician", "3", "--sessions-per-client", "5", "--team-size", "2"]
    call_command("generate_org", *args, "--quiet", stdout=StringIO())
    assert Team.objects.count() == 2
    assert User.objects.filter(role="supervisor").count() == 2
    assert (Client.objects.count(), TherapySession.objects.count(), Rating.objects.count()) == (12, 60, 720)
    assert Flag.objects.exists()
    for team in Team.objects.all():
        assert team.members.count() == 2
    out = StringIO()
    call_command("generate_org", *args, "--quiet", stdout=out)
    assert "Generated 0 clients" in out.getvalue()
    assert Client.objects.count() == 12


def test_generated_summaries_and_flags_match_what_a_save_would_compute():
    call_command("generate_org", "--clinicians", "1", "--clients-per-clinician", "4", "--quiet", stdout=StringIO())
    co_rated = 0
    for client in Client.objects.all():
        stored = {name: getattr(client, name) for name in SUMMARY_FIELDS}
        flags = sorted(client.flags.values_list("key", "status"))
        co_ratings = sorted(client.sessions.values_list("pk", "client_pairs", "client_difference"))
        refresh_flags(client)
        client.refresh_from_db()
        assert stored == {name: getattr(client, name) for name in SUMMARY_FIELDS}
        assert flags == sorted(client.flags.values_list("key", "status"))
        assert co_ratings == sorted(client.sessions.values_list("pk", "client_pairs", "client_difference"))
        co_rated += sum(1 for _, pairs, _ in co_ratings if pairs)
    assert co_rated > 0  # the generated self-reports are compared beside the ratings


def test_generated_clients_fill_in_the_measures_scored_as_a_saved_form_would_be():
    call_command("generate_org", "--clinicians", "1", "--clients-per-clinician", "20", "--quiet", stdout=StringIO())
    responses = MeasureResponse.objects.select_related("instrument")
    assert 0.4 < responses.values("client").distinct().count() / 20 < 1  # most clients, not all
    rules = Instrument.objects.active().rules()
    for response in responses.prefetch_related("answers__item"):
        values = {a.item.number: a.value for a in response.answers.all()}
        assert len(values) == rules[response.instrument.key].items
        expected = scoring.score(values, rules[response.instrument.key])
        assert (response.total, response.band) == (expected.total, expected.band)
    kinds = set(Flag.objects.values_list("kind", flat=True))
    assert "off_track" in kinds  # the measures raise their own flags, as a save would (test above)


@pytest.mark.parametrize("earlier_sessions", [5, 50])
def test_logging_a_session_issues_the_same_queries_however_long_the_history(
    owner_client, their_client, earlier_sessions, django_assert_num_queries
):
    today = timezone.localdate()
    for n in range(earlier_sessions):
        TherapySessionFactory(client=their_client, date=today - timedelta(days=n + 2))
    refresh_flags(their_client)  # the flags and the stored walk, as every write through the app leaves them
    data = {"client": their_client.pk, "date": (today - timedelta(days=1)).isoformat(), "setting": "online"}
    data.update({f"score_{f.key}": "3" for f in Factor.objects.all()})
    # 1 session, 2 user, 3 factors, 4-7 the active PHQ-9/GAD-7 with items, options and bands (the
    # paper-form fields; none filled in here), 8 the client choice, 9 duplicate check, 10-12 the model's
    # check constraint validated in a savepoint, 13 savepoint, 14 lock the client's row, 15 insert
    # session, 16 its audit row, 17 existing ratings, 18 insert ratings, 19 their audit rows, 20 update
    # scores, 21 factor domains, 22 the stored walk of the rules, 23-25 the new session as the rules read
    # it (ratings, self-reports, session), 26 marks on flags, 27 the client's measure responses (none:
    # no instruments query, no session list), 28 the stored flags that can change, 29 write the new
    # ones, 30 client summary, 31 the walk, 32 release (flags that are gone are deleted and changed
    # ones updated, one row at a time, only when there are some)
    with django_assert_num_queries(32):
        response = owner_client.post(reverse("session_create"), data)
    assert response.status_code == 302


def test_generated_self_reports_and_observations_look_like_the_apps():
    call_command("generate_org", "--clinicians", "2", "--clients-per-clinician", "10", "--quiet", stdout=StringIO())
    sessions = TherapySession.objects.count()
    used = SelfReportLink.objects.filter(used_at__isnull=False)
    voiced = used.values("session").distinct().count()
    assert 0.25 < voiced / sessions < 0.42  # about every third session
    assert used.count() > voiced  # now and then an earlier answered link the latest replaced
    assert SelfReportLink.objects.filter(used_at__isnull=True).exists()  # and links that expired unused
    for link in used.select_related("session")[:50]:
        assert link.created_at < link.used_at < link.expires_at
        assert link.created_at.date() <= timezone.localdate()
        assert link.created_by_id == link.session.client.clinician_id
    questions = Question.objects.active().count()
    assert SelfReportRating.objects.count() == used.count() * questions
    # The clients rate a bit lower than their clinicians, on average; the answers raise their flags
    # (the test above checks they are the flags a save would leave).
    clinicians = User.objects.filter(role="clinician").values_list("pk", flat=True)
    for against_clients, _ in pairs.agreements(clinicians).values():
        assert against_clients.enough
        assert -0.5 < against_clients.mean_difference < 1.5
    assert {"client_concern", "discrepancy"} <= set(Flag.objects.values_list("kind", flat=True))
    observations = Observation.objects.select_related("session__client__clinician__team")
    assert 0 < observations.count() < sessions / 15  # about every 40th session
    for o in observations:
        assert o.observer_id == o.session.client.clinician.team.supervisor_id
        assert o.ratings.count() == Factor.objects.count()

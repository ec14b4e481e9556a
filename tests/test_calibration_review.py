"""Calibration after review (issue 15, second pass): vignette results show the blind first
attempt, wording of a mean near zero, session as the unit, counts, stored references, audit.

Named users as in tests/test_calibration.py: the owner and a colleague in one team under its
supervisor; an outsider supervisor elsewhere."""

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from calibration import pairs
from calibration.models import Vignette
from calibration.recording import save_attempt, save_observation
from calibration.views import SESSIONS_TO_OBSERVE
from factors.models import Factor
from selfreport.models import Question, SelfReportLink, SelfReportRating
from tests.factories import ClientFactory, TherapySessionFactory, UserFactory, days_ago
from tests.test_calibration import RATING_NOTE, SESSION_NOTE, answer, session, team  # noqa: F401  (fixture)


def rate(vignette, who, offset):
    """An attempt `offset` points from each reference rating (clamped to 1-5)."""
    reference = {r.factor_id: r.rating for r in vignette.references.all()}
    ratings = {
        f: (min(5, max(1, reference[f.pk] + offset)) if reference.get(f.pk) else None) for f in Factor.objects.all()
    }
    return save_attempt(vignette, who, ratings)


def test_the_supervisor_sees_the_blind_first_attempt_not_a_perfect_second(client, team):  # noqa: F811
    vignette = Vignette.objects.active().exclude(theme="A strong alliance").first()
    first = rate(vignette, team["owner"], -2)
    rate(vignette, team["owner"], 0)  # after seeing the reference: all twelve match
    reference = {x.factor_id: x.rating for x in vignette.references.all()}
    first_exact = sum(1 for r in first.ratings.all() if r.rating is not None and r.rating == reference[r.factor_id])
    client.force_login(team["supervisor"])
    body = client.get(reverse("calibration_team")).content.decode()
    compared = sum(1 for r in vignette.references.all() if r.rating)
    assert f"{first_exact}/{compared}" in body
    assert f"after seeing the reference: {compared}/{compared}" in body
    summary = client.get(reverse("calibration_clinician", args=[team["owner"].pk])).content.decode()
    assert f"<strong>{first_exact} of {compared}</strong>" in summary
    assert "after seeing the reference" in summary
    client.force_login(team["owner"])
    own = client.get(reverse("vignette", args=[vignette.pk])).content.decode()
    assert "after seeing the reference" in own
    assert "Your first rating, made blind" in own


def test_a_mean_that_rounds_to_zero_says_about_the_same_not_lower(client, team):  # noqa: F811
    c = ClientFactory(clinician=team["owner"])
    for i in range(5):
        s = TherapySessionFactory(client=c, date=days_ago(i + 1), default_score=3)
        special = {"openness": 4} if i == 0 else {}  # one factor one point higher: mean -0.02
        save_observation(s, team["supervisor"], "", {f: special.get(f.key, 3) for f in Factor.objects.all()})
    client.force_login(team["owner"])
    body = client.get(reverse("calibration_mine")).content.decode()
    assert "rate the alliance about the same as the observing supervisor" in body
    assert "lower than" not in body


def test_opening_a_calibration_page_is_audited(client, team):  # noqa: F811
    url = reverse("calibration_clinician", args=[team["owner"].pk])
    client.force_login(team["supervisor"])
    client.get(url)
    client.force_login(team["owner"])
    client.get(reverse("calibration_mine"))
    reads = AuditEvent.objects.filter(action="view", object_type="accounts.user", object_id=str(team["owner"].pk))
    assert sorted(reads.values_list("actor__username", flat=True)) == ["owner", "sup"]
    assert all(e.changes == {"page": "calibration"} for e in reads)


def test_your_observations_shows_the_real_count_beyond_the_cap(client, team):  # noqa: F811
    c = ClientFactory(clinician=team["owner"])
    for i in range(SESSIONS_TO_OBSERVE + 2):
        s = TherapySessionFactory(client=c, date=days_ago(i + 1), default_score=3)
        save_observation(s, team["supervisor"], "", {f: 3 for f in Factor.objects.all()})
    client.force_login(team["supervisor"])
    body = client.get(reverse("calibration_team")).content.decode()
    assert f"Your observations (latest {SESSIONS_TO_OBSERVE} of {SESSIONS_TO_OBSERVE + 2})" in body


def test_client_pairs_take_the_latest_answered_link_even_when_it_rated_no_factor(team):  # noqa: F811
    c = ClientFactory(clinician=team["owner"])
    s = TherapySessionFactory(client=c, date=days_ago(1), default_score=4)
    old = answer(s, {"communication": 1}, team["owner"])
    old.used_at = timezone.now() - timedelta(hours=1)
    old.save(update_fields=["used_at"])
    link, _ = SelfReportLink.create_for(s, team["owner"])  # the latest: only a question about no factor
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    other = Question.objects.active().filter(factor__isnull=True).first()
    SelfReportRating.objects.create(link=link, question=other, score=2)
    assert pairs.client_pairs([team["owner"].pk]) == {}


def test_two_observers_of_one_session_make_one_co_rated_session(team):  # noqa: F811
    second = UserFactory(username="second", role=User.Role.SUPERVISOR)
    c = ClientFactory(clinician=team["owner"])
    sessions = [TherapySessionFactory(client=c, date=days_ago(i + 1), default_score=4) for i in range(5)]
    for s in sessions:
        save_observation(s, team["supervisor"], "", {f: 3 for f in Factor.objects.all()})
    save_observation(sessions[0], second, "", {f: 5 for f in Factor.objects.all()})  # the two average to 4: 0
    _, observers = pairs.agreements([team["owner"].pk])[team["owner"].pk]
    assert observers.sessions == 5
    assert observers.pairs == 72
    assert round(observers.mean_difference, 6) == round((0 + 4 * 1) / 5, 6)


def test_changing_a_reference_leaves_past_comparisons_alone(client, team):  # noqa: F811
    vignette = Vignette.objects.active().first()
    attempt = rate(vignette, team["owner"], 0)  # every rated factor as the reference
    compared = sum(1 for r in vignette.references.all() if r.rating)
    rated = vignette.references.exclude(rating=None).first()
    rated.rating = 1 if rated.rating != 1 else 5  # a supervisor edits the reference afterwards
    rated.save()
    assert attempt.ratings.get(factor=rated.factor).reference not in (None, rated.rating)
    client.force_login(team["supervisor"])
    body = client.get(reverse("calibration_team")).content.decode()
    assert f"{compared}/{compared}" in body
    client.force_login(team["owner"])
    assert (
        f"{compared} of {compared} factors as the reference"
        in client.get(reverse("vignette", args=[vignette.pk])).content.decode()
    )


def test_the_supervisors_route_from_sessions_to_observe_reaches_the_form_without_the_ratings(client, team, session):  # noqa: F811
    client.force_login(team["supervisor"])
    body = client.get(reverse("calibration_team")).content.decode()
    waiting = body[body.index('id="observe-title"') :]
    waiting = waiting[: waiting.index("</section>")]
    links = re.findall(r'href="([^"]+)"', waiting)
    assert reverse("observation", args=[session.pk]) in links
    assert reverse("session_detail", args=[session.pk]) not in links  # the session page shows the ratings
    for url in {u for u in links if u.startswith("/")}:
        page = client.get(url).content.decode()
        assert RATING_NOTE not in page
        assert SESSION_NOTE not in page

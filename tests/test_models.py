"""The clinical record's invariants, enforced by the database and by the save path."""

import pytest
from django.db import IntegrityError, transaction

from clients.models import Client, Rating, TherapySession
from clients.recording import save_session
from factors.models import Factor
from tests.factories import ClientFactory, TherapySessionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    return TherapySessionFactory()


@pytest.mark.parametrize("bad_score", [0, 6, 100])
def test_the_database_refuses_a_rating_outside_1_to_5(session, bad_score):
    rating = session.ratings.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.filter(pk=rating.pk).update(score=bad_score)


def test_the_database_accepts_null_as_not_assessed(session):
    rating = session.ratings.first()
    Rating.objects.filter(pk=rating.pk).update(score=None)
    rating.refresh_from_db()
    assert rating.score is None


def test_the_database_refuses_a_second_rating_for_the_same_factor(session):
    factor = Factor.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(session=session, factor=factor, score=3)


def test_the_database_refuses_two_sessions_on_the_same_date_and_setting(session):
    with pytest.raises(IntegrityError), transaction.atomic():
        TherapySession.objects.create(client=session.client, date=session.date, setting=session.setting)


def test_the_same_date_in_another_setting_is_allowed(session):
    TherapySession.objects.create(client=session.client, date=session.date, setting="online")
    assert session.client.sessions.count() == 2


def test_the_database_refuses_a_stored_score_outside_0_to_100(session):
    with pytest.raises(IntegrityError), transaction.atomic():
        TherapySession.objects.filter(pk=session.pk).update(overall_score=100.5)


def test_the_database_refuses_an_unknown_setting_or_status(session):
    with pytest.raises(IntegrityError), transaction.atomic():
        TherapySession.objects.filter(pk=session.pk).update(setting="telepathy")
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.filter(pk=session.client_id).update(status="lost")


def test_the_database_refuses_two_clients_with_one_label_for_one_clinician():
    client = ClientFactory(label="A.B.")
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientFactory(clinician=client.clinician, label="A.B.")
    ClientFactory(label="A.B.")  # another clinician may use it


def test_saving_a_session_stores_one_rating_per_factor_and_its_scores():
    session = TherapySessionFactory(
        ratings={
            "communication": 5,
            "cultural_competence": 5,
            "boundaries": 5,
            "flexibility": 5,
            "openness": 1,
            "expectations": 1,
            "attachment": None,
            "beliefs": None,
        },
        default_score=None,
    )
    assert session.ratings.count() == 12
    assert session.ratings.filter(score__isnull=True).count() == 6
    session.refresh_from_db()
    assert session.therapist_score == 100.0
    assert session.client_score == 0.0
    assert session.contextual_score is None  # nothing rated in the domain: no score, not zero
    assert session.overall_score == pytest.approx(66.7)


def test_editing_a_rating_recomputes_the_stored_scores():
    session = TherapySessionFactory(default_score=3)
    assert session.overall_score == 50.0
    factor = Factor.objects.get(key="communication")
    save_session(session, {factor: (5, "much better")})
    session.refresh_from_db()
    assert session.therapist_score == 62.5  # (5+3+3+3)/4 -> 3.5 -> 62.5
    assert session.overall_score == pytest.approx(54.2)  # 38/12 -> 3.1667
    assert session.ratings.get(factor=factor).note == "much better"
    assert session.ratings.count() == 12


def test_a_failure_midway_saves_neither_the_session_nor_any_rating():
    client = ClientFactory()
    factors = list(Factor.objects.all())
    ratings = {f: (4, "") for f in factors}
    ratings[factors[-1]] = (9, "")  # refused by the database's range check
    with pytest.raises(IntegrityError):
        save_session(TherapySession(client=client, date=client.intake_date, setting="online"), ratings)
    assert not TherapySession.objects.filter(client=client).exists()
    assert not Rating.objects.filter(session__client=client).exists()


def test_for_user_scopes_clients_sessions_and_ratings_to_their_clinician():
    mine, theirs = TherapySessionFactory(), TherapySessionFactory()
    me = mine.client.clinician
    assert list(Client.objects.for_user(me)) == [mine.client]
    assert list(TherapySession.objects.for_user(me)) == [mine]
    assert set(Rating.objects.for_user(me)) == set(mine.ratings.all())
    assert theirs.client not in Client.objects.for_user(me)


def test_an_inactive_user_sees_no_clients():
    session = TherapySessionFactory()
    clinician = session.client.clinician
    clinician.is_active = False
    assert not Client.objects.for_user(clinician).exists()
    assert not TherapySession.objects.for_user(clinician).exists()


def test_a_superuser_sees_no_clients_they_do_not_treat():
    TherapySessionFactory()
    admin = UserFactory(is_staff=True, is_superuser=True)
    assert not Client.objects.for_user(admin).exists()

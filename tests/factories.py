"""Factories with sensible defaults for the suite."""

from datetime import datetime, time, timedelta

import factory
from django.utils import timezone

from accounts.models import User
from clients.models import Client, TherapySession
from clients.recording import save_session
from factors.models import Factor
from flags.models import FlagReview
from measures.models import Instrument


def mark_flag(client, flag, by, action=FlagReview.Action.REVIEWED, **extra):
    """A mark on `flag` (stored, or a rule's flag such as "stalled") written as the mark view
    writes it, without the view and without refreshing the flags (the caller does, or tests
    that it is not needed)."""
    return FlagReview.objects.create(
        client=client, key=flag.identity, kind=flag.kind, since=flag.since, action=action, by=by, **extra
    )


def days_ago(n):
    """The date `n` days before the user's today: tests date their data from today, so they keep
    testing the same thing as the calendar moves."""
    return timezone.localdate() - timedelta(days=n)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct horse battery staple")


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client
        skip_postgeneration_save = True

    clinician = factory.SubFactory(UserFactory)
    label = factory.Sequence(lambda n: f"C.{n:03d}")
    intake_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=365))

    @factory.post_generation
    def added_at_intake(client, create, extracted, **kwargs):
        """Clients are usually added on their intake day (pass added_at_intake=False for one added today)."""
        if create and extracted is not False:
            client.created_at = timezone.make_aware(datetime.combine(client.intake_date, time(9)))
            client.save(update_fields=["created_at"])


class TherapySessionFactory(factory.django.DjangoModelFactory):
    """A session saved with ratings through the model's own save path.

    `ratings` maps factor keys to a score (or None); factors not named are
    rated `default_score`. Pass `default_score=None` for "not assessed".
    `measures` maps an instrument key to its item values in order (None:
    unanswered), entered as from a paper form (`entered_by`: the clinician).
    """

    class Meta:
        model = TherapySession

    client = factory.SubFactory(ClientFactory)
    date = factory.Sequence(lambda n: timezone.localdate() - timedelta(days=300 - n % 300))
    setting = TherapySession.Setting.IN_PERSON

    @classmethod
    def _create(cls, model_class, *args, ratings=None, default_score=4, measures=None, **kwargs):
        session = model_class(*args, **kwargs)
        ratings = ratings or {}
        entered = []
        if measures:
            instruments = {i.key: i for i in Instrument.objects.with_parts()}
            for key, values in measures.items():
                entered.append((instruments[key], dict(enumerate(values, start=1))))
        save_session(
            session,
            {f: (ratings.get(f.key, default_score), "") for f in Factor.objects.in_form_order()},
            measures=entered,
            by=session.client.clinician,
        )
        return session

"""Factories with sensible defaults for the suite."""

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import User
from clients.models import Client, TherapySession
from factors.models import Factor


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

    clinician = factory.SubFactory(UserFactory)
    label = factory.Sequence(lambda n: f"C.{n:03d}")
    intake_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=365))


class TherapySessionFactory(factory.django.DjangoModelFactory):
    """A session saved with ratings through the model's own save path.

    `ratings` maps factor keys to a score (or None); factors not named are
    rated `default_score`. Pass `default_score=None` for "not assessed".
    """

    class Meta:
        model = TherapySession

    client = factory.SubFactory(ClientFactory)
    date = factory.Sequence(lambda n: timezone.localdate() - timedelta(days=300 - n % 300))
    setting = TherapySession.Setting.IN_PERSON

    @classmethod
    def _create(cls, model_class, *args, ratings=None, default_score=4, **kwargs):
        session = model_class(*args, **kwargs)
        ratings = ratings or {}
        session.save_with_ratings({f: (ratings.get(f.key, default_score), "") for f in Factor.objects.in_form_order()})
        return session

"""The flag refresh after every kind of write (a new session, a back-dated one, an
edited one, a voided one) leaves exactly the flags a recomputation from nothing
writes: it walks the series once and rewrites only the rows that changed, and
neither may change what is stored."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from clients.models import TherapySession
from clients.recording import refresh_flags, save_session, void_session
from factors.models import Factor
from flags.models import Flag
from tests.factories import ClientFactory, UserFactory

pytestmark = pytest.mark.django_db
FIELDS = [f.attname for f in Flag._meta.concrete_fields if f.name != "id"]


def stored(client):
    return sorted(Flag.objects.filter(client=client).values_list(*FIELDS))


def recomputed(client):
    """The flags a refresh writes for the client when none are stored."""
    Flag.objects.filter(client=client).delete()
    refresh_flags(client)
    return stored(client)


def ratings(rng, factors, level):
    return {f: (None if rng.random() < 0.1 else max(1, min(5, round(level + rng.gauss(0, 0.8)))), "") for f in factors}


@pytest.mark.parametrize("seed", range(4))
def test_flags_after_new_back_dated_edited_and_voided_sessions_equal_a_recomputation(seed):
    rng = random.Random(seed)
    clinician = UserFactory()
    client = ClientFactory(clinician=clinician)
    factors = list(Factor.objects.in_form_order())
    today = timezone.localdate()
    used, level = set(), 4.0
    for step in range(40):
        level = max(1.5, min(4.8, level + rng.gauss(0, 0.7)))
        sessions = list(client.sessions.counted().order_by("date", "pk"))
        action = rng.choices(["new", "back-dated", "edit", "void"], weights=[6, 2, 2, 1])[0] if sessions else "new"
        if action == "edit":
            session = rng.choice(sessions)
            save_session(session, ratings(rng, factors, level))
        elif action == "void":
            void_session(rng.choice(sessions), clinician, "logged in error")
        else:
            day = step * 7 if action == "new" else rng.randrange(0, step * 7 + 1)
            if day in used:
                continue
            used.add(day)
            session = TherapySession(client=client, date=today - timedelta(days=400 - day), setting="online")
            save_session(session, ratings(rng, factors, level))
        assert stored(client) == recomputed(client), (step, action)

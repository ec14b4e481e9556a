"""The flag refresh after every kind of write (a new session, a back-dated one, an
edited one, a voided one) leaves exactly the flags a recomputation from nothing
writes: it walks the series once and rewrites only the rows that changed, and
neither may change what is stored. A new session after the latest one takes up
the stored walk (clients.models.FlagWalk) and reads only itself: that path too
must leave what a recomputation leaves."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from clients import recording
from clients.models import FlagWalk, TherapySession
from clients.recording import refresh_flags, save_session, void_session
from factors.models import Factor
from flags import state
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


@pytest.fixture
def taken_up(monkeypatch):
    """Counts the saves that took up the stored walk instead of walking the whole series."""
    calls = []
    load = state.load

    def counting(*args):
        calls.append(args)
        return load(*args)

    monkeypatch.setattr(state, "load", counting)
    return calls


@pytest.fixture
def walked(monkeypatch):
    """The number of sessions each refresh read."""
    reads = []
    series = recording._series  # what refresh_flags reads: the points and their stored co-ratings

    def counting(*args):
        points, stored = series(*args)
        reads.append(len(points))
        return points, stored

    monkeypatch.setattr(recording, "_series", counting)
    return reads


@pytest.mark.parametrize("seed", range(4))
def test_flags_after_new_back_dated_edited_and_voided_sessions_equal_a_recomputation(seed, taken_up):
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
    assert len(taken_up) >= 5  # most new sessions took up the stored walk


def test_a_new_latest_session_reads_only_itself_and_a_back_dated_one_the_whole_series(walked):
    client = ClientFactory(clinician=UserFactory())
    factors = list(Factor.objects.in_form_order())
    today = timezone.localdate()
    for n in range(30):
        save_session(
            TherapySession(client=client, date=today - timedelta(days=100 - n), setting="online"),
            {f: (1 + (n * f.pk) % 5, "") for f in factors},
        )
    assert walked == [1] * 30  # the first walked its whole (one-session) series, the others took up the walk
    walked.clear()
    save_session(
        TherapySession(client=client, date=today - timedelta(days=200), setting="online"), {f: (2, "") for f in factors}
    )
    assert walked == [31]
    client.refresh_from_db()
    assert (client.session_count, FlagWalk.objects.get(client=client).data["position"]) == (31, 31)
    assert stored(client) == recomputed(client)

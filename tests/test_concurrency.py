"""One writer per client: saves for the same client from several connections at once
(two open tabs, a client answering a self-report while the clinician saves) end with
stored flags equal to a recomputation and an exact summary. PostgreSQL only: SQLite
serializes every write by locking the whole file."""

import random
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from clients.models import Client, TherapySession
from clients.recording import refresh_flags, save_session
from factors.models import Factor
from flags.models import Flag
from tests.factories import ClientFactory, TherapySessionFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("instrument"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"),
]
WRITERS = 6
SESSIONS_EACH = 5


def stored_flags(client):
    return sorted(
        Flag.objects.filter(client=client).values_list("key", "kind", "status", "session_ids", "factor_keys", "urgency")
    )


def test_concurrent_saves_for_one_client_leave_flags_equal_to_a_recomputation():
    clinician = UserFactory(username="busy")
    client = ClientFactory(clinician=clinician, label="C.C.")
    today = timezone.localdate()
    for n in (300, 299, 298):
        TherapySessionFactory(client=client, date=today - timedelta(days=n))
    factors = list(Factor.objects.in_form_order())
    barrier = threading.Barrier(WRITERS)
    errors = []

    def writer(number):
        rng = random.Random(number)
        try:
            barrier.wait()
            for j in range(SESSIONS_EACH):
                session = TherapySession(
                    client_id=client.pk, date=today - timedelta(days=number * SESSIONS_EACH + j), setting="online"
                )
                save_session(session, {f: (rng.choice([1, 2, 3, 4, 5, None]) or 3, "") for f in factors})
        except Exception as error:  # reported below: any failure is a failure of the test
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    client = Client.objects.get(pk=client.pk)
    sessions = TherapySession.objects.filter(client=client)
    assert client.session_count == sessions.count() == 3 + WRITERS * SESSIONS_EACH
    latest = sessions.order_by("-date", "-pk").first()
    assert (client.latest_session_id, client.last_session_on, client.latest_index) == (
        latest.pk,
        latest.date,
        latest.overall_score,
    )
    before = stored_flags(client)
    refresh_flags(client)
    assert before == stored_flags(client)
    assert len({key for key, *_ in before}) == len(before)

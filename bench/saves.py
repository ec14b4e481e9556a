"""Time logging a session against the length of the client's history.

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=... python -m bench.saves --out result.json

For each history length N (20, 200 and 500 sessions), the clinician
`long<N>-c0000` (made by `generate_org --prefix long<N>`, see bench/run.py)
logs three sessions for each of their clients through the form (POST, every
middleware, 12 ratings), dated the day before yesterday, yesterday and today
as the client's newest sessions; the median and p95 of those saves, and their
query count, are reported. The sessions are removed afterwards and the
clients' flags re-labelled.
"""

import argparse
import json
import statistics
import time

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.pages import percentile  # noqa: E402
from clients.models import Client, TherapySession  # noqa: E402
from clients.recording import refresh_flags  # noqa: E402
from factors.models import Factor  # noqa: E402

LENGTHS = (20, 200, 500)
CLIENTS = 10
SAVES_PER_CLIENT = 3


def measure(length, factors):
    user = User.objects.get(username=f"long{length}-c0000")
    clients = list(Client.objects.filter(clinician=user).order_by("pk")[:CLIENTS])
    _cleanup(clients)
    http = HttpClient()
    http.force_login(user)
    today = timezone.localdate()
    times = []

    def save(client, days_ago, k):
        data = {
            "client": client.pk,
            "date": today - timezone.timedelta(days=days_ago),
            "setting": "phone",
            **{f"score_{f.key}": str(1 + (k + days_ago + f.pk) % 5) for f in factors},
        }
        start = time.perf_counter()
        response = http.post(reverse("session_create"), data)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 302, response.content[:500]
        return elapsed

    with CaptureQueriesContext(connection) as captured:  # a warm-up save, not timed, counts the queries
        save(clients[0], SAVES_PER_CLIENT, 0)
    queries = len(captured.captured_queries)  # now: the next request resets the query log
    for days_ago in reversed(range(SAVES_PER_CLIENT)):
        for k, client in enumerate(clients):
            times.append(save(client, days_ago, k))
    sessions = round(statistics.mean(c.sessions.counted().count() for c in clients))
    _cleanup(clients)
    return {
        "history": length,
        "sessions_at_save": sessions,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "queries": queries,
    }


def _cleanup(clients):
    TherapySession.objects.filter(client__in=clients, setting="phone").delete()
    for client in clients:
        refresh_flags(client)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    args = parser.parse_args()
    factors = list(Factor.objects.all())
    results = [measure(n, factors) for n in LENGTHS]
    output = {"results": results}
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(output, fh, indent=1)
    print(json.dumps(output, indent=1))


if __name__ == "__main__":
    main()

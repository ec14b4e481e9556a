"""Serve the app with gunicorn on 127.0.0.1 and put a bounded load on it with locust.

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=... python -m bench.load --out load.json

50 concurrent users for 60 s (clinicians logging sessions, supervisors on
dashboards); prints throughput, p50/p95/p99, the error count and each
gunicorn worker's peak resident memory. Loopback only; bounded in time.
"""

import argparse
import csv
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django

django.setup()

from accounts import twostep  # noqa: E402
from accounts.models import User  # noqa: E402
from clients.models import Client, TherapySession  # noqa: E402
from clients.recording import refresh_flags  # noqa: E402
from factors.models import Factor  # noqa: E402
from supervision.management.commands.seed_demo import DEMO_PASSWORD  # noqa: E402

BIN = Path(sys.executable).parent
PORT = 8001


def users_file(prefix, folder):
    clinicians = User.objects.filter(username__startswith=f"{prefix}-c").order_by("username")[10:90]
    supervisors = User.objects.filter(username__startswith=f"{prefix}-s").order_by("username")
    data = {
        "password": DEMO_PASSWORD,
        "factor_keys": list(Factor.objects.values_list("key", flat=True)),
        "clinicians": [(u.username, list(u.clients.values_list("pk", flat=True))) for u in clinicians],
        "supervisors": [
            (u.username, list(Client.objects.supervised_by(u).values_list("pk", flat=True)[:200]), login_codes(u))
            for u in supervisors
        ],
    }
    path = Path(folder) / "users.json"
    path.write_text(json.dumps(data))
    return path, [u.username for u in clinicians]


def login_codes(user):
    """Supervisors log in with a second factor: a fresh set of recovery codes, one per
    simulated login (a time-based code works once, so simulated users sharing an account
    within 30 seconds could not all use one)."""
    if twostep.factor_of(user) is None:
        return twostep.enrol(user, twostep.new_secret(), step=0)
    return twostep.new_recovery_codes(user)


def peak_rss_mb(pid):
    """VmHWM: the most resident memory the process ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prefix", default="org")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path, usernames = users_file(args.prefix, folder)
        _cleanup(usernames)
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "alliance.wsgi",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"},
        )
        try:
            _wait_for_server()
            stats = Path(folder) / "locust"
            subprocess.run(
                [
                    str(BIN / "locust"),
                    "-f",
                    "bench/locustfile.py",
                    "--headless",
                    "-u",
                    str(args.users),
                    "-r",
                    "10",
                    "-t",
                    f"{args.seconds}s",
                    "--host",
                    f"http://127.0.0.1:{PORT}",
                    "--csv",
                    str(stats),
                    "--only-summary",
                    "--stop-timeout",
                    "10",
                    "--loglevel",
                    "WARNING",
                ],
                env={**os.environ, "USERS_FILE": str(path)},
                check=False,
            )
            workers = [
                int(p)
                for p in subprocess.run(
                    ["pgrep", "-P", str(server.pid)],
                    capture_output=True,
                    text=True,
                    check=False,
                ).stdout.split()
            ]
            rss = {pid: peak_rss_mb(pid) for pid in workers}
            rows = list(csv.DictReader(open(f"{stats}_stats.csv")))  # noqa: SIM115
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            _cleanup(usernames)
    total = next(r for r in rows if r["Name"] == "Aggregated")
    result = {
        "users": args.users,
        "seconds": args.seconds,
        "workers": args.workers,
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
        "throughput_rps": round(float(total["Requests/s"]), 1),
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "p99_ms": float(total["99%"]),
        "worker_peak_rss_mb": list(rss.values()),
        "by_request": [
            {
                "name": r["Name"],
                "count": int(r["Request Count"]),
                "failures": int(r["Failure Count"]),
                "p50_ms": float(r["50%"]),
                "p95_ms": float(r["95%"]),
                "p99_ms": float(r["99%"]),
            }
            for r in rows
            if r["Name"] != "Aggregated"
        ],
    }
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


def _wait_for_server():
    """Poll the login page over plain HTTP on loopback (http.client: no URL scheme to trust)."""
    for _ in range(60):
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
        try:
            connection.request("GET", "/accounts/login/")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.5)
        finally:
            connection.close()
    raise SystemExit("gunicorn did not start")


def _cleanup(usernames):
    """Remove the sessions the load logged (setting "phone") and re-label their clients."""
    touched = set(
        TherapySession.objects.filter(client__clinician__username__in=usernames, setting="phone").values_list(
            "client_id", flat=True
        )
    )
    TherapySession.objects.filter(client_id__in=touched, setting="phone").delete()
    for client in Client.objects.filter(pk__in=touched):
        refresh_flags(client)


if __name__ == "__main__":
    main()

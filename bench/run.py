"""`make bench`: build the data sets, time the pages at two sizes, load-test, print the tables.

1. Two PostgreSQL databases: a small organisation (10 clinicians, one team)
   and the full one (100 clinicians, 10 teams), 50 clients per clinician,
   20 sessions per client; generation time and peak memory are printed.
2. Server-side page times on both (bench/pages.py), with floors and the
   growth factor from 10x more organisation at a fixed team size.
3. Logging a session for clients with 20, 200 and 500 sessions (bench/saves.py,
   three more clinicians generated with the prefixes long20, long200, long500).
4. gunicorn + locust on the full one (bench/load.py).
Environment: BENCH_DATABASE_URL and BENCH_SMALL_DATABASE_URL override the databases.
"""

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
BASE = "postgres://alliance:alliance@127.0.0.1:5432/"
BIG = os.environ.get("BENCH_DATABASE_URL", BASE + "alliance_bench")
SMALL = os.environ.get("BENCH_SMALL_DATABASE_URL", BASE + "alliance_bench_small")
LONG_HISTORIES = (20, 200, 500)
TARGETS = {
    "supervisor dashboard": 150,
    "alliance x progress": 150,
    "clinician caseload": 80,
    "clinician home": 80,
    "client page": 80,
    "log a session": 60,
}


def run(args, database, settings="alliance.settings", capture=False):
    env = {**os.environ, "DATABASE_URL": database, "DJANGO_SETTINGS_MODULE": settings, "DEBUG": "true"}
    if settings == "bench.settings":
        env.pop("DEBUG")
    return subprocess.run(args, env=env, check=True, text=True, capture_output=capture)


def generate(database, clinicians, *options):
    run([PY, "manage.py", "migrate", "--noinput", "-v0"], database)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    command = [PY, "manage.py", "generate_org", "--clinicians", str(clinicians), "--quiet", *options]
    out = run(command, database, capture=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(out.stdout.strip())
    print(f"  wall time {seconds:.1f} s, peak RSS {max(peak, before) / 1024:.0f} MB (largest child process so far)")
    # Statistics and visibility maps as autovacuum would leave them soon after a bulk load.
    analyze = "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE')"
    run([PY, "manage.py", "shell", "-v", "0", "-c", analyze], database)


def pages(database, folder, name):
    out = Path(folder) / f"{name}.json"
    run([PY, "-m", "bench.pages", "--out", str(out)], database, settings="bench.settings", capture=True)
    return json.loads(out.read_text())


def main():
    machine = f"{platform.node()} · {platform.platform()} · {os.cpu_count()} cores"
    print(f"Machine: {machine} · Python {platform.python_version()}")
    print(f"PostgreSQL: {subprocess.run(['psql', '--version'], capture_output=True, text=True).stdout.strip()}")
    print("\n== Data sets")
    generate(SMALL, 10)
    generate(BIG, 100)
    for length in LONG_HISTORIES:  # one clinician whose 10 clients have this many sessions each (bench/saves.py)
        args = ["--prefix", f"long{length}", "--clients-per-clinician", "10", "--sessions-per-client", str(length)]
        generate(BIG, 1, *args)
    run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], BIG, settings="bench.settings")
    with tempfile.TemporaryDirectory() as folder:
        small, big = pages(SMALL, folder, "small"), pages(BIG, folder, "big")
        print(
            f"\n== Server-side page times ({big['meta']['clients']} clients, {big['meta']['sessions']} sessions, "
            f"{big['meta'].get('measures', 0)} measures; "
            f"median and p95 of 30 requests)"
        )
        header = (
            f"{'page':38} {'median':>8} {'p95':>8} {'queries':>7} {'SQL floor':>9} {'empty view':>10} "
            f"{'page/floor':>10} {'target':>7} {'10x org':>8}"
        )
        print(header)
        print("-" * len(header))
        for b, s in zip(big["results"], small["results"], strict=True):
            target = next((v for k, v in TARGETS.items() if b["page"].startswith(k)), None)
            growth = b["median_ms"] / max(s["median_ms"], 0.1)
            print(
                f"{b['page']:38} {b['median_ms']:>6.1f}ms {b['p95_ms']:>6.1f}ms {b['queries']:>7} "
                f"{b['sql_floor_ms']:>7.1f}ms {b['empty_view_ms']:>8.1f}ms {b['ratio']:>9.1f}x "
                f"{(str(target) + 'ms') if target else '':>7} {growth:>7.2f}x"
            )
            if s["queries"] != b["queries"]:
                print(f"  ! query count differs with size: {s['queries']} vs {b['queries']}")
        print("\nWhere the time goes (instrumented requests, mean ms: the ORM builds, runs and reads the queries;")
        print("the templates without the queries their tags make; the rest: middleware and the view's own code)")
        for b in big["results"]:
            if "where" in b:
                w = b["where"]
                print(
                    f"  {b['page']:36} {w['total_ms']:>6.1f} in all: ORM {w['orm_ms']:>5.1f} (SQL floor "
                    f"{b['sql_floor_ms']:.1f}), templates {w['templates_ms']:>5.1f}, rest {w['rest_ms']:>5.1f}"
                )
        out = Path(folder) / "saves.json"
        run([PY, "-m", "bench.saves", "--out", str(out)], BIG, settings="bench.settings", capture=True)
        saves = json.loads(out.read_text())["results"]
        print("\n== Logging a session against the client's history (POST, 12 ratings; 30 saves each)")
        for r in saves:
            growth = r["median_ms"] / saves[0]["median_ms"]
            print(
                f"{r['history']:>4} sessions: median {r['median_ms']:>6.1f} ms, p95 {r['p95_ms']:>6.1f} ms, "
                f"{r['queries']} queries, {growth:.2f}x the {saves[0]['history']}-session save (goal: at most 1.5x)"
            )
        print("\n== Load: gunicorn (4 workers, whitenoise) + locust, 50 users, 60 s, on 127.0.0.1")
        out = Path(folder) / "load.json"
        run([PY, "-m", "bench.load", "--out", str(out)], BIG, settings="bench.settings", capture=True)
        load = json.loads(out.read_text())
        print(
            f"requests {load['requests']}, errors {load['errors']}, throughput {load['throughput_rps']} req/s, "
            f"p50 {load['p50_ms']:.0f} ms, p95 {load['p95_ms']:.0f} ms, p99 {load['p99_ms']:.0f} ms"
        )
        print(f"worker peak RSS (MB): {', '.join(str(x) for x in load['worker_peak_rss_mb'])}")
        login = next((r for r in load["by_request"] if r["name"] == "login"), None)
        if login:
            print(
                f"login (password check, {login['count']} logins): median {login['p50_ms']:.0f} ms, "
                f"p95 {login['p95_ms']:.0f} ms, p99 {login['p99_ms']:.0f} ms"
            )
        for r in load["by_request"]:
            print(
                f"  {r['name']:30} {r['count']:>6} requests, {r['failures']} failed, p50 {r['p50_ms']:.0f} ms, "
                f"p95 {r['p95_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms"
            )


if __name__ == "__main__":
    main()

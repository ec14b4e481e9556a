"""Server-side timing of the main pages, in-process, against the configured database.

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=... python -m bench.pages --prefix org --out result.json

For each page: median and p95 of the time Django takes to answer (every
middleware, the view, the template), its SQL query count, and two floors: the
time to run the same SELECT statements straight on the database cursor, and
the time of an empty view through the same middleware. For the caseload and the
client page, where that time goes (`where`): the ORM (building the queries,
running them, turning rows into objects), the templates, and the rest.
"""

import argparse
import json
import statistics
import time
from types import SimpleNamespace

import django

django.setup()

from unittest import mock  # noqa: E402

from django.db import connection  # noqa: E402
from django.db.models.query import QuerySet  # noqa: E402
from django.db.models.sql import compiler  # noqa: E402
from django.template.backends.django import Template  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import twostep  # noqa: E402
from accounts.models import User  # noqa: E402
from clients.models import Client, TherapySession  # noqa: E402
from clients.recording import refresh_flags  # noqa: E402
from factors.models import Factor  # noqa: E402
from measures.models import MeasureResponse  # noqa: E402

REPEAT = 30


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn, repeat=REPEAT):
    fn()  # warm up caches and connections
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = fn()
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code in (200, 302), response.status_code
    return times


def sql_floor(statements, repeat=REPEAT):
    """Time the page's SELECTs run directly on the cursor (no ORM, no view)."""
    selects = [q["sql"] for q in statements if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]
    times = []
    with connection.cursor() as cursor:
        for _ in range(repeat):
            start = time.perf_counter()
            for sql in selects:
                cursor.execute(sql)
                cursor.fetchall()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(name, fn):
    with CaptureQueriesContext(connection) as captured:
        fn()
    statements = list(captured.captured_queries)  # read now: later requests reset the query log
    times = timed(fn)
    return {
        "page": name,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "queries": len(statements),
        "sql_floor_ms": round(sql_floor(statements), 1),
    }


class Breakdown:
    """Wall time inside the ORM (a queryset's evaluation, or any compiler's execute_sql outside
    one: counts, inserts, updates) and inside template rendering (less the ORM's time within it,
    e.g. a tag that queries), over the requests made in `within()`. Instrumented, so run apart
    from the timed requests."""

    def __init__(self):
        self.orm = self.templates = self.orm_in_templates = 0.0
        self._depth, self._rendering = 0, False

    def _orm(self, original):
        def timed_orm(*args, **kwargs):
            if self._depth:
                return original(*args, **kwargs)
            self._depth += 1
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent = time.perf_counter() - start
                self._depth -= 1
                self.orm += spent
                self.orm_in_templates += spent if self._rendering else 0

        return timed_orm

    def _render(self, original):
        def timed_render(*args, **kwargs):
            if self._rendering:
                return original(*args, **kwargs)
            self._rendering = True
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.templates += time.perf_counter() - start
                self._rendering = False

        return timed_render

    def within(self):
        patches = [
            mock.patch.object(cls, name, self._orm(getattr(cls, name)))
            for cls, name in [
                (QuerySet, "_fetch_all"),
                (compiler.SQLCompiler, "execute_sql"),
                (compiler.SQLInsertCompiler, "execute_sql"),
                (compiler.SQLUpdateCompiler, "execute_sql"),
                (compiler.SQLDeleteCompiler, "execute_sql"),
            ]
        ]
        patches.append(mock.patch.object(Template, "render", self._render(Template.render)))
        return patches


def where_the_time_goes(fn, repeat=REPEAT):
    """Mean ms per request: in all, in the ORM, in the templates (without their queries), the rest."""
    spent = Breakdown()
    patches = spent.within()
    for patch in patches:
        patch.start()
    try:
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        total = (time.perf_counter() - start) * 1000 / repeat
    finally:
        for patch in patches:
            patch.stop()
    orm = spent.orm * 1000 / repeat
    templates = (spent.templates - spent.orm_in_templates) * 1000 / repeat
    return {"total_ms": round(total, 1), "orm_ms": round(orm, 1), "templates_ms": round(templates, 1),
            "rest_ms": round(total - orm - templates, 1)}  # fmt: skip


def _passed_second_step(http, user):
    """force_login skips the second step; mark the session as if it had been passed, else
    accounts.middleware.SecondStepMiddleware would send the supervisor to it."""
    session = http.session
    twostep.mark_passed(SimpleNamespace(session=session), user)
    session.save()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prefix", default="org")
    parser.add_argument("--out")
    args = parser.parse_args()
    supervisor = User.objects.get(username=f"{args.prefix}-s000")
    clinician = User.objects.get(username=f"{args.prefix}-c0000")
    writer = User.objects.get(username=f"{args.prefix}-c0001")
    client = Client.objects.filter(clinician=clinician).order_by("pk").first()
    targets = list(Client.objects.filter(clinician=writer).order_by("pk"))
    factors = list(Factor.objects.all())

    sup, clin, log_http = HttpClient(), HttpClient(), HttpClient()
    sup.force_login(supervisor)
    _passed_second_step(sup, supervisor)
    clin.force_login(clinician)
    log_http.force_login(writer)
    _cleanup(targets)

    counter = iter(range(10**6))

    def log_session():
        k = next(counter)
        target = targets[k % len(targets)]
        data = {
            "client": target.pk,
            "date": (timezone.localdate() - timezone.timedelta(days=1 + k // len(targets))),
            "setting": "phone",
            **{f"score_{f.key}": str(1 + (k + f.pk) % 5) for f in factors},
        }
        response = log_http.post(reverse("session_create"), data)
        assert response.status_code == 302, response.content[:500]
        return response

    def caseload():
        return clin.get(reverse("caseload"))

    def client_page():
        return clin.get(reverse("client_detail", args=[client.pk]))

    results = [
        measure("supervisor dashboard (team of 10)", lambda: sup.get(reverse("team_dashboard"))),
        measure(
            "alliance x progress (team, a cell)",
            lambda: sup.get(reverse("alliance_progress"), {"alliance": "none", "progress": "no_change"}),
        ),
        measure("clinician caseload (50 clients)", caseload),
        measure("clinician home", lambda: clin.get(reverse("home"))),
        measure("client page (20 sessions, charts)", client_page),
        measure("log a session (POST, 12 ratings)", log_session),
        measure("empty view (middleware floor)", lambda: clin.get("/bench/empty/")),
    ]
    _cleanup(targets)
    for r in results:
        if r["page"].startswith("clinician caseload"):
            r["where"] = where_the_time_goes(caseload)
        elif r["page"].startswith("client page"):
            r["where"] = where_the_time_goes(client_page)
    floor = next(r for r in results if r["page"].startswith("empty"))["median_ms"]
    for r in results:
        r["empty_view_ms"] = floor
        r["ratio"] = round(r["median_ms"] / max(r["sql_floor_ms"] + floor, 0.1), 1)
    meta = {
        "clinicians": User.objects.filter(username__startswith=f"{args.prefix}-c").count(),
        "clients": Client.objects.filter(clinician__username__startswith=f"{args.prefix}-").count(),
        "sessions": TherapySession.objects.filter(client__clinician__username__startswith=f"{args.prefix}-").count(),
        "measures": MeasureResponse.objects.filter(client__clinician__username__startswith=f"{args.prefix}-").count(),
    }
    output = {"meta": meta, "results": results}
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(output, fh, indent=1)
    print(json.dumps(output, indent=1))


def _cleanup(targets):
    """Remove the sessions the benchmark logged (setting "phone"), and re-label their flags."""
    TherapySession.objects.filter(client__in=targets, setting="phone").delete()
    for target in targets:
        refresh_flags(target)


if __name__ == "__main__":
    main()

"""Generate a large, realistic organisation in bulk, for benchmarks.

    manage.py generate_org --clinicians 100 --clients-per-clinician 50 --sessions-per-client 20

Teams of --team-size clinicians, each with a supervisor; every client follows
one of the demo trajectories, and most (MEASURED) fill in the PHQ-9 and GAD-7 at
their first session, every second one after it and their latest, with totals that
follow the trajectory (improving clients fall, declining ones rise; now and then a
safety answer or an item left empty). Rows are written in bulk (ratings with COPY on
PostgreSQL), one clinician at a time, so memory stays flat; no per-row
signals run, and the generation writes one audit row. Safe to rerun: a
clinician whose caseload is complete is skipped, an incomplete one redone.
"""

import io
import random
import time
from datetime import timedelta

from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from accounts.models import Team, User
from audit import log
from clients.models import SUMMARY_FIELDS, Client, Rating, TherapySession
from clients.recording import set_summary
from factors import scoring
from factors.models import Factor
from flags import rules
from flags.models import Flag, thresholds
from measures.models import Instrument, ItemAnswer, MeasureResponse
from supervision.management.commands.seed_demo import DEMO_PASSWORD, NOTES, offset

TRAJECTORIES = [
    "steady",
    "steady",
    "steady",
    "improving",
    "improving",
    "rupture_repair",
    "slow_decline",
    "contextual_barrier",
    "recent_rupture",
    "persistent_weakness",
]
SETTINGS = ["in_person", "online", "phone"]
MEASURED = 0.7  # the share of clients who fill in the measures
# A measure's total as a share of its maximum, from the first session (0) to the latest (1).
PROGRESS = {
    "improving": lambda t: 0.6 - 0.4 * t,
    "slow_decline": lambda t: 0.33 + 0.35 * t,
    "rupture_repair": lambda t: 0.5 + (0.15 if 0.5 < t < 0.7 else 0.0) - 0.15 * t,
    "recent_rupture": lambda t: 0.4 + (0.3 if t > 0.85 else 0.0),
    "persistent_weakness": lambda t: 0.52 - 0.1 * t,
    "contextual_barrier": lambda t: 0.48,
}


class Command(BaseCommand):
    help = "Generate a large organisation (teams, clinicians, clients, sessions) in bulk."

    def add_arguments(self, parser):
        parser.add_argument("--clinicians", type=int, default=100)
        parser.add_argument("--clients-per-clinician", type=int, default=50)
        parser.add_argument("--sessions-per-client", type=int, default=20)
        parser.add_argument("--team-size", type=int, default=10)
        parser.add_argument("--prefix", default="org", help="Usernames start with it; reruns reuse them.")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, clinicians, clients_per_clinician, sessions_per_client, team_size, prefix, quiet, **kw):
        started = time.perf_counter()
        self.factors = list(Factor.objects.in_form_order())
        self.thresholds = thresholds()
        self.names = {f.key: f.name for f in self.factors}
        self.domain_of = {f.key: f.domain for f in self.factors}
        self.instruments = list(Instrument.objects.active().with_parts())
        self.measure_rules = Instrument.objects.active().rules()
        password = make_password(DEMO_PASSWORD)  # hashed once, shared by every generated user
        teams = self._teams(prefix, -(-clinicians // team_size), password)
        self._rehash_stale(prefix, password)
        made = {"clients": 0, "sessions": 0, "ratings": 0, "measures": 0}
        for i in tqdm(range(clinicians), desc="clinicians", unit="clin", disable=quiet):
            user, _ = User.objects.get_or_create(
                username=f"{prefix}-c{i:04d}",
                defaults={
                    "first_name": "Clinician",
                    "last_name": f"{i:04d}",
                    "password": password,
                    "team": teams[i // team_size],
                },
            )
            if user.clients.count() == clients_per_clinician:
                continue  # done in an earlier run
            with transaction.atomic():
                Client.objects.filter(clinician=user).delete()  # an interrupted run: redo this caseload
                for key, n in self._caseload(user, i, clients_per_clinician, sessions_per_client).items():
                    made[key] += n
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # fresh planner statistics after a bulk load
        with log.acting_as("command:generate_org"):
            log.record(log.Action.CREATE, object_type="generate_org", changes=made)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Generated {made['clients']} clients, {made['sessions']} sessions, {made['ratings']} ratings "
            f"and {made['measures']} measures "
            f"in {elapsed:.1f} s ({Client.objects.count()} clients, {TherapySession.objects.count()} sessions in all)."
        )

    @staticmethod
    def _rehash_stale(prefix, password):
        """Users from an earlier run keep the hash it made; give those whose hasher or
        parameters are out of date today's hash, as their next login would."""
        users = User.objects.filter(username__startswith=f"{prefix}-")
        preferred = get_hasher()
        stale = [
            encoded
            for encoded in set(users.values_list("password", flat=True))
            if identify_hasher(encoded).algorithm != preferred.algorithm or preferred.must_update(encoded)
        ]
        users.filter(password__in=stale).update(password=password)

    def _teams(self, prefix, count, password):
        teams = []
        for t in range(count):
            supervisor, _ = User.objects.get_or_create(
                username=f"{prefix}-s{t:03d}",
                defaults={
                    "first_name": "Supervisor",
                    "last_name": f"{t:03d}",
                    "password": password,
                    "role": User.Role.SUPERVISOR,
                },
            )
            team, _ = Team.objects.get_or_create(name=f"{prefix} team {t:03d}", defaults={"supervisor": supervisor})
            teams.append(team)
        return teams

    def _caseload(self, user, index, n_clients, n_sessions):
        rng = random.Random(f"{user.username}")
        today = timezone.localdate()
        clients = Client.objects.bulk_create(
            Client(
                clinician=user,
                label=f"{user.username[-5:]}-{j:03d}",
                intake_date=today - timedelta(days=7 * n_sessions + 30),
                usual_setting=rng.choice(["in_person", "online", "both"]),
            )
            for j in range(n_clients)
        )
        sessions, ratings_by_session, trajectory_of = [], [], {}
        for client in clients:
            trajectory = rng.choice(TRAJECTORIES)
            base = {f.key: rng.uniform(3.2, 4.4) for f in self.factors}
            gap = rng.choice([1, 2, 3, 4, 5, 6, 8, 12, 30])  # some clients are stalled
            setting = rng.choice(SETTINGS[:2])
            for s in range(n_sessions):
                date = today - timedelta(days=gap + 7 * (n_sessions - 1 - s))
                ratings = {}
                for f in self.factors:
                    level = base[f.key] + offset(trajectory, f.key, f.domain, s, n_sessions) + rng.gauss(0, 0.3)
                    ratings[f] = None if rng.random() < 0.05 else min(5, max(1, round(level)))
                session = TherapySession(client=client, date=date, setting=setting, note=rng.choice(NOTES))
                session.set_scores(scoring.session_scores((f.domain, r) for f, r in ratings.items()))
                sessions.append(session)
                ratings_by_session.append(ratings)
            trajectory_of[client.pk] = trajectory
        TherapySession.objects.bulk_create(sessions, batch_size=2000)
        rows = [
            (s.pk, f.pk, score)
            for s, ratings in zip(sessions, ratings_by_session, strict=True)
            for f, score in ratings.items()
        ]
        _insert_ratings(rows)
        responses = self._measures(rng, clients, sessions, trajectory_of)
        self._flags(clients, sessions, ratings_by_session, responses)
        return {"clients": len(clients), "sessions": len(sessions), "ratings": len(rows), "measures": len(responses)}

    def _measures(self, rng, clients, sessions, trajectory_of):
        """The measured clients' PHQ-9 and GAD-7 responses, written in bulk (answers with COPY
        on PostgreSQL), scored as a saved form would be; returns the responses."""
        by_client = {}
        for session in sessions:
            by_client.setdefault(session.client_id, []).append(session)
        responses, values_of = [], []
        for client in clients:
            if rng.random() >= MEASURED:
                continue
            own = by_client.get(client.pk, [])
            steady = rng.uniform(0.15, 0.55)  # a steady client stays near their own level
            level = PROGRESS.get(trajectory_of[client.pk], lambda t, steady=steady: steady)
            for n, session in enumerate(own):
                if n % 2 and n != len(own) - 1:
                    continue
                t = n / max(len(own) - 1, 1)
                for instrument in self.instruments:
                    values = _values(rng, instrument, level(t) + rng.gauss(0, 0.06))
                    response = MeasureResponse(
                        client=client,
                        session=session,
                        instrument=instrument,
                        source=rng.choice([MeasureResponse.Source.CLIENT, MeasureResponse.Source.CLINICIAN]),
                    )
                    response.set_score(values, instrument.rule())
                    responses.append(response)
                    values_of.append(values)
        MeasureResponse.objects.bulk_create(responses, batch_size=2000)
        items = {i.pk: list(i.items.all()) for i in self.instruments}
        _insert_answers(
            (r.pk, item.pk, values.get(item.number))
            for r, values in zip(responses, values_of, strict=True)
            for item in items[r.instrument_id]
        )
        return responses

    def _flags(self, clients, sessions, ratings_by_session, responses):
        series = {}
        for s, ratings in zip(sessions, ratings_by_session, strict=True):
            series.setdefault(s.client_id, []).append(
                rules.Point(
                    id=s.pk,
                    date=s.date,
                    overall=s.overall_score,
                    setting=s.setting,
                    ratings={f.key: r for f, r in ratings.items()},
                )
            )
        measured = {}
        key_of = {i.pk: i.key for i in self.instruments}
        date_of = {s.pk: s.date for s in sessions}
        for r in sorted(responses, key=lambda r: (date_of[r.session_id], r.session_id, r.pk)):
            measured.setdefault(r.client_id, []).append(
                rules.Response(
                    id=r.pk,
                    session_id=r.session_id,
                    date=date_of[r.session_id],
                    instrument=key_of[r.instrument_id],
                    total=r.total,
                    safety=r.safety,
                    source=r.source,
                    answered=r.answered,
                )
            )
        by_pk = {c.pk: c for c in clients}
        flags = []
        for cid, points in series.items():
            measures = rules.Measures(rules=self.measure_rules, responses=measured[cid]) if cid in measured else None
            found = rules.evaluate(points, self.thresholds, self.domain_of, measures=measures or rules.Measures())
            stored = [Flag.from_rules(by_pk[cid], f, self.domain_of) for f in found]
            set_summary(by_pk[cid], points, stored)
            flags += stored
        Flag.objects.bulk_create(flags)
        Client.objects.bulk_update(clients, SUMMARY_FIELDS)


def _insert_ratings(rows):
    """(session_id, factor_id, score) rows: COPY on PostgreSQL, bulk_create elsewhere."""
    if connection.vendor == "postgresql":
        buffer = io.StringIO()
        for session_id, factor_id, score in rows:  # an empty unquoted field is NULL, "" an empty note
            buffer.write(f'{session_id},{factor_id},{"" if score is None else score},""\n')
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY {Rating._meta.db_table} (session_id, factor_id, score, note) FROM STDIN WITH (FORMAT csv)",
                buffer,
            )
    else:
        Rating.objects.bulk_create(
            (Rating(session_id=s, factor_id=f, score=score, note="") for s, f, score in rows), batch_size=2000
        )


def _values(rng, instrument, share):
    """Item values (0-3) that add up to `share` of the instrument's maximum, spread at
    random; a safety item stays 0 but now and then (1 in 100); 1 in 30 leaves an item empty."""
    items = list(instrument.items.all())
    top = max(o.value for o in instrument.options.all())
    values = {i.number: 0 for i in items}
    open_items = [i.number for i in items if not i.is_safety_item]
    target = min(round(max(0.0, share) * top * len(items)), top * len(open_items))
    while sum(values.values()) < target:
        number = rng.choice([n for n in open_items if values[n] < top])
        values[number] += 1
    for item in items:
        if item.is_safety_item and rng.random() < 0.01:
            values[item.number] = 1
    if rng.random() < 1 / 30:
        values[rng.choice(open_items)] = None
    return values


def _insert_answers(rows):
    """(response_id, item_id, value) rows: COPY on PostgreSQL, bulk_create elsewhere."""
    if connection.vendor == "postgresql":
        buffer = io.StringIO()
        for response_id, item_id, value in rows:
            buffer.write(f"{response_id},{item_id},{'' if value is None else value}\n")
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY {ItemAnswer._meta.db_table} (response_id, item_id, value) FROM STDIN WITH (FORMAT csv)",
                buffer,
            )
    else:
        ItemAnswer.objects.bulk_create(
            (ItemAnswer(response_id=r, item_id=i, value=v) for r, i, v in rows), batch_size=2000
        )

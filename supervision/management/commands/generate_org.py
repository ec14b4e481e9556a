"""Generate a large, realistic organisation in bulk, for benchmarks.

    manage.py generate_org --clinicians 100 --clients-per-clinician 50 --sessions-per-client 20

Teams of --team-size clinicians, each with a supervisor; every client follows
one of the demo trajectories, and most (MEASURED) fill in the PHQ-9 and GAD-7 at
their first session, every second one after it and their latest, with totals that
follow the trajectory (improving clients fall, declining ones rise; now and then a
safety answer or an item left empty). About every third session has a used
self-report link with the client's answers (VOICED: near the clinician's ratings,
a bit lower, more so for some clinicians than others; now and then an earlier
answered link the latest one replaced, or a link that expired unused), and about
every 40th an observation by the team's supervisor (OBSERVED: near the
clinician's ratings); the answers raise "client concern" and "client rated lower"
flags as the app would. Rows are written in bulk (ratings and answers with COPY
on PostgreSQL), one clinician at a time, so memory stays flat; no per-row
signals run, and the generation writes one audit row. Safe to rerun: a
clinician whose caseload is complete is skipped, an incomplete one redone.
"""

import io
import random
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from datetime import time as clock

from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from accounts.models import Team, User
from audit import log
from calibration.models import Observation, ObservationRating
from clients.models import SUMMARY_FIELDS, Client, Rating, TherapySession
from clients.recording import set_summary
from factors import scoring
from factors.models import Factor
from flags import rules
from flags.models import Flag, thresholds
from measures.models import Instrument, ItemAnswer, MeasureResponse
from selfreport.models import Question, SelfReportLink, SelfReportRating
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
VOICED = 1 / 3  # the share of sessions with a used self-report link
REPLACED = 0.05  # of those, the share with an earlier answered link that the latest replaced
EXPIRED = 0.05  # the share of sessions with a link that expired unused
OBSERVED = 1 / 40  # the share of sessions a supervisor observed
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
        self.questions = list(Question.objects.active())
        password = make_password(DEMO_PASSWORD)  # hashed once, shared by every generated user
        teams = self._teams(prefix, -(-clinicians // team_size), password)
        self.supervisor_of = {t.pk: t.supervisor_id for t in teams}
        self._rehash_stale(prefix, password)
        made = {"clients": 0, "sessions": 0, "ratings": 0, "measures": 0, "self_reports": 0, "observations": 0}
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
            f"Generated {made['clients']} clients, {made['sessions']} sessions, {made['ratings']} ratings, "
            f"{made['measures']} measures, {made['self_reports']} self-reports and {made['observations']} observations "
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
        _copy_rows(Rating, ("session_id", "factor_id", "score", "note"), ((*row, "") for row in rows))
        responses = self._measures(rng, clients, sessions, trajectory_of)
        # A generator of its own, so the sessions, ratings and measures stay those of earlier versions.
        voice_rng = random.Random(f"{user.username}:voice")
        voices = self._self_reports(voice_rng, user, sessions, ratings_by_session)
        observed = self._observations(voice_rng, user, sessions, ratings_by_session)
        self._flags(clients, sessions, ratings_by_session, responses, voices)
        return {
            "clients": len(clients),
            "sessions": len(sessions),
            "ratings": len(rows),
            "measures": len(responses),
            "self_reports": len(voices),
            "observations": observed,
        }

    def _self_reports(self, rng, user, sessions, ratings_by_session):
        """Used self-report links with the client's answers on about VOICED of the sessions
        (each answer near the clinician's rating of its factor, or near the session's index
        for a question about no factor, lower by the clinician's own bias and the client's,
        with noise; now and then skipped), an earlier answered link that a later one
        replaced on REPLACED of those, a link that expired unused on EXPIRED of all.
        Returns {session id: the answers that count, {question key: score or None}}, as
        clients.recording.series reads them: the latest answered link's."""
        bias = rng.uniform(-0.1, 1.0)  # how much higher this clinician rates than their clients
        client_bias, links, answers, voices = {}, [], [], {}
        for session, ratings in zip(sessions, ratings_by_session, strict=True):
            start = timezone.make_aware(datetime.combine(session.date, clock(10)))
            if rng.random() < EXPIRED:
                links.append(_link(rng, session, user, start, used=None))
            if rng.random() >= VOICED:
                continue
            lower = bias + client_bias.setdefault(session.client_id, rng.gauss(0, 0.3))
            by_key = {f.key: r for f, r in ratings.items()}
            level = 1 + 4 * session.overall_score / 100 if session.overall_score is not None else 3.5
            for n in range(2 if rng.random() < REPLACED else 1):
                made = start + timedelta(hours=3 * n)  # a second link after the first was answered
                links.append(_link(rng, session, user, made, used=made + timedelta(hours=1 + rng.uniform(0.1, 1.5))))
                scores = {}
                for q in self.questions:
                    ours = by_key.get(q.key) if q.factor_id else None
                    near = (ours if ours is not None else level) - lower + rng.gauss(0, 0.7)
                    scores[q.key] = None if rng.random() < 0.03 else min(5, max(1, round(near)))
                    answers.append((len(links) - 1, q.pk, scores[q.key]))
                voices[session.pk] = scores  # the latest answered link counts
        with _stamped(SelfReportLink):
            SelfReportLink.objects.bulk_create(links, batch_size=2000)
        _copy_rows(SelfReportRating, ("link_id", "question_id", "score"), ((links[i].pk, q, v) for i, q, v in answers))
        return voices

    def _observations(self, rng, user, sessions, ratings_by_session):
        """The team supervisor's observation of about OBSERVED of the sessions, each rating
        near the clinician's (the same "not assessed" mostly); returns how many."""
        supervisor = self.supervisor_of.get(user.team_id)
        if supervisor is None:
            return 0
        lower = rng.gauss(0.2, 0.3)  # the supervisor's view of this clinician, a little below theirs
        observations, ratings = [], []
        for session, scores in zip(sessions, ratings_by_session, strict=True):
            if rng.random() >= OBSERVED:
                continue
            created = timezone.make_aware(datetime.combine(session.date, clock(18)))
            observations.append(Observation(session=session, observer_id=supervisor, note="", created_at=created))
            for f, ours in scores.items():
                near = None if ours is None or rng.random() < 0.03 else ours - lower + rng.gauss(0, 0.6)
                ratings.append((len(observations) - 1, f.pk, None if near is None else min(5, max(1, round(near)))))
        with _stamped(Observation):
            Observation.objects.bulk_create(observations, batch_size=2000)
        _copy_rows(
            ObservationRating,
            ("observation_id", "factor_id", "rating"),
            ((observations[i].pk, f, v) for i, f, v in ratings),
        )
        return len(observations)

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
        _copy_rows(
            ItemAnswer,
            ("response_id", "item_id", "value"),
            (
                (r.pk, item.pk, values.get(item.number))
                for r, values in zip(responses, values_of, strict=True)
                for item in items[r.instrument_id]
            ),
        )
        return responses

    def _flags(self, clients, sessions, ratings_by_session, responses, voices):
        """The flags and summaries a save would leave, and each answered session's co-rating
        (TherapySession.client_pairs / client_difference, as clients.recording keeps it)."""
        co_rated = []
        for s, ratings in zip(sessions, ratings_by_session, strict=True):
            if s.pk in voices:
                mine = {f.key: r for f, r in ratings.items()}
                s.client_pairs, s.client_difference = scoring.co_rating(mine, voices[s.pk])
                co_rated.append(s)
        TherapySession.objects.bulk_update(co_rated, ["client_pairs", "client_difference"], batch_size=1000)
        series = {}
        for s, ratings in zip(sessions, ratings_by_session, strict=True):
            series.setdefault(s.client_id, []).append(
                rules.Point(
                    id=s.pk,
                    date=s.date,
                    overall=s.overall_score,
                    setting=s.setting,
                    ratings={f.key: r for f, r in ratings.items()},
                    client_ratings=voices.get(s.pk, {}),
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
                    at=r.created_at,
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


def _link(rng, session, user, created, used):
    """A self-report link made at `created` (answered at `used`, or expired unused when None);
    its token, never shown, is random."""
    return SelfReportLink(
        session=session,
        token_hash=f"{rng.getrandbits(256):064x}",
        created_by=user,
        created_at=created,
        expires_at=created + timedelta(hours=48),
        used_at=used,
        comment="",
    )


@contextmanager
def _stamped(model):
    """bulk_create keeping the `created_at` given (auto_now_add would stamp every row with now)."""
    field = model._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


def _copy_rows(model, columns, rows):
    """Rows of `columns`: COPY on PostgreSQL, bulk_create elsewhere. None is NULL (an empty
    unquoted field) and a string is quoted, so "" stays an empty string."""
    if connection.vendor == "postgresql":
        buffer = io.StringIO()
        for row in rows:
            buffer.write(",".join(map(_csv_field, row)) + "\n")
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer
            )
    else:
        model.objects.bulk_create((model(**dict(zip(columns, row, strict=True))) for row in rows), batch_size=2000)


def _csv_field(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return str(value)

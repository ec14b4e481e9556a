"""Load the demo data set: clinicians, a supervisor and ~30 clients with sessions.

Idempotent: users and clients are matched by username and label; a client
that already exists keeps its sessions, so running the command twice (even
on different days) adds nothing the second time.
"""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import twostep
from accounts.models import Team
from calibration import demo as calibration_demo
from clients.models import Client, TherapySession
from clients.recording import discharge, refresh_flags, save_session
from factors.models import Factor
from flags import rules
from flags.models import FlagReview
from selfreport.models import Question, SelfReportLink, SelfReportRating
from supervision import demo_measures
from supervision.models import ReviewNote

DEMO_PASSWORD = "alliance-demo"  # noqa: S105  (public demo logins)


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    team: str = ""  # the team the user belongs to (as a clinician)
    clients: int = 0  # how many of CLIENTS they carry
    staff: bool = False


TEAMS = {"Riverside team": "morgan", "Harbour team": "nadia"}  # team -> supervisor
USERS = [
    DemoUser("amara", "Amara", "Okafor", "clinician", "Riverside team", clients=10),
    DemoUser("ben", "Ben", "Tanaka", "clinician", "Riverside team", clients=10),
    DemoUser("carmen", "Carmen", "Ruiz", "clinician", "Riverside team", clients=10),
    DemoUser("morgan", "Morgan", "Lee", "supervisor", clients=2),
    DemoUser("omar", "Omar", "Haddad", "clinician", "Harbour team", clients=4),
    DemoUser("nadia", "Nadia", "Petrova", "supervisor"),
    DemoUser("admin", "Ada", "Admin", "administrator", staff=True),
]

# (label, trajectory, usual setting, fee, attachment, days since last session)
CLIENTS = [
    ("A.K.", "steady", "in_person", "standard", "secure", 3),
    ("B.R.", "improving", "online", "insurance", "anxious", 5),
    ("C.M.", "rupture_repair", "in_person", "standard", "avoidant", 2),
    ("D.L.", "slow_decline", "both", "sliding_scale", "anxious", 6),
    ("E.S.", "contextual_barrier", "online", "pro_bono", "unknown", 4),
    ("F.T.", "recent_rupture", "in_person", "insurance", "disorganised", 1),
    ("G.H.", "steady", "both", "standard", "secure", 30),
    ("H.N.", "factor_drop", "in_person", "sliding_scale", "avoidant", 8),
    ("I.O.", "persistent_weakness", "online", "standard", "anxious", 3),
    ("J.P.", "steady", "in_person", "insurance", "secure", 12),
]

# Each clinician's clients get their own initials (amara's are the CLIENTS labels).
LABELS = {
    "ben": ["K.W.", "L.D.", "M.A.", "N.B.", "O.C.", "P.E.", "Q.F.", "R.G.", "S.J.", "T.V."],
    "carmen": ["U.Y.", "V.Z.", "W.X.", "X.A.", "Y.B.", "Z.C.", "A.D.", "B.E.", "C.F.", "D.G."],
    "morgan": ["E.H.", "F.I."],
    "omar": ["G.J.", "H.K.", "I.L.", "J.M."],
}

NOTES = [
    "Explored the week's conflicts; client brought a clear focus.",
    "Reviewed goals together and agreed to revisit them in four weeks.",
    "Client arrived late and distracted; we slowed the pace.",
    "Worked on naming feelings as they came up in the room.",
    "Talked about what therapy can and cannot offer right now.",
    "Client described a difficult family visit; support felt thin.",
    "Practised a grounding exercise; client wants to try it at home.",
    "",
]
LOW_NOTES = {
    "communication": "Client said I wasn't getting what they meant.",
    "flexibility": "Client says the homework approach isn't working.",
    "openness": "Long silences; hesitant to go into the trauma history.",
    "expectations": "Client doubts this will help.",
    "setting": "Video kept freezing; client was in a shared room.",
    "socioeconomic": "Extra shifts at work; worried about the fee.",
    "support": "Partner dismissive about therapy.",
    "stigma": "Hasn't told family; worried about being seen at the clinic.",
}


def offset(trajectory, key, domain, i, n):
    """How far a factor sits from its usual level at session i of n (in rating points)."""
    t = i / max(n - 1, 1)
    if trajectory == "improving":
        return -1.4 + 1.8 * t
    if trajectory == "slow_decline":
        return 0.4 - 1.8 * t
    if trajectory == "rupture_repair":
        k = int(n * 0.55)
        return {k: -2.0, k + 1: -1.0, k + 2: -0.3}.get(i, 0.0) if domain != "contextual" else 0.0
    if trajectory == "recent_rupture":
        return -1.7 if i == n - 1 and domain != "contextual" else 0.0
    if trajectory == "contextual_barrier":
        return -2.4 if key in ("socioeconomic", "setting") else 0.0
    if trajectory == "persistent_weakness":
        return -2.5 if key == "openness" else 0.0
    return 0.0  # steady


def session_dates(rng, n, days_since_last):
    today = timezone.localdate()
    dates = [today - timedelta(days=days_since_last)]
    for _ in range(n - 1):
        dates.append(dates[-1] - timedelta(days=rng.choice([7, 7, 7, 7, 14, 6, 8])))
    return list(reversed(dates))


class Command(BaseCommand):
    help = "Load the demo data set (idempotent). Prints the demo logins."

    @transaction.atomic
    def handle(self, *args, **options):
        users = {u.username: self._user(u) for u in USERS}
        for name, supervisor in TEAMS.items():
            Team.objects.get_or_create(name=name, defaults={"supervisor": users[supervisor]})
        for spec in USERS:
            team = Team.objects.filter(name=spec.team).first() if spec.team else None
            if users[spec.username].team != team:
                users[spec.username].team = team
                users[spec.username].save(update_fields=["team"])
        factors = list(Factor.objects.in_form_order())
        communication = next(f for f in factors if f.key == "communication")
        created_clients = created_sessions = 0
        instruments = demo_measures.instruments()
        for c_index, spec in enumerate(USERS):
            clinician = spec.username
            for index, (_, trajectory, usual, fee, attachment, gap) in enumerate(CLIENTS[: spec.clients]):
                label = LABELS.get(clinician, [c[0] for c in CLIENTS])[index]
                rng = random.Random(f"{clinician}-{label}")
                n = rng.randint(6, 15)
                dates = session_dates(rng, n, gap + c_index)
                client, created = Client.objects.get_or_create(
                    clinician=users[clinician],
                    label=label,
                    defaults={
                        "intake_date": dates[0] - timedelta(days=rng.randint(0, 10)),
                        "usual_setting": usual,
                        "fee_arrangement": fee,
                        "attachment_style": attachment,
                        "support_notes": "Close sister nearby; partner unsure about therapy." if index % 3 == 0 else "",
                        "culture_notes": "Practising Muslim; faith is a source of strength." if index == 4 else "",
                    },
                )
                if not created:
                    continue
                # Added to the app on the intake day, as if the clinic had used it all along.
                client.created_at = timezone.make_aware(datetime.combine(client.intake_date, time(9)))
                client.save(update_fields=["created_at"])
                created_clients += 1
                base = {f.key: rng.uniform(3.2, 4.4) for f in factors}
                for i, date in enumerate(dates):
                    setting = {"in_person": "in_person", "online": "online"}.get(usual) or rng.choice(
                        ["in_person", "online"]
                    )
                    ratings = {}
                    for f in factors:
                        level = base[f.key] + offset(trajectory, f.key, f.domain, i, n) + rng.gauss(0, 0.3)
                        score = min(5, max(1, round(level)))
                        unsure = 0.3 if i < 2 and f.domain == "client" else 0.06
                        if rng.random() < unsure and f.key != "openness":
                            score = None
                        note = LOW_NOTES.get(f.key, "") if score is not None and score <= 2 else ""
                        ratings[f] = (score, note)
                    if trajectory == "factor_drop" and i >= n - 2:  # one relationship factor falls 4 -> 2
                        ratings[communication] = (4, "") if i == n - 2 else (2, LOW_NOTES["communication"])
                    session = TherapySession(client=client, date=date, setting=setting, note=rng.choice(NOTES))
                    measures = demo_measures.for_session(rng, trajectory, clinician, label, i, n, instruments)
                    save_session(session, ratings, measures=measures, by=users[clinician])
                    created_sessions += 1
                if index == 9 and clinician == "carmen":
                    discharge(client)  # after the work, as in a clinic
        for client in Client.objects.filter(clinician__username__in=[u.username for u in USERS]):
            refresh_flags(client)  # no new rows when nothing changed; rebuilds flags after an upgrade
        self._review_note(users)
        self._self_reports(users)
        self._safety_follow_up(users)
        # Calibration: Ben rates close to his clients and to Morgan, Carmen rates high.
        calibration_demo.seed({users["ben"]: "close", users["carmen"]: "high"}, users["morgan"])
        self.stdout.write(
            f"Demo data: {created_clients} clients and {created_sessions} sessions created "
            f"({Client.objects.count()} clients, {TherapySession.objects.count()} sessions in total)."
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        supervises = {supervisor: team for team, supervisor in TEAMS.items()}
        for u in USERS:
            where = f", {u.team}" if u.team else ""
            where += f", supervises the {supervises[u.username]}" if u.username in supervises else ""
            self.stdout.write(f"  {u.username:<8} {u.role}{where}")
        self._second_factors(users)

    def _second_factors(self, users):
        """Enrol the demo users who must use a second factor (supervisors and the administrator;
        clinicians too with MFA_FOR_CLINICIANS), once, and print their authenticator keys."""
        keys = []
        for spec in USERS:
            user = users[spec.username]
            if not twostep.required_for(user):
                continue
            factor = twostep.factor_of(user)
            if factor is None:
                twostep.enrol(user, twostep.new_secret(), step=0)
                factor = twostep.factor_of(user)
            keys.append((user.username, factor.secret))
        if keys:
            self.stdout.write(
                "These logins also ask for a code: add the key to an authenticator app (time-based, six digits),\n"
                "or print the current code with  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('KEY').now())\""
            )
            for username, secret in keys:
                self.stdout.write(f"  {username:<8} {secret}")

    def _user(self, spec):
        user, created = get_user_model().objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "role": spec.role,
                "is_staff": spec.staff,
                "is_superuser": spec.staff,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user

    def _review_note(self, users):
        """A supervisor's note and a one-click review on a flagged client, so the
        clinician's side shows both."""
        client = Client.objects.filter(clinician=users["amara"], label="F.T.").first()
        if client is None:
            return
        ReviewNote.objects.get_or_create(
            client=client,
            author=users["morgan"],
            defaults={
                "text": "Let's talk about F.T. on Thursday: the drop came right after the fee change. "
                "Consider naming the rupture openly next session.",
            },
        )
        rupture = client.flags.filter(kind=rules.RUPTURE, status=rules.OPEN).first()
        if rupture and not FlagReview.objects.filter(client=client, key=rupture.key).exists():
            FlagReview.objects.create(
                client=client,
                key=rupture.key,
                kind=rupture.kind,
                since=rupture.since,
                action=FlagReview.Action.REVIEWED,
                by=users["morgan"],
                note="Seen; we will go over it in supervision on Thursday.",
                as_of_session_id=client.latest_session_id,
            )
            refresh_flags(client)

    def _safety_follow_up(self, users):
        """The demo's safety alert, followed up by the clinician with a note."""
        for clinician, label in demo_measures.SAFETY:
            client = Client.objects.filter(clinician=users[clinician], label=label).first()
            alert = client and client.flags.filter(kind=rules.SAFETY, status=rules.OPEN).first()
            if not alert:
                continue
            FlagReview.objects.create(
                client=client,
                key=alert.key,
                kind=alert.kind,
                since=alert.since,
                action=FlagReview.Action.FOLLOWED_UP,
                by=users[clinician],
                note=demo_measures.SAFETY_NOTE,
                as_of_session_id=alert.opened_session_id,
            )
            refresh_flags(client)

    def _self_reports(self, users):
        """Three answered self-report links: one client agrees, one rates communication
        lower and says why (open), one rated openness lower and Amara has discussed it with them."""
        questions = list(Question.objects.active())
        answers = [("B.R.", None, False), ("A.K.", "communication", False), ("J.P.", "openness", True)]
        for label, low, discussed in answers:
            client = Client.objects.filter(clinician=users["amara"], label=label).first()
            session = client and client.sessions.order_by("-date", "-pk").first()
            if session is None or SelfReportLink.objects.filter(session__client=client).exists():
                continue
            link, _ = SelfReportLink.create_for(session, users["amara"])
            link.used_at = timezone.now()
            if low and not discussed:
                link.comment = "I felt you moved on before I had finished about my sister. Could we slow down a bit?"
            link.save(update_fields=["used_at", "comment"])
            ours = dict(session.ratings.values_list("factor__key", "score"))
            theirs = {q.key: ours.get(q.key) or 4 for q in questions}
            if low:
                theirs[low] = 1 if not discussed else max(1, (ours.get(low) or 4) - 2)
            SelfReportRating.objects.bulk_create(
                SelfReportRating(link=link, question=q, score=theirs[q.key]) for q in questions
            )
            demo_measures.on_link(link, label)
            flags = refresh_flags(client)
            gap = next((f for f in flags if f.kind == rules.DISCREPANCY and f.is_open), None)
            if discussed and gap:
                FlagReview.objects.create(
                    client=client,
                    key=gap.key,
                    kind=gap.kind,
                    since=gap.since,
                    action=FlagReview.Action.DISCUSSED,
                    by=users["amara"],
                    note="Went over it together: the client wants more time before we go into family history.",
                    as_of_session_id=client.latest_session_id,
                )
                refresh_flags(client)

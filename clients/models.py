"""The clinical record: clients, their therapy sessions and factor ratings.

Access scoping lives here and only here: `Client.objects.for_user(user)` is
the set of clients a user may see, and sessions and ratings derive their
scope from it. Every view goes through these methods.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, Subquery, Value, When, Window
from django.db.models.functions import Coalesce, Greatest, RowNumber
from django.utils import timezone

from factors import scoring
from factors.models import Factor, Prompt
from supervision.models import ReviewNote

SPARKLINE_SESSIONS = 8
VOID_REASON_LENGTH = 500
SUMMARY_FIELDS = [
    "session_count",
    "last_session_on",
    "latest_session_id",
    "latest_index",
    "top_urgency",
    "open_flag_count",
]


class ClientQuerySet(models.QuerySet):
    # The access rules, in one place. Views fetch through these and answer 404
    # for anything outside them.

    def for_user(self, user):
        """The clients `user` may see: their own, and (for a supervisor) those of
        the clinicians in the teams they supervise, read-only."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        visible = Q(clinician=user)
        if user.role == user.Role.SUPERVISOR:
            visible |= Q(clinician__team__supervisor=user)
        return self.filter(visible)

    def editable_by(self, user):
        """The clients `user` may change: only their own."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        return self.filter(clinician=user)

    def supervised_by(self, user):
        """The clients of the clinicians in `user`'s teams (their review notes, their dashboard)."""
        if not (user.is_authenticated and user.is_active and user.role == user.Role.SUPERVISOR):
            return self.none()
        return self.filter(clinician__team__supervisor=user)

    def active(self):
        return self.filter(status=Client.Status.ACTIVE)

    def discharged(self):
        return self.filter(status=Client.Status.DISCHARGED)

    def with_summary(self, today=None):
        """Annotate `attention`: the urgency of the client's most urgent open flag,
        "stalled" included (0 for none). The rest of the summary (session count,
        last session, latest index) is stored on the row by refresh_flags."""
        return self.annotate(
            attention=Greatest(
                F("top_urgency"),
                Case(When(self._stalled(today), then=Value(scoring.URGENCY[scoring.STALLED])), default=Value(0)),
            )
        )

    @staticmethod
    def _stalled(today):
        """The stalled rule as a condition on with_summary's annotations."""
        cutoff = (today or timezone.localdate()) - timedelta(days=flag_thresholds().stalled_days - 1)
        return Q(status=Client.Status.ACTIVE) & (
            Q(last_session_on__lt=cutoff) | Q(last_session_on__isnull=True, intake_date__lt=cutoff)
        )

    def flag_queue(self, kind="", domain="", since_from=None, since_to=None, today=None):
        """Clients with an open flag matching the filters, stalled included, with
        their summaries. A client matches when one of its open flags matches all
        the filters (kind, a factor in `domain`, raised between the dates)."""
        flags = Flag.objects.open().filter(client=OuterRef("pk"))
        if kind and kind != scoring.STALLED:
            flags = flags.filter(kind=kind)
        if domain:
            flags = flags.filter(domains__contains=domain)
        if since_from:
            flags = flags.filter(since__gte=since_from)
        if since_to:
            flags = flags.filter(since__lte=since_to)
        stalled = self._stalled(today)
        if since_from:
            stalled &= Q(idle_since__gte=since_from)
        if since_to:
            stalled &= Q(idle_since__lte=since_to)
        if kind == scoring.STALLED:
            match = stalled if not domain else Q(pk__in=[])
        elif kind or domain:
            match = Exists(flags)
        else:
            match = Exists(flags) | stalled
        return (
            self.with_summary(today)
            .annotate(idle_since=Coalesce("last_session_on", "intake_date"))
            .filter(match)
            .prefetch_related(Prefetch("flags", queryset=Flag.objects.open(), to_attr="open_flags"))
        )

    def for_dashboard(self, supervisor, today=None):
        """The team overview's query: the active clients of `supervisor`'s clinicians
        with their summaries, sessions in the last 30 days, the index they had 30
        days ago (the number of open flags is stored on the row)."""
        today = today or timezone.localdate()
        month_ago = today - timedelta(days=30)
        then = TherapySession.objects.counted().filter(client=OuterRef("pk"), date__lte=month_ago)
        then = then.order_by("-date", "-pk")
        recent = (
            TherapySession.objects.counted()
            .filter(client=OuterRef("pk"), date__gt=month_ago)
            .values("client")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            self.supervised_by(supervisor)
            .active()
            .with_summary(today)
            .annotate(
                sessions_30d=Coalesce(Subquery(recent), Value(0)),
                index_30d_ago=Subquery(then.values("overall_score")[:1]),
            )
        )

    def with_recent_sessions(self, count=SPARKLINE_SESSIONS):
        """Prefetch each client's last `count` sessions as `recent_sessions` (oldest first)."""
        ranked = (
            TherapySession.objects.counted()
            .annotate(
                recency=Window(RowNumber(), partition_by=[F("client_id")], order_by=[F("date").desc(), F("pk").desc()])
            )
            .filter(recency__lte=count)
            .order_by("date", "pk")
        )
        return self.prefetch_related(Prefetch("sessions", queryset=ranked, to_attr="recent_sessions"))

    def for_caseload(self, user, clinician=None):
        """The caseload page's query: `clinician`'s clients (default: the user's own)
        as `user` may see them, with summaries, recent sessions (sparkline) and
        open flags (badges) and their count of unread review notes."""
        unread_notes = (
            ReviewNote.objects.unread()
            .filter(client=OuterRef("pk"))
            .values("client")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            self.for_user(user)
            .filter(clinician=clinician or user)
            .with_summary()
            .with_recent_sessions()
            .prefetch_related(Prefetch("flags", queryset=Flag.objects.open(), to_attr="open_flags"))
            .annotate(new_notes=Coalesce(Subquery(unread_notes), Value(0)))
        )


class Client(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISCHARGED = "discharged", "Discharged"

    class AttachmentStyle(models.TextChoices):
        UNKNOWN = "unknown", "Not yet known"
        SECURE = "secure", "Secure"
        ANXIOUS = "anxious", "Anxious"
        AVOIDANT = "avoidant", "Avoidant"
        DISORGANISED = "disorganised", "Disorganised"

    class UsualSetting(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        ONLINE = "online", "Online"
        BOTH = "both", "Both"

    class FeeArrangement(models.TextChoices):
        STANDARD = "standard", "Standard fee"
        SLIDING_SCALE = "sliding_scale", "Sliding scale"
        PRO_BONO = "pro_bono", "Pro bono"
        INSURANCE = "insurance", "Insurance"

    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="clients")
    label = models.CharField(
        max_length=40,
        help_text="A pseudonymous label or initials, e.g. “J.M.” or “Client 14”. No full names.",
    )
    intake_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    attachment_style = models.CharField(max_length=12, choices=AttachmentStyle.choices, default=AttachmentStyle.UNKNOWN)
    usual_setting = models.CharField(max_length=12, choices=UsualSetting.choices, default=UsualSetting.IN_PERSON)
    fee_arrangement = models.CharField(max_length=16, choices=FeeArrangement.choices, default=FeeArrangement.STANDARD)
    culture_notes = models.TextField(
        "faith and culture",
        max_length=1000,
        blank=True,
        help_text="Optional: faith, cultural or identity considerations that shape the work.",
    )
    support_notes = models.TextField(
        "support system",
        max_length=1000,
        blank=True,
        help_text="Optional: family, friends, partner or community around the client.",
    )
    # Optimistic locking: an edit names the version it started from (clients.recording.save_client).
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The summary lists and dashboards show, stored by refresh_flags whenever a
    # session is saved (so list pages never aggregate sessions or flags).
    session_count = models.PositiveIntegerField(default=0, editable=False)
    last_session_on = models.DateField(null=True, blank=True, editable=False)
    latest_session = models.ForeignKey(
        "TherapySession", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    latest_index = models.FloatField(null=True, blank=True, editable=False)
    top_urgency = models.PositiveSmallIntegerField(default=0, editable=False, help_text="0: no open flag")
    open_flag_count = models.PositiveSmallIntegerField(default=0, editable=False)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["clinician", "label"], name="client_label_unique_per_clinician"),
            models.CheckConstraint(condition=Q(status__in=["active", "discharged"]), name="client_status_valid"),
        ]

    def __str__(self):
        return self.label

    def points(self) -> list[scoring.Point]:
        """This client's counted (not voided) sessions as the scoring module's series (three queries)."""
        ratings: dict[int, dict[str, int | None]] = {}
        counted = Rating.objects.filter(session__client=self, session__voided_at__isnull=True)
        for session_id, key, score in counted.values_list("session_id", "factor__key", "score"):
            ratings.setdefault(session_id, {})[key] = score
        from selfreport.models import SelfReportRating  # the client's own ratings (its app depends on this one)

        theirs: dict[int, dict[str, int | None]] = {}
        for session_id, key, score in (
            SelfReportRating.objects.filter(
                link__session__client=self, link__session__voided_at__isnull=True, link__used_at__isnull=False
            )
            .order_by("link__used_at")
            .values_list("link__session_id", "factor__key", "score")
        ):
            theirs.setdefault(session_id, {})[key] = score  # the latest answered link wins
        sessions = self.sessions.counted()
        rows = sessions.order_by("date", "pk").values_list(
            "pk", "date", "overall_score", "setting", "therapist_score", "client_score", "contextual_score"
        )
        return [
            scoring.Point(
                id=pk,
                date=date,
                overall=overall,
                setting=setting,
                ratings=ratings.get(pk, {}),
                domains=dict(zip(scoring.DOMAINS, domain_scores, strict=True)),
                client_ratings=theirs.get(pk, {}),
            )
            for pk, date, overall, setting, *domain_scores in rows
        ]

    def refresh_flags(self):
        """Recompute this client's stored flags from their whole series.

        Called whenever a session is saved, inside its transaction, so a
        back-dated or edited session re-labels everything after it.
        """
        factors = Factor.objects.values_list("key", "name", "domain")
        names = {key: name for key, name, _ in factors}
        domain_of = {key: domain for key, _, domain in factors}
        points = self.points()
        found = scoring.evaluate(points, flag_thresholds(), names)
        self.flags.all().delete()
        Flag.objects.bulk_create(Flag.from_scoring(self, f, domain_of) for f in found)
        self.set_summary(points, found)
        Client.objects.filter(pk=self.pk).update(**{name: getattr(self, name) for name in SUMMARY_FIELDS})

    def set_summary(self, points, flags):
        """The stored summary from a chronological series and its flags."""
        latest = points[-1] if points else None
        open_flags = [f for f in flags if f.status == scoring.OPEN]
        self.session_count = len(points)
        self.last_session_on = latest.date if latest else None
        self.latest_session_id = latest.id if latest else None
        self.latest_index = latest.overall if latest else None
        self.top_urgency = max((f.urgency for f in open_flags), default=0)
        self.open_flag_count = len(open_flags)

    def stalled_flag(self, today=None):
        """The time-derived "stalled" flag (never stored; from the stored last session date), or None."""
        if self.status != self.Status.ACTIVE:
            return None
        return scoring.stalled_flag(
            self.last_session_on, self.intake_date, today or timezone.localdate(), flag_thresholds()
        )


def flag_thresholds() -> scoring.Thresholds:
    return scoring.Thresholds(**settings.ALLIANCE_FLAGS)


class TherapySessionQuerySet(models.QuerySet):
    def for_user(self, user):
        """Sessions of the clients `user` may see."""
        return self.filter(client__in=Client.objects.for_user(user))

    def editable_by(self, user):
        return self.filter(client__in=Client.objects.editable_by(user))

    def counted(self):
        """The sessions that count: not voided. Every series, score, chart, flag and
        summary is built from these; lists of the record show the voided ones too."""
        return self.filter(voided_at__isnull=True)

    def voided(self):
        return self.filter(voided_at__isnull=False)


class TherapySession(models.Model):
    """One therapy session with its stored scores (named to avoid Django's Session)."""

    class Setting(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        ONLINE = "online", "Online"
        PHONE = "phone", "Phone"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField()
    setting = models.CharField(max_length=12, choices=Setting.choices, default=Setting.IN_PERSON)
    note = models.TextField("session note", max_length=2000, blank=True)
    # Stored on save from the ratings (factors.scoring); lists never recompute them.
    therapist_score = models.FloatField(null=True, editable=False)
    client_score = models.FloatField(null=True, editable=False)
    contextual_score = models.FloatField(null=True, editable=False)
    overall_score = models.FloatField(null=True, editable=False)
    # Optimistic locking: an edit names the version it started from (clients.recording).
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A session logged in error is voided, never deleted (clients.recording.void_session):
    # it stays in the record, the audit and the backup, and counts nowhere.
    voided_at = models.DateTimeField(null=True, blank=True, editable=False)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    void_reason = models.TextField(max_length=VOID_REASON_LENGTH, blank=True, editable=False)

    objects = TherapySessionQuerySet.as_manager()

    class Meta:
        ordering = ["date", "pk"]
        constraints = [
            # Voided sessions step aside: the right session can be logged in the mistaken one's place.
            models.UniqueConstraint(
                fields=["client", "date", "setting"],
                condition=Q(voided_at__isnull=True),
                name="session_unique_client_date_setting",
            ),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True, voided_by__isnull=True, void_reason="")
                | (Q(voided_at__isnull=False, voided_by__isnull=False) & ~Q(void_reason="")),
                name="session_void_has_when_who_and_why",
            ),
            models.CheckConstraint(
                condition=Q(setting__in=["in_person", "online", "phone"]), name="session_setting_valid"
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0, f"{name}__lte": 100}),
                    name=f"session_{name}_0_100",
                )
                for name in ("therapist_score", "client_score", "contextual_score", "overall_score")
            ],
        ]
        indexes = [models.Index(fields=["client", "-date"], name="session_client_recent")]

    def __str__(self):
        return f"{self.client} · {self.date:%Y-%m-%d} · {self.get_setting_display()}"

    @property
    def is_voided(self):
        return self.voided_at is not None

    def save_with_ratings(self, ratings, expected_version=None):
        """Save this session with its ratings, scores and flags: see clients.recording."""
        from clients.recording import save_session

        save_session(self, ratings, expected_version)

    def set_scores(self, scores: scoring.SessionScores):
        self.therapist_score = scores.therapist
        self.client_score = scores.client
        self.contextual_score = scores.contextual
        self.overall_score = scores.overall


class RatingQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(session__in=TherapySession.objects.for_user(user))


class Rating(models.Model):
    """A factor's rating in one session: 1-5, or null for "not assessed"."""

    session = models.ForeignKey(TherapySession, on_delete=models.CASCADE, related_name="ratings")
    factor = models.ForeignKey(Factor, on_delete=models.PROTECT, related_name="ratings")
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    objects = RatingQuerySet.as_manager()

    class Meta:
        ordering = ["factor__order"]
        constraints = [
            models.UniqueConstraint(fields=["session", "factor"], name="rating_unique_session_factor"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5), name="rating_score_1_5"
            ),
        ]

    def __str__(self):
        return f"{self.factor}: {self.score if self.score is not None else 'not assessed'}"


class FlagQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=Flag.Status.OPEN)


class Flag(models.Model):
    """A flag derived from a client's sessions by factors.scoring, stored so lists
    and dashboards can query them. Rebuilt by Client.refresh_flags on every save;
    "stalled" depends on today's date and is never stored."""

    class Kind(models.TextChoices):
        RUPTURE = scoring.RUPTURE, "Rupture"
        DISCREPANCY = scoring.DISCREPANCY, "Client rated lower"
        PERSISTENT = scoring.PERSISTENT, "Persistent weakness"
        LOW_FACTOR = scoring.LOW_FACTOR, "Low factor"

    class Status(models.TextChoices):
        OPEN = scoring.OPEN, "Open"
        REPAIRED = scoring.REPAIRED, "Repaired"
        RECOVERED = scoring.RECOVERED, "Recovered"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="flags")
    key = models.CharField(max_length=80, help_text="Stable across recomputation: kind, main factor, since.")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    since = models.DateField()
    session_ids = models.JSONField(default=list, help_text="The sessions that raised it, oldest first.")
    factor_keys = models.JSONField(default=list)
    # The domains of factor_keys, space-separated ("client therapist"), for filtering on any database.
    domains = models.CharField(max_length=40, blank=True)
    detail = models.CharField(max_length=300)
    urgency = models.PositiveSmallIntegerField()
    baseline = models.FloatField(null=True)
    resolved_session = models.ForeignKey(
        TherapySession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_on = models.DateField(null=True, blank=True)

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-urgency", "-since", "pk"]
        indexes = [models.Index(fields=["client", "status"], name="flag_client_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["rupture", "discrepancy", "persistent", "low_factor"]), name="flag_kind_valid"
            ),
            models.CheckConstraint(condition=Q(status__in=["open", "repaired", "recovered"]), name="flag_status_valid"),
        ]

    def __str__(self):
        return f"{self.client}: {self.get_kind_display()} ({self.get_status_display()})"

    @classmethod
    def from_scoring(cls, client, flag: scoring.Flag, domain_of: dict[str, str]):
        return cls(
            client=client,
            key=flag.key,
            domains=" ".join(sorted({domain_of[k] for k in flag.factors if k in domain_of})),
            kind=flag.kind,
            status=flag.status,
            since=flag.since,
            session_ids=list(flag.session_ids),
            factor_keys=list(flag.factors),
            detail=flag.detail[:300],
            urgency=flag.urgency,
            baseline=flag.baseline,
            resolved_session_id=flag.resolved_session_id,
            resolved_on=flag.resolved_on,
        )

    @property
    def factors(self):
        return tuple(self.factor_keys)

    @property
    def latest_session_id(self):
        return self.session_ids[-1] if self.session_ids else None


class PromptTrial(models.Model):
    """A prompt the clinician chose to try after a session; its factor's later
    ratings tell whether it helped (factors.scoring.trial_outcome)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="prompt_trials")
    prompt = models.ForeignKey(Prompt, on_delete=models.PROTECT, related_name="trials")
    after_session = models.ForeignKey(TherapySession, on_delete=models.CASCADE, related_name="prompt_trials")
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-after_session__date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["client", "prompt", "after_session"], name="trial_unique_per_session"),
        ]

    def __str__(self):
        return f"{self.client}: {self.prompt}"

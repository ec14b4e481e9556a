"""The clinical record: clients, their therapy sessions and factor ratings.

Access scoping lives here and only here: `Client.objects.for_user(user)` is
the set of clients a user may see, and sessions and ratings derive their
scope from it. Every view goes through these methods.
"""

from datetime import date, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import Case, Count, ExpressionWrapper, F, OuterRef, Prefetch, Q, Subquery, Value, When, Window
from django.db.models.functions import Coalesce, Greatest, Lower, Replace, RowNumber
from django.utils import timezone

from factors import scoring
from factors.kinds import URGENCY, FlagKind
from factors.models import Factor, Prompt
from flags import rules
from flags.models import Flag, thresholds

SPARKLINE_SESSIONS = 8
# What the caseload search ignores in labels and in what is typed ("FT" finds "F.T." and "f-t").
SEARCH_IGNORED = " .,-_'\u2019\"/()#&:;!?*+"  # \u2019: the typographic apostrophe
VOID_REASON_LENGTH = 500
SUMMARY_FIELDS = [
    "session_count",
    "last_session_on",
    "latest_session_id",
    "latest_index",
    "top_urgency",
    "open_flag_count",
    "idle_since",
    "stalled_on",
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

    def search(self, text):
        """Clients whose label contains `text`, ignoring case and punctuation (SEARCH_IGNORED),
        in SQL on every backend."""
        wanted = "".join(ch for ch in text.lower() if ch not in SEARCH_IGNORED)
        if not wanted:
            return self
        bare = Lower("label")
        for ch in SEARCH_IGNORED:
            bare = Replace(bare, Value(ch), Value(""))
        return self.alias(bare_label=bare).filter(bare_label__contains=wanted)

    def with_summary(self, today=None):
        """Annotate `attention`: the urgency of the client's most urgent open flag,
        "stalled" included (0 for none). The rest of the summary (session count,
        last session, latest index) is stored on the row by refresh_flags."""
        return self.annotate(
            attention=Greatest(
                F("top_urgency"),
                Case(When(self.stalled(today), then=Value(URGENCY[FlagKind.STALLED])), default=Value(0)),
            )
        )

    @staticmethod
    def stalled(today=None):
        """The stalled rule as a condition on the stored `stalled_on` date."""
        return Q(status=Client.Status.ACTIVE, stalled_on__lte=today or timezone.localdate())

    def for_dashboard(self, supervisor, today=None):
        """The team overview's query: the active clients of `supervisor`'s clinicians
        with their summaries, sessions in the last 30 days, the index they had 30
        days ago and whether they are stalled today (the number of open flags is
        stored on the row), as named rows, not models: a team has hundreds."""
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
            .annotate(
                sessions_30d=Coalesce(Subquery(recent), Value(0)),
                index_30d_ago=Subquery(then.values("overall_score")[:1]),
                stalled=ExpressionWrapper(self.stalled(today), output_field=models.BooleanField()),
            )
            .values_list(
                "pk",
                "clinician_id",
                "latest_session_id",
                "latest_index",
                "open_flag_count",
                "sessions_30d",
                "index_30d_ago",
                "stalled",
                named=True,
            )
        )

    def for_caseload(self, user, clinician=None):
        """The caseload page's query: `clinician`'s clients (default: the user's own)
        as `user` may see them, with summaries and their count of unread review notes;
        a page of them gets its badges from clients.insights.attach_badges and its
        sparklines from TherapySession.objects.attach_recent."""
        return (
            self.for_user(user)
            .filter(clinician=clinician or user)
            .with_summary()
            .annotate(new_notes=Count("review_notes", filter=Q(review_notes__read_at__isnull=True)))
        )

    def with_open_flags(self):
        """Prefetch each client's queue flags as `open_flags` (clients.insights.attach_flags)."""
        return self.prefetch_related(Prefetch("flags", queryset=Flag.objects.in_queue(), to_attr="open_flags"))


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

    class SessionInterval(models.IntegerChoices):
        WEEKLY = 7, "Weekly"
        FORTNIGHTLY = 14, "Fortnightly"
        MONTHLY = 28, "Monthly"

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
    session_interval_days = models.PositiveSmallIntegerField(
        "usual interval between sessions",
        choices=SessionInterval.choices,
        default=SessionInterval.WEEKLY,
        help_text="The client counts as stalled after twice this with no session (and never before three weeks).",
    )
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
    # "Stalled" counts from the latest of the last session, the intake date and the
    # day the client was added; stored so queues can filter on it (see save()).
    idle_since = models.DateField(null=True, blank=True, editable=False)
    stalled_on = models.DateField(null=True, blank=True, editable=False)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["clinician", "label"], name="client_label_unique_per_clinician"),
            models.CheckConstraint(condition=Q(status__in=["active", "discharged"]), name="client_status_valid"),
            models.CheckConstraint(condition=Q(session_interval_days__in=[7, 14, 28]), name="client_interval_valid"),
        ]

    def __str__(self):
        return self.label

    def save(self, *args, **kwargs):
        self.set_idle_since()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "idle_since", "stalled_on"}
        super().save(*args, **kwargs)

    def set_idle_since(self):
        """Stalled counts from the latest of the last session, the intake date and
        the day the client was added to the app."""
        added = timezone.localdate(self.created_at) if self.created_at else timezone.localdate()
        as_date = self._meta.get_field("intake_date").to_python  # a value may still be a string here
        days = (as_date(self.last_session_on), as_date(self.intake_date), added)
        self.idle_since = max(d for d in days if d is not None)
        self.stalled_on = rules.stalled_on(self.idle_since, self.session_interval_days, thresholds())

    def stalled_flag(self, today=None):
        """The time-derived "stalled" flag (never stored), or None."""
        if self.status != self.Status.ACTIVE or self.idle_since is None:
            return None
        return rules.stalled_flag(
            self.idle_since, self.session_interval_days, today or timezone.localdate(), thresholds()
        )


class SparkPoint(NamedTuple):
    """A session as a sparkline draws it."""

    pk: int
    date: date
    overall_score: float | None


class TherapySessionQuerySet(models.QuerySet):
    def for_user(self, user):
        """Sessions of the clients `user` may see."""
        return self.filter(client__in=Client.objects.for_user(user))

    def editable_by(self, user):
        """Sessions of the clients `user` may change (Client.objects.editable_by), as a
        join on the client's clinician: PostgreSQL plans the join by that index, where
        `client__in` a subquery made it scan every client to sort a page of sessions."""
        if not (user.is_authenticated and user.is_active):  # the rule of Client.objects.editable_by
            return self.none()
        return self.filter(client__clinician=user)

    def counted(self):
        """The sessions that count: not voided. Every series, score, chart, flag and
        summary is built from these; lists of the record show the voided ones too."""
        return self.filter(voided_at__isnull=True)

    def voided(self):
        return self.filter(voided_at__isnull=False)

    def attach_recent(self, clients, count=SPARKLINE_SESSIONS):
        """Give each of `clients` `recent_sessions`: its last `count` counted sessions,
        oldest first, as SparkPoints (one query; plain tuples rather than models: a
        caseload page draws a few hundred)."""
        clients = list(clients)
        by_client = {c.pk: [] for c in clients}
        if by_client:
            recency = Window(RowNumber(), partition_by=[F("client_id")], order_by=[F("date").desc(), F("pk").desc()])
            rows = (
                self.counted()
                .filter(client_id__in=by_client)
                .annotate(recency=recency)
                .filter(recency__lte=count)
                .order_by("date", "pk")
                .values_list("client_id", "pk", "date", "overall_score")
            )
            for client_id, *point in rows:
                by_client[client_id].append(SparkPoint(*point))
        for client in clients:
            client.recent_sessions = by_client[client.pk]
        return clients


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
    # Derived, like the scores (clients.recording.refresh_flags keeps it): the clinician's
    # ratings beside the client's answers in the self-report that counts for the session,
    # as calibration compares them (factors.scoring.co_rating): how many factors both
    # rated and the sum of clinician minus client over them. The team dashboard's
    # calibration column reads these rather than every answer (calibration/pairs.py).
    client_pairs = models.PositiveSmallIntegerField(default=0, editable=False)
    client_difference = models.SmallIntegerField(default=0, editable=False)
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
        indexes = [
            models.Index(fields=["client", "-date"], name="session_client_recent"),
            # The team dashboard reads the counted sessions of a team's clients (the weekly
            # trend, the observer comparison) and their co-ratings (the calibration column):
            # covering, partial indexes answer those from the index alone. Without them
            # PostgreSQL scanned every session of the organisation (docs/performance.md).
            # The INCLUDE columns are PostgreSQL's; elsewhere they are plain partial indexes.
            models.Index(
                fields=["client", "date"],
                include=["overall_score", "id"],
                condition=Q(voided_at__isnull=True),
                name="session_counted_by_client",
            ),
            models.Index(
                fields=["client"],
                include=["client_pairs", "client_difference"],
                condition=Q(client_pairs__gt=0, voided_at__isnull=True),
                name="session_co_rated",
            ),
        ]

    def __str__(self):
        return f"{self.client} · {self.date:%Y-%m-%d} · {self.get_setting_display()}"

    @property
    def is_voided(self):
        return self.voided_at is not None

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


class FlagWalk(models.Model):
    """The flag rules' walk of a client's series after their latest session
    (flags.rules.Walk as flags.state keeps it), written with the flags: a session
    added after it is walked from here, so a save does not re-read the history
    (clients.recording.refresh_flags). Derived and replaceable: without it, or
    made with other rules, thresholds or factors, the whole series is walked."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, primary_key=True, related_name="flag_walk")
    fingerprint = models.CharField(max_length=32)
    data = models.JSONField()

    def __str__(self):
        return f"{self.client}: flag walk"

"""Stored flags and the marks people put on them.

`Flag` rows are derived: `clients.recording.refresh_flags` recomputes a
client's flags with flags.rules and writes them here (one row per identity,
unique per client), so lists and dashboards can query them. `FlagReview`
rows are what people recorded (reviewed by a supervisor, discussed with the
client, a known circumstance); they attach to a flag's identity, never to a
row, so they survive the flags being recomputed.

The clinical record is referred to by name ("clients.Client"): Python
imports run one way, factors <- flags <- clients (docs/architecture.md).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from factors.kinds import RELATIONSHIP_DOMAINS, FlagKind
from flags import rules

STORED_KINDS = [k for k in FlagKind.values if k != rules.STALLED]


def thresholds() -> rules.Thresholds:
    """The rules' thresholds, from settings.ALLIANCE_FLAGS (some overridable by FLAG_* variables);
    made again only when the setting changes (lists read it once per row)."""
    config = settings.ALLIANCE_FLAGS
    made = _thresholds.get("made")
    if made is None or _thresholds["config"] != config:
        made = _thresholds["made"] = rules.Thresholds(**config)
        _thresholds["config"] = dict(config)
    return made


_thresholds: dict = {}


class Status(models.TextChoices):
    OPEN = rules.OPEN, "Open"
    REPAIRED = rules.REPAIRED, "Repaired"
    RECOVERED = rules.RECOVERED, "Recovered"
    CLOSED = rules.CLOSED, "Closed"


class FlagQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=Status.OPEN)

    def in_queue(self):
        """Open flags that belong in a queue (not a known circumstance)."""
        return self.open().filter(quiet=False)

    def about_the_alliance(self):
        """Flags saying the alliance is ruptured or weak (flags.rules.ALLIANCE_WEAK_KINDS:
        the same rule as an off-track flag's "alliance weak too"); no join."""
        relationship = Q()
        for domain in RELATIONSHIP_DOMAINS:  # `domains` is space-separated domain names
            relationship |= Q(domains__contains=domain)  # no domain name holds another
        weak = Q(kind__in=rules.ALLIANCE_WEAK_KINDS) & relationship
        return self.filter(Q(kind__in=rules.ALLIANCE_RUPTURE_KINDS) | weak)

    def pending_review(self):
        """Flags still waiting in the supervisor's pending queue: not yet reviewed, and every
        open safety alert even when reviewed. An unactioned answer about self-harm stays
        in view until the treating clinician records their follow-up (which closes it);
        a supervisor's "reviewed" says they saw it, not that anyone acted."""
        return self.filter(Q(reviewed_at__isnull=True) | Q(kind=FlagKind.SAFETY, status=Status.OPEN))


class Flag(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="flags")
    key = models.CharField(max_length=120, help_text="The identity: kind, opening session and factor.")
    kind = models.CharField(max_length=16, choices=[(k, FlagKind(k).label) for k in STORED_KINDS])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_reason = models.CharField(max_length=12, blank=True)
    since = models.DateField()
    opened_session = models.ForeignKey("clients.TherapySession", null=True, on_delete=models.SET_NULL, related_name="+")
    session_ids = models.JSONField(default=list, help_text="The sessions that raised it, oldest first.")
    factor_keys = models.JSONField(default=list)
    # The domains of factor_keys, space-separated ("client therapist"), for filtering on any database.
    domains = models.CharField(max_length=40, blank=True)
    urgency = models.PositiveSmallIntegerField()
    latest = models.PositiveSmallIntegerField(null=True)
    quiet = models.BooleanField(default=False, help_text="A known circumstance: out of the queues.")
    facts = models.JSONField(default=dict, help_text="The numbers its text is built from (flags.labels).")
    resolved_session = models.ForeignKey(
        "clients.TherapySession", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_on = models.DateField(null=True, blank=True)
    # From the FlagReview rows of its identity, copied at every refresh and mark.
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    discussed_at = models.DateTimeField(null=True, blank=True)
    discussed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-urgency", "-since", "pk"]
        indexes = [
            models.Index(fields=["client", "status"], name="flag_client_status"),
            # The queues' flags (in_queue): the caseload's and the team queue's badges, and the
            # queue's order (the most urgent unreviewed flag of each client) without the closed.
            models.Index(
                fields=["client", "-urgency"], condition=Q(status="open", quiet=False), name="flag_in_queue"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="flag_unique_identity_per_client"),
            models.CheckConstraint(condition=Q(kind__in=STORED_KINDS), name="flag_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="flag_status_valid"),
        ]

    def __str__(self):
        return f"{self.client}: {self.get_kind_display()} ({self.get_status_display()})"

    @classmethod
    def from_rules(cls, client, flag: rules.Flag, domain_of: dict[str, str]):
        return cls(
            client=client,
            key=flag.identity,
            kind=flag.kind,
            status=flag.status,
            closed_reason=flag.closed_reason,
            since=flag.since,
            opened_session_id=flag.opened_session_id,
            session_ids=list(flag.session_ids),
            factor_keys=list(flag.factors),
            domains=" ".join(sorted({domain_of[k] for k in flag.factors if k in domain_of})),
            urgency=flag.urgency,
            latest=flag.latest,
            quiet=flag.quiet,
            facts=dict(flag.facts),
            resolved_session_id=flag.resolved_session_id,
            resolved_on=flag.resolved_on,
        )

    def as_rule(self) -> rules.Flag:
        """The rules' flag this row was written from (from_rules, back)."""
        return rules.Flag(
            kind=self.kind,
            opened_session_id=self.opened_session_id,
            since=self.since,
            session_ids=tuple(self.session_ids),
            factors=tuple(self.factor_keys),
            status=self.status,
            closed_reason=self.closed_reason,
            resolved_session_id=self.resolved_session_id,
            resolved_on=self.resolved_on,
            latest=self.latest,
            quiet=self.quiet,
            facts=dict(self.facts),
        )

    @property
    def identity(self):
        return self.key

    @property
    def factors(self):
        return tuple(self.factor_keys)

    @property
    def latest_session_id(self):
        return self.session_ids[-1] if self.session_ids else None

    @property
    def is_open(self):
        return self.status == Status.OPEN


class FlagReviewQuerySet(models.QuerySet):
    def reviews(self):
        """A supervisor's "reviewed" marks."""
        return self.filter(action=FlagReview.Action.REVIEWED)


class FlagReview(models.Model):
    """A mark on a flag's identity: reviewed (a supervisor), discussed with the
    client (the treating clinician), a known circumstance (a contextual
    factor that stays low: out of the queues until its rating changes), or
    followed up (the treating clinician, with a note: the only way a safety
    alert closes)."""

    class Action(models.TextChoices):
        REVIEWED = "reviewed", "Reviewed"
        DISCUSSED = "discussed", "Discussed with the client"
        KNOWN = "known", "Known circumstance"
        FOLLOWED_UP = "follow_up", "Followed up"

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="flag_reviews")
    key = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=FlagKind.choices)
    since = models.DateField(help_text="The flag's start when it was marked (stalled flags are matched by it).")
    action = models.CharField(max_length=10, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(max_length=2000, blank=True)
    as_of_session = models.ForeignKey(
        "clients.TherapySession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The client's latest session when it was marked.",
    )
    rating = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Known circumstance: the rating then.")

    objects = FlagReviewQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["client", "key", "action"], name="flagreview_once_per_action"),
            models.CheckConstraint(
                condition=Q(action__in=["reviewed", "discussed", "known", "follow_up"]), name="flagreview_action_valid"
            ),
        ]

    def __str__(self):
        return f"{self.client}: {self.get_action_display()} {self.key}"


def marks_for(reviews, dates=None) -> rules.Marks:
    """The rules' view of a client's FlagReview rows, oldest first: discussions by flag
    identity; known circumstances by factor, the latest mark counting. With `dates`
    ({session id: date}), only the marks made as of one of those sessions count and
    their dates come from it; without, as_of_session must be selected."""
    discussed, known, followed_up = {}, {}, {}
    for review in reviews:
        if dates is not None and review.as_of_session_id not in dates:
            continue  # marked after these sessions (or as of a voided one)
        if review.action == FlagReview.Action.FOLLOWED_UP:
            followed_up[review.key] = (timezone.localdate(review.at), review.as_of_session_id)
        if review.action == FlagReview.Action.DISCUSSED and review.as_of_session_id:
            day = dates[review.as_of_session_id] if dates is not None else review.as_of_session.date
            discussed[review.key] = (day, review.as_of_session_id)
        elif review.action == FlagReview.Action.KNOWN and review.rating is not None:
            factor = review.key.split(":")[-1]
            if factor:
                known[factor] = review.rating
    return rules.Marks(discussed=discussed, known=known, followed_up=followed_up)


def can_be_known(flag) -> bool:
    """A contextual factor that stays low or fell can be marked a known circumstance:
    a circumstance, not the relationship."""
    kinds = (rules.LOW_FACTOR, rules.PERSISTENT, rules.CONTEXT_CHANGE)
    return flag.kind in kinds and getattr(flag, "domains", "") == "contextual"


def predecessors(key: str) -> list[str]:
    """The identities a flag had before it changed kind: a low factor that became a
    persistent weakness keeps the reviews it was given as a low factor."""
    kind, session, factor = [*key.split(":"), "", ""][:3]
    return [f"{rules.LOW_FACTOR}:{session}:{factor}"] if kind == rules.PERSISTENT else []


def apply_reviews(flags, reviews):
    """Copy who reviewed / discussed each flag (or the flag it grew from) onto its row (in memory)."""
    by_key = {(r.key, r.action): r for r in reviews}

    def find(flag, action):
        for key in [flag.key, *predecessors(flag.key)]:
            if (key, action) in by_key:
                return by_key[(key, action)]
        return None

    for flag in flags:
        reviewed = find(flag, FlagReview.Action.REVIEWED)
        discussed = find(flag, FlagReview.Action.DISCUSSED)
        flag.reviewed_at, flag.reviewed_by_id = (reviewed.at, reviewed.by_id) if reviewed else (None, None)
        flag.discussed_at, flag.discussed_by_id = (discussed.at, discussed.by_id) if discussed else (None, None)
    return flags

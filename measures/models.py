"""The progress measures as data (PHQ-9, GAD-7) and the client's answers to them.

`Instrument` with its `Item`s, `ResponseOption`s and severity `Band`s is
seeded by migration 0002 with the standard wording (docs/factors.md,
"Progress measures"); an administrator switches an instrument on or off
(`active`). `MeasureResponse` is one completed form (on the client's
self-report link or entered by the clinician from paper in the session form),
`ItemAnswer` one item of it (empty = unanswered). `CrisisText` is the
organisation's text shown to a client who reports thoughts of self-harm.

The clinical record is referred to by name ("clients.Client"): this app sits
below flags and clients (docs/architecture.md). Scoring is `measures.scoring`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from measures import scoring


class InstrumentQuerySet(models.QuerySet):
    def active(self):
        """The instruments asked: on self-report links and in the session form."""
        return self.filter(active=True)

    def in_use(self):
        """The instruments scored, flagged, shown and exported: the active ones and every
        one with a response. Switching an instrument off stops it being asked; its
        history is still read (an EXISTS, so no join and no extra query)."""
        answered = MeasureResponse.objects.filter(instrument=models.OuterRef("pk"))
        return self.filter(Q(active=True) | models.Exists(answered))

    def get_by_natural_key(self, key):
        return self.get(key=key)

    def with_parts(self):
        """Items, options and bands in one query each (for forms and scoring)."""
        return self.prefetch_related("items", "options", "bands")

    def rules(self) -> dict[str, scoring.Rule]:
        """{key: scoring rule} for progress (two queries: instruments with their item
        counts, and bands). Safety is read from the stored responses, so no items."""
        rows = self.annotate(item_count=models.Count("items")).prefetch_related("bands")
        return {
            i.key: scoring.Rule(
                key=i.key,
                items=i.item_count,
                caseness=i.caseness,
                reliable_change=i.reliable_change,
                bands=tuple(scoring.Band(b.low, b.high, b.label) for b in i.bands.all()),
                max_missing=i.max_missing,
            )
            for i in rows
        }


class Instrument(models.Model):
    key = models.SlugField(max_length=20, unique=True, editable=False)
    name = models.CharField(max_length=40, help_text='Its short name, e.g. "PHQ-9".')
    title = models.CharField(max_length=120, help_text="What it measures, in a few words.")
    order = models.PositiveSmallIntegerField(default=0)
    stem = models.CharField(max_length=200, help_text="The question every item answers.")
    loinc_panel = models.CharField("LOINC panel code", max_length=20, blank=True)
    loinc_total = models.CharField("LOINC total score code", max_length=20, blank=True)
    caseness = models.PositiveSmallIntegerField(help_text="A total at or above this is at caseness.")
    reliable_change = models.PositiveSmallIntegerField(help_text="A change of at least this many points is reliable.")
    max_missing = models.PositiveSmallIntegerField(
        default=0,
        help_text="Prorating: how many unanswered items a total may be made up for (0: an unanswered item "
        "leaves the measure incomplete).",
    )
    # Switched off, it is no longer asked; the answers already given are still read (in_use).
    active = models.BooleanField(default=True, help_text="Asked on self-report links and in the session form.")
    source = models.TextField(blank=True, help_text="Where the wording and thresholds come from.")

    objects = InstrumentQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.key,)

    def rule(self) -> scoring.Rule:
        """The scoring rule (items, bands and safety items read from the prefetched relations)."""
        items = list(self.items.all())
        return scoring.Rule(
            key=self.key,
            items=len(items),
            caseness=self.caseness,
            reliable_change=self.reliable_change,
            bands=tuple(scoring.Band(b.low, b.high, b.label) for b in self.bands.all()),
            max_missing=self.max_missing,
            safety_items=tuple(i.number for i in items if i.is_safety_item),
        )

    @property
    def max_total(self) -> int:
        options = [o.value for o in self.options.all()]
        return len(self.items.all()) * max(options, default=0)


class ResponseOption(models.Model):
    """One answer every item of an instrument offers ("Not at all" = 0 ...)."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="options")
    value = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=60)
    loinc = models.CharField("LOINC answer code", max_length=20, blank=True)

    class Meta:
        ordering = ["instrument", "value"]
        constraints = [models.UniqueConstraint(fields=["instrument", "value"], name="option_value_once")]

    def __str__(self):
        return f"{self.label} ({self.value})"


class Item(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="items")
    number = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)
    loinc = models.CharField("LOINC code", max_length=20, blank=True)
    is_safety_item = models.BooleanField(
        default=False, help_text="Any answer above 0 raises a safety alert, whether or not the rest is answered."
    )

    class Meta:
        ordering = ["instrument", "number"]
        constraints = [models.UniqueConstraint(fields=["instrument", "number"], name="item_number_once")]

    def __str__(self):
        return f"{self.instrument.name} {self.number}"


class Band(models.Model):
    """A severity band: totals from `low` to `high` (both included)."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="bands")
    low = models.PositiveSmallIntegerField()
    high = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=40)

    class Meta:
        ordering = ["instrument", "low"]
        constraints = [
            models.CheckConstraint(condition=Q(low__lte=models.F("high")), name="band_low_not_above_high"),
        ]

    def __str__(self):
        return f"{self.instrument.name} {self.low}-{self.high} {self.label}"


class MeasureResponseQuerySet(models.QuerySet):
    def counted(self):
        """Responses of sessions that were not voided."""
        return self.filter(session__voided_at__isnull=True)


class MeasureResponse(models.Model):
    """One filled-in instrument for one session: by the client on their self-report
    link, or entered by the clinician from a paper form. The scored values are
    stored (from `measures.scoring`) so lists never re-add answers."""

    class Source(models.TextChoices):
        CLIENT = "client", "The client, on their self-report link"
        CLINICIAN = "clinician", "The clinician, from a paper form"

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="measure_responses")
    session = models.ForeignKey("clients.TherapySession", on_delete=models.CASCADE, related_name="measure_responses")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="responses")
    source = models.CharField(max_length=10, choices=Source.choices)
    link = models.ForeignKey(
        "selfreport.SelfReportLink",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="measure_responses",
        help_text="The self-report link it was answered on (source: client).",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Derived from the answers by measures.scoring when saved.
    total = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: incomplete.")
    answered = models.PositiveSmallIntegerField(default=0)
    prorated = models.BooleanField(default=False)
    band = models.CharField(max_length=40, blank=True)
    safety = models.BooleanField(default=False, help_text="A safety item was answered above 0.")

    objects = MeasureResponseQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["client", "instrument"], name="response_client_instrument")]
        constraints = [
            models.CheckConstraint(condition=Q(source__in=["client", "clinician"]), name="response_source_valid"),
        ]

    def __str__(self):
        return f"{self.instrument.name} for session {self.session_id}"

    @property
    def complete(self) -> bool:
        return self.total is not None

    def set_score(self, values: dict[int, int | None], rule: scoring.Rule):
        result = scoring.score(values, rule)
        self.total, self.answered, self.prorated = result.total, result.answered, result.prorated
        self.band = result.band
        self.safety = scoring.safety_concern(values, rule)


class ItemAnswer(models.Model):
    response = models.ForeignKey(MeasureResponse, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: not answered.")

    class Meta:
        ordering = ["response", "item__number"]
        constraints = [
            models.UniqueConstraint(fields=["response", "item"], name="answer_once_per_item"),
        ]

    def __str__(self):
        return f"{self.item}: {self.value}"


class CrisisText(models.Model):
    """The organisation's crisis text: shown on the client's thank-you page when they
    answer a safety item above 0, because no clinician is watching in real time.
    One row (seeded by migration 0002), edited in the admin."""

    text = models.TextField(max_length=2000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "crisis text"
        verbose_name_plural = "crisis text"

    def __str__(self):
        return "Crisis text"

    @classmethod
    def current(cls) -> str:
        row = cls.objects.order_by("pk").first()
        return row.text if row else DEFAULT_CRISIS_TEXT


DEFAULT_CRISIS_TEXT = (  # the same as migration 0002 seeds
    "Thank you for telling us. If you are thinking about hurting yourself, or feel you might act on these "
    "thoughts, please do not wait for your next session: contact your clinician, call your local emergency "
    "services, or call a crisis line now."
)

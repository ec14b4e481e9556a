from django.core.exceptions import ValidationError
from django.db import models

from factors.kinds import FlagKind


class Domain(models.TextChoices):
    THERAPIST = "therapist", "Therapist"
    CLIENT = "client", "Client"
    CONTEXTUAL = "contextual", "Context"


class FactorQuerySet(models.QuerySet):
    def in_form_order(self):
        return self.order_by("order")

    def get_by_natural_key(self, key):
        return self.get(key=key)


class Factor(models.Model):
    """One of the twelve alliance factors.

    The rows are seeded by a data migration; their texts are edited in the
    admin. Keys and domains are fixed: code refers to factors by key.
    """

    SCALE = (1, 2, 3, 4, 5)

    key = models.SlugField(max_length=40, unique=True, editable=False)
    domain = models.CharField(max_length=20, choices=Domain.choices, editable=False)
    order = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=60)
    description = models.CharField(
        max_length=200, help_text="One line shown under the factor name on the session form."
    )
    label_1 = models.CharField("anchor for 1", max_length=80)
    label_2 = models.CharField("anchor for 2", max_length=80)
    label_3 = models.CharField("anchor for 3", max_length=80)
    label_4 = models.CharField("anchor for 4", max_length=80)
    label_5 = models.CharField("anchor for 5", max_length=80)

    objects = FactorQuerySet.as_manager()

    class Meta:
        ordering = ["order"]
        constraints = [
            models.CheckConstraint(condition=models.Q(domain__in=Domain.values), name="factor_domain_valid"),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.key,)

    @property
    def scale_labels(self) -> list[tuple[int, str]]:
        """[(1, anchor), ..., (5, anchor)]: what each point looks like, for the session form."""
        return [(value, getattr(self, f"label_{value}")) for value in self.SCALE]


class PromptQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class PromptSource(models.TextChoices):
    ARTICLE_EXAMPLE = "article_example", "From the article's example"
    ARTICLE = "article", "From the article"
    PRACTICE = "practice", "From practice and research"


# A prompt without a factor is general to its kind: stalled, a client concern about a
# question with no factor, and off track on a progress measure.
GENERAL_PROMPT_KINDS = (str(FlagKind.STALLED), str(FlagKind.CLIENT_CONCERN), str(FlagKind.OFF_TRACK))


class Prompt(models.Model):
    """A concrete thing to try in the next session, for one factor and one kind of flag.

    Seeded by data migrations (0004, revised in 0008); edited in the admin.
    `source` says where a prompt comes from; docs/factors.md names the research.
    A prompt without a factor is a general prompt of its kind: stalled, or a
    client concern about a question that maps to no factor (goals, overall).
    """

    Source = PromptSource
    GENERAL_KINDS = GENERAL_PROMPT_KINDS

    factor = models.ForeignKey(
        Factor,
        on_delete=models.PROTECT,
        related_name="prompts",
        null=True,
        blank=True,
        help_text="Blank: a general prompt of its kind (only for stalled, client concern and off track).",
    )
    applies_to = models.CharField(max_length=20, choices=FlagKind.choices)
    text = models.CharField(max_length=300)
    source = models.CharField(
        max_length=20,
        choices=Source.choices,
        help_text="The article's example for this factor, the article's description of it, "
        "or rupture-repair, feedback and safety practice (named in docs/factors.md).",
    )
    order = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first among the same factor and kind.")
    active = models.BooleanField(default=True, help_text="Untick to stop suggesting it (kept for history).")

    objects = PromptQuerySet.as_manager()

    class Meta:
        ordering = [models.F("factor__order").asc(nulls_last=True), "applies_to", "order", "pk"]  # general last
        constraints = [
            models.CheckConstraint(condition=models.Q(applies_to__in=FlagKind.values), name="prompt_applies_to_valid"),
            models.CheckConstraint(condition=models.Q(source__in=PromptSource.values), name="prompt_source_valid"),
            models.CheckConstraint(
                condition=models.Q(factor__isnull=False) | models.Q(applies_to__in=GENERAL_PROMPT_KINDS),
                name="prompt_factor_unless_general",
            ),
        ]

    def __str__(self):
        return f"{self.target_name} ({self.get_applies_to_display()}): {self.text[:60]}"

    @property
    def target_name(self) -> str:
        """The factor's name, or "General" for a prompt of a kind rather than a factor."""
        return self.factor.name if self.factor_id else "General"

    def clean(self):
        if self.factor_id is None and self.applies_to not in self.GENERAL_KINDS:
            raise ValidationError(
                {"factor": "Choose a factor: only stalled, client-concern and off-track prompts are general."}
            )

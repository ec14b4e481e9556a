from django.db import models


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
    label_1 = models.CharField("label for 1", max_length=40)
    label_2 = models.CharField("label for 2", max_length=40)
    label_3 = models.CharField("label for 3", max_length=40)
    label_4 = models.CharField("label for 4", max_length=40)
    label_5 = models.CharField("label for 5", max_length=40)
    client_question = models.CharField(
        max_length=200,
        blank=True,
        help_text="Plain words asked of the client on their self-report link; blank: not asked.",
    )

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
        """[(1, label), ..., (5, label)] for the radio row on the session form."""
        return [(value, getattr(self, f"label_{value}")) for value in self.SCALE]


class PromptQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Prompt(models.Model):
    """A concrete thing to try in the next session, for one factor and one kind of flag.

    Seeded by a data migration from the article's examples; edited in the admin.
    """

    class AppliesTo(models.TextChoices):
        LOW_FACTOR = "low_factor", "Low factor"
        PERSISTENT = "persistent", "Persistent weakness"
        RUPTURE = "rupture", "Rupture"
        STALLED = "stalled", "Stalled"
        DISCREPANCY = "discrepancy", "Client rated lower"

    factor = models.ForeignKey(Factor, on_delete=models.PROTECT, related_name="prompts")
    applies_to = models.CharField(max_length=12, choices=AppliesTo.choices)
    text = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first among the same factor and kind.")
    active = models.BooleanField(default=True, help_text="Untick to stop suggesting it (kept for history).")

    objects = PromptQuerySet.as_manager()

    class Meta:
        ordering = ["factor__order", "applies_to", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(applies_to__in=["low_factor", "persistent", "rupture", "stalled", "discrepancy"]),
                name="prompt_applies_to_valid",
            ),
        ]

    def __str__(self):
        return f"{self.factor.name} ({self.get_applies_to_display()}): {self.text[:60]}"

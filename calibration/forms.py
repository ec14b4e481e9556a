from django import forms

from calibration.models import NOTE_MAX_LENGTH
from clients.forms import RatingField
from factors.models import Domain, Factor


class FactorRatingsForm(forms.Form):
    """The twelve factors, 1-5 or "not assessed"; at least one must be rated."""

    def __init__(self, *args, factors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.factors = list(factors if factors is not None else Factor.objects.in_form_order())
        for factor in self.factors:
            self.fields[self.score_name(factor)] = RatingField(factor)

    @staticmethod
    def score_name(factor):
        return f"score_{factor.key}"

    def domains(self):
        """[(domain label, [(factor, bound rating field, None)])] for templates/factors/_rating_rows.html
        (None: no note per factor here, where the session form has one)."""
        return [
            (label, [(f, self[self.score_name(f)], None) for f in self.factors if f.domain == value])
            for value, label in Domain.choices
        ]

    def clean(self):
        cleaned = super().clean()
        if not any(self.has_error(self.score_name(f)) for f in self.factors) and all(
            cleaned.get(self.score_name(f)) is None for f in self.factors
        ):
            raise forms.ValidationError("Rate at least one factor: every factor is “not assessed”.")
        return cleaned

    def ratings(self):
        """{Factor: 1-5 or None}."""
        return {f: self.cleaned_data.get(self.score_name(f)) for f in self.factors}


class ObservationForm(FactorRatingsForm):
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you saw that the clinician could learn from (they will read it).",
    )

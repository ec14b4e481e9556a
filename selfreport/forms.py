from django import forms

from selfreport.models import CLIENT_SCALE


class SelfReportForm(forms.Form):
    """The client's questions: one 1-5 choice per factor that has a client question."""

    def __init__(self, *args, factors, **kwargs):
        super().__init__(*args, **kwargs)
        self.factors = [f for f in factors if f.client_question]
        for f in self.factors:
            self.fields[f.key] = forms.TypedChoiceField(
                label=f.client_question,
                choices=CLIENT_SCALE,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
                error_messages={"invalid_choice": "Choose one of the five answers."},
            )

    def clean(self):
        cleaned = super().clean()
        if not self.errors and all(cleaned.get(f.key) is None for f in self.factors):
            raise forms.ValidationError("Answer at least one question, or close this page if you prefer not to.")
        return cleaned

    def answers(self):
        return [(f, self.cleaned_data.get(f.key)) for f in self.factors]

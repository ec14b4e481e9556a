import re

from django import forms
from django.utils.formats import date_format

from measures import answers as measure_answers
from selfreport.models import CLIENT_SCALE, COMMENT_MAX_LENGTH

COMMENT_LABEL = "Is there anything you would like your therapist to know, or to do differently?"


def field_name(question):
    return f"q_{question.key}"


def dated(text, day):
    """A question as asked about the session of `day` (a past one) instead of today's."""
    when = date_format(day)
    text = re.sub(r"\btoday's session\b", f"the session of {when}", text)
    text = re.sub(r"\btoday\b", f"on {when}", text)
    return re.sub(r"\bToday\b", f"On {when}", text)


class SelfReportForm(forms.Form):
    """The client's questions (one 1-5 choice each, all optional), the active progress
    measures (PHQ-9, GAD-7: one 0-3 choice per item, all optional) and a free-text box."""

    def __init__(self, *args, questions, past_date=None, instruments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        self.instruments = list(instruments)
        for q in self.questions:
            self.fields[field_name(q)] = forms.TypedChoiceField(
                label=dated(q.text, past_date) if past_date else q.text,
                choices=CLIENT_SCALE,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
                error_messages={"invalid_choice": "Choose one of the five answers."},
            )
        measure_answers.add_fields(self, self.instruments)
        self.fields["comment"] = forms.CharField(
            label=COMMENT_LABEL,
            required=False,
            max_length=COMMENT_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 4}),
            error_messages={"max_length": f"Please keep it under {COMMENT_MAX_LENGTH} characters."},
        )

    def question_fields(self):
        return [self[field_name(q)] for q in self.questions]

    def measure_sections(self):
        """[(instrument, [(item, bound field)])] for the page, after the alliance questions."""
        return [(i, measure_answers.bound_items(self, i)) for i in self.instruments]

    @property
    def count(self):
        """How many questions the page asks (the progress line)."""
        return len(self.questions) + sum(len(i.items.all()) for i in self.instruments)

    def measures(self):
        """[(instrument, {item number: value or None})] for the measures the client answered any of."""
        entered = [(i, measure_answers.values_from(self.cleaned_data, i)) for i in self.instruments]
        return [(i, values) for i, values in entered if measure_answers.answered(values)]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        nothing = all(cleaned.get(field_name(q)) is None for q in self.questions) and not self.measures()
        if nothing and not cleaned.get("comment"):
            raise forms.ValidationError(
                "Answer at least one question or write in the box, or close this page if you prefer not to."
            )
        return cleaned

    def answers(self):
        return [(q, self.cleaned_data.get(field_name(q))) for q in self.questions]

    def comment(self):
        return self.cleaned_data.get("comment", "")

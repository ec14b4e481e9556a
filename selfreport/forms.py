import re

from django import forms
from django.utils.formats import date_format

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
    """The client's questions (one 1-5 choice each, all optional) and a free-text box."""

    def __init__(self, *args, questions, past_date=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
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
        self.fields["comment"] = forms.CharField(
            label=COMMENT_LABEL,
            required=False,
            max_length=COMMENT_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 4}),
            error_messages={"max_length": f"Please keep it under {COMMENT_MAX_LENGTH} characters."},
        )

    def question_fields(self):
        return [self[field_name(q)] for q in self.questions]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if all(cleaned.get(field_name(q)) is None for q in self.questions) and not cleaned.get("comment"):
            raise forms.ValidationError(
                "Answer at least one question or write in the box, or close this page if you prefer not to."
            )
        return cleaned

    def answers(self):
        return [(q, self.cleaned_data.get(field_name(q))) for q in self.questions]

    def comment(self):
        return self.cleaned_data.get("comment", "")

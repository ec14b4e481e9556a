from django import forms

from selfreport.models import CLIENT_SCALE, COMMENT_MAX_LENGTH

COMMENT_LABEL = "Is there anything you would like your therapist to know, or to do differently?"


def field_name(question):
    return f"q_{question.key}"


class SelfReportForm(forms.Form):
    """The client's questions (one 1-5 choice each, all optional) and a free-text box."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for q in self.questions:
            self.fields[field_name(q)] = forms.TypedChoiceField(
                label=q.text,
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

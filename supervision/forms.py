from django import forms

from supervision.models import ReviewNote


class ReviewNoteForm(forms.ModelForm):
    """A supervisor's note; `flag` offers the client's open flags of the moment."""

    flag = forms.ChoiceField(required=False, label="About a flag (optional)")
    marks_reviewed = forms.BooleanField(required=False, label="Mark this flag as reviewed")

    class Meta:
        model = ReviewNote
        fields = ["text"]
        labels = {"text": "Review note"}
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"text": {"required": "Write the note before saving it."}}

    def __init__(self, *args, open_flags=(), label_of=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.labels = {flag.key: label_of(flag) for flag in open_flags} if label_of else {}
        self.fields["flag"].choices = [("", "The client in general"), *self.labels.items()]
        self.fields["flag"].error_messages["invalid_choice"] = (
            "That flag is no longer open; reload the page and choose again."
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("marks_reviewed") and not cleaned.get("flag"):
            self.add_error("marks_reviewed", "Choose the flag you have reviewed.")
        return cleaned

    def save(self, client, author):
        note = super().save(commit=False)
        note.client, note.author = client, author
        note.flag_key = self.cleaned_data["flag"]
        note.flag_label = self.labels.get(note.flag_key, "")
        note.marks_reviewed = self.cleaned_data["marks_reviewed"]
        note.save()
        return note

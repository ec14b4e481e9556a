from django import forms

from supervision.models import ReviewNote


class ReviewNoteForm(forms.ModelForm):
    """A supervisor's note on a client. Flags are marked reviewed one click at a time (FlagMarkForm)."""

    class Meta:
        model = ReviewNote
        fields = ["text"]
        labels = {"text": "Review note"}
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"text": {"required": "Write the note before saving it."}}

    def save(self, client, author):
        note = super().save(commit=False)
        note.client, note.author = client, author
        note.save()
        return note


class FlagKeysField(forms.Field):
    """One or more flag identities (a card marks its flag and the weak factors inside it)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": "Choose the flag to mark.",
        "invalid": "That flag is no longer open; reload the page and try again.",
    }

    def to_python(self, value):
        return list(value or [])

    def validate(self, value):
        super().validate(value)
        if len(value) > 50 or any(len(key) > 120 or "\x00" in key or not key for key in value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class FlagMarkForm(forms.Form):
    """Which flags (their identities) and an optional note."""

    key = FlagKeysField()
    note = forms.CharField(max_length=2000, required=False, strip=True)

    def clean_note(self):
        return self.cleaned_data["note"].replace("\x00", "")

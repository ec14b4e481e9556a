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


class FlagMarkForm(forms.Form):
    """Which flag (its identity) and an optional note."""

    key = forms.CharField(max_length=120, error_messages={"required": "Choose the flag to mark."})
    note = forms.CharField(max_length=2000, required=False, strip=True)

    def clean_key(self):
        key = self.cleaned_data["key"]
        if "\x00" in key:
            raise forms.ValidationError("That flag is no longer open; reload the page.")
        return key

    def clean_note(self):
        return self.cleaned_data["note"].replace("\x00", "")

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from clients.models import VOID_REASON_LENGTH, Client, TherapySession
from clients.recording import save_client, save_session
from factors.models import Domain, Factor, Prompt
from flags.models import thresholds
from measures import answers

NOT_ASSESSED = ""


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class QuickSelect(forms.Select):
    """A Select drawn in Python. Django's own draws every option through two template
    includes (about 70 µs each), so a caseload of clients cost the session form several
    milliseconds on every load. Same markup: attributes in their order (_attrs), every value escaped."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))]
        for group, options, _ in widget["optgroups"]:
            if group is not None:
                parts.append(format_html('<optgroup label="{}">', group))
            for option in options:
                parts.append(
                    format_html(
                        '<option value="{}"{}>{}</option>', option["value"], _attrs(option["attrs"]), option["label"]
                    )
                )
            if group is not None:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703 every part built by format_html


def _attrs(attrs):
    """Attributes as django/forms/widgets/attrs.html writes them: in their order, True as a
    bare name, False left out, names and values escaped."""
    parts = []
    for name, value in attrs.items():
        if value is not False:
            value = "" if value is True else f'="{conditional_escape(value)}"'
            parts.append(f" {conditional_escape(name)}{value}")
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703 names and values escaped


class VersionField(forms.IntegerField):
    """The version of the record the form was opened at (optimistic locking, clients.recording)."""

    widget = forms.HiddenInput

    def __init__(self, what):
        super().__init__(
            required=False,
            min_value=1,
            max_value=2**31 - 1,
            error_messages={"required": f"This form is out of date: reload the {what} and edit it again."},
        )


class ClientForm(forms.ModelForm):
    version = VersionField("client")

    class Meta:
        model = Client
        fields = [
            "label",
            "intake_date",
            "status",
            "attachment_style",
            "usual_setting",
            "fee_arrangement",
            "session_interval_days",
            "culture_notes",
            "support_notes",
        ]
        widgets = {
            "intake_date": DateInput(),
            "culture_notes": forms.Textarea(attrs={"rows": 2}),
            "support_notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, clinician, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinician = clinician
        self.instance.clinician = clinician
        if self.instance.pk:
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"]
            self.fields["intake_date"].initial = timezone.localdate()
        self.fields["label"].widget.attrs["autofocus"] = True
        self.fields["session_interval_days"].required = False  # left out: weekly (the model's default)
        self.fields["session_interval_days"].help_text = (
            f"Stalled after twice this with no session, and never before {thresholds().stalled_days} days."
        )
        self.fields["attachment_style"].help_text = (
            "Record a style only once a pattern has shown over several sessions; “Not yet known” is the honest default."
        )

    def clean_session_interval_days(self):
        return self.cleaned_data.get("session_interval_days") or Client.SessionInterval.WEEKLY

    def clean_label(self):
        label = self.cleaned_data["label"].strip()
        clash = Client.objects.filter(clinician=self.clinician, label__iexact=label)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("You already have a client with this label; choose another.")
        return label

    def clean_intake_date(self):
        intake = self.cleaned_data["intake_date"]
        if intake > timezone.localdate():
            raise forms.ValidationError("The intake date cannot be in the future.")
        if self.instance.pk:
            first = self.instance.sessions.counted().order_by("date").values_list("date", flat=True).first()
            if first and intake > first:
                raise forms.ValidationError(
                    f"The first session is on {date_format(first)}; the intake date cannot be later."
                )
        return intake

    def save(self, commit=True):
        """A new client is saved as is; an edit through clients.recording.save_client,
        which raises StaleClientError if someone else saved the client first."""
        client = super().save(commit=False)
        if client.pk:
            save_client(client, self._meta.fields, self.cleaned_data["version"])
        else:
            client.save()
        return client


def _a_session(setting):
    """ "An online session", "An in-person session", "A phone session"."""
    kind = TherapySession.Setting(setting).label.lower().replace(" ", "-")
    return f"{'An' if kind[0] in 'aeiou' else 'A'} {kind} session"


class RatingField(forms.TypedChoiceField):
    """A factor's 1-5 rating, where the empty choice means "not assessed"."""

    widget = forms.RadioSelect

    def __init__(self, factor: Factor, **kwargs):
        choices = [*factor.scale_labels, (NOT_ASSESSED, "Not assessed")]
        super().__init__(
            choices=choices,
            coerce=int,
            empty_value=None,
            required=False,
            label=factor.name,
            help_text=factor.description,
            **kwargs,
        )
        self.factor = factor
        self.error_messages["invalid_choice"] = "Choose a rating from 1 to 5, or “Not assessed”."


class SessionForm(forms.ModelForm):
    """One page: the session's date, setting and note plus a rating and note per factor."""

    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        empty_label="Choose a client…",
        widget=QuickSelect,
        error_messages={"invalid_choice": "Choose one of your active clients."},
    )

    class Meta:
        model = TherapySession
        # `client` is a form field but not a model field here: the form checks
        # the (client, date, setting) clash itself, with a message on the date.
        fields = ["date", "setting", "note"]
        widgets = {
            "date": DateInput(),
            "setting": forms.RadioSelect,
            "note": forms.Textarea(attrs={"rows": 3}),
        }

    version = VersionField("session")

    def __init__(self, *args, user, factors, instruments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.factors = list(factors)
        self.user = user
        # Progress measures entered from a paper form: each one answered adds a response to the session.
        self.instruments = list(instruments)
        answers.add_fields(self, self.instruments, not_answered="Blank")
        if self.instance.pk:
            # A logged session stays with its client; the version guards against lost updates.
            del self.fields["client"]
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version
        else:
            self.fields["client"].queryset = Client.objects.editable_by(user).active()
            self.fields["date"].initial = timezone.localdate()
        self.fields["date"].error_messages["required"] = "Enter the date of the session."
        existing = {r.factor_id: r for r in self.instance.ratings.all()} if self.instance.pk else {}
        for factor in self.factors:
            rating = existing.get(factor.pk)
            self.fields[self.score_name(factor)] = RatingField(
                factor, initial=rating.score if rating and rating.score is not None else NOT_ASSESSED
            )
            self.fields[self.note_name(factor)] = forms.CharField(
                label=f"Note on {factor.name.lower()}",
                max_length=200,
                required=False,
                initial=rating.note if rating else "",
            )

    @staticmethod
    def score_name(factor):
        return f"score_{factor.key}"

    @staticmethod
    def note_name(factor):
        return f"note_{factor.key}"

    @property
    def session_client(self):
        return self.instance.client if self.instance.pk else self.cleaned_data.get("client")

    def measure_sections(self):
        """[(instrument, [(item, bound field)], open?), ...] for the paper-form section:
        open when anything was typed into it (kept after an error)."""
        sections = []
        for instrument in self.instruments:
            items = answers.bound_items(self, instrument)
            typed = self.is_bound and any(field.value() not in (None, "") or field.errors for _, field in items)
            sections.append((instrument, items, typed))
        return sections

    def measures(self):
        """[(instrument, {item number: value or None})] for the instruments with any answer."""
        entered = [(i, answers.values_from(self.cleaned_data, i)) for i in self.instruments]
        return [(i, values) for i, values in entered if answers.answered(values)]

    def domains(self):
        """[(domain label, [(factor, score field, note field), ...]), ...] for the template."""
        grouped = []
        for value, label in Domain.choices:
            rows = [(f, self[self.score_name(f)], self[self.note_name(f)]) for f in self.factors if f.domain == value]
            grouped.append((label, rows))
        return grouped

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError("The session date cannot be in the future.")
        return date

    def clean(self):
        cleaned = super().clean()
        client, date, setting = self.session_client, cleaned.get("date"), cleaned.get("setting")
        if client and not self.instance.pk:
            self.instance.client = client
        if client and date:
            if date < client.intake_date:
                self.add_error(
                    "date",
                    f"{client.label}'s intake was on {date_format(client.intake_date)}; a session cannot be earlier.",
                )
            elif setting:
                clash = TherapySession.objects.counted().filter(client=client, date=date, setting=setting)
                if clash.exclude(pk=self.instance.pk).exists():
                    self.add_error(
                        "date",
                        f"{_a_session(setting)} on {date_format(date)} is already logged for {client.label}. "
                        "Edit that one instead.",
                    )
        scores = [cleaned.get(self.score_name(f)) for f in self.factors]
        if not any(self.has_error(self.score_name(f)) for f in self.factors) and all(s is None for s in scores):
            self.add_error(
                None,
                "Rate at least one factor: a session with every factor “not assessed” says nothing about the "
                "alliance and would blank the client's latest index.",
            )
        return cleaned

    def ratings(self):
        return {
            f: (self.cleaned_data[self.score_name(f)], self.cleaned_data[self.note_name(f)].strip())
            for f in self.factors
        }

    def save(self, commit=True):
        """Save through clients.recording; raises StaleSessionError if someone else saved first."""
        session = super().save(commit=False)
        expected = self.cleaned_data.get("version") if session.pk else None
        save_session(session, self.ratings(), expected_version=expected, measures=self.measures(), by=self.user)
        return session


class PromptTrialForm(forms.Form):
    """Tick (or untick) a focus prompt as the one to try in the next session."""

    prompt = forms.ModelChoiceField(
        queryset=Prompt.objects.active(), error_messages={"invalid_choice": "That prompt is no longer offered."}
    )
    action = forms.ChoiceField(choices=[("try", "Try it"), ("undo", "Undo")])


class VoidSessionForm(forms.Form):
    """Why a session logged in error is voided (required; kept with the session)."""

    reason = forms.CharField(
        label="Why is this session void?",
        max_length=VOID_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example “logged for the wrong client” or “a duplicate of the session of the same day”. "
        "It is kept with the session and shown beside it.",
        error_messages={"required": "Give the reason for voiding this session."},
    )

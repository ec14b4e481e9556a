from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

from accounts.models import User, time_zone_names


class LoginForm(AuthenticationForm):
    """Django's login form, with the username's length enforced before any
    lookup (Django only sets the HTML maxlength; an over-long name otherwise
    reaches the lockout records, which PostgreSQL refuses)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].validators.append(MaxLengthValidator(self.fields["username"].max_length))


def time_zone_choices():
    """The zones a user can choose, grouped by region for the select."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(time_zone_names()):
        region = name.split("/")[0] if "/" in name else "Other"
        groups.setdefault(region, []).append((name, name.replace("_", " ")))
    return list(groups.items())


class ProfileForm(forms.ModelForm):
    """What a user sets for themselves: their time zone."""

    time_zone = forms.ChoiceField(
        label="Your time zone",
        choices=time_zone_choices,
        help_text="“Today” follows it: which session dates count as in the future, when a client counts as "
        "stalled, “days ago”, and every date and time the app shows you.",
        error_messages={"invalid_choice": "Choose a time zone from the list."},
    )

    class Meta:
        model = User
        fields = ["time_zone"]


class CodeForm(forms.Form):
    """The second step: a code from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label="Code",
        max_length=40,
        help_text="The six digits your authenticator app shows for Alliance, or one of your recovery codes.",
        error_messages={
            "required": "Enter the six-digit code from your authenticator app, or a recovery code.",
            "max_length": "That is longer than any code. Enter the six digits from your app, or a recovery code.",
        },
    )


class EnrolForm(forms.Form):
    """Confirming enrolment: the code the app shows once it has the secret."""

    code = forms.CharField(
        label="Code from the app",
        max_length=20,
        help_text="Once the app has added Alliance, it shows a six-digit code that changes every 30 seconds.",
        error_messages={"required": "Enter the six digits your app shows."},
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if len(code) != 6 or not code.isdigit():
            raise forms.ValidationError("Enter the six digits your app shows (no letters).")
        return code

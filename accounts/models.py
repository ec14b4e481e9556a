import zoneinfo
from functools import cache

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

# The IANA zones a user can choose: the geographic ones (Europe/Paris,
# Pacific/Kiritimati...) and UTC, as the system's time zone database lists them.
ZONE_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


@cache
def time_zone_names() -> frozenset[str]:
    available = zoneinfo.available_timezones()
    return frozenset(name for name in available if name.split("/")[0] in ZONE_REGIONS and "/" in name) | {
        "UTC",
        settings.TIME_ZONE,
    }


def default_time_zone():
    """The organisation's zone (settings.TIME_ZONE), until the user chooses their own."""
    return settings.TIME_ZONE


def validate_time_zone(value):
    if value not in time_zone_names():
        raise ValidationError("Choose a time zone from the list.")


class User(AbstractUser):
    """The app's user, custom from the first migration.

    A clinician carries a caseload; a supervisor supervises the clinicians of
    their team(s) and may carry a caseload too; an administrator manages users,
    teams and texts in the Django admin and sees no client records unless they
    treat clients themselves. Client access rules: clients.models.ClientQuerySet.
    """

    class Role(models.TextChoices):
        CLINICIAN = "clinician", "Clinician"
        SUPERVISOR = "supervisor", "Supervisor"
        ADMINISTRATOR = "administrator", "Administrator"

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CLINICIAN)
    team = models.ForeignKey(
        "Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        help_text="The team whose supervisor reviews this user's caseload.",
    )
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="Where the user works: “today”, dates and times follow this zone (IANA name, e.g. Australia/Sydney).",
    )

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=["clinician", "supervisor", "administrator"]), name="user_role_valid"
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def is_supervisor(self):
        return self.role == self.Role.SUPERVISOR

    @property
    def is_administrator(self):
        return self.role == self.Role.ADMINISTRATOR

    def zone(self):
        """The user's time zone as a tzinfo; the organisation's if the stored name is unknown here."""
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)

    def supervisees(self):
        """The clinicians in the teams this user supervises (none unless a supervisor)."""
        if not (self.is_active and self.is_supervisor):
            return User.objects.none()
        return User.objects.filter(team__supervisor=self)


class Team(models.Model):
    """Clinicians (the members) whose caseloads one supervisor reviews."""

    name = models.CharField(max_length=80, unique=True)
    supervisor = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="supervised_teams",
        limit_choices_to={"role": User.Role.SUPERVISOR},
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class SecondFactor(models.Model):
    """A user's authenticator app: the TOTP secret (RFC 6238) they enrolled with.

    A secret, like a password: never shown after enrolment, never exported or
    backed up (alliance.datamap.NOT_BACKED_UP). `last_step` is the latest
    30-second step a code was accepted for; a code for that step or an
    earlier one is refused, so a code works once. Logic: accounts.twostep.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="second_factor")
    secret = models.CharField(max_length=64)
    enrolled_at = models.DateTimeField(auto_now_add=True)
    last_step = models.BigIntegerField(default=0)

    def __str__(self):
        return f"second factor of {self.user}"


class RecoveryCode(models.Model):
    """One single-use recovery code, stored as a keyed hash (accounts.twostep.code_hash)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique_per_user")]

    def __str__(self):
        return f"recovery code of {self.user}"

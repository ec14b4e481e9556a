from django.contrib.auth.models import AbstractUser
from django.db import models


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

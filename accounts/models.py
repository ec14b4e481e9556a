from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The app's user, custom from the first migration.

    Roles (clinician, supervisor, administrator) and teams hang off this model
    in a later migration; no swap of AUTH_USER_MODEL will be needed.
    """

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self):
        return self.get_full_name() or self.username

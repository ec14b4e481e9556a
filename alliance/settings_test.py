"""Settings for the test suite: the real settings plus speed-ups."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else")

from alliance.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The suite (and its live server for the browser) speaks plain HTTP; the
# production values are asserted in tests/test_security.py.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SESSION_COOKIE_NAME = "sessionid"
CSRF_COOKIE_NAME = "csrftoken"
# pytest-django runs with DEBUG off and no collectstatic manifest.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the finders (no collectstatic in tests).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A second, empty database for the backup's restore test (tests/test_backup.py): the
# suite's test runner migrates it like a new server's. On PostgreSQL it is a real
# second database (test_<name>_restore); on SQLite a second in-memory one.
DATABASES["restore"] = {  # noqa: F405
    **DATABASES["default"],  # noqa: F405
    "NAME": (
        f"{DATABASES['default']['NAME']}_restore"  # noqa: F405
        if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3"  # noqa: F405
        else str(BASE_DIR / "restore.sqlite3")  # noqa: F405
    ),
}

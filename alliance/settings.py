"""Settings for Alliance.

Everything that differs between a laptop demo and production comes from the
environment (see README "Configuration"). With nothing set, the app runs
against a local SQLite file; production sets DATABASE_URL, SECRET_KEY,
ALLOWED_HOSTS and leaves DEBUG off.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from alliance.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)

# DEVELOPMENT ONLY. Used only when DEBUG is on and SECRET_KEY is not set, so a
# demo runs with no configuration. Production must set SECRET_KEY.
_DEV_ONLY_SECRET_KEY = "django-insecure-development-only-never-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY") or (_DEV_ONLY_SECRET_KEY if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "accounts",
    "factors",
    "measures",
    "flags",
    "clients",
    "supervision",
    "audit",
    "selfreport",
    "calibration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Log off after SESSION_IDLE_TIMEOUT idle or SESSION_ABSOLUTE_TIMEOUT in all.
    "accounts.middleware.SessionTimeoutMiddleware",
    # "Today" and every date shown follow the user's own time zone (User.time_zone).
    "accounts.middleware.UserTimeZoneMiddleware",
    # Every page needs a login unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A logged-in user who needs the second step and whose session has not passed it is
    # logged out and sent to it (promoted, MFA_FOR_CLINICIANS turned on, a reset).
    "accounts.middleware.SecondStepMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Who did what from where, for the audit trail; no-store on every page.
    "audit.middleware.AuditMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "alliance.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # `{{ value|day }}`, the one date format, on every template (factors/templatetags/dates.py).
            "builtins": ["factors.templatetags.dates"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "alliance.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The sessions' covering indexes (clients 0010) carry INCLUDE columns, which only PostgreSQL
# has; on the SQLite demo they are plain partial indexes, all it needs, so its warning is noise.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out logins first
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    # Argon2id at OWASP's recommendation (19 MiB, 2 passes, 1 lane). It reads hashes made with
    # Django's default Argon2 parameters too, and re-hashes them at the user's next login.
    "accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # verifies older hashes, upgraded at login
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "logged_out"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Dates and numbers follow the browser's language (en-gb shows 3 Mar 2026).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("en-gb", "English (UK)")]
# The organisation's zone: a user's own (their profile) replaces it once logged in.
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Sessions and logins ----------------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.db"  # shared by every app process
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 15 * 60)  # seconds without a request
SESSION_ABSOLUTE_TIMEOUT = env_int("SESSION_ABSOLUTE_TIMEOUT", 12 * 60 * 60)  # seconds since login
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# django-axes: 5 failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The client's address, for lockouts and the audit trail (accounts.middleware.client_ip).
PROXY_COUNT = env_int("PROXY_COUNT", 0)  # trusted proxies in front of the app that append to X-Forwarded-For
AXES_CLIENT_IP_CALLABLE = "accounts.middleware.client_ip"
# A failed attempt's form data is kept by axes: never the codes of the second step.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]

# Two-step sign-in (accounts.twostep): always for supervisors, administrators and staff;
# for clinicians too when MFA_FOR_CLINICIANS is on. The issuer names the entry in the app.
MFA_FOR_CLINICIANS = env_bool("MFA_FOR_CLINICIANS", False)
MFA_ISSUER = env_str("MFA_ISSUER", "Alliance")

# One-time client self-report links expire after this many hours.
SELF_REPORT_LINK_HOURS = env_int("SELF_REPORT_LINK_HOURS", 48)

# --- Security headers -----------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # "no-referrer" makes browsers send Origin: null, which fails CSRF
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if not DEBUG:
    # Production: HTTPS only, behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# Flag thresholds (factors.scoring.Thresholds). Changing them re-labels the
# flags of a client the next time one of their sessions is saved.
ALLIANCE_FLAGS = {
    "low_max": env_int("FLAG_LOW_MAX", 2),
    "persistent_sessions": env_int("FLAG_PERSISTENT_SESSIONS", 3),
    "rupture_drop": env_int("FLAG_RUPTURE_DROP", 15),
    "baseline_sessions": 3,
    "baseline_min_sessions": 2,
    "variability_sds": 2,
    "variability_min_drop": 10,
    "variability_min_history": 4,
    "factor_drop": env_int("FLAG_FACTOR_DROP", 2),
    "repair_margin": 5,
    "repair_sessions": 3,
    "stalled_days": env_int("FLAG_STALLED_DAYS", 21),
    "discrepancy_gap": 2,
    "client_concern_max": 2,
}

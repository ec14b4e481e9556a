"""Production settings for benchmarking on 127.0.0.1 over plain HTTP."""

import os

os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "k" * 50)
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ["DEBUG"] = "false"

from alliance.settings import *  # noqa: F403

SECURE_SSL_REDIRECT = False  # loopback HTTP, no TLS proxy in front
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SESSION_COOKIE_NAME, CSRF_COOKIE_NAME = "sessionid", "csrftoken"
CONN_MAX_AGE = 60
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
ROOT_URLCONF = "bench.urls"

"""Session lifetime, the user's time zone and the client's address."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from accounts import twostep
from alliance.redirects import safe_next

LOGIN_AT, LAST_SEEN = "alliance_login_at", "alliance_last_seen"
LAST_SEEN_RESOLUTION = 60  # seconds


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or with PROXY_COUNT trusted proxies in
    front, the address the outermost of them saw (never a value the client set)."""
    if settings.PROXY_COUNT:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= settings.PROXY_COUNT:
            return forwarded[-settings.PROXY_COUNT]
    return request.META.get("REMOTE_ADDR", "")


class SessionTimeoutMiddleware:
    """Log a user off after SESSION_IDLE_TIMEOUT seconds without a request or
    SESSION_ABSOLUTE_TIMEOUT seconds after login, and say why on the login page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            login_at = session.setdefault(LOGIN_AT, now)
            last_seen = session.get(LAST_SEEN, now)
            reason = None
            if now - last_seen > settings.SESSION_IDLE_TIMEOUT:
                reason = "idle"
            elif now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT:
                reason = "expired"
            if reason:
                logout(request)  # flushes the session server-side
                return redirect(f"{reverse('logged_out')}?reason={reason}")
            if now - last_seen >= LAST_SEEN_RESOLUTION or LAST_SEEN not in session:
                session[LAST_SEEN] = now  # written at most once a minute, not on every request
        return self.get_response(request)


class UserTimeZoneMiddleware:
    """Activate the logged-in user's time zone for the request, so that
    timezone.localdate() ("today": "not in the future", "stalled", "days ago")
    and every date and time shown follow it; anyone else gets settings.TIME_ZONE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.zone())
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()  # nothing carries over to the next request on this thread


class SecondStepMiddleware:
    """A logged-in user who needs the second step (twostep.required_for) and whose session
    did not pass it (twostep.has_passed) is logged out and sent to the code, or to enrolment,
    with the login pending and the page they asked for kept as `next`. That catches a user
    promoted while logged in, the organisation setting turned on, sessions from before the
    second step existed and, after a reset, a mark written by a request under way.

    No query on an ordinary page: required_for reads the user row already loaded and the
    mark is in the session. Placed after AuthenticationMiddleware and MessageMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and twostep.required_for(user)
            and not twostep.has_passed(request, user)
            and request.path != reverse("logout")
        ):
            return self.restart(request, user)
        return self.get_response(request)

    @staticmethod
    def restart(request, user):
        backend = request.session.get(BACKEND_SESSION_KEY)
        then = safe_next(request, request.get_full_path(), "") if request.method == "GET" else ""
        logout(request)  # flushes the session (audited as a logout)
        twostep.begin(request, user, then, backend=backend)
        if twostep.factor_of(user) is not None:
            messages.info(request, "Please confirm it is you with a code from your authenticator app.")
            return redirect("two_step")
        messages.info(request, "Your account now needs a second step at login: set up an authenticator app.")
        return redirect("two_step_enrol")


def mark_login_time(sender, request, user, **kwargs):
    """user_logged_in receiver: the absolute timeout counts from here."""
    request.session[LOGIN_AT] = request.session[LAST_SEEN] = time.time()

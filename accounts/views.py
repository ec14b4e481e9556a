import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import signals, twostep
from accounts.forms import CodeForm, EnrolForm, LoginForm, ProfileForm
from alliance.redirects import safe_next

REASONS = {
    "idle": "You were logged out after {minutes} minutes without activity, to protect your clients' records.",
    "expired": "You were logged out because your session reached its limit of {hours} hours. Please log in again.",
}
WRONG_CODE = "That code is not right, or was already used. Check the time on your phone and try the newest code."


@login_not_required
@require_GET
def logged_out(request):
    """Where logoff lands: says why the user was logged out."""
    reason = REASONS.get(request.GET.get("reason", ""), "You have logged out.")
    message = reason.format(
        minutes=settings.SESSION_IDLE_TIMEOUT // 60, hours=settings.SESSION_ABSOLUTE_TIMEOUT // 3600
    )
    return render(request, "registration/logged_out.html", {"message": message})


class SafeNextMixin:
    """Django's `next` handling, through the app's one check (alliance.redirects)."""

    def get_redirect_url(self):
        name = self.redirect_field_name
        return safe_next(self.request, self.request.POST.get(name, self.request.GET.get(name)), fallback="")


class LoginView(SafeNextMixin, auth_views.LoginView):
    """The password step. A user with a second factor, or who must have one, is not
    logged in here: they go on to the code (or to enrolment) with the login pending."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        enrolled = twostep.factor_of(user) is not None
        if not enrolled and not twostep.required_for(user):
            return super().form_valid(form)
        twostep.begin(self.request, user, self.get_success_url())
        return redirect("two_step" if enrolled else "two_step_enrol")


class LogoutView(SafeNextMixin, auth_views.LogoutView):
    pass


@login_not_required
def admin_login(request, extra_context=None):
    """The admin's own login page, replaced (accounts.admin): everyone logs in through
    LoginView, so the admin is never reached with a password alone."""
    fallback = reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return HttpResponseRedirect(safe_next(request, request.GET.get(REDIRECT_FIELD_NAME), fallback))
        raise PermissionDenied
    return auth_views.redirect_to_login(safe_next(request, request.GET.get(REDIRECT_FIELD_NAME), fallback))


def _start_again(request):
    if request.user.is_authenticated:
        return redirect("home")
    messages.info(request, "Log in again: the code was not entered within five minutes.")
    return redirect("login")


def _signal(request, user, event, **details):
    actor = request.user if request.user.is_authenticated else user
    signals.second_factor_changed.send(
        sender=type(user), user=user, request=request, event=event, actor=actor, details=details
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def two_step(request):
    """The second step: a code from the app, or a recovery code. Wrong codes count toward
    the same lockout as wrong passwords (django-axes, by username and address)."""
    user = twostep.pending_user(request)
    if user is None:
        return _start_again(request)
    factor = twostep.factor_of(user)
    if factor is None:  # reset by an administrator while the login was pending
        return redirect("two_step_enrol")
    credentials = {"username": user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        request.session.pop(twostep.PENDING, None)
        return get_lockout_response(request, None, credentials)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if twostep.use_code(factor, code):
            return _finish(request, user)
        if twostep.use_recovery_code(user, code):
            left = twostep.recovery_codes_left(user)
            _signal(request, user, signals.RECOVERY_CODE_USED, left=left)
            messages.warning(
                request,
                f"You used a recovery code; {left} left. If your phone is lost, ask an administrator "
                "to reset your second factor; otherwise make new recovery codes on your settings page.",
            )
            return _finish(request, user)
        user_login_failed.send(sender=__name__, credentials=credentials, request=request, second_factor=True)
        if getattr(request, "axes_locked_out", False):
            request.session.pop(twostep.PENDING, None)
        form.add_error("code", WRONG_CODE)
    return render(request, "accounts/two_step.html", {"form": form, "pending_user": user})


def _finish(request, user):
    next_url = twostep.pending_next(request)
    twostep.finish(request, user)
    return HttpResponseRedirect(safe_next(request, next_url, fallback=reverse("home")))


@login_not_required
@require_http_methods(["GET", "POST"])
def two_step_enrol(request):
    """Enrol an authenticator app: right after the password for a user who must have a
    second factor (nothing else is reachable until it is done), or from the settings page."""
    pending = not request.user.is_authenticated
    user = twostep.pending_user(request) if pending else request.user
    if user is None:
        return _start_again(request)
    if twostep.factor_of(user) is not None:
        return redirect("two_step" if pending else "profile")
    secret = request.session.get(twostep.CANDIDATE) or twostep.new_secret()
    request.session[twostep.CANDIDATE] = secret
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        step = twostep.matching_step(secret, form.cleaned_data["code"])
        if step is not None:
            codes = twostep.enrol(user, secret, step)
            _signal(request, user, signals.ENROLLED)
            next_url = twostep.pending_next(request) if pending else reverse("profile")
            if pending:
                twostep.finish(request, user)
            request.session.pop(twostep.CANDIDATE, None)
            return _recovery_codes_page(request, codes, next_url, enrolled=True)
        _signal(request, user, signals.ENROLMENT_CODE_FAILED)
        form.add_error("code", "That code does not match. Check the app shows Alliance and try the newest code.")
    uri = twostep.provisioning_uri(secret, user)
    context = {
        "form": form,
        "pending": pending,
        "required": twostep.required_for(user),
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        # A data URI with the SVG namespace, like the self-report links' QR codes.
        "qr": segno.make(uri, error="m").svg_data_uri(scale=4, dark="#1f2d3d", border=4),
    }
    return render(request, "accounts/two_step_enrol.html", context)


def _recovery_codes_page(request, codes, next_url, enrolled=False):
    context = {"codes": codes, "continue_to": safe_next(request, next_url, reverse("home")), "enrolled": enrolled}
    return render(request, "accounts/recovery_codes.html", context)


@require_POST
def recovery_codes_renew(request):
    """A new set of recovery codes (the old ones stop working), confirmed with a current code
    from the app; a wrong code counts toward the lockout like at login."""
    factor = twostep.factor_of(request.user)
    if factor is None:
        return redirect("two_step_enrol")
    form = CodeForm(request.POST)
    if form.is_valid():
        if twostep.use_code(factor, form.cleaned_data["code"]):
            codes = twostep.new_recovery_codes(request.user)
            _signal(request, request.user, signals.RECOVERY_CODES_RENEWED)
            return _recovery_codes_page(request, codes, reverse("profile"))
        credentials = {"username": request.user.get_username()}
        user_login_failed.send(sender=__name__, credentials=credentials, request=request, second_factor=True)
        if getattr(request, "axes_locked_out", False):
            logout(request)
        form.add_error("code", WRONG_CODE)
    return _profile_page(request, ProfileForm(instance=request.user), form)


@require_http_methods(["GET", "POST"])
def profile(request):
    """The user's own settings: their time zone and their second factor."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        user.save(update_fields=["time_zone"])
        messages.success(request, f"Your time zone is now {user.time_zone.replace('_', ' ')}.")
        return redirect("profile")
    return _profile_page(request, form, CodeForm())


def _profile_page(request, form, code_form):
    factor = twostep.factor_of(request.user)
    context = {
        "form": form,
        "now": timezone.now(),
        "factor": factor,
        "codes_left": twostep.recovery_codes_left(request.user) if factor else 0,
        "code_form": code_form,
        "required": twostep.required_for(request.user),
    }
    return render(request, "accounts/profile.html", context)

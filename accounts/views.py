from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import LoginForm, ProfileForm
from alliance.redirects import safe_next

REASONS = {
    "idle": "You were logged out after {minutes} minutes without activity, to protect your clients' records.",
    "expired": "You were logged out because your session reached its limit of {hours} hours. Please log in again.",
}


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
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(SafeNextMixin, auth_views.LogoutView):
    pass


@require_http_methods(["GET", "POST"])
def profile(request):
    """The user's own settings: their time zone."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        user.save(update_fields=["time_zone"])
        messages.success(request, f"Your time zone is now {user.time_zone.replace('_', ' ')}.")
        return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form, "now": timezone.now()})

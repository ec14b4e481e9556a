from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

REASONS = {
    "idle": "You were logged out after {minutes} minutes without activity, to protect your clients' records.",
    "expired": "You were logged out because your session reached its limit of {hours} hours. Please log in again.",
}


@login_not_required
@require_GET
def logged_out(request):
    """Where logoff lands: says why the user was logged out."""
    from django.conf import settings

    reason = REASONS.get(request.GET.get("reason", ""), "You have logged out.")
    message = reason.format(
        minutes=settings.SESSION_IDLE_TIMEOUT // 60, hours=settings.SESSION_ABSOLUTE_TIMEOUT // 3600
    )
    return render(request, "registration/logged_out.html", {"message": message})

"""Home, the supervisor's team dashboard and review notes.

Clients are fetched through the scoping in clients.models (for_user,
editable_by, supervised_by); anything outside it answers 404.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit import log
from clients import insights
from clients.models import Client, TherapySession
from factors.models import Factor
from supervision import dashboard
from supervision.forms import ReviewNoteForm
from supervision.models import ReviewNote

RECENT_SESSIONS = 8


def _get_client_for_reviewer(user, pk):
    """A client of a clinician in `user`'s teams, else 404."""
    return get_object_or_404(Client.objects.supervised_by(user).select_related("clinician"), pk=pk)


def _queue_page(request, clients, form):
    """Filter, sort and page a flag queue; returns (page, rows, query string for the pager)."""
    clients = clients.active().flag_queue(**form.filters()).select_related("clinician")
    clinician = form.chosen_clinician() if "clinician" in form.fields else None
    if clinician:
        clients = clients.filter(clinician=clinician)
    page = Paginator(clients.order_by(*dashboard.QUEUE_SORTS[form.chosen_sort()]), dashboard.QUEUE_PAGE_SIZE)
    page = page.get_page(request.GET.get("page"))
    kept = {k: v for k, v in request.GET.items() if k != "page" and k in form.fields}
    return page, dashboard.queue_rows(page.object_list), urlencode(kept) + "&" if kept else ""


@require_GET
def home(request):
    """The landing page: the user's own flag queue, recent sessions and new review notes."""
    user = request.user
    own = Client.objects.editable_by(user)
    form = dashboard.QueueFilterForm(request.GET)
    page, rows, page_query = _queue_page(request, own, form)
    return render(
        request,
        "supervision/home.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "page_query": page_query,
            "factor_names": dict(Factor.objects.values_list("key", "name")),
            "recent": TherapySession.objects.counted()
            .filter(client__in=own)
            .select_related("client")
            .order_by("-date", "-pk")[:RECENT_SESSIONS],
            "new_notes": ReviewNote.objects.unread().filter(client__in=own).select_related("client", "author")[:5],
            "has_clients": bool(rows) or own.exists(),
        },
    )


@require_GET
def team_dashboard(request):
    """Whom to talk to this week, and about what: the team, the flag queue, the factor map."""
    user = request.user
    if not user.is_supervisor:
        raise Http404("Only supervisors have a team dashboard.")
    today = timezone.localdate()
    clinicians = list(user.supervisees().order_by("last_name", "first_name"))
    clients = list(Client.objects.for_dashboard(user, today))
    form = dashboard.QueueFilterForm(request.GET, clinicians=user.supervisees())
    page, rows, page_query = _queue_page(request, Client.objects.supervised_by(user), form)
    return render(
        request,
        "supervision/dashboard.html",
        {
            "clinicians": clinicians,
            "overview": dashboard.team_overview(clinicians, clients, today),
            "form": form,
            "page": page,
            "rows": rows,
            "page_query": page_query,
            "factor_names": dict(Factor.objects.values_list("key", "name")),
            "factor_map": insights.factor_map(clients, clinicians, by="clinician"),
        },
    )


@require_http_methods(["GET", "POST"])
def review_note_create(request, pk):
    """A supervisor's note on a client; the client page holds the same form."""
    client = _get_client_for_reviewer(request.user, pk)
    insight = insights.for_client(client, list(Factor.objects.in_form_order()))
    form = ReviewNoteForm(request.POST or None, open_flags=insight.flags, label_of=insight.label)
    if request.method == "POST" and form.is_valid():
        note = form.save(client=client, author=request.user)
        reviewed = f" and marked “{note.flag_label}” as reviewed" if note.marks_reviewed else ""
        messages.success(request, f"Review note saved{reviewed}. {client.clinician} will see it on {client}'s page.")
        return redirect(reverse("client_detail", args=[client.pk]) + "#review-notes")
    return render(request, "supervision/review_note_form.html", {"client": client, "form": form})


@require_POST
def review_notes_read(request, pk):
    """The treating clinician marks the client's review notes as read."""
    client = get_object_or_404(Client.objects.editable_by(request.user), pk=pk)
    unread = list(client.review_notes.unread())
    now = timezone.now()
    count = client.review_notes.unread().update(read_at=now)  # a bulk update: audited explicitly below
    log.record_many([log.event(log.Action.UPDATE, note, changes={"read_at": [None, str(now)]}) for note in unread])
    messages.info(request, f"{count} review note{'s' if count != 1 else ''} marked as read.")
    return redirect(reverse("client_detail", args=[client.pk]) + "#review-notes")

"""Home, the supervisor's team dashboard and review notes.

Clients are fetched through the scoping in clients.models (for_user,
editable_by, supervised_by); anything outside it answers 404.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.redirects import redirect_to_next
from audit import log
from clients import insights, progress
from clients.models import Client, TherapySession
from clients.recording import lock_client, refresh_flags
from factors.kinds import FlagKind
from factors.models import Factor
from flags import labels
from flags.models import FlagReview, can_be_known
from supervision import dashboard
from supervision.forms import FlagMarkForm, ReviewNoteForm
from supervision.models import ReviewNote

RECENT_SESSIONS = 8


def _get_client_for_reviewer(user, pk):
    """A client of a clinician in `user`'s teams, else 404."""
    return get_object_or_404(Client.objects.supervised_by(user).select_related("clinician"), pk=pk)


def _queue_page(request, clients, form):
    """Filter, sort and page a flag queue; returns (page, rows, query string for the pager)."""
    clients = dashboard.flag_queue(clients.active(), **form.filters()).select_related("clinician")
    clinician = form.chosen_clinician() if "clinician" in form.fields else None
    if clinician:
        clients = clients.filter(clinician=clinician)
    page = Paginator(clients.order_by(*form.ordering()), dashboard.QUEUE_PAGE_SIZE)
    page = page.get_page(request.GET.get("page"))
    kept = {k: v for k, v in request.GET.items() if k != "page" and k in form.fields}
    rows = dashboard.queue_rows(page.object_list, filters=form.filters())
    return page, rows, urlencode(kept) + "&" if kept else ""


@require_GET
def home(request):
    """The landing page: the user's own flag queue, recent sessions and new review notes."""
    user = request.user
    own = Client.objects.editable_by(user)
    # One's own queue shows every open flag: a supervisor's review does not settle it for the clinician.
    form = dashboard.QueueFilterForm(request.GET, default_review="all")
    page, rows, page_query = _queue_page(request, own, form)
    recent = list(
        TherapySession.objects.editable_by(user)
        .counted()
        .select_related("client")
        .order_by("-date", "-pk")[:RECENT_SESSIONS]
    )
    new_notes = list(ReviewNote.objects.unread().filter(client__in=own).select_related("client", "author")[:5])
    log.record_list(
        "supervision.home", [c.pk for c in rows] + [s.client_id for s in recent] + [n.client_id for n in new_notes]
    )
    return render(
        request,
        "supervision/home.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "page_query": page_query,
            "factor_names": dict(Factor.objects.values_list("key", "name")),
            "recent": recent,
            "new_notes": new_notes,
            "has_clients": bool(rows) or own.exists(),
            "team_counts": dashboard.team_flag_counts(user) if user.is_supervisor else None,
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
    log.record_list("supervision.team_dashboard", [c.pk for c in rows])
    factors = list(Factor.objects.in_form_order())
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
            "factor_names": {f.key: f.name for f in factors},
            "factor_map": insights.factor_map(clients, clinicians, by="clinician", factors=factors),
        },
    )


@require_GET
def alliance_progress(request):
    """The team's clients placed by alliance (open alliance flags or not) and progress on
    the measures, counted per clinician; a cell's link lists its clients."""
    user = request.user
    if not user.is_supervisor:
        raise Http404("Only supervisors have a team dashboard.")
    clinicians = list(user.supervisees().order_by("last_name", "first_name"))
    grid = dashboard.alliance_by_progress(user, clinicians)
    form = dashboard.CellForm(request.GET, clinicians) if request.GET else None
    chosen = None
    if form is not None and form.is_valid():
        data = form.cleaned_data
        chosen = {
            "alliance": dict(dashboard.ALLIANCE_ROWS)[data["alliance"]],
            "progress": progress.PLACE_LABELS[data["progress"]],
            "clinician": next((c for c in clinicians if c.pk == data["clinician"]), None),
            "clients": grid.clients_in(data["alliance"], data["progress"], data["clinician"]),
        }
    log.record_list("supervision.alliance_progress", [c.pk for c in chosen["clients"]] if chosen else [])
    return render(
        request,
        "supervision/alliance_progress.html",
        {
            "clinicians": clinicians,
            "grid": grid,
            "alliance_rows": dashboard.ALLIANCE_ROWS,
            "places": progress.PLACES,
            "form": form,
            "chosen": chosen,
        },
    )


@require_http_methods(["GET", "POST"])
def review_note_create(request, pk):
    """A supervisor's note on a client; the client page holds the same form."""
    client = _get_client_for_reviewer(request.user, pk)
    form = ReviewNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save(client=client, author=request.user)
        messages.success(request, f"Review note saved. {client.clinician} will see it on {client}'s page.")
        return redirect(reverse("client_detail", args=[client.pk]) + "#review-notes")
    log.record(log.Action.VIEW, client, changes={"page": "review note"})
    return render(request, "supervision/review_note_form.html", {"client": client, "form": form})


# --- Marks on flags: reviewed, discussed with the client, known circumstance ----------

MARK_RULES = {
    # action: (who may mark, done message)
    FlagReview.Action.REVIEWED: ("supervisor", "marked reviewed"),
    FlagReview.Action.DISCUSSED: ("clinician", "marked discussed with the client"),
    FlagReview.Action.KNOWN: ("clinician", "marked a known circumstance: it stays on this page, out of the queues"),
    FlagReview.Action.FOLLOWED_UP: ("clinician", "recorded as followed up: the safety alert is closed"),
}


def _get_client_for_marking(user, pk, action):
    """The client whose flag `user` may mark with `action`: a supervisor reviews
    their team's flags; the treating clinician marks their own. Else 404."""
    if MARK_RULES[action][0] == "supervisor":
        return _get_client_for_reviewer(user, pk)
    return get_object_or_404(Client.objects.editable_by(user).select_related("clinician"), pk=pk)


def _open_flags(client, keys):
    """The client's open flags (stored or "stalled") with these identities, in the order asked."""
    flags = {f.identity: f for f in insights.flags_by_urgency(client, list(client.flags.open()))}
    return [flags[key] for key in dict.fromkeys(keys) if key in flags]


def _back(request, client):
    """Back to the page the mark was made on (the queue or the client page)."""
    return redirect_to_next(request, reverse("client_detail", args=[client.pk]) + "#focus")


@require_POST
def flag_mark(request, pk, action):
    """One click: mark a flag reviewed (supervisor), discussed with the client or a
    known circumstance (treating clinician). Audited; a note is optional."""
    if action not in MARK_RULES:
        raise Http404("No such mark.")
    client = _get_client_for_marking(request.user, pk, action)
    form = FlagMarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _back(request, client)
    with transaction.atomic():
        client = lock_client(client.pk)
        flags = _open_flags(client, form.cleaned_data["key"])
        names = dict(Factor.objects.values_list("key", "name"))
        if not flags:
            messages.error(request, "That flag is no longer open; the page below shows the flags as they are now.")
            return _back(request, client)
        if action == FlagReview.Action.KNOWN and not all(can_be_known(f) for f in flags):
            messages.error(request, "Only a low contextual factor can be marked a known circumstance.")
            return _back(request, client)
        refusal = _follow_up_refusal(action, flags, form.cleaned_data["note"])
        if refusal:
            messages.error(request, refusal)
            return _back(request, client)
        done = FlagReview.objects.filter(client=client, action=action, key__in=[f.identity for f in flags])
        done = set(done.values_list("key", flat=True))
        fresh = [f for f in flags if f.identity not in done]
        created = FlagReview.objects.bulk_create(
            [
                FlagReview(
                    client=client,
                    key=flag.identity,
                    kind=flag.kind,
                    since=flag.since,
                    action=action,
                    by=request.user,
                    note=form.cleaned_data["note"],
                    as_of_session_id=client.latest_session_id,
                    rating=getattr(flag, "latest", None),
                )
                for flag in fresh
            ]
        )
        log.record_many(
            [log.event(log.Action.CREATE, r, client_id=client.pk, changes=_mark_changes(r)) for r in created]
        )
        refresh_flags(client, locked=True)
    what = labels.label(flags[0], names) + (f" and {len(flags) - 1} more" if len(flags) > 1 else "")
    if not fresh:
        messages.info(request, f"{client.label}: {what} was already {MARK_RULES[action][1].split(':')[0]}.")
    else:
        messages.success(request, f"{client.label}: {what} {MARK_RULES[action][1]}.")
    return _back(request, client)


def _follow_up_refusal(action, flags, note):
    """A safety alert closes only by a follow-up, and a follow-up needs its note; nothing else is followed up."""
    is_safety = [f.kind == FlagKind.SAFETY for f in flags]
    if action == FlagReview.Action.FOLLOWED_UP:
        if not all(is_safety):
            return "Only a safety alert is followed up."
        if not note:
            return "Write what you did to follow the safety alert up (who you contacted, when, and what was agreed)."
    elif action in (FlagReview.Action.DISCUSSED, FlagReview.Action.KNOWN) and any(is_safety):
        return "A safety alert closes only when you record your follow-up, with a note."
    return ""


def _mark_changes(review):
    return {"action": review.action, "flag": review.key, **({"note": log.CHANGED} if review.note else {})}


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

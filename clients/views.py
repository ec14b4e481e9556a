"""Clinician pages: caseload, client record and session logging.

Every object is fetched through a `_get_<object>_for_user` helper, which
returns it only if it is in the user's scope (models: `for_user`) and
answers 404 otherwise, so a record outside one's scope does not reveal
that it exists.
"""

from typing import NamedTuple

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import F
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.redirects import redirect_to_next
from audit import log
from clients import chart, exports, insights, progress, recording
from clients.forms import ClientForm, PromptTrialForm, SessionForm, VoidSessionForm
from clients.models import Client, PromptTrial, Rating, TherapySession
from clients.recording import ClientNotActiveError, StaleClientError, StaleSessionError, VoidedSessionError
from factors.models import Domain, Factor
from measures.models import Instrument

CASELOAD_PAGE_SIZE = 25
SESSIONS_PAGE_SIZE = 20
STATUS_FILTERS = {"active": "Active", "discharged": "Discharged", "all": "All"}
# ?sort= value -> ordering. Anything else falls back to the default.
CASELOAD_SORTS = {
    "label": [F("label").asc()],
    "-label": [F("label").desc()],
    "last": [F("last_session_on").asc(nulls_first=True), "label"],
    "-last": [F("last_session_on").desc(nulls_last=True), "label"],
    "sessions": [F("session_count").asc(), "label"],
    "-sessions": [F("session_count").desc(), "label"],
    "index": [F("latest_index").asc(nulls_last=True), "label"],
    "-index": [F("latest_index").desc(nulls_last=True), "label"],
    "flags": [F("attention").asc(), "label"],
    "-flags": [F("attention").desc(), "label"],
}
DEFAULT_SORT = "label"


def _get_client_for_user(user, pk, edit=False):
    """The client if `user` may see it (or, with edit=True, change it); else 404."""
    clients = Client.objects.editable_by(user) if edit else Client.objects.for_user(user)
    return get_object_or_404(clients.select_related("clinician"), pk=pk)


def _get_session_for_user(user, pk, edit=False):
    sessions = TherapySession.objects.editable_by(user) if edit else TherapySession.objects.for_user(user)
    return get_object_or_404(sessions.select_related("client__clinician"), pk=pk)


def _get_clinician_for_user(user, pk):
    """The user themself, or a clinician in a team they supervise; else 404."""
    if not pk or str(pk) == str(user.pk):
        return user
    if not str(pk).isdecimal():
        raise Http404("No such clinician.")
    return get_object_or_404(user.supervisees(), pk=pk)


@require_GET
def caseload(request):
    """A caseload: the user's own, or (?clinician=) a supervisee's, read-only."""
    clinician = _get_clinician_for_user(request.user, request.GET.get("clinician"))
    status = request.GET.get("status", "active")
    if status not in STATUS_FILTERS:
        status = "active"
    sort = request.GET.get("sort", DEFAULT_SORT)
    if sort not in CASELOAD_SORTS:
        sort = DEFAULT_SORT
    query = request.GET.get("q", "").replace("\x00", "").strip()[:40]  # PostgreSQL refuses NUL in text

    clients = Client.objects.for_caseload(request.user, clinician)
    if status == "active":
        clients = clients.active()
    elif status == "discharged":
        clients = clients.discharged()
    if query:
        clients = clients.search(query)
    page = Paginator(clients.order_by(*CASELOAD_SORTS[sort]), CASELOAD_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = TherapySession.objects.attach_recent(insights.attach_badges(page.object_list))
    log.record_list("clients.caseload", [c.pk for c in rows])
    own = clinician == request.user
    params = {"status": status, "q": query, **({} if own else {"clinician": clinician.pk})}
    factors = list(Factor.objects.in_form_order())
    return render(
        request,
        "clients/caseload.html",
        {
            "clinician": clinician,
            "own": own,
            "page": page,
            "rows": rows,
            "page_query": urlencode({**params, "sort": sort}) + "&",
            "columns": _sort_columns(sort, params),
            "factor_names": {f.key: f.name for f in factors},
            "factor_map": insights.factor_map(rows, rows, by="client", factors=factors),
            "status": status,
            "status_label": STATUS_FILTERS[status],
            "status_filters": STATUS_FILTERS,
            "sort": sort,
            "query": query,
            "has_any_client": bool(rows) or Client.objects.for_caseload(request.user, clinician).exists(),
        },
    )


def _sort_columns(sort, params):
    """Header links for the caseload table; a second click reverses the order."""
    columns = []
    for key, label, css in [
        ("label", "Client", ""),
        ("last", "Last session", ""),
        ("sessions", "Sessions", "num"),
        ("index", "Latest index", "num"),
        ("flags", "Flags", ""),
    ]:
        aria_sort = {key: "ascending", f"-{key}": "descending"}.get(sort, "")
        next_sort = f"-{key}" if sort == key else key
        columns.append(
            {
                "label": label,
                "css": css,
                "aria_sort": aria_sort,
                "query": urlencode({**params, "sort": next_sort}),
            }
        )
    return columns


@require_http_methods(["GET", "POST"])
def client_create(request):
    form = ClientForm(request.POST or None, clinician=request.user)
    if request.method == "POST" and form.is_valid():
        client = form.save()
        messages.success(request, f"Client {client.label} added. Log their first session when you have seen them.")
        return redirect("client_detail", pk=client.pk)
    return render(request, "clients/client_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def client_edit(request, pk):
    client = _get_client_for_user(request.user, pk, edit=True)
    label = client.label
    form = ClientForm(request.POST or None, instance=client, clinician=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            form.save()
        except StaleClientError:
            form.add_error(
                None,
                f"Someone else changed {label} after you opened this page, so your changes were not saved. "
                "Your values are still below: open the client in another tab to see what changed, "
                "then open “Edit client” again to make yours.",
            )
        else:
            messages.success(request, f"Changes to {client.label} saved.")
            return redirect("client_detail", pk=client.pk)
    log.record(log.Action.VIEW, client, changes={"page": "edit"})
    return render(request, "clients/client_form.html", {"form": form, "client": client})


@require_GET
def client_detail(request, pk):
    client = _get_client_for_user(request.user, pk)
    log.record(log.Action.VIEW, client)
    factors = list(Factor.objects.in_form_order())
    sessions = client.sessions.order_by("-date", "-pk")
    page = Paginator(sessions, SESSIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    # The list shows voided sessions (struck through); the heat map only the counted ones.
    chronological = [s for s in reversed(page.object_list) if not s.is_voided]
    insight = insights.for_client(client, factors)
    can_review = request.user.is_supervisor and Client.objects.supervised_by(request.user).filter(pk=pk).exists()
    review_notes = list(client.review_notes.select_related("author"))
    return render(
        request,
        "clients/client_detail.html",
        {
            "client": client,
            "can_edit": client.clinician_id == request.user.pk,
            "can_review": can_review,
            "review_notes": review_notes,
            "unread_notes": sum(1 for note in review_notes if note.read_at is None),
            "page": page,
            "sessions": chronological,
            "voided_count": page.paginator.count - client.session_count,
            "grid": _rating_grid(chronological, factors),
            "insight": insight,
            "chart": chart.chart_data(insight),
            "setting_names": dict(TherapySession.Setting.choices),
        },
    )


class GridRating(NamedTuple):
    score: int | None
    note: str


def _rating_grid(sessions, factors):
    """[(domain label, [(factor, [rating or None per session]), ...]), ...] (one query; the
    ratings as plain (score, note) pairs: a page holds hundreds)."""
    rows = Rating.objects.filter(session_id__in=[s.pk for s in sessions]).order_by()
    rated = {
        (sid, fid): GridRating(score, note)
        for sid, fid, score, note in rows.values_list("session_id", "factor_id", "score", "note")
    }
    return [
        (label, [(f, [rated.get((s.pk, f.pk)) for s in sessions]) for f in factors if f.domain == value])
        for value, label in Domain.choices
    ]


def _instruments():
    """The active progress measures with their items, options and bands (four queries)."""
    return Instrument.objects.active().with_parts()


def _session_form_page(request, form, client, session=None):
    """The session form; showing it for a client (or a session) is a view of that record."""
    if session is not None:
        log.record(log.Action.VIEW, session, changes={"page": "edit"})
    elif client is not None:
        log.record(log.Action.VIEW, client, changes={"page": "new session"})
    return render(request, "clients/session_form.html", {"form": form, "client": client, "session": session})


def _save_session(request, form):
    """Save a valid session form; on a race with a duplicate or a concurrent edit,
    report it on the form with the typed values kept."""
    try:
        session = form.save()
    except IntegrityError:
        form.add_error("date", "This session was logged by another request a moment ago. Reload the client page.")
        return None
    except VoidedSessionError:
        form.add_error(None, "This session was voided after you opened it, so it can no longer be changed.")
        return None
    except ClientNotActiveError:
        form.add_error("client", "This client was discharged after you opened the form; nothing was saved.")
        return None
    except StaleSessionError:
        form.add_error(
            None,
            "Someone else changed this session after you opened it, so your changes were not saved. "
            "Your values are still below: open the session again in another tab to see theirs, then save yours.",
        )
        return None
    messages.success(request, f"{session.client.label}: session of {date_format(session.date)} saved.")
    return session


@require_http_methods(["GET", "POST"])
def session_create(request):
    factors = Factor.objects.in_form_order()
    initial = {}
    client_id = request.GET.get("client", "")
    preselected = (
        Client.objects.editable_by(request.user).active().filter(pk=int(client_id)).first()
        if client_id.isdecimal() and len(client_id) < 19
        else None
    )
    if preselected:
        initial["client"] = preselected
        if preselected.usual_setting == Client.UsualSetting.ONLINE:
            initial["setting"] = TherapySession.Setting.ONLINE
    form = SessionForm(
        request.POST or None, initial=initial, user=request.user, factors=factors, instruments=_instruments()
    )
    if request.method == "POST" and form.is_valid():
        session = _save_session(request, form)
        if session:
            return redirect("session_detail", pk=session.pk)
    return _session_form_page(request, form, form.session_client if form.is_bound else preselected)


@require_GET
def session_detail(request, pk):
    session = _get_session_for_user(request.user, pk)
    log.record(log.Action.VIEW, session)
    factors = list(Factor.objects.in_form_order())
    ratings = session.ratings.select_related("factor").order_by("factor__order")
    insight = insights.for_client(session.client, factors)
    latest = session.pk == insight.latest_session_id
    return render(
        request,
        "clients/session_detail.html",
        {
            "session": session,
            "client": session.client,
            "scores": [
                ("Overall index", session.overall_score),
                ("Therapist", session.therapist_score),
                ("Client", session.client_score),
                ("Context", session.contextual_score),
            ],
            "domains": [(label, [r for r in ratings if r.factor.domain == value]) for value, label in Domain.choices],
            "insight": insight,
            "can_edit": session.client.clinician_id == request.user.pk,
            "changes": insights.session_changes(insight.points, session.pk, insight.factor_names),
            "raised": [f for f in insight.flags if session.pk in getattr(f, "session_ids", ())],
            # The latest session shows today's flags and focus; an earlier one, the flags as they stood after it.
            "is_latest": latest,
            "flags_then": None if latest else insights.flags_after(insight, session.pk, factors),
        },
    )


@require_POST
def prompt_trial(request, pk):
    """Mark a focus prompt as the one to try next (or take that back)."""
    client = _get_client_for_user(request.user, pk, edit=True)
    latest = client.sessions.counted().order_by("-date", "-pk").first()
    form = PromptTrialForm(request.POST)
    if latest is None:
        messages.error(request, "Log a session first: a prompt is tried after a session.")
    elif not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    else:
        prompt = form.cleaned_data["prompt"]
        trials = PromptTrial.objects.filter(client=client, prompt=prompt, after_session=latest)
        if form.cleaned_data["action"] == "try":
            PromptTrial.objects.get_or_create(
                client=client, prompt=prompt, after_session=latest, defaults={"chosen_by": request.user}
            )
            messages.success(
                request,
                f"Noted: you will try this{' for ' + prompt.factor.name.lower() if prompt.factor_id else ''}. "
                "The client page will show "
                "whether it rose, held or fell over the next sessions.",
            )
        else:
            trials.delete()
            messages.info(request, "Taken off your plan for the next session.")
    return redirect_to_next(request, fallback=reverse("client_detail", args=[client.pk]), fragment="focus")


@require_http_methods(["GET", "POST"])
def session_edit(request, pk):
    session = _get_session_for_user(request.user, pk, edit=True)
    if session.is_voided:
        messages.info(request, "This session is voided: it stays in the record as it was and cannot be edited.")
        return redirect("session_detail", pk=session.pk)
    form = SessionForm(
        request.POST or None,
        instance=session,
        user=request.user,
        factors=Factor.objects.in_form_order(),
        instruments=_instruments(),
    )
    if request.method == "POST" and form.is_valid() and _save_session(request, form):
        return redirect("session_detail", pk=session.pk)
    return _session_form_page(request, form, session.client, session)


@require_http_methods(["GET", "POST"])
def session_void(request, pk):
    """Void a session logged in error: asks for the reason first; keeps the session."""
    session = _get_session_for_user(request.user, pk, edit=True)
    if session.is_voided:
        messages.info(request, "This session was already voided.")
        return redirect("session_detail", pk=session.pk)
    form = VoidSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recording.void_session(session, request.user, form.cleaned_data["reason"])
        except VoidedSessionError:
            messages.info(request, "This session was already voided.")
        else:
            messages.success(
                request,
                f"The session of {date_format(session.date)} is voided. It stays in the record, marked as "
                f"voided, and no longer counts in {session.client.label}'s scores, chart or flags.",
            )
        return redirect("session_detail", pk=session.pk)
    log.record(log.Action.VIEW, session, changes={"page": "void"})
    return render(request, "clients/session_void.html", {"form": form, "session": session, "client": session.client})


@require_http_methods(["GET", "POST"])
def client_discharge(request, pk):
    """Discharge (the app's only way to "remove" a client): asks first, keeps the record,
    closes the client's open self-report links."""
    client = _get_client_for_user(request.user, pk, edit=True)
    if request.method == "POST":
        recording.discharge(client)
        messages.success(
            request, f"{client.label} is discharged. The record is kept; you can reactivate it by editing."
        )
        return redirect("client_detail", pk=client.pk)
    log.record(log.Action.VIEW, client, changes={"page": "discharge"})
    return render(request, "clients/client_discharge.html", {"client": client})


# --- Exports for the record (each audited) -------------------------------------------


def _download(content, filename, content_type):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def client_export_csv(request, pk):
    client = _get_client_for_user(request.user, pk)
    log.record(log.Action.EXPORT, client, changes={"format": "csv"})
    content = exports.client_csv(client, exports.ordered_factors(), progress.names(progress.scored_rules()))
    return _download(content, f"client-{client.pk}-sessions.csv", "text/csv; charset=utf-8")


@require_GET
def caseload_export_csv(request):
    clinician = _get_clinician_for_user(request.user, request.GET.get("clinician"))
    clients = Client.objects.for_caseload(request.user, clinician).with_open_flags().order_by("label")
    clients = insights.attach_flags(clients)
    log.record(
        log.Action.EXPORT, object_type="clients.caseload", changes={"format": "csv", "clients": [c.pk for c in clients]}
    )
    rules = progress.scored_rules()
    found = progress.for_clients([c.pk for c in clients], rules)
    names = dict(Factor.objects.values_list("key", "name"))
    content = exports.caseload_csv(clients, names, progress.names(rules), found)
    return _download(content, f"caseload-{clinician.username}-{timezone.localdate()}.csv", "text/csv; charset=utf-8")


@require_GET
def fhir_questionnaire(request):
    return JsonResponse(exports.questionnaire(exports.ordered_factors()), content_type="application/fhir+json")


@require_GET
def session_fhir(request, pk):
    session = _get_session_for_user(request.user, pk)
    log.record(log.Action.EXPORT, session, changes={"format": "fhir"})
    data = exports.questionnaire_response(session, exports.ordered_factors())
    response = JsonResponse(data, content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}.fhir.json"'
    return response


@require_GET
def session_measures_fhir(request, pk):
    """The session's completed measures: a FHIR R4 Bundle of QuestionnaireResponses and total Observations."""
    session = _get_session_for_user(request.user, pk)
    log.record(log.Action.EXPORT, session, changes={"format": "fhir", "part": "measures"})
    data = exports.measures_bundle(session, exports.measure_responses(session))
    response = JsonResponse(data, content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}-measures.fhir.json"'
    return response


@require_GET
def client_summary(request, pk):
    """A print-ready summary for supervision: header, flags, chart data table, heat map."""
    client = _get_client_for_user(request.user, pk)
    log.record(log.Action.VIEW, client, changes={"page": "print summary"})
    factors = list(Factor.objects.in_form_order())
    insight = insights.for_client(client, factors)
    recent = client.sessions.counted().order_by("-date", "-pk").prefetch_related("ratings")[:SESSIONS_PAGE_SIZE]
    recent = list(recent)[::-1]
    return render(
        request,
        "clients/client_summary.html",
        {
            "client": client,
            "insight": insight,
            "sessions": recent,
            "grid": _rating_grid(recent, factors),
            "chart": chart.chart_data(insight),
            "setting_names": dict(TherapySession.Setting.choices),
            "printed_at": timezone.now(),
        },
    )

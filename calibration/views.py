"""Calibration pages: a clinician's agreement with clients and observers, the blind
observation form, the vignettes, and a supervisor's team view.

Sessions, clients and clinicians are fetched through the scoping in
clients.models; anything outside it answers 404.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from audit import log
from calibration import agreement, pairs
from calibration.forms import FactorRatingsForm, ObservationForm
from calibration.models import Observation, Vignette, VignetteAttempt
from calibration.recording import AlreadyObserved, save_attempt, save_observation
from clients.models import Client, Rating, TherapySession
from clients.views import _get_clinician_for_user
from factors.models import Factor

SESSIONS_TO_OBSERVE = 15


def _get_session_for_observer(user, pk):
    """A counted session of a client of a clinician in `user`'s teams, else 404."""
    sessions = TherapySession.objects.counted().filter(client__in=Client.objects.supervised_by(user))
    return get_object_or_404(sessions.select_related("client__clinician"), pk=pk)


def _get_vignette_for_user(user, pk):
    """An active vignette (any signed-in user may rate one), else 404."""
    return get_object_or_404(Vignette.objects.active().prefetch_related("references__factor"), pk=pk)


@require_GET
def calibration_mine(request):
    """The user's own calibration page."""
    return _calibration_page(request, request.user)


@require_GET
def calibration_clinician(request, pk):
    """A clinician's calibration: themselves, or a supervisor for a clinician in their team."""
    return _calibration_page(request, _get_clinician_for_user(request.user, pk))


def _calibration_page(request, clinician):
    against_clients, against_observers = pairs.agreements([clinician.pk])[clinician.pk]
    order = dict(Factor.objects.values_list("key", "order"))
    for stats in (against_clients, against_observers):
        stats.factors.sort(key=lambda f: order.get(f.factor, 0))
    attempts = _first_attempts(VignetteAttempt.objects.filter(clinician=clinician))
    # Agreement statistics about a member of staff, drawn from their clients' answers: audited.
    log.record(log.Action.VIEW, clinician, changes={"page": "calibration"})
    return render(
        request,
        "calibration/clinician.html",
        {
            "clinician": clinician,
            "own": clinician.pk == request.user.pk,
            "against_clients": against_clients,
            "against_observers": against_observers,
            "rates_high": agreement.rates_high(against_clients),
            "attempts": attempts,
            "factor_names": dict(Factor.objects.values_list("key", "name")),
            "min_sessions": agreement.MIN_SESSIONS,
            "min_factor_pairs": agreement.MIN_FACTOR_PAIRS,
        },
    )


def _compare(attempt):
    attempt.differences = agreement.differences(attempt.scores, attempt.reference)
    rated = [d for d in attempt.differences.values() if d is not None]
    attempt.compared = len(rated)
    attempt.exact = sum(1 for d in rated if d == 0)
    attempt.mean_difference = sum(rated) / len(rated) if rated else None


def _first_attempts(attempts):
    """The first attempt of each clinician at each vignette, with its comparison: the only one rated
    blind (the comparison shows the reference). `.later`: how many attempts came after it;
    `.latest`: the newest of those (compared too), or None. One query plus prefetches."""
    first = {}
    for attempt in (
        attempts.select_related("vignette", "clinician")
        .prefetch_related("ratings__factor")
        .order_by("created_at", "pk")
    ):
        key = (attempt.clinician_id, attempt.vignette_id)
        if key not in first:
            attempt.later, attempt.latest = 0, None
            first[key] = attempt
        else:
            first[key].later += 1
            first[key].latest = attempt
    for attempt in first.values():
        _compare(attempt)
        if attempt.latest:
            _compare(attempt.latest)
    return list(first.values())


@require_GET
def calibration_team(request):
    """A supervisor's team: each clinician's agreement, their vignette results, sessions to observe."""
    user = request.user
    if not user.is_supervisor:
        raise Http404("Only supervisors have a team.")
    clinicians = list(user.supervisees().order_by("last_name", "first_name"))
    stats = pairs.agreements([c.pk for c in clinicians])
    rows = [(c, *stats[c.pk]) for c in clinicians]
    attempts = _first_attempts(VignetteAttempt.objects.filter(clinician__in=clinicians))
    observed = Observation.objects.filter(observer=user).values("session_id")
    to_observe = list(
        TherapySession.objects.counted()
        .filter(client__in=Client.objects.supervised_by(user).active())
        .exclude(pk__in=observed)
        .select_related("client__clinician")
        .order_by("-date", "-pk")[:SESSIONS_TO_OBSERVE]
    )
    mine = list(
        Observation.objects.filter(observer=user).select_related("session__client__clinician")[:SESSIONS_TO_OBSERVE]
    )
    observed_count = len(mine) if len(mine) < SESSIONS_TO_OBSERVE else Observation.objects.filter(observer=user).count()
    log.record_list("calibration.team", [s.client_id for s in to_observe] + [o.session.client_id for o in mine])
    vignettes = list(Vignette.objects.active())
    by_clinician = {}
    for attempt in attempts:
        by_clinician.setdefault(attempt.clinician_id, {})[attempt.vignette_id] = attempt
    return render(
        request,
        "calibration/team.html",
        {
            "rows": rows,
            "vignettes": vignettes,
            "results": [(c, [by_clinician.get(c.pk, {}).get(v.pk) for v in vignettes]) for c in clinicians],
            "to_observe": to_observe,
            "observed": mine,
            "observed_count": observed_count,
        },
    )


@require_http_methods(["GET", "POST"])
def observation(request, pk):
    """The blind form, for a supervisor of the session's clinician; once saved, the comparison."""
    session = _get_session_for_observer(request.user, pk)
    existing = Observation.objects.filter(session=session, observer=request.user).with_ratings().first()
    if existing:
        if request.method == "POST":
            messages.info(request, "You have already observed this session: your observation is below.")
            return redirect("observation", session.pk)
        log.record(log.Action.VIEW, session, changes={"page": "observation comparison"})
        return render(request, "calibration/observation_compare.html", _comparison(session, existing))
    factors = list(Factor.objects.in_form_order())
    form = ObservationForm(request.POST if request.method == "POST" else None, factors=factors)
    if request.method == "POST" and form.is_valid():
        try:
            save_observation(session, request.user, form.cleaned_data["note"], form.ratings())
        except AlreadyObserved:
            messages.info(request, "You have already observed this session: your observation is below.")
        else:
            messages.success(request, "Observation saved. Here is how it compares with the clinician's ratings.")
        return redirect("observation", session.pk)
    # Blind: nothing of the clinician's ratings or notes goes into this page.
    log.record(log.Action.VIEW, session, changes={"page": "observation form"})
    return render(request, "calibration/observation_form.html", {"session": session, "form": form})


def _comparison(session, observation):
    ratings = {r.factor_id: r for r in Rating.objects.filter(session=session)}
    rows = []
    for item in observation.ratings.all():
        mine = ratings.get(item.factor_id)
        score = mine.score if mine else None
        diff = score - item.rating if score is not None and item.rating is not None else None
        rows.append((item.factor, score, item.rating, diff))
    return {"session": session, "client": session.client, "observation": observation, "rows": rows}


@require_GET
def vignette_list(request):
    vignettes = list(Vignette.objects.active())
    attempts = {a.vignette_id: a for a in _first_attempts(VignetteAttempt.objects.filter(clinician=request.user))}
    return render(
        request,
        "calibration/vignette_list.html",
        {"vignettes": [(v, attempts.get(v.pk)) for v in vignettes]},
    )


@require_http_methods(["GET", "POST"])
def vignette(request, pk):
    """Rate a vignette (its reference ratings are not in the page); once rated, the comparison."""
    item = _get_vignette_for_user(request.user, pk)
    found = _first_attempts(VignetteAttempt.objects.filter(clinician=request.user, vignette=item))
    factors = list(Factor.objects.in_form_order())
    if found and request.method == "GET" and "again" not in request.GET:
        first = found[0]
        attempt = first.latest or first
        scores, reference = attempt.scores, attempt.reference  # the reference the attempt was compared with
        rows = [(f, scores.get(f.key), reference.get(f.key), attempt.differences.get(f.key)) for f in factors]
        return render(
            request,
            "calibration/vignette_compare.html",
            {"vignette": item, "attempt": attempt, "first": first, "rows": rows},
        )
    form = FactorRatingsForm(request.POST if request.method == "POST" else None, factors=factors)
    if request.method == "POST" and form.is_valid():
        save_attempt(item, request.user, form.ratings())
        messages.success(request, "Your ratings are saved. Here is how they compare with the reference.")
        return redirect("vignette", item.pk)
    return render(request, "calibration/vignette_form.html", {"vignette": item, "form": form})

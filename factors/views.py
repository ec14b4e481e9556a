"""Clinical guidance pages: the same for every signed-in user, no client data."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from factors.kinds import FlagKind
from factors.models import Factor, Prompt

KIND_RANK = {kind: rank for rank, kind in enumerate(FlagKind.values)}


@require_GET
def guidance(request):
    """How to use the ratings safely: going over the client's answers, the limits of
    self-rating, safety pathways, and judging attachment style."""
    return render(request, "factors/guidance.html")


@require_GET
def prompt_library(request):
    """Every active prompt, by factor and kind, with where it comes from."""
    prompts = sorted(
        Prompt.objects.active().select_related("factor"), key=lambda p: (KIND_RANK[p.applies_to], p.order, p.pk)
    )
    by_factor = [(f, [p for p in prompts if p.factor_id == f.pk]) for f in Factor.objects.in_form_order()]
    general = [p for p in prompts if p.factor_id is None]
    return render(
        request,
        "factors/prompt_library.html",
        {"by_factor": by_factor, "general": general, "sources": Prompt.Source.choices},
    )

"""Self-report parts of the client page, so the clients app need not import this one."""

from django import template
from django.db.models import Exists, OuterRef, Prefetch, prefetch_related_objects

from selfreport.models import Question, SelfReportLink, SelfReportRating

register = template.Library()


@register.simple_tag
def recent_links(client, count=5):
    """The client's latest self-report links (one query)."""
    return list(SelfReportLink.objects.filter(session__client=client).select_related("session")[:count])


@register.simple_tag
def answer_names():
    """{answer key: what the question asks about}, for the client's view."""
    return Question.objects.names()


@register.simple_tag
def client_words(insight):
    """The free text of the answers shown in the client's view, or ""."""
    view = insight.client_view
    shown = SelfReportLink.objects.answer_shown_for(view[0].id) if view else None
    return shown.comment if shown else ""


@register.simple_tag
def earlier_answers(client):
    """The answer sets that no longer count: for a session answered through several links,
    every one but the latest (which counts; a link counts once it holds answers, as
    SelfReportRating.objects.latest_by_session reads them). Kept and shown, oldest session
    first. One query for the links; their answers only for those shown (most clients: none)."""
    links = (
        SelfReportLink.objects.filter(session__client=client, used_at__isnull=False, session__voided_at=None)
        .filter(Exists(SelfReportRating.objects.filter(link=OuterRef("pk"))))
        .select_related("session")
        .order_by("session__date", "session_id", "used_at", "pk")
    )
    by_session = {}
    for link in links:
        by_session.setdefault(link.session_id, []).append(link)
    superseded = [link for answered in by_session.values() for link in answered[:-1]]
    in_page_order = SelfReportRating.objects.select_related("question").order_by("question__order", "question_id")
    prefetch_related_objects(superseded, Prefetch("ratings", queryset=in_page_order))
    return superseded

"""Self-report parts of the client page, so the clients app need not import this one."""

from dataclasses import dataclass, field

from django import template
from django.db.models import Exists, OuterRef, Prefetch, prefetch_related_objects

from measures.models import MeasureResponse
from selfreport.models import Question, SelfReportLink, SelfReportRating

register = template.Library()
RECENT_LINKS = 5


@dataclass
class Section:
    """What the client page's self-report section shows (selfreport/_client_section.html)."""

    links: list = field(default_factory=list)  # the latest links, newest first, with their state
    superseded: list = field(default_factory=list)  # answer sets that no longer count
    words: str = ""  # the free text of the answers shown in the client's view
    names: dict = field(default_factory=dict)  # {answer key: what the question asks about}


@register.simple_tag
def self_report_section(client, insight):
    """The section's parts from one query of the client's links (plus the question names
    when answers are shown, and the earlier answers' ratings when there are any).

    - links: the RECENT_LINKS latest, newest first;
    - words: the comment of the link whose answers the client's view shows (the latest
      answered link of that session: SelfReportLink.objects.answer_shown_for);
    - superseded: for a session answered through several links, every one but the latest
      (which counts; a link counts once it holds answers, as
      SelfReportRating.objects.latest_by_session reads them), oldest session first."""
    links = list(
        SelfReportLink.objects.filter(session__client=client)
        .annotate(has_answers=Exists(SelfReportRating.objects.filter(link=OuterRef("pk"))))
        .select_related("session")
        .order_by("-created_at", "-pk")
    )
    section = Section(links=links[:RECENT_LINKS])
    view = insight.client_view
    if view:
        shown = max((k for k in links if k.session_id == view[0].id and k.used_at), key=_answered, default=None)
        section.words = shown.comment if shown else ""
    answered = sorted(
        (k for k in links if k.used_at and k.has_answers and k.session.voided_at is None),
        key=lambda k: (k.session.date, k.session_id, *_answered(k)),
    )
    by_session = {}
    for link in answered:
        by_session.setdefault(link.session_id, []).append(link)
    section.superseded = [link for links_of in by_session.values() for link in links_of[:-1]]
    if section.superseded:  # their answers, and the progress measures answered with them (two queries)
        in_page_order = SelfReportRating.objects.select_related("question").order_by("question__order", "question_id")
        measures = MeasureResponse.objects.select_related("instrument").order_by("instrument__order", "pk")
        prefetch_related_objects(
            section.superseded,
            Prefetch("ratings", queryset=in_page_order),
            Prefetch("measure_responses", queryset=measures),
        )
    if view or section.superseded:
        section.names = Question.objects.names()
    return section


def _answered(link):
    return (link.used_at, link.pk)

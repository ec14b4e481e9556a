"""Self-report parts of the client page, so the clients app need not import this one."""

from django import template

from selfreport.models import Question, SelfReportLink

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

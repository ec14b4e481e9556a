"""Self-report parts of the client page, so the clients app need not import this one."""

from django import template

from selfreport.models import SelfReportLink

register = template.Library()


@register.simple_tag
def recent_links(client, count=5):
    """The client's latest self-report links (one query)."""
    return list(SelfReportLink.objects.filter(session__client=client).select_related("session")[:count])

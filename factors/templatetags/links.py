"""`{{ pk|pk_url:"name" }}`: the address of one object's page, for rows of a list
(alliance/links.py: `{% url %}` re-resolves the URL on every row). In the bottom
app so that every template can load it."""

from django import template

from alliance.links import pk_url as _pk_url

register = template.Library()


@register.filter
def pk_url(pk, name):
    return _pk_url(name, pk)

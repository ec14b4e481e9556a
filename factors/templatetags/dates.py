"""`{{ value|day }}`: a date in the one format every page uses (issue 13): the active
language's DATE_FORMAT, exactly as `{{ value|date:"DATE_FORMAT" }}` gives it.

Loaded on every template (TEMPLATES builtins in alliance/settings.py). A page of
sessions formats a hundred dates at about 17 µs each, most of them the same few
days; a date (not a datetime, which is first put in the user's time zone) is
formatted once per language and remembered.
"""

import functools
from datetime import date

from django import template
from django.utils import formats
from django.utils.translation import get_language

register = template.Library()


@functools.lru_cache(maxsize=4096)
def _formatted(value: date, language: str) -> str:
    return formats.date_format(value, "DATE_FORMAT")


@register.filter(expects_localtime=True)
def day(value):
    if value in (None, ""):
        return ""
    try:
        if type(value) is date:
            return _formatted(value, get_language())
        return formats.date_format(value, "DATE_FORMAT")
    except AttributeError:  # not a date: nothing, as the date filter gives
        return ""

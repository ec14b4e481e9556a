"""Redirects to an address the request supplied (a `next` field or parameter).

The one place that decides whether such an address may be followed. Every view
that redirects to user input goes through `safe_next`; the result is sent with
HttpResponseRedirect, never `redirect()` (which would try to reverse a string
without a slash as a view name and fail with a server error).
"""

import re
from urllib.parse import unquote

from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

MAX_LENGTH = 2000
FIELD = "next"  # the form field (or parameter) naming the page to go back to
# Only the characters RFC 3986 allows in a URL: no markup, double quotes,
# spaces, backslashes, NUL or other control characters.
_URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def is_safe_local_path(request, value) -> bool:
    """True if `value` is a path on this site: one leading slash, plain URL
    characters, no scheme or host of its own, and not absurdly long."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_LENGTH
        and value.startswith("/")
        and not value.startswith("//")
        and _URL_CHARACTERS.fullmatch(value) is not None
        and not _CONTROL.search(unquote(value))  # nor percent-encoded ones
        and not unquote(value).startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    )


def safe_next(request, value, fallback):
    """`value` if it is a safe local path (see is_safe_local_path), else `fallback`."""
    return value if is_safe_local_path(request, value) else fallback


def redirect_to_next(request, fallback, fragment=""):
    """Redirect to the posted `next` if it is a safe local path, else to `fallback`
    (the page the form belongs to); `fragment` replaces any fragment it had."""
    url = safe_next(request, request.POST.get(FIELD, ""), fallback)
    if fragment:
        url = f"{url.split('#')[0]}#{fragment}"
    return HttpResponseRedirect(url)

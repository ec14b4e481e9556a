"""Links to one object's page, built without resolving the URL each time.

`reverse("session_detail", args=[pk])` (and `{% url %}`) costs about 30 µs:
Django rebuilds the candidate address and checks it against the pattern's
regular expression on every call, and a page of rows calls it a hundred
times. `pk_url` reverses each URL name once (per script prefix and URLconf)
with a marker number in place of the argument, then writes the pk where the
marker was: the same address `reverse` gives, for any URL name whose first
argument is an `<int:...>` (any further arguments are fixed per call site, e.g.
`pk_url("flag_mark", pk, "reviewed")`, and part of what is remembered).
"""

import functools

from django.urls import get_script_prefix, get_urlconf, reverse

MARK = 918273645  # digits, so an <int:...> converter takes it; in no fixed part of any address


@functools.lru_cache(maxsize=256)
def _halves(name: str, rest: tuple, prefix: str, urlconf) -> tuple[str, str]:
    address = reverse(name, args=[MARK, *rest], urlconf=urlconf)
    head, found, tail = address.partition(str(MARK))
    if not found or str(MARK) in tail:
        raise ValueError(f"{name!r} does not take an integer first argument")
    return head, tail


def pk_url(name: str, pk, *rest) -> str:
    """The address of URL `name` for the object `pk` (an integer) and any further fixed
    arguments `rest`, as `reverse(name, args=[pk, *rest])` would give it."""
    head, tail = _halves(name, rest, get_script_prefix(), get_urlconf())
    return f"{head}{int(pk)}{tail}"

"""Calibration parts of other apps' pages (the session page, the print summary), so
`clients` need not import this app, and the number formats of the calibration pages."""

from django import template

from calibration.models import Observation
from clients.models import Client

register = template.Library()
MINUS = "\u2212"
DASH = "\u2013"


@register.simple_tag
def observations_of(session):
    """The observations of one session, with their ratings (two queries)."""
    return list(Observation.objects.filter(session=session).with_ratings().order_by("created_at", "pk"))


@register.simple_tag
def observations_for(sessions):
    """{session id: [observations]} for the sessions given (two queries)."""
    found = {}
    items = Observation.objects.filter(session__in=[s.pk for s in sessions]).with_ratings().order_by("created_at", "pk")
    for observation in items:
        found.setdefault(observation.session_id, []).append(observation)
    return found


@register.simple_tag
def observation_rows(observation, domains):
    """(factor, the clinician's rating, the observer's, difference) in form order, for _comparison_table.html."""
    theirs = observation.scores
    rows = []
    for _domain, ratings in domains:
        for r in ratings:
            other = theirs.get(r.factor.key)
            diff = r.score - other if r.score is not None and other is not None else None
            rows.append((r.factor, r.score, other, diff))
    return rows


@register.simple_tag
def may_observe(session, user):
    """Whether `user` supervises the session's clinician (and the session counts): the observe button."""
    if not getattr(user, "is_supervisor", False) or session.is_voided:
        return False
    return Client.objects.supervised_by(user).filter(pk=session.client_id).exists()


@register.simple_tag
def has_observed(session, user):
    return Observation.objects.filter(session=session, observer=user).exists()


@register.filter
def points(value):
    """A difference in rating points, one decimal, signed: +0.4, -1.2 (a true minus sign), 0.0."""
    if value is None:
        return DASH
    text = f"{abs(value):.1f}"
    if text == "0.0":
        return text
    return ("+" if value > 0 else MINUS) + text


@register.filter
def whole_diff(value):
    """A difference of two ratings: +1, -2 (a true minus sign), 0."""
    if value is None:
        return DASH
    return f"+{value}" if value > 0 else (f"{MINUS}{-value}" if value < 0 else "0")


@register.filter
def diff_from(mine, theirs):
    """mine - theirs as a signed whole number, or a dash when either is missing."""
    return whole_diff(mine - theirs) if mine is not None and theirs is not None else DASH


@register.filter
def percent(value):
    return DASH if value is None else f"{value:.0f}%"


@register.filter
def kappa(value):
    """A kappa, two decimals with a true minus sign."""
    if not isinstance(value, int | float):
        return DASH  # None, or nothing to show (no kappa computed)
    text = f"{abs(value):.2f}"
    return (MINUS if value < 0 and text != "0.00" else "") + text


@register.filter
def pair(first, second):
    """[first, second], to loop over two values in a template."""
    return [first, second]


@register.filter
def zip_with(first, second):
    """[(a, b), ...] from two lists of one length, to loop over them side by side."""
    return list(zip(first, second, strict=True))


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def observation_grid(sessions, grid):
    """The print summary's observations of the sessions it shows: (columns, rows), one column
    per observation, one row per factor with (observer's rating, clinician minus observer)
    (two queries). `grid` is the summary's [(domain, [(factor, [rating or None])])]."""
    by_session = {s.pk: s for s in sessions}
    columns = list(
        Observation.objects.filter(session__in=list(by_session))
        .with_ratings()
        .order_by("session__date", "session_id", "created_at")
    )
    mine = {s.pk: {r.factor_id: r.score for r in s.ratings.all()} for s in sessions}
    rows = []
    for _domain, factors in grid:
        for factor, _ratings in factors:
            cells = []
            for o in columns:
                theirs = next((r.rating for r in o.ratings.all() if r.factor_id == factor.pk), None)
                own = mine[o.session_id].get(factor.pk)
                cells.append((theirs, own - theirs if own is not None and theirs is not None else None))
            rows.append((factor, cells))
    return columns, rows

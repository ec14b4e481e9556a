"""Small presentation helpers for alliance scores."""

import functools
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from clients.models import TherapySession
from flags import labels
from measures import scoring as measure_scoring

register = template.Library()

# Every sparkline shares one scale: 0 at the bottom rule, 100 at the top one, 50 dashed,
# so two rows can be compared at a glance; the latest value is written at its end.
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD, SPARK_PLOT = 104, 28, 3, 76


@register.simple_tag
def sparkline(sessions, label=""):
    """An inline SVG line of the sessions' overall index on the shared 0-100 scale,
    with the latest value labelled; sessions with dates sit at their dates (proportional
    gaps), others evenly. Empty under two points."""
    rated = [s for s in sessions if s.overall_score is not None]
    if len(rated) < 2:
        return ""
    values = [s.overall_score for s in rated]
    dates = [getattr(s, "date", None) for s in rated]
    if all(dates) and dates[-1] > dates[0]:
        span = (dates[-1] - dates[0]).days
        xs = [(d - dates[0]).days / span for d in dates]
    else:
        xs = [i / (len(values) - 1) for i in range(len(values))]
    usable = SPARK_HEIGHT - 2 * SPARK_PAD

    def y(value):
        return SPARK_PAD + usable * (1 - value / 100)

    points = [(SPARK_PAD + x * (SPARK_PLOT - 2 * SPARK_PAD), y(v)) for x, v in zip(xs, values, strict=True)]
    last_x, last_y = points[-1]
    latest = score(values[-1])
    label = conditional_escape(
        f"{label or f'Overall index of the last {len(values)} sessions'}, on a 0 to 100 scale: "
        f"from {score(values[0])} to {latest}"
    )
    plot, w, h = SPARK_PLOT, SPARK_WIDTH, SPARK_HEIGHT
    top, mid, bottom = f"{y(100):.1f}", f"{y(50):.1f}", f"{y(0):.1f}"
    line = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    ty = f"{min(max(last_y + 4, 11), SPARK_HEIGHT - 1):.1f}"
    # One f-string (a caseload draws one per row): numbers only, and the label escaped.
    return mark_safe(  # noqa: S308  # nosec B308, B703 numbers and an escaped label
        f'<svg class="sparkline" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{label}">'
        f'<line x1="0" x2="{plot}" y1="{top}" y2="{top}" class="sparkline-rule"/>'
        f'<line x1="0" x2="{plot}" y1="{mid}" y2="{mid}" class="sparkline-mid"/>'
        f'<line x1="0" x2="{plot}" y1="{bottom}" y2="{bottom}" class="sparkline-rule"/>'
        f'<polyline points="{line}"/><circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2"/>'
        f'<text x="{plot + 4}" y="{ty}" class="sparkline-value">{latest}</text></svg>'
    )


@register.filter
@functools.lru_cache(maxsize=4096)  # a page shows hundreds of scores, most of them repeated
def score(value):
    """A 0-100 score as a whole number, or an en dash when there is none."""
    if value is None:
        return "\u2013"  # en dash
    return str(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@register.filter
def days_ago(day):
    """“today”, “yesterday” or “9 days ago” for a past date."""
    days = (timezone.localdate() - day).days
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


@register.filter
def signed(value):
    """+12 / -5 (with a true minus sign) / 0 for a change in index points."""
    if value is None:
        return "\u2013"
    rounded = int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return f"+{rounded}" if rounded > 0 else ("\u2212" + str(-rounded) if rounded < 0 else "0")


@register.filter
def get_item(mapping, key):
    return mapping.get(key, key)


@register.filter
def add_class(bound_field, css):
    """Render a form field's widget with extra CSS classes."""
    return bound_field.as_widget(attrs={"class": css})


@register.filter
def duration_minutes(value):
    """A timedelta as whole minutes."""
    return int(value.total_seconds() // 60) if hasattr(value, "total_seconds") else value


NOT_RATED = format_html(
    '<td class="rating rating-na" title="Not rated"><span aria-hidden="true">{}</span>'
    '<span class="visually-hidden">not rated</span></td>',
    "·",
)
AMONG_THE_WEAKEST = format_html('<span class="visually-hidden">{}</span>', " (among the weakest)")


@register.simple_tag
def map_cells(cells):
    """One factor's row of a factor map (clients.insights.FactorMap): a cell per column,
    the mean to one decimal and its colour band, or "not rated". Built here rather than
    in the template (it is drawn for every factor and column), from numbers and fixed
    markup only, so nothing in it needs escaping."""
    return mark_safe(  # noqa: S308  # nosec B308, B703 numbers and fixed markup only
        "".join(
            NOT_RATED
            if not cell
            else (
                f'<td class="rating map-{int(cell.band)}{" weakest" if cell.weakest else ""}" '
                f'title="Mean of {int(cell.count)} latest rating{"" if cell.count == 1 else "s"}">'
                f"{float(cell.mean):.1f}{AMONG_THE_WEAKEST if cell.weakest else ''}</td>"
            )
            for cell in cells
        )
    )


NOT_ASSESSED = format_html(
    '<td class="rating rating-na" title="Not assessed"><span aria-hidden="true">{}</span>'
    '<span class="visually-hidden">not assessed</span></td>',
    "·",
)


@register.simple_tag
def rating_cells(ratings):
    """A factor's row of a ratings grid: one heat-map cell per Rating (or None), the colour
    and the number (the note as its title), hatched when not assessed. Built here rather
    than by an included template per cell (a client page draws hundreds)."""
    return mark_safe("".join(_rating_cell(r) for r in ratings))  # noqa: S308  # nosec B308, B703 see _rating_cell


def _rating_cell(rating) -> str:
    """One cell as HTML: the score is a whole number; a note (free text) goes through format_html."""
    if not (rating and rating.score):
        return NOT_ASSESSED
    score = int(rating.score)
    if rating.note:
        return format_html('<td class="rating rating-{}" title="{}">{}</td>', score, rating.note, score)
    return f'<td class="rating rating-{score}">{score}</td>'


@register.simple_tag
def map_legend():
    """The factor map's colour classes with the mean each stands for: [(band, "1"), (15, "1.5"), ...]."""
    return [(band, f"{band / 10:g}") for band in range(10, 55, 5)]


@register.filter
def setting_label(code):
    """A session setting's label ("In person") for its stored code ("in_person")."""
    return TherapySession.Setting(code).label if code in TherapySession.Setting.values else code


@register.simple_tag
def instrument_name(key):
    """A progress measure's short name ("PHQ-9") from its key."""
    return labels.instrument_name(key)


@register.simple_tag
def band_of(response, insight):
    """The severity band of a response's total ("" when incomplete or the measure is switched off)."""
    rule = insight.measures.rules.get(response.instrument)
    return measure_scoring.band_of(response.total, rule.bands) if rule else ""


@register.filter
def responses_of(insight, session_id):
    """The progress-measure responses given for one session, in the order given."""
    return [r for r in insight.measures.responses if r.session_id == session_id]

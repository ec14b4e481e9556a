"""Small presentation helpers for alliance scores."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from clients.models import TherapySession

register = template.Library()

SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 80, 22, 2


@register.simple_tag
def sparkline(sessions, label=""):
    """An inline SVG line of the sessions' overall index (0-100); empty if under two points."""
    values = [s.overall_score for s in sessions if s.overall_score is not None]
    if len(values) < 2:
        return ""
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / (len(values) - 1)
    usable = SPARK_HEIGHT - 2 * SPARK_PAD
    points = [(SPARK_PAD + i * step, SPARK_PAD + usable * (1 - v / 100)) for i, v in enumerate(values)]
    last_x, last_y = points[-1]
    return format_html(
        '<svg class="sparkline" width="{}" height="{}" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        '<line x1="0" x2="{}" y1="{}" y2="{}" class="sparkline-mid"/>'
        '<polyline points="{}"/><circle cx="{}" cy="{}" r="2"/></svg>',
        SPARK_WIDTH,
        SPARK_HEIGHT,
        SPARK_WIDTH,
        SPARK_HEIGHT,
        label or f"Trend of the last {len(values)} sessions",
        SPARK_WIDTH,
        SPARK_HEIGHT / 2,
        SPARK_HEIGHT / 2,
        format_html_join(" ", "{},{}", ((f"{x:.1f}", f"{y:.1f}") for x, y in points)),
        f"{last_x:.1f}",
        f"{last_y:.1f}",
    )


@register.filter
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


@register.filter
def setting_label(code):
    """A session setting's label ("In person") for its stored code ("in_person")."""
    return TherapySession.Setting(code).label if code in TherapySession.Setting.values else code

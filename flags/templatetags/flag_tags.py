"""Flags in templates: badges and the texts from flags.labels (the one label builder)."""

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from flags import labels, rules

register = template.Library()

STYLES = {
    # kind: (short word, symbol, css) - one colour per kind, always with a word too.
    rules.RUPTURE: ("Alliance rupture", "▼", "flag-rupture"),
    rules.CLIENT_CONCERN: ("Client concern", "✱", "flag-concern"),
    rules.FACTOR_DROP: ("Factor drop", "▽", "flag-factor-drop"),
    rules.DISCREPANCY: ("Client rated lower", "◆", "flag-discrepancy"),
    rules.PERSISTENT: ("Persistent", "■", "flag-persistent"),
    rules.LOW_FACTOR: ("Low", "●", "flag-low"),
    rules.STALLED: ("Stalled", "◷", "flag-stalled"),
    rules.CONTEXT_CHANGE: ("Context change", "◇", "flag-context"),
}
PER_FACTOR = (rules.LOW_FACTOR, rules.PERSISTENT, rules.DISCREPANCY, rules.CLIENT_CONCERN, rules.CONTEXT_CHANGE)


@register.simple_tag
def flag_badge(flag, names=None):
    """A flag as a badge: symbol, word and (for factor flags) the factor's name."""
    word, symbol, css = STYLES[flag.kind]
    if getattr(flag, "status", rules.OPEN) != rules.OPEN:
        word, symbol, css = f"{word} · {labels.STATUS_LABELS[flag.status].lower()}", "✓", "flag-resolved"
    factors = [(names or {}).get(k, k) for k in flag.factors] if flag.kind in PER_FACTOR else []
    text = f"{word}: {', '.join(factors)}" if factors else word
    quiet = " flag-quiet" if getattr(flag, "quiet", False) else ""
    return format_html(
        '<span class="badge flag {}{}" title="{}"><span aria-hidden="true">{} </span>{}</span>',
        css,
        quiet,
        labels.detail(flag, names or {}),
        symbol,
        text,
    )


@register.simple_tag
def flag_label(flag, names=None):
    return labels.label(flag, names or {})


@register.simple_tag
def flag_detail(flag, names=None, current_index=None):
    return labels.detail(flag, names or {}, current_index)


@register.simple_tag
def flag_status(flag):
    return labels.status_text(flag)


@register.filter
def days_open(flag, today=None):
    """Whole days since the flag was raised."""
    return ((today or timezone.localdate()) - flag.since).days


@register.filter
def marks_of(marks, flag):
    """The FlagReview rows recorded on this flag's identity (from a {identity: [reviews]} mapping)."""
    return marks.get(flag.identity, []) if marks else []


@register.filter
def can_be_known(flag):
    """A low or persistently low contextual factor: it can be marked a known circumstance."""
    return flag.kind in (rules.LOW_FACTOR, rules.PERSISTENT) and getattr(flag, "domains", "") == "contextual"


@register.simple_tag
def flag_tally(flags):
    """Open flags counted by kind, most urgent kind first, as badges: “▼ 1 Alliance rupture”."""
    counts = {}
    for flag in rules.by_urgency(flags):
        counts[flag.kind] = counts.get(flag.kind, 0) + 1
    return format_html_join(
        " ",
        '<span class="badge flag {}"><span aria-hidden="true">{} </span>{} {}</span>',
        ((STYLES[kind][2], STYLES[kind][1], n, STYLES[kind][0]) for kind, n in counts.items()),
    )

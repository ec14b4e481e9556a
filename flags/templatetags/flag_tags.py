"""Flags in templates: badges and the texts from flags.labels (the one label builder)."""

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from flags import labels, rules
from flags.models import can_be_known, predecessors

register = template.Library()

STYLES = {
    # kind: (symbol, css); the word is the kind's label (factors.kinds), the same everywhere.
    rules.SAFETY: ("⚠", "flag-safety"),
    rules.RUPTURE: ("▼", "flag-rupture"),
    rules.OFF_TRACK: ("↗", "flag-off-track"),
    rules.CLIENT_CONCERN: ("✱", "flag-concern"),
    rules.FACTOR_DROP: ("▽", "flag-factor-drop"),
    rules.DISCREPANCY: ("◆", "flag-discrepancy"),
    rules.PERSISTENT: ("■", "flag-persistent"),
    rules.LOW_FACTOR: ("●", "flag-low"),
    rules.STALLED: ("◷", "flag-stalled"),
    rules.CONTEXT_CHANGE: ("◇", "flag-context"),
}
PER_FACTOR = (rules.LOW_FACTOR, rules.PERSISTENT, rules.DISCREPANCY, rules.CLIENT_CONCERN, rules.CONTEXT_CHANGE)


@register.simple_tag
def flag_badge(flag, names=None):
    """A flag as a badge: symbol, word and (for factor flags) the factor's name."""
    symbol, css = STYLES[flag.kind]
    word = labels.kind_label(flag.kind)
    if getattr(flag, "status", rules.OPEN) != rules.OPEN:
        word, symbol, css = f"{word} · {labels.STATUS_LABELS[flag.status].lower()}", "✓", "flag-resolved"
    factors = [(names or {}).get(k, k) for k in flag.factors] if flag.kind in PER_FACTOR else []
    if flag.kind in (rules.SAFETY, rules.OFF_TRACK):
        factors = [labels.instrument_name((flag.facts or {}).get("instrument", ""))]
        alliance = (flag.facts or {}).get("alliance") if getattr(flag, "status", rules.OPEN) == rules.OPEN else ""
        if alliance:  # off track with a weak or ruptured alliance says so wherever it is shown
            factors[0] += f" · alliance {alliance} too"
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
def flag_detail(flag, names=None, latest=None):
    return labels.detail(flag, names or {}, latest)


@register.simple_tag
def flag_status(flag):
    return labels.status_text(flag)


@register.filter
def days_open(flag, today=None):
    """Whole days since the flag was raised (for "stalled": since the client became stalled)."""
    if flag.kind == rules.STALLED:
        return (flag.facts or {}).get("open_days", 0)
    return ((today or timezone.localdate()) - flag.since).days


@register.filter
def marks_of(marks, flag):
    """The FlagReview rows recorded on this flag's identity, or on the flag it grew from
    (from a {identity: [reviews]} mapping)."""
    if not marks:
        return []
    return [m for key in [flag.identity, *predecessors(flag.identity)] for m in marks.get(key, [])]


register.filter("can_be_known", can_be_known)


@register.simple_tag
def flag_tally(flags):
    """Open flags counted by kind, most urgent kind first, as badges: “▼ 1 Alliance rupture”."""
    counts = {}
    for flag in rules.by_urgency(flags):
        counts[flag.kind] = counts.get(flag.kind, 0) + 1
    return format_html_join(
        " ",
        '<span class="badge flag {}"><span aria-hidden="true">{} </span>{} {}</span>',
        ((STYLES[kind][1], STYLES[kind][0], n, labels.kind_label(kind)) for kind, n in counts.items()),
    )

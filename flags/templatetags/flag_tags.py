"""Flags in templates: badges and the texts from flags.labels (the one label builder)."""

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from alliance import redirects
from alliance.links import pk_url
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
    factors = labels.names_of(flag.factors, names or {}) if flag.kind in PER_FACTOR else []
    if flag.kind in (rules.SAFETY, rules.OFF_TRACK):
        factors = [labels.instrument_name((flag.facts or {}).get("instrument", ""))]
        alliance = (flag.facts or {}).get("alliance") if getattr(flag, "status", rules.OPEN) == rules.OPEN else ""
        if alliance:  # off track with a weak or ruptured alliance says so wherever it is shown
            factors[0] += f" · alliance {alliance} too"
    text = f"{word}: {', '.join(factors)}" if factors else word
    quiet = " flag-quiet" if getattr(flag, "quiet", False) else ""
    title = conditional_escape(labels.detail(flag, names or {}))
    # One f-string: every row of a list draws several (format_html's escaping of the constant
    # parts cost more than the rest); the two texts are escaped as format_html would.
    return mark_safe(  # noqa: S308  # nosec B308, B703 css and symbol are constants above, the texts escaped
        f'<span class="badge flag {css}{quiet}" title="{title}"><span aria-hidden="true">{symbol} </span>'
        f"{conditional_escape(text)}</span>"
    )


REVIEWED_CARD = format_html('<span class="small text-success">{}</span>', "✓ reviewed")
REVIEWED_MARK = format_html(
    '<span class="small text-success ms-1" title="Reviewed by the supervisor">{}'
    '<span class="visually-hidden"> reviewed</span></span>',
    "✓",
)
NO_FLAGS = format_html('<span class="visually-hidden">{}</span>', "none")


@register.simple_tag
def flag_badges(client, names=None, show_days=False):
    """A client's open flags (`flag_list` and `flag_count`, insights.attach_flags or
    attach_badges) as badges: at most four, then "+N more" (with show_days, how long
    each has been open: the queues). Built here rather than in an included template:
    it is drawn once per row of a list."""
    flags, count = client.flag_list, client.flag_count
    parts = []
    for flag in flags[: labels.BADGES_SHOWN]:
        parts.append(flag_badge(flag, names))
        if flag.reviewed_at:
            parts.append(REVIEWED_MARK)
        if show_days:
            days = days_open(flag)
            parts.append(
                format_html(
                    '<span class="small text-body-secondary ms-1 text-nowrap">open {} day{}</span>',
                    days,
                    "" if days == 1 else "s",
                )
            )
        parts.append(" ")
    if not flags:
        parts.append(NO_FLAGS)
    more = ""
    if count > labels.BADGES_SHOWN:
        more = format_html(
            '<a class="small text-nowrap" href="{}#focus">+{} more'
            '<span class="visually-hidden"> flags for {}</span></a>',
            pk_url("client_detail", client.pk),
            count - labels.BADGES_SHOWN,
            client.label,
        )
    return mark_safe("".join(parts) + "\n" + more)  # noqa: S308  # nosec B308, B703 parts from format_html or spaces


@register.simple_tag(takes_context=True)
def review_cards(context, client, names=None):
    """A client's open flags (`flag_cards`, insights.attach_flags) in a supervisor's queue:
    per card its badge, how long it has been open, the flags it holds, and "reviewed" or
    the button that marks it so. Built here rather than in the template: the queue
    draws it for every flag of every row (about 150 on a full page). What is the same for
    every card is escaped once; every value is escaped (conditional_escape, as format_html)."""
    request = context.get("request")
    back = conditional_escape(f"{request.get_full_path()}#queue-rows" if request else "")  # back at the queue
    csrf = conditional_escape(context.get("csrf_token") or "")
    action = conditional_escape(pk_url("flag_mark", client.pk, "reviewed"))
    client_label = conditional_escape(client.label)
    today = timezone.localdate()
    items = []
    for card in client.flag_cards:
        flag = card.flag
        days = days_open(flag, today)
        members = ""
        if card.members:
            members = format_html(
                '<span class="small">with</span> {}',
                format_html_join("", "{} ", ((flag_badge(m, names),) for m in card.members)),
            )
        if card.reviewed:
            mark = REVIEWED_CARD
        else:
            keys = "".join(f'<input type="hidden" name="key" value="{conditional_escape(key)}">' for key in card.keys)
            mark = (
                f'<form method="post" action="{action}" class="m-0"><input type="hidden" name="csrfmiddlewaretoken" '
                f'value="{csrf}">\n              {keys}<input type="hidden" name="{redirects.FIELD}" value="{back}">'
                '\n              <button class="btn btn-sm btn-outline-success btn-compact text-nowrap" type="submit">'
                f'Mark reviewed<span class="visually-hidden">: {client_label}, '
                f"{conditional_escape(flag_label(flag, names))}</span></button>\n            </form>"
            )
        items.append(
            '\n          <li class="d-flex flex-wrap align-items-center gap-1 mb-1">'
            f"{flag_badge(flag, names)}\n            "
            f'<span class="small text-body-secondary text-nowrap">open {days} day{"" if days == 1 else "s"}</span>'
            f"\n            {members}\n            {mark}\n          </li>"
        )
    return mark_safe(  # noqa: S308  # nosec B308, B703 every value above escaped
        f'<ul class="list-unstyled mb-0">{"".join(items)}\n        </ul>\n'
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

"""Radio choices drawn as Bootstrap toggle buttons (an input.btn-check and its label).

The same markup `{% for choice in field %}` gives, built in Python: the session form
draws about 150 of these (twelve factors, the paper PHQ-9 and GAD-7), and Django's
per-choice widget contexts and includes made them the slowest part of its page.
"""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()

INPUT = '<input type="radio" class="btn-check" name="{}" id="{}" value="{}"{}>\n'
LABELS = {
    # style: (label markup, with the choice's id, value and label)
    "rating": (
        '<label class="btn btn-outline-secondary btn-sm" for="{id}" title="{label}">{value}'
        '<span class="visually-hidden"> \u2013 {label}</span></label>\n'
    ),
    "rating-none": (
        '<label class="btn btn-outline-secondary btn-sm" for="{id}" title="{label}">n/a'
        '<span class="visually-hidden"> \u2013 not assessed</span></label>\n'
    ),
    "paper": '<label class="btn btn-outline-secondary btn-sm" for="{id}">{value} · {label}</label>\n',
    "paper-none": '<label class="btn btn-outline-secondary btn-sm" for="{id}">{label}</label>\n',
    "phone": '<label class="btn btn-outline-primary btn-lg text-start" for="{id}">{label}</label>\n',
    "phone-none": '<label class="btn btn-outline-primary btn-lg text-start" for="{id}">{label}</label>\n',
}


def choices_of(field):
    """[(id, value, label, checked)] for a bound radio field, as its BoundWidgets would
    give them: ids `<auto id>_<index>`, values as strings, the first matching value checked."""
    widget = field.field.widget
    chosen = widget.format_value(field.value())
    base = widget.attrs.get("id") or field.auto_id
    result, found = [], False
    for index, (value, label) in enumerate(field.field.choices):
        value = "" if value is None else str(value)
        checked = not found and value in chosen
        found = found or checked
        result.append((widget.id_for_label(base, index) if base else "", value, label, checked))
    return result


@register.simple_tag
def choice_buttons(field, style):
    """`field`'s choices as toggle buttons; `style` is "rating" (the session form's
    1-5 scale, "n/a" for not assessed), "paper" (a paper measure's answers) or
    "phone" (the self-report page's large buttons)."""
    parts = []
    for option_id, value, label, checked in choices_of(field):
        parts.append(format_html(INPUT, field.html_name, option_id, value, " checked" if checked else ""))
        markup = LABELS[style if value != "" else f"{style}-none"]
        parts.append(format_html(markup, id=option_id, value=value, label=label))
    return format_html_join("", "{}", ((part,) for part in parts))

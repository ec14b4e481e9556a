"""What is drawn in Python for speed (widgets, links, dates) gives what Django's templates and reverse gave."""

import datetime
import re
from dataclasses import replace

import pytest
from django import forms
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse, set_script_prefix
from django.utils import timezone, translation
from django.utils.html import format_html

from alliance.links import pk_url
from clients.forms import QuickSelect
from flags import labels, rules
from flags.templatetags.flag_tags import PER_FACTOR, STYLES, flag_badge

# What the templates drew before factors/templatetags/choice_buttons.py, choice by choice.
LOOPS = {
    "rating": (
        '<input type="radio" class="btn-check" name="{{ choice.data.name }}" id="{{ choice.id_for_label }}" '
        'value="{{ choice.data.value }}"{% if choice.data.selected %} checked{% endif %}>'
        '<label class="btn btn-outline-secondary btn-sm" for="{{ choice.id_for_label }}" '
        'title="{{ choice.choice_label }}">{% if choice.data.value != "" %}{{ choice.data.value }}'
        '<span class="visually-hidden"> \u2013 {{ choice.choice_label }}</span>{% else %}n/a'
        '<span class="visually-hidden"> \u2013 not assessed</span>{% endif %}</label>'
    ),
    "paper": (
        '<input type="radio" class="btn-check" name="{{ choice.data.name }}" id="{{ choice.id_for_label }}" '
        'value="{{ choice.data.value }}"{% if choice.data.selected %} checked{% endif %}>'
        '<label class="btn btn-outline-secondary btn-sm" for="{{ choice.id_for_label }}">'
        '{% if choice.data.value != "" %}{{ choice.data.value }} · {% endif %}{{ choice.choice_label }}</label>'
    ),
    "phone": (
        '<input type="radio" class="btn-check" name="{{ choice.data.name }}" id="{{ choice.id_for_label }}" '
        'value="{{ choice.data.value }}"{% if choice.data.selected %} checked{% endif %}>'
        '<label class="btn btn-outline-primary btn-lg text-start" for="{{ choice.id_for_label }}">'
        "{{ choice.choice_label }}</label>"
    ),
}
HOSTILE = '<b>"Tom" & Jerry\'s</b>'


class ScaleForm(forms.Form):
    score = forms.ChoiceField(
        choices=[("1", "Strains <it>"), ("2", HOSTILE), ("3", "Neutral"), ("", "Not assessed")],
        widget=forms.RadioSelect,
        required=False,
    )
    answer = forms.TypedChoiceField(
        choices=[(0, "Not at all"), (3, "Nearly every day"), ("", "Blank")],
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
        required=False,
    )


def squeeze(html):
    return re.sub(r">\s+<", "><", html.strip())


def drawn_by_loop(field, style):
    template = Template("{% for choice in field %}" + LOOPS[style] + "{% endfor %}")
    return squeeze(template.render(Context({"field": field})))


def drawn_by_tag(field, style):
    template = Template("{% load choice_buttons %}{% choice_buttons field style %}")
    return squeeze(template.render(Context({"field": field, "style": style})))


@pytest.mark.parametrize("style", ["rating", "paper", "phone"])
@pytest.mark.parametrize(
    "data",
    [None, {"score": "2", "answer": "3"}, {"score": "", "answer": ""}, {"score": "9", "answer": "x"}],
    ids=["unbound", "chosen", "none chosen", "invalid"],
)
def test_choice_buttons_draw_what_the_per_choice_loop_drew(style, data):
    form = ScaleForm(data) if data is not None else ScaleForm(initial={"answer": 0})
    form.is_valid() if data is not None else None
    for name in ("score", "answer"):
        assert drawn_by_tag(form[name], style) == drawn_by_loop(form[name], style)


def test_choice_buttons_escape_labels_and_check_one_choice():
    html = drawn_by_tag(ScaleForm({"score": "2"})["score"], "rating")
    assert HOSTILE not in html
    assert "&lt;b&gt;&quot;Tom&quot; &amp; Jerry&#x27;s&lt;/b&gt;" in html
    assert html.count(" checked") == 1
    assert 'id="id_score_1" value="2" checked' in html


class SelectForm(forms.Form):
    django = forms.ChoiceField(
        choices=[("", "Choose…"), ("Group <1>", [("1", HOSTILE), ("2", "B")]), ("3", "C & D")],
        widget=forms.Select(attrs={"class": "form-select", "autofocus": True}),
    )
    quick = forms.ChoiceField(
        choices=[("", "Choose…"), ("Group <1>", [("1", HOSTILE), ("2", "B")]), ("3", "C & D")],
        widget=QuickSelect(attrs={"class": "form-select", "autofocus": True}),
    )


@pytest.mark.parametrize("value", [None, "1", "3", "", "nonsense"])
def test_quick_select_draws_what_djangos_select_drew(value):
    form = SelectForm({"django": value, "quick": value} if value is not None else None)
    django_html, quick_html = squeeze(str(form["django"])), squeeze(str(form["quick"]))
    assert quick_html.replace("id_quick", "id_django").replace('"quick"', '"django"') == django_html
    assert HOSTILE not in quick_html


def test_quick_select_keeps_the_attribute_order_of_an_invalid_field():
    """aria-invalid and aria-describedby come in Django's order (the team dashboard's filters)."""
    form = SelectForm({"django": "nonsense", "quick": "nonsense"})
    assert not form.is_valid()
    django_html, quick_html = squeeze(str(form["django"])), squeeze(str(form["quick"]))
    assert 'aria-invalid="true"' in quick_html
    assert quick_html.replace("id_quick", "id_django").replace('"quick"', '"django"') == django_html


@pytest.mark.parametrize(
    ("name", "pk"), [("client_detail", 1), ("session_detail", 918273645), ("session_edit", 40), ("client_edit", 7)]
)
def test_pk_url_gives_the_address_reverse_gives(name, pk):
    assert pk_url(name, pk) == reverse(name, args=[pk])
    assert Template('{% load links %}{{ pk|pk_url:name }}').render(Context({"pk": pk, "name": name})) == reverse(
        name, args=[pk]
    )


def test_pk_url_takes_further_fixed_arguments():
    assert pk_url("flag_mark", 12, "reviewed") == reverse("flag_mark", args=[12, "reviewed"])
    assert pk_url("flag_mark", 12, "discussed") == reverse("flag_mark", args=[12, "discussed"])


def test_pk_url_follows_the_script_prefix():
    set_script_prefix("/clinic/")
    try:
        assert pk_url("client_detail", 3) == "/clinic/clients/3/" == reverse("client_detail", args=[3])
    finally:
        set_script_prefix("/")
    assert pk_url("client_detail", 3) == "/clients/3/"


def test_pk_url_refuses_what_is_not_an_integer_or_a_one_integer_url():
    with pytest.raises(ValueError, match="invalid literal for int"):
        pk_url("client_detail", "3/../../admin")
    with pytest.raises(NoReverseMatch):  # as reverse("caseload", args=[3]) does
        pk_url("caseload", 3)


@pytest.mark.parametrize("language", ["en", "en-gb"])
@pytest.mark.parametrize(
    "value",
    [
        datetime.date(2026, 11, 26),
        datetime.date(2027, 2, 1),
        datetime.datetime(2026, 11, 26, 23, 30, tzinfo=datetime.UTC),  # already the 27th in Sydney
        None,
        "",
        "not a date",
    ],
)
def test_the_day_filter_formats_as_the_date_filter_does(language, value):
    with translation.override(language), timezone.override("Australia/Sydney"):
        context = Context({"value": value})
        assert Template("{{ value|day }}").render(context) == Template('{{ value|date:"DATE_FORMAT" }}').render(context)


def test_the_day_filter_follows_the_language_after_remembering_a_date():
    day_ = datetime.date(2026, 11, 26)
    with translation.override("en"):
        american = Template("{{ value|day }}").render(Context({"value": day_}))
    with translation.override("en-gb"):
        british = Template("{{ value|day }}").render(Context({"value": day_}))
    assert american != british
    assert american == "Nov. 26, 2026"
    assert british == "26 Nov 2026"


def _format_html_badge(flag, names):
    """flag_badge as it was written with format_html, for comparison."""
    symbol, css = STYLES[flag.kind]
    word = labels.kind_label(flag.kind)
    if flag.status != rules.OPEN:
        word, symbol, css = f"{word} · {labels.STATUS_LABELS[flag.status].lower()}", "✓", "flag-resolved"
    factors = labels.names_of(flag.factors, names) if flag.kind in PER_FACTOR else []
    if flag.kind in (rules.SAFETY, rules.OFF_TRACK):
        factors = [labels.instrument_name(flag.facts.get("instrument", ""))]
        if flag.facts.get("alliance") and flag.status == rules.OPEN:
            factors[0] += f" · alliance {flag.facts['alliance']} too"
    text = f"{word}: {', '.join(factors)}" if factors else word
    return format_html(
        '<span class="badge flag {}{}" title="{}"><span aria-hidden="true">{} </span>{}</span>',
        css,
        " flag-quiet" if flag.quiet else "",
        labels.detail(flag, names),
        symbol,
        text,
    )


@pytest.mark.parametrize("status", ["open", "closed"])
@pytest.mark.parametrize("quiet", [False, True])
def test_flag_badges_draw_what_format_html_drew_and_escape_names(status, quiet):
    names = {"openness": HOSTILE, "communication": "Communication"}
    facts = {"instrument": "phq9", "alliance": "weak", "ratings": [2, 1], "client": 1, "clinician": 4}
    for kind in STYLES:
        flag = rules.Flag(
            kind=kind,
            opened_session_id=1,
            since=datetime.date(2026, 3, 1),
            session_ids=(1, 2),
            factors=("openness", "communication"),
            status=status,
            quiet=quiet,
            latest=1,
            facts={**facts, "before": 5, "after": 2, "days": 40, "interval": 7, "margin": 5, "sds": 2},
        )
        drawn = flag_badge(flag, names)
        assert drawn == _format_html_badge(flag, names), kind
        assert HOSTILE not in drawn


def test_a_badge_names_a_question_that_is_not_a_factor_as_a_word_as_its_card_does():
    flag = rules.Flag(
        kind=rules.CLIENT_CONCERN,
        opened_session_id=1,
        since=datetime.date(2026, 3, 1),
        factors=("overall",),
        facts={"client": 1},
    )
    assert "Client concern: Overall</span>" in flag_badge(flag, {"openness": "Openness"})
    assert labels.detail(flag, {}).startswith("Overall: the client answered 1")


def test_a_safety_alert_says_who_records_its_follow_up_and_where_until_it_is_followed_up():
    """Its text is the caseload badge's and the queue's as well as the card's, read by the clinician
    and their supervisor: no "here", no "you"; once followed up, no instruction."""
    flag = rules.Flag(
        kind=rules.SAFETY, opened_session_id=1, since=datetime.date(2026, 3, 1), facts={"instrument": "phq9"}
    )
    text = labels.detail(flag, {})
    assert "The treating clinician contacts them" in text
    assert "records the follow-up on the client's page with a note: only that closes it." in text
    assert " here " not in text
    assert " you" not in text.lower()
    followed = labels.detail(replace(flag, status=rules.CLOSED, closed_reason=rules.FOLLOWED_UP), {})
    assert followed.startswith("The client answered above")
    assert "follow-up" not in followed

"""Supervision's parts of pages owned by other apps (the client page), so that
those apps need not import this one."""

from django import template

from supervision.forms import ReviewNoteForm

register = template.Library()


@register.simple_tag
def new_review_note_form():
    return ReviewNoteForm()

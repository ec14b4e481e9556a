"""Entering a progress measure: the form fields (the client's self-report page and
the clinician's session form use the same ones) and saving one response.

Saving belongs to the write paths that hold the client's lock
(clients.recording.save_session, selfreport.views._save): `save_response` is
called inside them, and their refresh of the flags then reads the new response.
"""

from django import forms

from audit import log
from measures.models import ItemAnswer, MeasureResponse


def field_name(instrument, item) -> str:
    return f"m_{instrument.key}_{item.number}"


NOT_ANSWERED = ""


def add_fields(form: forms.Form, instruments, initial=None, not_answered=""):
    """One optional 0-3 choice per item of each instrument (standard wording and
    options); with `not_answered`, an explicit empty choice of that label (the
    clinician's paper entry, where an item left blank on paper stays blank)."""
    initial = initial or {}
    for instrument in instruments:
        choices = [(o.value, o.label) for o in instrument.options.all()]
        if not_answered:
            choices.append((NOT_ANSWERED, not_answered))
        for item in instrument.items.all():
            form.fields[field_name(instrument, item)] = forms.TypedChoiceField(
                label=item.text,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
                initial=initial.get((instrument.key, item.number)),
                error_messages={"invalid_choice": "Choose one of the four answers."},
            )


def bound_items(form, instrument) -> list:
    """[(item, bound field)] of one instrument, for the templates."""
    return [(item, form[field_name(instrument, item)]) for item in instrument.items.all()]


def values_from(cleaned_data, instrument) -> dict[int, int | None]:
    return {item.number: cleaned_data.get(field_name(instrument, item)) for item in instrument.items.all()}


def answered(values) -> bool:
    return any(v is not None for v in values.values())


def save_response(*, session, instrument, values, source, link=None, by=None, username="") -> MeasureResponse:
    """Store one response with its item answers and the scored values (an unanswered
    item is kept empty: the response is incomplete), audited row by row (written in
    bulk). The caller holds the client's lock and refreshes the flags afterwards."""
    response = MeasureResponse(
        client_id=session.client_id,
        session=session,
        instrument=instrument,
        source=source,
        link=link,
        entered_by=by,
    )
    response.set_score(values, instrument.rule())
    response.save()
    items = list(instrument.items.all())
    answers = ItemAnswer.objects.bulk_create(
        ItemAnswer(response=response, item=item, value=values.get(item.number)) for item in items
    )
    number = {item.pk: item.number for item in items}
    who = {"username": username} if username else {}
    log.record_many(
        [
            log.event(
                log.Action.CREATE,
                response,
                client_id=session.client_id,
                changes={
                    "instrument": instrument.key,
                    "session": session.pk,
                    "source": source,
                    "total": response.total,
                    "band": response.band,
                    "safety": response.safety,
                },
                **who,
            ),
            *(
                log.event(
                    log.Action.CREATE,
                    answer,
                    client_id=session.client_id,
                    changes={"item": number[answer.item_id], "value": answer.value},
                    **who,
                )
                for answer in answers
            ),
        ]
    )
    return response

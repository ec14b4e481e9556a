"""Measure responses for tests: a PHQ-9 or GAD-7 filled in for a session, from a total or
item by item, scored by measures.scoring like a saved form."""

from measures.models import Instrument, ItemAnswer, MeasureResponse


def answer(session, key="phq9", total=None, values=None, source=MeasureResponse.Source.CLINICIAN, link=None):
    """Save a response for `session`: `values` {item number: value or None}, or a `total`
    spread over the items (highest first, so no safety item is touched below 24)."""
    instrument = Instrument.objects.prefetch_related("items", "bands").get(key=key)
    items = list(instrument.items.all())
    if values is None:
        values, left = {}, total
        for item in items:
            values[item.number] = min(3, left)
            left -= values[item.number]
        assert left == 0, f"{total} is above {instrument.name}'s maximum"
    response = MeasureResponse(
        client=session.client,
        session=session,
        instrument=instrument,
        source=source,
        link=link,
        entered_by=session.client.clinician if source == MeasureResponse.Source.CLINICIAN else None,
    )
    response.set_score(values, instrument.rule())
    response.save()
    ItemAnswer.objects.bulk_create(ItemAnswer(response=response, item=i, value=values.get(i.number)) for i in items)
    return response

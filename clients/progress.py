"""Progress on the measures (PHQ-9, GAD-7) for many clients at once, in a fixed number
of queries: for the supervisor's "alliance x progress" view and the caseload CSV.

The rules are `measures.scoring` (status, off track); this module only fetches the
counted responses and sessions and hands them to `scoring.progress_by_instrument`, as
the client page does for one client (`clients.insights.progress_of`: the instruments in
use, the latest response of each counted session). A client is placed in one of four columns,
across the instruments they have answered:

- off track: off track on any instrument (measures.scoring.off_track);
- improving: a reliable improvement or recovery on any instrument, off track on none;
- no change: a complete measure, but neither of the above;
- not measured: no complete measure yet.
"""

from dataclasses import dataclass

from clients.models import TherapySession
from measures import scoring
from measures.models import Instrument, MeasureResponse

IMPROVING = "improving"
NO_CHANGE = "no_change"
OFF_TRACK = "off_track"
NOT_MEASURED = "not_measured"
PLACES = [
    (IMPROVING, "Improving"),
    (NO_CHANGE, "No change"),
    (OFF_TRACK, "Off track"),
    (NOT_MEASURED, "Not measured"),
]
PLACE_LABELS = dict(PLACES)


def scored_rules():
    """{instrument key: scoring rule} of the instruments in use, in their order (two queries):
    the active ones and any switched off that has responses (its history still counts)."""
    return Instrument.objects.in_use().rules()


def names(rules):
    """[(key, short name)] of the instruments in `rules`, for columns."""
    return [(key, scoring.NAMES.get(key, key)) for key in rules]


@dataclass(frozen=True)
class ClientProgress:
    by_instrument: dict  # instrument key -> scoring.Progress (only instruments with a response)

    @property
    def place(self) -> str:
        measured = [p for p in self.by_instrument.values() if p.status]
        if not measured:
            return NOT_MEASURED
        if any(p.off_track for p in measured):
            return OFF_TRACK
        if any(p.status in (scoring.IMPROVEMENT, scoring.RECOVERY) for p in measured):
            return IMPROVING
        return NO_CHANGE

    @property
    def place_label(self) -> str:
        return PLACE_LABELS[self.place]

    def get(self, key):
        return self.by_instrument.get(key)


def for_clients(client_ids, rules=None):
    """{client id: ClientProgress} for every id given (two queries, plus two without `rules`).

    `rules` is scored_rules(); the responses counted are those of sessions that were not
    voided, the latest response of a session per instrument."""
    if rules is None:
        rules = scored_rules()
    client_ids = list(client_ids)
    # No join to the sessions here: on PostgreSQL it read every session of the organisation.
    # The order and the voided sessions come from the client's counted sessions below.
    responses = (
        MeasureResponse.objects.filter(client_id__in=client_ids)
        .order_by("created_at", "pk")
        .values_list("client_id", "instrument__key", "session_id", "total")
    )
    measured = {}  # client -> instrument key -> {session id: total of its latest response}
    for client_id, key, session_id, total in responses:
        if key in rules:
            measured.setdefault(client_id, {}).setdefault(key, {})[session_id] = total
    sessions = {}
    if measured:
        rows = (
            TherapySession.objects.counted()
            .filter(client_id__in=list(measured))
            .order_by("date", "pk")
            .values_list("client_id", "pk")
        )
        for client_id, session_id in rows:
            sessions.setdefault(client_id, []).append(session_id)
    return {
        client_id: ClientProgress(
            scoring.progress_by_instrument(measured.get(client_id, {}), sessions.get(client_id, []), rules)
        )
        for client_id in client_ids
    }

"""Exports for the record: CSV of a client or a caseload, FHIR R4 JSON.

Every export view audits itself (audit action "export"). CSV cells that a
spreadsheet would run as a formula are neutralised (alliance/csvsafe.py).
"""

from django.utils import timezone

from alliance import csvsafe
from clients import progress
from factors.models import Domain, Factor
from flags import labels
from measures.models import MeasureResponse

QUESTIONNAIRE_URL = "https://alliance.example.org/fhir/Questionnaire/alliance-twelve-factors"
SCORE_SYSTEM = "https://alliance.example.org/fhir/CodeSystem/alliance-rating"


def client_csv(client, factors, instruments=()):  # instruments: [(key, name)], clients.progress.names
    """One row per session: date, setting, the four scores and the twelve ratings (blank: not assessed),
    then each measure's total and severity band (blank: not filled in; "Incomplete": items left empty)
    and whether a safety item was answered above 0, then who observed it and the observer's twelve
    ratings (the calibration app's, several observers as "4 / 3"); a voided session keeps its row,
    marked "yes" in the last column, "Voided" (it counts in no score, flag or progress).
    For people opening it in a spreadsheet: names and labels, never codes; dates ISO (the spreadsheet shows
    them in its own format)."""
    sessions = client.sessions.order_by("date", "pk").prefetch_related(
        "ratings",
        "observations__observer",
        "observations__ratings",  # observations: the calibration app's
    )
    measured = _responses_by_session(client)
    header = [
        "Date",
        "Setting",
        "Overall index",
        "Therapist index",
        "Client index",
        "Context index",
        *[f.name for f in factors],
        *[f"{name} {part}" for _, name in instruments for part in ("total", "severity")],
        "Safety alert",
        "Observed by",
        *[f"Observer: {f.name}" for f in factors],
        "Voided",
    ]
    rows = []
    for s in sessions:
        ratings = {r.factor_id: r.score for r in s.ratings.all()}
        responses = measured.get(s.pk, {})
        rows.append(
            [
                s.date.isoformat(),
                s.get_setting_display(),
                s.overall_score,
                s.therapist_score,
                s.client_score,
                s.contextual_score,
                *[ratings.get(f.pk) for f in factors],
                *[value for key, _ in instruments for value in _total_and_band(responses.get(key))],
                "yes" if any(r.safety for r in responses.values()) else "",
                *_observer_columns(s, factors),
                "yes" if s.is_voided else "",
            ]
        )
    return csvsafe.to_csv(header, rows)


def _observer_columns(session, factors):
    """Who observed the session and their rating of each factor (several observers: "4 / 3")."""
    observations = list(session.observations.all())
    scores = [{r.factor_id: r.rating for r in o.ratings.all()} for o in observations]
    return [
        " / ".join(o.observer.get_full_name() or o.observer.username for o in observations),
        *[" / ".join("" if s.get(f.pk) is None else str(s[f.pk]) for s in scores) for f in factors],
    ]


def _responses_by_session(client):
    """{session id: {instrument key: the session's latest response}} (one query)."""
    found = {}
    for response in (
        MeasureResponse.objects.filter(client=client).select_related("instrument").order_by("created_at", "pk")
    ):
        found.setdefault(response.session_id, {})[response.instrument.key] = response
    return found


def _total_and_band(response):
    if response is None:
        return "", ""
    return (response.total, response.band) if response.complete else ("", "Incomplete")


def caseload_csv(clients, names, instruments=(), found=None):
    """One row per client: the stored summary, the open flags, then progress on each measure
    (latest total, change since the first, status) and where the client stands overall
    (clients.progress: improving, no change, off track, not measured). `found` is
    clients.progress.for_clients(...) for these clients."""
    header = [
        "Client",
        "Status",
        "Intake",
        "Sessions",
        "Last session",
        "Latest index",
        "Open flags",
        *[f"{name} {part}" for _, name in instruments for part in ("latest", "change", "status")],
        "Progress",
    ]
    found = found or {}
    rows = []
    for c in clients:
        measured = found.get(c.pk, progress.ClientProgress({}))
        rows.append(
            [
                c.label,
                c.get_status_display(),
                c.intake_date.isoformat(),
                c.session_count,
                c.last_session_on.isoformat() if c.last_session_on else "",
                c.latest_index,
                "; ".join(_flag_text(f, names) for f in c.flag_list),
                *[value for key, _ in instruments for value in _progress_cells(measured.get(key))],
                measured.place_label,
            ]
        )
    return csvsafe.to_csv(header, rows)


def _progress_cells(found):
    if found is None or not found.status:
        return "", "", ""
    return found.latest, found.change, found.status_label + (", off track" if found.off_track else "")


def _flag_text(flag, names):
    return labels.label(flag, names)


def questionnaire(factors):
    """The twelve-factor instrument as a FHIR R4 Questionnaire (dict, JSON-ready)."""
    return {
        "resourceType": "Questionnaire",
        "id": "alliance-twelve-factors",
        "url": QUESTIONNAIRE_URL,
        "name": "AllianceTwelveFactors",
        "title": "Therapeutic alliance: twelve factors",
        "status": "active",
        "subjectType": ["Patient"],
        "description": "Per-session clinician rating of twelve factors that shape the therapeutic alliance, "
        "1 (strains it) to 5 (supports it); an unanswered item was not assessed.",
        "item": [
            {
                "linkId": domain,
                "text": label,
                "type": "group",
                "item": [
                    {
                        "linkId": f.key,
                        "text": f.name,
                        "type": "choice",  # R4's coded answer type ("coding" is R5 only)
                        "required": False,
                        "answerOption": [
                            {"valueCoding": {"system": SCORE_SYSTEM, "code": str(v), "display": text}}
                            for v, text in f.scale_labels
                        ],
                    }
                    for f in factors
                    if f.domain == domain
                ],
            }
            for domain, label in Domain.choices
        ],
    }


def questionnaire_response(session, factors):
    """One session's ratings as a FHIR R4 QuestionnaireResponse (dict, JSON-ready)."""
    ratings = {r.factor_id: r.score for r in session.ratings.all()}
    labels = {f.pk: dict(f.scale_labels) for f in factors}
    groups = []
    for domain, label in Domain.choices:
        items = []
        for f in factors:
            score = ratings.get(f.pk)
            if f.domain != domain or score is None:
                continue  # not assessed: left unanswered
            items.append(
                {
                    "linkId": f.key,
                    "text": f.name,
                    "answer": [
                        {"valueCoding": {"system": SCORE_SYSTEM, "code": str(score), "display": labels[f.pk][score]}}
                    ],
                }
            )
        if items:
            groups.append({"linkId": domain, "text": label, "item": items})
    return {
        "resourceType": "QuestionnaireResponse",
        "id": f"session-{session.pk}",
        "questionnaire": QUESTIONNAIRE_URL,
        "status": "entered-in-error" if session.is_voided else "completed",
        "subject": {"display": session.client.label},
        "authored": timezone.make_aware(
            timezone.datetime.combine(session.date, timezone.datetime.min.time())
        ).isoformat(),
        "author": {"display": str(session.client.clinician)},
        "item": groups,  # never empty: a session rates at least one factor (recording.EmptySessionError)
    }


def ordered_factors():
    return list(Factor.objects.in_form_order())


# --- The measures (PHQ-9, GAD-7) in FHIR R4 -------------------------------------------------

FHIR_BASE = "https://alliance.example.org/fhir"
LOINC = "http://loinc.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def measures_bundle(session, responses):
    """Every measure response of the session as a FHIR R4 Bundle (type collection): each
    its own QuestionnaireResponse (LOINC-coded items and answers; an item left blank is
    left out), and for each complete one an Observation of its total (LOINC total score
    code) derived from it. A record keeps every form: a second response to the same
    instrument in a session (progress reads the latest) and an incomplete one (no total,
    but perhaps an answer about self-harm) are exported too; a voided session's are
    "entered-in-error". `responses` come with instrument, its items and options, and the
    answers (see measure_responses)."""
    entries = []
    for response in responses:
        qr = _measure_response(session, response)
        entries.append(qr)
        if response.complete:
            entries.append(_total_observation(session, response, qr["id"]))
    bundle = {
        "resourceType": "Bundle",
        "id": f"session-{session.pk}-measures",
        "type": "collection",
        "timestamp": timezone.now().isoformat(timespec="seconds"),
    }
    if entries:  # FHIR JSON has no empty arrays
        bundle["entry"] = [{"fullUrl": f"{FHIR_BASE}/{r['resourceType']}/{r['id']}", "resource": r} for r in entries]
    return bundle


def measure_responses(session):
    """Every response of the session, oldest first, with what the FHIR export reads (four queries)."""
    return list(
        session.measure_responses.select_related("instrument", "entered_by")
        .prefetch_related("answers__item", "instrument__options")
        .order_by("created_at", "pk")
    )


def _authored(session):
    return timezone.make_aware(timezone.datetime.combine(session.date, timezone.datetime.min.time())).isoformat()


def _measure_response(session, response):
    instrument = response.instrument
    options = {o.value: o for o in instrument.options.all()}
    items = []
    for answer in sorted(response.answers.all(), key=lambda a: a.item.number):
        if answer.value is None:
            continue  # unanswered: left out, as FHIR has no empty answer
        option = options[answer.value]
        coding = {"system": LOINC, "code": option.loinc, "display": option.label} if option.loinc else None
        items.append(
            {
                "linkId": answer.item.loinc or str(answer.item.number),
                "text": answer.item.text,
                "answer": [{"valueCoding": coding or {"code": str(answer.value), "display": option.label}}],
            }
        )
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": f"measure-{response.pk}",
        "questionnaire": (
            f"{LOINC}/q/{instrument.loinc_panel}"  # LOINC's canonical for its panels
            if instrument.loinc_panel
            else f"{FHIR_BASE}/Questionnaire/{instrument.key}"
        ),
        "status": "entered-in-error" if session.is_voided else "completed",
        "subject": _patient(session),
        "authored": _authored(session),
        "author": _author(session, response),
        "source": _patient(session),  # who answered the questions: the client, on their link or on paper
        "item": items,
    }
    return {k: v for k, v in resource.items() if v != []}  # FHIR JSON has no empty arrays


def _patient(session):
    return {"type": "Patient", "display": session.client.label}


def _author(session, response):
    """Who recorded the answers (FHIR's QuestionnaireResponse.author): the client on their
    self-report link; for a paper form, the user who entered it (the treating clinician when
    that user is gone)."""
    if response.source == MeasureResponse.Source.CLIENT:
        return _patient(session)
    return {"type": "Practitioner", "display": str(response.entered_by or session.client.clinician)}


def _total_observation(session, response, response_id):
    instrument = response.instrument
    code = {"text": f"{instrument.name} total score"}
    if instrument.loinc_total:  # the display is left to LOINC's own wording
        code["coding"] = [{"system": LOINC, "code": instrument.loinc_total}]
    observation = {
        "resourceType": "Observation",
        "id": f"measure-{response.pk}-total",
        "status": "entered-in-error" if session.is_voided else "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
        "code": code,
        "subject": _patient(session),
        "effectiveDateTime": _authored(session),
        "valueInteger": response.total,
        "interpretation": [{"text": response.band}] if response.band else [],
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{response_id}"}],
    }
    if response.prorated:
        observation["note"] = [{"text": f"Prorated: {response.answered} of the items answered."}]
    return {k: v for k, v in observation.items() if v != []}

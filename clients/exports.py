"""Exports for the record: CSV of a client or a caseload, FHIR R4 JSON.

Every export view audits itself (audit action "export"). CSV cells that a
spreadsheet would run as a formula are neutralised (alliance/csvsafe.py).
"""

from django.utils import timezone

from alliance import csvsafe
from factors.models import Domain, Factor
from flags import labels

QUESTIONNAIRE_URL = "https://alliance.example.org/fhir/Questionnaire/alliance-twelve-factors"
SCORE_SYSTEM = "https://alliance.example.org/fhir/CodeSystem/alliance-rating"


def client_csv(client, factors):
    """One row per session: date, setting, the four scores, the twelve ratings (blank: not assessed), who observed
    it and the observer's twelve ratings (the calibration app's, several observers as "4 / 3");
    a voided session keeps its row, marked "yes" in the last column, "Voided" (it counts in no score or flag).
    For people opening it in a spreadsheet: names and labels, never codes; dates ISO (the spreadsheet shows
    them in its own format)."""
    sessions = client.sessions.order_by("date", "pk").prefetch_related(
        "ratings",
        "observations__observer",
        "observations__ratings",  # observations: the calibration app's
    )
    header = [
        "Date",
        "Setting",
        "Overall index",
        "Therapist index",
        "Client index",
        "Context index",
        *[f.name for f in factors],
        "Observed by",
        *[f"Observer: {f.name}" for f in factors],
        "Voided",
    ]
    rows = []
    for s in sessions:
        ratings = {r.factor_id: r.score for r in s.ratings.all()}
        rows.append(
            [
                s.date.isoformat(),
                s.get_setting_display(),
                s.overall_score,
                s.therapist_score,
                s.client_score,
                s.contextual_score,
                *[ratings.get(f.pk) for f in factors],
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


def caseload_csv(clients, names):
    """One row per client: the stored summary and the open flags."""
    header = ["Client", "Status", "Intake", "Sessions", "Last session", "Latest index", "Open flags"]
    rows = [
        [
            c.label,
            c.get_status_display(),
            c.intake_date.isoformat(),
            c.session_count,
            c.last_session_on.isoformat() if c.last_session_on else "",
            c.latest_index,
            "; ".join(_flag_text(f, names) for f in c.flag_list),
        ]
        for c in clients
    ]
    return csvsafe.to_csv(header, rows)


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
                        "type": "coding",
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
        "item": groups,
    }


def ordered_factors():
    return list(Factor.objects.in_form_order())

"""The measures in the exports: the client and caseload CSV gain them, and a session's
completed measures export as FHIR R4 (a QuestionnaireResponse each and an Observation of
each total, LOINC coded), valid against HL7's R4 schema and fhir.resources."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from clients.recording import void_session
from measures.models import MeasureResponse
from tests.factories import TherapySessionFactory, UserFactory
from tests.fhir_r4 import assert_valid_r4
from tests.measure_data import answer

pytestmark = pytest.mark.django_db


def rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def weeks_ago(n):
    return timezone.localdate() - timedelta(weeks=n)


@pytest.fixture
def measured(their_client):
    """Two sessions: PHQ-9 15 and GAD-7 incomplete, then PHQ-9 8 with a safety answer."""
    first = TherapySessionFactory(client=their_client, date=weeks_ago(2))
    second = TherapySessionFactory(client=their_client, date=weeks_ago(1))
    answer(first, "phq9", 15)
    answer(first, "gad7", values={1: 2, 2: 1})
    answer(second, "phq9", values={1: 2, 2: 2, 3: 1, 4: 1, 5: 1, 6: 0, 7: 0, 8: 0, 9: 1})
    return first, second


def test_the_clients_csv_has_each_measures_total_severity_and_the_safety_alert(owner_client, their_client, measured):
    header, first, second = rows(owner_client.get(reverse("client_export_csv", args=[their_client.pk])))
    cells = [dict(zip(header, row, strict=True)) for row in (first, second)]
    start = header.index("PHQ-9 total")  # after the twelve ratings, before the observer's columns and "Voided"
    assert header[start : start + 6] == [
        "PHQ-9 total",
        "PHQ-9 severity",
        "GAD-7 total",
        "GAD-7 severity",
        "Safety alert",
        "Observed by",
    ]
    assert header[-1] == "Voided"
    assert (cells[0]["PHQ-9 total"], cells[0]["PHQ-9 severity"]) == ("15", "Moderately severe")
    assert (cells[0]["GAD-7 total"], cells[0]["GAD-7 severity"]) == ("", "Incomplete")
    assert (cells[1]["PHQ-9 total"], cells[1]["PHQ-9 severity"], cells[1]["Safety alert"]) == ("8", "Mild", "yes")
    assert (cells[1]["GAD-7 total"], cells[1]["GAD-7 severity"], cells[0]["Safety alert"]) == ("", "", "")


def test_the_caseload_csv_has_each_measures_progress_and_where_the_client_stands(owner_client, measured):
    header, row = rows(owner_client.get(reverse("caseload_export_csv")))
    cells = dict(zip(header, row, strict=True))
    assert (cells["PHQ-9 latest"], cells["PHQ-9 change"]) == ("8", "-7")  # a number, not neutralised text
    assert cells["PHQ-9 status"] == "Recovery"
    assert cells["GAD-7 latest"] == cells["GAD-7 status"] == ""
    assert cells["Progress"] == "Improving"


def test_a_sessions_completed_measures_are_valid_fhir_r4_with_loinc_codes(owner_client, measured):
    first, _ = measured
    response = owner_client.get(reverse("session_measures_fhir", args=[first.pk]))
    assert response["Content-Type"] == "application/fhir+json"
    bundle = json.loads(response.content)
    assert_valid_r4(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    # PHQ-9 with its total; GAD-7 incomplete: its answers, no total.
    assert [r["resourceType"] for r in resources] == ["QuestionnaireResponse", "Observation", "QuestionnaireResponse"]
    questionnaire_response, observation, incomplete = resources
    assert [item["answer"][0]["valueCoding"]["display"] for item in incomplete["item"]] == [
        "More than half the days",
        "Several days",
    ]
    for resource in resources:
        assert_valid_r4(resource)
    assert questionnaire_response["questionnaire"] == "http://loinc.org/q/44249-1"
    first_item = questionnaire_response["item"][0]
    assert first_item["linkId"] == "44250-9"
    assert first_item["answer"][0]["valueCoding"] == {
        "system": "http://loinc.org",
        "code": "LA6571-9",
        "display": "Nearly every day",
    }
    assert observation["code"]["coding"] == [{"system": "http://loinc.org", "code": "44261-6"}]
    assert observation["valueInteger"] == 15
    assert observation["interpretation"] == [{"text": "Moderately severe"}]
    assert observation["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{questionnaire_response['id']}"}]
    assert AuditEvent.objects.filter(action="export", object_id=str(first.pk), changes__part="measures").exists()


def test_the_author_is_whoever_recorded_the_answers_and_the_source_is_the_client(owner_client, their_client):
    session = TherapySessionFactory(client=their_client, date=weeks_ago(1))
    answer(session, "phq9", 12, source=MeasureResponse.Source.CLIENT)
    paper = answer(session, "gad7", 9)
    paper.entered_by = UserFactory(
        username="locum", first_name="Lee", last_name="Locum", team=their_client.clinician.team
    )
    paper.save()
    bundle = owner_client.get(reverse("session_measures_fhir", args=[session.pk])).json()
    assert_valid_r4(bundle)
    phone, on_paper = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    patient = {"type": "Patient", "display": their_client.label}
    assert (phone["author"], phone["source"], phone["subject"]) == (patient, patient, patient)
    assert on_paper["author"] == {"type": "Practitioner", "display": "Lee Locum"}
    assert on_paper["source"] == patient  # the client answered the paper form; the locum entered it


def test_every_response_of_a_session_is_exported_not_only_the_latest(owner_client, their_client):
    session = TherapySessionFactory(client=their_client, date=weeks_ago(1))
    earlier, later = answer(session, "phq9", 14), answer(session, "phq9", 11)
    blank = answer(session, "gad7", values={})  # nothing answered: a form with no items
    bundle = owner_client.get(reverse("session_measures_fhir", args=[session.pk])).json()
    assert_valid_r4(bundle)
    ids = [e["resource"]["id"] for e in bundle["entry"]]
    assert ids == [
        f"measure-{earlier.pk}",
        f"measure-{earlier.pk}-total",
        f"measure-{later.pk}",
        f"measure-{later.pk}-total",
        f"measure-{blank.pk}",
    ]
    assert [e["resource"].get("valueInteger") for e in bundle["entry"][1:4:2]] == [14, 11]
    assert "item" not in bundle["entry"][4]["resource"]


def test_a_voided_sessions_measures_are_entered_in_error(owner_client, owner, measured):
    first, _ = measured
    void_session(first, owner, "Logged for the wrong client.")
    bundle = owner_client.get(reverse("session_measures_fhir", args=[first.pk])).json()
    assert_valid_r4(bundle)
    assert {e["resource"]["status"] for e in bundle["entry"]} == {"entered-in-error"}


def test_a_session_without_measures_is_an_empty_valid_bundle(owner_client, their_client):
    session = TherapySessionFactory(client=their_client)
    bundle = owner_client.get(reverse("session_measures_fhir", args=[session.pk])).json()
    assert "entry" not in bundle  # FHIR JSON has no empty arrays
    assert_valid_r4(bundle)


def test_the_r4_schema_refuses_an_observation_without_a_code(owner_client, measured):
    first, _ = measured
    bundle = owner_client.get(reverse("session_measures_fhir", args=[first.pk])).json()
    observation = bundle["entry"][1]["resource"]
    del observation["code"]
    with pytest.raises(AssertionError, match="code"):
        assert_valid_r4(observation)


def test_the_session_page_links_to_the_measures_only_when_there_are_some(owner_client, their_client, measured):
    first, _ = measured
    link = reverse("session_measures_fhir", args=[first.pk])
    assert link in owner_client.get(reverse("session_detail", args=[first.pk])).content.decode()
    plain = TherapySessionFactory(client=their_client, date=weeks_ago(3))
    page = owner_client.get(reverse("session_detail", args=[plain.pk])).content.decode()
    assert "measures.fhir.json" not in page

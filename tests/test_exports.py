"""Exports for the record: CSV, FHIR R4 (validated with HL7's R4 JSON schema and fhir.resources: tests/fhir_r4.py)
and the print summary."""

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team, User
from audit.models import AuditEvent
from tests.factories import ClientFactory, TherapySessionFactory, UserFactory
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db


def rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_a_clients_csv_has_one_row_per_session_with_scores_and_ratings(owner_client, their_client):
    today = timezone.localdate()
    TherapySessionFactory(client=their_client, date=today - timedelta(days=14), default_score=2)
    TherapySessionFactory(client=their_client, date=today - timedelta(days=7), ratings={"stigma": None})
    response = owner_client.get(reverse("client_export_csv", args=[their_client.pk]))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, first, second = rows(response)
    assert header[:6] == ["Date", "Setting", "Overall index", "Therapist index", "Client index", "Context index"]
    # ... twelve factors, PHQ-9 and GAD-7 total and severity, safety, then who observed it and the observer's ratings
    assert len(header) == 6 + 12 + 2 * 2 + 1 + 1 + 12 + 1
    assert header[23] == "Observed by"
    assert header[-1] == "Voided"
    assert first[0] == (today - timedelta(days=14)).isoformat()
    assert first[1] in {"In person", "Online", "Phone"}  # the label a person reads, never the code
    assert first[2] == "25.0"
    assert second[header.index("Stigma")] == ""  # not assessed stays blank, never zero
    assert AuditEvent.objects.filter(action="export", client_id=their_client.pk).exists()


def test_the_caseload_csv_lists_summaries_and_open_flags_and_neutralises_formulas(owner_client, owner):
    risky = ClientFactory(clinician=owner, label="=HYPERLINK(x)")
    TherapySessionFactory(client=risky, ratings={"openness": 1})
    ClientFactory(clinician=owner, label="Calm")
    header, *body = rows(owner_client.get(reverse("caseload_export_csv")))
    assert header[:7] == ["Client", "Status", "Intake", "Sessions", "Last session", "Latest index", "Open flags"]
    assert header[-1] == "Progress"
    by_label = {r[0]: r for r in body}
    assert "'=HYPERLINK(x)" in by_label
    assert "Low factor: Openness, since" in by_label["'=HYPERLINK(x)"][6]
    assert by_label["Calm"][3] == "0"
    assert by_label["Calm"][1] == "Active"  # the label, not the code


def test_a_supervisor_exports_a_team_members_caseload_but_not_another_teams(client, owner):
    supervisor = UserFactory(username="sup", role=User.Role.SUPERVISOR)
    owner.team = Team.objects.create(name="T", supervisor=supervisor)
    owner.save()
    ClientFactory(clinician=owner, label="Team client")
    client.force_login(supervisor)
    assert "Team client" in client.get(reverse("caseload_export_csv"), {"clinician": owner.pk}).content.decode()
    stranger = UserFactory(username="stranger")
    assert client.get(reverse("caseload_export_csv"), {"clinician": stranger.pk}).status_code == 404


def test_the_instrument_is_a_valid_fhir_questionnaire(owner_client):
    response = owner_client.get(reverse("fhir_questionnaire"))
    assert response["Content-Type"] == "application/fhir+json"
    resource = assert_valid_r4(json.loads(response.content))
    assert [group.linkId for group in resource.item] == ["therapist", "client", "contextual"]
    items = [item for group in resource.item for item in group.item]
    assert len(items) == 12
    assert {item.type for item in items} == {"choice"}  # R4's coded answer ("coding" is R5 only)
    assert [o.valueCoding.code for o in items[0].answerOption] == ["1", "2", "3", "4", "5"]


def test_a_session_is_a_valid_fhir_questionnaire_response(owner_client, their_client):
    session = TherapySessionFactory(client=their_client, ratings={"openness": 2, "stigma": None}, default_score=4)
    response = owner_client.get(reverse("session_fhir", args=[session.pk]))
    resource = assert_valid_r4(json.loads(response.content))
    assert resource.status == "completed"
    assert resource.questionnaire.endswith("alliance-twelve-factors")
    answers = {item.linkId: item.answer[0].valueCoding.code for group in resource.item for item in group.item}
    assert len(answers) == 11  # "not assessed" is left unanswered
    assert answers["openness"] == "2"
    assert "stigma" not in answers
    assert AuditEvent.objects.filter(action="export", object_type="clients.therapysession").exists()


def test_the_print_summary_has_the_record_and_a_print_stylesheet(owner_client, their_client):
    for days in (21, 14, 7):
        TherapySessionFactory(client=their_client, date=timezone.localdate() - timedelta(days=days))
    html = owner_client.get(reverse("client_summary", args=[their_client.pk])).content.decode()
    assert "Alliance summary · J.M." in html
    assert "Confidential clinical record" in html
    assert html.count('class="rating rating-4"') == 36
    assert 'id="chart-data"' in html
    assert "@media print" in (Path(settings.BASE_DIR) / "static/css/alliance.css").read_text()

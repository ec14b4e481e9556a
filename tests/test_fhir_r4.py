"""Every FHIR document the app produces is one an R4 server accepts: HL7's official R4 JSON
schema (vendored, tests/vendor/fhir-r4-schema-4.0) and fhir.resources both say yes, and the
schema check is shown to say no to what R4 does not allow."""

import copy
import hashlib
import re

import pytest
from jsonschema import Draft6Validator

from clients import exports
from clients.recording import void_session
from tests.factories import TherapySessionFactory
from tests.fhir_r4 import SCHEMA_DIR, SCHEMA_ID, SCHEMA_PATH, assert_valid_r4, schema, schema_errors

pytestmark = pytest.mark.django_db


def test_the_vendored_schema_is_hl7s_r4_json_schema_as_recorded():
    assert schema()["$schema"] == "http://json-schema.org/draft-06/schema#"
    assert schema()["id"] == SCHEMA_ID
    Draft6Validator.check_schema(schema())  # a well-formed draft-06 schema, so the validator reads all of it
    recorded = re.search(r"`([0-9a-f]{64})`", (SCHEMA_DIR / "README.md").read_text()).group(1)
    assert hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest() == recorded  # the file is the one the README names
    assert "Creative Commons" in (SCHEMA_DIR / "LICENSE").read_text()


def test_the_questionnaire_passes_r4_and_the_r5_only_item_type_coding_does_not():
    questionnaire = exports.questionnaire(exports.ordered_factors())
    assert_valid_r4(questionnaire)
    r5 = copy.deepcopy(questionnaire)
    r5["item"][0]["item"][0]["type"] = "coding"  # what the export said before: R5 only
    errors = schema_errors(r5)
    assert errors
    assert "'coding' is not one of" in errors[0]
    assert errors[0].startswith("item/0/item/0/type")


@pytest.mark.parametrize("voided", [False, True])
def test_a_sessions_questionnaire_response_passes_r4(their_client, voided):
    session = TherapySessionFactory(client=their_client, ratings={"stigma": None})
    if voided:
        void_session(session, their_client.clinician, "Logged for the wrong client.")
    document = exports.questionnaire_response(session, exports.ordered_factors())
    assert assert_valid_r4(document).status == ("entered-in-error" if voided else "completed")


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        (("status",), "done"),  # not a QuestionnaireResponse status
        (("authored",), "26/11/2026"),  # not a FHIR dateTime
        (("item", 0, "item", 0, "answer", 0, "valueScore"), 3),  # no such answer[x]
    ],
)
def test_the_schema_refuses_a_broken_questionnaire_response(their_client, path, bad):
    document = exports.questionnaire_response(TherapySessionFactory(client=their_client), exports.ordered_factors())
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = bad
    assert schema_errors(document)


def test_an_unknown_resource_type_is_refused():
    assert schema_errors({"resourceType": "Questionnaire2"}) == ["unknown resourceType 'Questionnaire2'"]

"""Is a FHIR document one an R4 server accepts? Two independent checks.

1. HL7's official R4 JSON schema (`tests/vendor/fhir-r4-schema-4.0/fhir.schema.json`,
   draft-06), validated with `jsonschema` against the whole schema, as a server
   would: its top-level `oneOf` picks the resource by `resourceType`. This is the
   check that knows R4's value sets for codes such as `Questionnaire.item.type`.
2. The `fhir.resources` models. The package ships R5 (its default), R4B and STU3,
   but no R4: R4B is the nearest, and its models check structure and data types
   but not every code (they accepted the R5-only item type `coding`).
"""

import functools
import json
from pathlib import Path

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from jsonschema import Draft6Validator
from jsonschema.exceptions import best_match

SCHEMA_DIR = Path(__file__).parent / "vendor" / "fhir-r4-schema-4.0"
SCHEMA_PATH = SCHEMA_DIR / "fhir.schema.json"
SCHEMA_ID = "http://hl7.org/fhir/json-schema/4.0"

MODELS = {model.__name__: model for model in (Questionnaire, QuestionnaireResponse, Observation, Bundle)}


@functools.cache
def schema():
    return json.loads(SCHEMA_PATH.read_text())


@functools.cache
def _whole():
    return Draft6Validator(schema())


@functools.cache
def _resource(resource_type):
    """The one resource's definition, only to say in plain words why the whole schema said no."""
    return Draft6Validator({"$ref": f"#/definitions/{resource_type}", "definitions": schema()["definitions"]})


def schema_errors(document):
    """What the official R4 JSON schema finds wrong with a document: [] when it is valid."""
    if _whole().is_valid(document):
        return []
    resource_type = document.get("resourceType", "")
    if resource_type not in schema()["definitions"]:
        return [f"unknown resourceType {resource_type!r}"]
    errors = list(_resource(resource_type).iter_errors(document))
    if not errors:  # the whole schema said no for a reason the definition alone does not show
        errors = list(_whole().iter_errors(document))
    best = best_match(errors)
    return [f"{'/'.join(map(str, best.absolute_path)) or '(root)'}: {best.message}"] + [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors if e is not best
    ]


def empty_arrays(value, path=""):
    """Where a document has an empty array: FHIR JSON allows none (json.html), a rule the schema does not state."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in empty_arrays(v, f"{path}/{k}")]
    if isinstance(value, list):
        return [path] if not value else [p for i, v in enumerate(value) for p in empty_arrays(v, f"{path}/{i}")]
    return []


def assert_valid_r4(document):
    """Fail unless the document passes the official R4 JSON schema and the fhir.resources R4B model."""
    assert not empty_arrays(document), f"empty arrays at {empty_arrays(document)}"
    errors = schema_errors(document)
    assert not errors, "not valid FHIR R4 JSON:\n" + "\n".join(errors[:10])
    return MODELS[document["resourceType"]].model_validate(document)

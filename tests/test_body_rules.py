"""The rules on request bodies read the same to the server and to a client's validator:
patterns mean the same in Python and in JavaScript (ECMA-262), and the rules across
fields that the structs carry as JSON Schema (CROSS_FIELD_SCHEMA) accept exactly what
the server accepts."""

import json
import re
import subprocess
import uuid

import jsonschema
import msgspec
import pytest

from chalicelib.api.openapi import document
from chalicelib.bulletins.fields import LINE_PATTERN, TEXT_PATTERN, MissingPerson
from chalicelib.reports.bodies import FOREIGN_ID_PATTERN, Location
from chalicelib.tokens import Principal, issue_access_token

SAMPLES = ["abc", "abc\n", "\nabc", "abc\r\n", " abc", "abc ", "a b", "", " ", "\n", "a\tb",
           "a\x01b", "a\x7fb", "line one\nline two", "line one\nline two\n", "\t\n", "Z",
           "abcZ", "123456", "123456\n", "12345", "1234567", "朝阳 公园", "a\u2028b",
           "A-b_9", "a.b", "x" * 70]
# The patterns before they were made portable (Python-only \Z): what they refused, the
# portable ones still refuse.
BEFORE = {
    LINE_PATTERN: r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?\Z",
    TEXT_PATTERN: r"^(?=[\s\S]*\S)[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*\Z",
}


def patterns_of(schema) -> set[str]:
    if isinstance(schema, dict):
        found = {schema["pattern"]} if isinstance(schema.get("pattern"), str) else set()
        return found.union(*(patterns_of(value) for value in schema.values()))
    if isinstance(schema, list):
        return set().union(*(patterns_of(value) for value in schema))
    return set()


def javascript_matches(patterns: list[str], samples: list[str]) -> list[list[bool]]:
    """Each pattern against each sample in Node, with the `u` flag as ajv compiles them."""
    script = ("const {patterns, samples} = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "console.log(JSON.stringify(patterns.map((p) => { const r = new RegExp(p, 'u');"
              " return samples.map((s) => r.test(s)); })));")
    done = subprocess.run(["node", "-e", script], input=json.dumps(
        {"patterns": patterns, "samples": samples}), capture_output=True, text=True,
        check=True, timeout=30)
    return json.loads(done.stdout)


def test_every_pattern_of_the_document_means_the_same_in_python_and_javascript():
    patterns = sorted(patterns_of(document()))
    assert {LINE_PATTERN, TEXT_PATTERN} <= set(patterns)
    for pattern in patterns:
        assert not re.search(r"\\[AZz]|\(\?P?<[a-zA-Z]", pattern), pattern
    in_python = [[re.search(pattern, sample) is not None for sample in SAMPLES]
                 for pattern in patterns]
    assert javascript_matches(patterns, SAMPLES) == in_python


@pytest.mark.parametrize("pattern", sorted(BEFORE))
def test_the_portable_patterns_accept_what_the_python_only_ones_did(pattern):
    for sample in SAMPLES:
        assert bool(re.search(pattern, sample)) == bool(re.search(BEFORE[pattern], sample)), (
            sample)


def test_a_trailing_newline_is_refused_where_a_line_is_asked_for():
    assert not re.search(LINE_PATTERN, "abc\n")
    assert re.search(TEXT_PATTERN, "abc\n")
    [foreign_id] = [pattern for pattern in patterns_of(document())
                    if FOREIGN_ID_PATTERN in pattern]
    assert re.search(foreign_id, "abc") and not re.search(foreign_id, "abc\n")


def schema_with_rules(struct: type) -> dict:
    """The struct's schema as msgspec writes it, with its rules across fields."""
    _, components = msgspec.json.schema_components([struct], ref_template="#/$defs/{name}")
    return {"allOf": [components[struct.__name__], struct.CROSS_FIELD_SCHEMA],
            "$defs": components}


@pytest.mark.parametrize("location", [
    {"latitude": 39.9, "longitude": 116.4, "accuracy_m": 20},
    {"latitude": 39.9, "longitude": 116.4, "accuracy_m": 20, "address": "朝阳公园南门"},
    {"address": "朝阳公园南门"},
    {"address": "朝阳公园南门", "latitude": None, "longitude": None},
    {"latitude": 39.9, "longitude": 116.4},
    {"latitude": 39.9, "longitude": 116.4, "accuracy_m": None, "address": "x"},
    {"accuracy_m": 20, "address": "x"},
    {"latitude": None, "longitude": None, "accuracy_m": None},
    {},
])
def test_the_location_schema_accepts_what_the_server_accepts(location):
    try:
        msgspec.convert(location, Location)
        accepted = True
    except msgspec.ValidationError:
        accepted = False
    valid = jsonschema.Draft202012Validator(schema_with_rules(Location)).is_valid(location)
    assert valid == accepted


MISSING_PERSON = {"category": "missing_person", "title": "Missing: a boy of eight",
                  "body": "Please call us.", "district": "朝阳区", "contact": "110",
                  "name": "王小明", "sex": "male", "last_seen_place": "朝阳公园南门",
                  "last_seen_at": "2026-03-02T16:40:00Z"}


@pytest.mark.parametrize("ages", [{"age": 8}, {"date_of_birth": "2018-01-01"},
                                  {"age": 8, "date_of_birth": "2018-01-01"}, {},
                                  {"age": None}, {"age": None, "date_of_birth": "2018-01-01"}])
def test_the_missing_person_schema_accepts_what_the_server_accepts(client, ages):
    body = {**MISSING_PERSON, **ages}
    officer = issue_access_token(Principal(f"officer-{uuid.uuid4().hex}", "officer"))
    answer = client.http.post("/bulletins", body=json.dumps(body), headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {officer}"})
    assert answer.status_code in (201, 400), answer.body
    valid = jsonschema.Draft202012Validator(schema_with_rules(MissingPerson)).is_valid(body)
    assert valid == (answer.status_code == 201)

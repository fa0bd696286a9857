"""Schemathesis against the local API: `chalice local` on a free port (the `local_api`
fixture of tests/support/local_api.py), fed requests
generated from /openapi.json, signed in as a citizen and as an officer. No answer may be
a 5xx, and every answer must match the documented status, content type and schema.

Bounded: FUZZ_EXAMPLES examples per operation, per mode (fitting the schema, and
not fitting it) and per caller; about a minute on a laptop. Raise MASSES_FUZZ_EXAMPLES
for a longer run.
"""

import os
from pathlib import Path

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support.api import caller, file_report

from chalicelib.api.routes import CONTRACTS

pytestmark = pytest.mark.fuzz

FUZZ_EXAMPLES = int(os.environ.get("MASSES_FUZZ_EXAMPLES", "3"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("role", ["citizen", "officer"])
def test_generated_requests_get_no_5xx_and_only_documented_answers(client, local_api, role):
    who = caller(role)
    file_report(client, who)  # so the listings have something to page through
    schema = schemathesis.openapi.from_url(f"{local_api}/openapi.json")
    session = requests.Session()
    session.headers.update(who.headers)
    sent = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    # Every route (preflights are not operations), bar the document that schemathesis read.
    routes = {(contract.method, contract.path) for contract in CONTRACTS}
    assert {(op.method.upper(), op.path) for op in operations} == routes - {
        ("GET", "/openapi.json")}
    for operation in operations:
        for mode in GenerationMode:
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis.settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
                                 phases=[Phase.generate],
                                 suppress_health_check=list(HealthCheck))
            def fuzz(case):
                nonlocal sent
                response = case.call(base_url=local_api, session=session)
                sent += 1
                case.validate_response(response, checks=CHECKS)

            try:
                fuzz()
            except hypothesis.errors.Unsatisfiable:
                # Nothing to get wrong: no parameters, no body (GET /health, say).
                if mode is GenerationMode.POSITIVE:
                    raise
    print(f"schemathesis: {sent} generated requests, role {role}")
    assert sent >= len(operations) * 2

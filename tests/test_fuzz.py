"""Schemathesis against the local API: `chalice local` on a free port, fed requests
generated from /openapi.json, signed in as a citizen and as an officer. No answer may be
a 5xx, and every answer must match the documented status, content type and schema.

Bounded: FUZZ_EXAMPLES examples per operation, per mode (fitting the schema, and
not fitting it) and per caller; about a minute on a laptop. Raise MASSES_FUZZ_EXAMPLES
for a longer run.
"""

import os
import subprocess
import sys
import time
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
from test_reports_support import caller, file_report

from local import config
from local.emulator import free_port

FUZZ_EXAMPLES = int(os.environ.get("MASSES_FUZZ_EXAMPLES", "3"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def local_api(emulator, sms_sink):
    """`chalice local` for the local stage, against the test session's emulator."""
    port = free_port()
    server = subprocess.Popen(
        [Path(sys.executable).with_name("chalice"), "local", "--stage", config.STAGE,
         "--host", config.HOST, "--port", str(port), "--no-autoreload"],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://{config.HOST}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/health", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and server.poll() is None, "no chalice local"
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize("role", ["citizen", "officer"])
def test_generated_requests_get_no_5xx_and_only_documented_answers(client, local_api, role):
    who = caller(role)
    file_report(client, who)  # so the listings have something to page through
    schema = schemathesis.openapi.from_url(f"{local_api}/openapi.json")
    session = requests.Session()
    session.headers.update(who.headers)
    sent = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
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

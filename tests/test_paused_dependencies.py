"""Deadlines against the whole local stack (issue 20): the emulator or the SMS sink is
paused with SIGSTOP, as a hung DynamoDB, S3, SSM or Twilio would be, and each route
still answers within its budget; after SIGCONT everything works and no half-written
state is visible.

This module runs its own `python -m local.dev` on free ports (tests/support/admin_site.py),
so pausing its emulator holds up no other test, whichever xdist worker runs them. The
answer times are written to test-artifacts/paused-dependencies.json.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
import requests
from support.admin_site import ARTIFACTS, ROOT, Stack, file_report_with_photo
from support.auth import new_phone

from chalicelib.settings import API_BUDGET_SECONDS, WORKER_BUDGET_SECONDS, call_limits
from local import config

# What a request may take beyond its budget: the HTTP round trip through chalice local
# and the answer's own work, on a loaded test machine.
SLACK_SECONDS = 1.0
FIGURES: dict[str, float] = {}
pytestmark = pytest.mark.stack  # its own `make dev` stack, paused and resumed


@pytest.fixture(scope="module")
def stack():
    stack = Stack.start(ARTIFACTS / "paused-dependencies-stack.log")
    try:
        yield stack
    finally:
        stack.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "paused-dependencies.json").write_text(json.dumps(
            {"seconds": FIGURES, "api_budget_seconds": API_BUDGET_SECONDS}, indent=2))


def child_pid(stack: Stack, module: str) -> int:
    """The pid of the process local.dev started as `python -m <module>`."""
    parent = stack.process.pid
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    for pid in map(int, children):
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if module.encode() in command:
            return pid
    raise LookupError(f"local.dev runs no {module}")


@contextmanager
def paused(pid: int):
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


@pytest.fixture(scope="module")
def emulator_pid(stack) -> int:
    return child_pid(stack, "local.emulator_server")


@pytest.fixture(scope="module")
def sink_pid(stack) -> int:
    return child_pid(stack, "local.sms_sink")


@pytest.fixture(scope="module")
def citizen(stack) -> dict:
    """Signed in before anything is paused (the API then holds its SSM secrets)."""
    return stack.sign_in(new_phone())


def call(stack: Stack, method: str, path: str, token: str | None = None, body=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, f"{stack.api}{path}", headers=headers, json=body,
                            timeout=60)


def timed(name: str, do):
    started = time.monotonic()
    result = do()
    FIGURES[name] = round(time.monotonic() - started, 2)
    print(f"{name}: {FIGURES[name]} s")
    return result, FIGURES[name]


def assert_dependency_timeout(response, seconds: float, budget: float = API_BUDGET_SECONDS):
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "dependency_timeout"
    assert response.headers["Retry-After"].isdigit()
    assert seconds < budget + SLACK_SECONDS


def report_body(description: str) -> dict:
    return {"category": "theft", "description": description,
            "location": {"latitude": 39.92, "longitude": 116.44, "accuracy_m": 10,
                         "address": "朝阳公园南门"},
            "occurred_at": "2026-11-30T08:00:00+00:00"}


def test_get_bulletins_answers_dependency_timeout_within_the_budget(stack, emulator_pid):
    assert call(stack, "GET", "/bulletins").status_code == 200
    with paused(emulator_pid):
        response, seconds = timed("GET /bulletins, emulator paused",
                                  lambda: call(stack, "GET", "/bulletins"))
    assert_dependency_timeout(response, seconds)
    assert "Nothing was changed" in response.json()["error"]["message"]
    assert call(stack, "GET", "/bulletins").status_code == 200


def test_get_reports_answers_dependency_timeout_within_the_budget(stack, emulator_pid, citizen):
    token = citizen["access_token"]
    assert call(stack, "GET", "/reports", token).status_code == 200
    with paused(emulator_pid):
        response, seconds = timed("GET /reports, emulator paused",
                                  lambda: call(stack, "GET", "/reports", token))
    assert_dependency_timeout(response, seconds)
    assert call(stack, "GET", "/reports", token).status_code == 200


def test_post_reports_answers_within_the_budget_and_leaves_no_half_report(
        stack, emulator_pid, citizen):
    token = citizen["access_token"]
    description = f"A paused emulator while filing, case {uuid.uuid4().hex[:8]}."
    with paused(emulator_pid):
        response, seconds = timed("POST /reports, emulator paused",
                                  lambda: call(stack, "POST", "/reports", token,
                                               report_body(description)))
    assert_dependency_timeout(response, seconds)
    # The write may have reached DynamoDB: the client is told to check first.
    assert "may or may not have been saved" in response.json()["error"]["message"]

    # The emulator works through what it held, then: the report is whole or absent.
    time.sleep(1)
    listed = call(stack, "GET", "/reports", token)
    assert listed.status_code == 200
    for item in listed.json()["items"]:
        opened = call(stack, "GET", f"/reports/{item['report_id']}", token)
        assert opened.status_code == 200, opened.text
        assert opened.json()["description"]
    again = call(stack, "POST", "/reports", token, report_body(description))
    assert again.status_code == 201, again.text


def test_post_auth_otp_answers_dependency_timeout_within_the_budget(stack, emulator_pid):
    phone = new_phone()
    with paused(emulator_pid):
        response, seconds = timed("POST /auth/otp, emulator paused",
                                  lambda: call(stack, "POST", "/auth/otp",
                                               body={"phone": phone}))
    assert_dependency_timeout(response, seconds)
    time.sleep(1)
    # Nothing was written (the first call, a read, never answered): a code can be sent.
    assert call(stack, "POST", "/auth/otp", body={"phone": phone}).status_code == 202
    assert stack.new_code(phone, set())


WORKER = """
import json, sys, time
from app import app  # noqa: F401
from chalicelib.api.evidence_events import process_evidence

class Context:
    def __init__(self, seconds):
        self.deadline = time.monotonic() + seconds
    def get_remaining_time_in_millis(self):
        return int((self.deadline - time.monotonic()) * 1000)

event, timeout, out = json.loads(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
started = time.monotonic()
try:
    process_evidence(event, Context(timeout))
    error = None
except Exception as exc:
    error = type(exc).__name__
with open(out, "w") as f:
    json.dump({"seconds": time.monotonic() - started, "error": error}, f)
"""


def run_worker(stack: Stack, event: dict, tmp_path: Path) -> dict:
    """The evidence worker's Lambda handler, in its own process with the stack's
    environment and a Lambda context of the function's timeout (120 s)."""
    env = {**os.environ, **config.stage_environment(stack.emulator, stack.sink)}
    out = tmp_path / f"worker-{uuid.uuid4().hex}.json"
    subprocess.run([sys.executable, "-c", WORKER, json.dumps(event), "120", str(out)],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, timeout=180)
    return json.loads(out.read_text())


def test_the_evidence_worker_gives_up_within_its_budget_and_the_job_comes_back(
        stack, emulator_pid, citizen, tmp_path):
    filed = file_report_with_photo(stack, citizen)
    env = config.stage_environment(stack.emulator, stack.sink)
    s3 = boto3.client("s3", endpoint_url=stack.emulator, region_name=config.REGION,
                      aws_access_key_id="local", aws_secret_access_key="local")
    bucket = env["MASSES_EVIDENCE_BUCKET"]
    [key] = [item["Key"] for item in s3.list_objects_v2(
        Bucket=bucket, Prefix=f"uploads/report/{filed.report_id}/")["Contents"]]
    notification = {"Records": [{"eventName": "ObjectCreated:Post", "s3": {
        "bucket": {"name": bucket}, "object": {"key": key, "size": 1}}}]}
    event = {"Records": [{"messageId": uuid.uuid4().hex, "receiptHandle": "r",
                          "body": json.dumps(notification), "attributes": {},
                          "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                          "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                          "awsRegion": config.REGION}]}

    with paused(emulator_pid):
        started = time.monotonic()
        outcome = run_worker(stack, event, tmp_path)
        FIGURES["evidence worker, emulator paused (whole process)"] = round(
            time.monotonic() - started, 2)
    FIGURES["evidence worker, emulator paused (handler)"] = round(outcome["seconds"], 2)
    print(f"evidence worker, emulator paused: {FIGURES}")
    # It raises, so SQS delivers the message again (and in the end dead-letters it).
    assert outcome["error"] == "DeadlineExceeded"
    assert outcome["seconds"] < WORKER_BUDGET_SECONDS
    # No more than the first call's tries: a hung DynamoDB does not hold it for 90 s.
    dynamodb = call_limits("dynamodb")
    assert outcome["seconds"] < dynamodb.attempts * dynamodb.attempt_seconds + SLACK_SECONDS

    # Resumed, the same delivery goes through.
    assert run_worker(stack, event, tmp_path)["error"] is None


def test_post_auth_otp_with_the_sms_sink_paused_answers_within_the_budget(stack, sink_pid):
    phone = new_phone()
    with paused(sink_pid):
        response, seconds = timed("POST /auth/otp, SMS sink paused",
                                  lambda: call(stack, "POST", "/auth/otp",
                                               body={"phone": phone}))
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "sms_unavailable"
    assert seconds < API_BUDGET_SECONDS + SLACK_SECONDS
    # The code was taken back and the send counted against no limit: asking again works.
    time.sleep(1)
    assert call(stack, "POST", "/auth/otp", body={"phone": phone}).status_code == 202


@pytest.fixture(scope="module")
def push_sink_pid(stack) -> int:
    """SNS runs in the push sink's process: pausing it pauses SNS alone."""
    return child_pid(stack, "local.push_sink")


def test_a_paused_sns_neither_fails_nor_slows_an_answer_and_the_push_comes_later(
        stack, push_sink_pid, citizen):
    from support.admin_site import BOOTSTRAP_ADMIN
    from support.waiting import wait_until

    token, reporter = f"paused-{uuid.uuid4().hex}", citizen["access_token"]
    installation = f"install-{uuid.uuid4().hex[:12]}"
    assert call(stack, "PUT", f"/me/devices/{installation}", reporter,
                {"platform": "fcm", "token": token}).status_code == 200
    assert wait_until(lambda: call(stack, "PUT", f"/me/devices/{installation}", reporter,
                                   {"platform": "fcm", "token": token}).json()["registered"])
    report_id = call(stack, "POST", "/reports", reporter,
                     report_body("A paused SNS while the report moves.")).json()["report_id"]
    officer = stack.sign_in(BOOTSTRAP_ADMIN)["access_token"]
    with paused(push_sink_pid):
        response, seconds = timed("PATCH /admin/reports/{id}, SNS paused",
                                  lambda: call(stack, "PATCH", f"/admin/reports/{report_id}",
                                               officer, {"status": "in_review"}))
        assert response.status_code == 200, response.text
        assert seconds < SLACK_SECONDS + 1
        # The worker's first try meets the paused SNS, runs out of its tries and fails.
        time.sleep(call_limits("sns").attempt_seconds + 1)
    pushed = wait_until(lambda: stack.pushes_to(token), timeout=WORKER_BUDGET_SECONDS)
    assert [push["data"] for push in pushed] == [{"report_id": report_id}]

"""Deadlines (issue 20): the retry loop with an injected clock, budgets capped by the
Lambda context, botocore clients against a server that never answers, and a write
that times out halfway through POST /reports. The paused-emulator tests against the
whole local stack are in test_paused_dependencies.py."""

import json
import socket
import time

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from support.api import caller, report_body, send

from chalicelib import deadlines
from chalicelib.settings import CallLimits
from chalicelib.tables import TRANSACTION_CALLS, Report, ReportQuota, transaction_connection


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Hung(Exception):
    """What a try that waited out its timeouts raises."""


def test_the_retry_loop_stops_when_the_budget_cannot_fit_another_try():
    clock = FakeClock()
    limits = CallLimits(connect=1, read=2, attempts=10)   # one try: at most 3 s
    tries = []

    def hangs():
        tries.append(clock())
        clock.sleep(limits.attempt_seconds)
        raise Hung

    with deadlines.budget(8, clock=clock) as spent, pytest.raises(deadlines.DeadlineExceeded) \
            as raised:
        deadlines.retry(hangs, dependency="dynamodb", limits=limits,
                        retryable=lambda error: True, no_answer=(Hung,),
                        sleep=clock.sleep, rng=lambda: 1.0)
    # 8 s fit two tries and the jittered wait between them (3 + 0.05 + 3), not a third:
    # the policy's 10 tries are cut by the budget.
    assert tries == [1000.0, 1003.05]
    assert spent.remaining() == pytest.approx(1.95)
    assert isinstance(raised.value.__cause__, Hung)
    assert raised.value.dependency == "dynamodb" and not raised.value.may_have_written


def test_a_try_the_budget_cannot_fit_is_never_started():
    clock = FakeClock()
    called = []
    with deadlines.budget(2.5, clock=clock), pytest.raises(deadlines.DeadlineExceeded):
        deadlines.retry(lambda: called.append(1), dependency="ssm",
                        limits=CallLimits(connect=1, read=2, attempts=3),
                        retryable=lambda error: True, no_answer=(Hung,), sleep=clock.sleep)
    assert called == []


def test_outside_a_budget_only_the_tries_limit_applies():
    clock = FakeClock()
    tries = []

    def hangs():
        tries.append(1)
        raise Hung

    with pytest.raises(deadlines.DeadlineExceeded):
        deadlines.retry(hangs, dependency="s3", limits=CallLimits(1, 2, attempts=3),
                        retryable=lambda error: True, no_answer=(Hung,), sleep=clock.sleep)
    assert len(tries) == 3


def test_an_error_that_is_not_retryable_is_raised_as_it_is():
    def refuses():
        raise ValueError("no")

    with deadlines.budget(8), pytest.raises(ValueError):
        deadlines.retry(refuses, dependency="twilio", limits=CallLimits(1, 2, 3),
                        retryable=lambda error: False, no_answer=(Hung,))


def test_the_jittered_wait_grows_and_is_capped():
    backoff = deadlines.Backoff(base=0.05, cap=1.0)
    assert [backoff.wait(n, rng=lambda: 1.0) for n in (1, 2, 3, 6, 10)] == [
        0.05, 0.1, 0.2, 1.0, 1.0]
    assert backoff.wait(3, rng=lambda: 0.5) == 0.1


class LambdaContext:
    def __init__(self, remaining_ms: int):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_the_lambda_contexts_remaining_time_caps_the_budget():
    clock = FakeClock()
    assert deadlines.Budget(8, lambda_context=LambdaContext(4000), clock=clock).remaining() == 3
    assert deadlines.Budget(8, lambda_context=LambdaContext(60000), clock=clock).remaining() == 8
    assert deadlines.Budget(8, lambda_context=LambdaContext(500), clock=clock).remaining() == 0
    assert deadlines.Budget(8, lambda_context=None, clock=clock).remaining() == 8


# ---- botocore clients against a server that accepts connections and never answers ---

@pytest.fixture
def silent_server():
    """A listening socket nobody accepts from: connecting works (the kernel's backlog),
    the answer never comes, as with a SIGSTOPped emulator."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def silent_dynamodb(url: str, limits: CallLimits):
    client = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                          config=deadlines.botocore_config(limits))
    deadlines.bound(client, "dynamodb", limits)
    tries = []
    client.meta.events.register("before-send.dynamodb", lambda **_: tries.append(time.monotonic()))
    return client, tries


def test_a_hung_read_is_retried_within_the_budget_then_answers_dependency_timeout(
        silent_server, capsys):
    limits = CallLimits(connect=0.2, read=0.3, attempts=5)
    client, tries = silent_dynamodb(silent_server, limits)
    started = time.monotonic()
    with deadlines.budget(1.0), pytest.raises(deadlines.DeadlineExceeded) as raised:
        client.get_item(TableName="t", Key={"k": {"S": "v"}})
    elapsed = time.monotonic() - started
    # A try may take 0.5 s (connect + read); the read times out after 0.3 s. After two
    # (0.65 s at most, with the wait), 0.35 s is left: no third try, let alone five.
    assert len(tries) == 2
    assert elapsed < 1.0
    assert isinstance(raised.value.__cause__, ReadTimeoutError)
    assert not raised.value.may_have_written
    metric = [json.loads(line) for line in capsys.readouterr().out.splitlines()
              if '"DependencyTimeouts"' in line]
    assert [(line["dependency"], line["DependencyTimeouts"]) for line in metric] == [
        ("dynamodb", 1)]


def test_a_write_whose_answer_was_lost_is_not_sent_again(silent_server):
    limits = CallLimits(connect=0.2, read=0.3, attempts=5)
    client, tries = silent_dynamodb(silent_server, limits)
    with deadlines.budget(5), pytest.raises(deadlines.DeadlineExceeded) as raised:
        client.update_item(TableName="t", Key={"k": {"S": "v"}},
                           UpdateExpression="ADD n :one",
                           ExpressionAttributeValues={":one": {"N": "1"}})
    assert len(tries) == 1          # an ADD sent twice would count twice
    assert raised.value.may_have_written


def test_a_transaction_is_retried_because_its_token_makes_it_idempotent(silent_server):
    limits = CallLimits(connect=0.2, read=0.3, attempts=2)
    client, tries = silent_dynamodb(silent_server, limits)
    with deadlines.budget(5), pytest.raises(deadlines.DeadlineExceeded):
        client.transact_write_items(TransactItems=[{"Put": {
            "TableName": "t", "Item": {"k": {"S": "v"}}}}])
    assert len(tries) == 2


# ---- a multi-step write cut in the middle ---------------------------------------------

def test_post_reports_cut_after_the_quota_leaves_no_report_and_says_to_check(client):
    """POST /reports counts the hour's quota, then writes the report (with its count,
    one transaction). When every try of the transaction loses its answer, the answer
    says the change may have been saved; no half report exists (the quota counts one
    filing more, which is the safe side)."""
    who = caller()
    events = transaction_connection().client.meta.events
    tries = []

    def lose_the_answer(**_):
        tries.append(1)
        raise ReadTimeoutError(endpoint_url="http://emulator")

    events.register_first("before-send.dynamodb.TransactWriteItems", lose_the_answer,
                          unique_id="test-lose-put")
    try:
        response = send(client, "post", "/reports", who, report_body())
    finally:
        events.unregister("before-send.dynamodb.TransactWriteItems", unique_id="test-lose-put")

    # Tried again (DynamoDB applies a transaction once per ClientRequestToken), then given up.
    assert len(tries) == TRANSACTION_CALLS.attempts
    assert response.status_code == 503, response.body
    error = response.json_body["error"]
    assert error["code"] == "dependency_timeout"
    assert "may or may not have been saved" in error["message"]
    assert response.headers["Retry-After"] == "5"
    listed = send(client, "get", "/reports", who)
    assert listed.status_code == 200 and listed.json_body["items"] == []
    assert sum(quota.filed for quota in ReportQuota.scan(
        ReportQuota.window.startswith(f"{who.user_id}#"))) == 1
    # And the next try works.
    assert send(client, "post", "/reports", who, report_body()).status_code == 201


def test_a_read_route_out_of_time_says_nothing_was_changed(client, monkeypatch):
    def out_of_time(*args, **kwargs):
        raise deadlines.timed_out("dynamodb")

    monkeypatch.setattr(Report.by_reporter, "query", out_of_time)
    response = send(client, "get", "/reports", caller())
    assert response.status_code == 503
    assert response.json_body["error"]["code"] == "dependency_timeout"
    assert "Nothing was changed" in response.json_body["error"]["message"]


# ---- Twilio: its read wait is cut to the budget --------------------------------------

def test_twilios_read_wait_keeps_the_take_back_in_reserve_while_it_can():
    from chalicelib import sms

    clock = FakeClock()
    with deadlines.budget(8, clock=clock):
        # 8 s less the connect (2 s), a moment (0.1 s) and a transaction's try (3 s).
        assert sms.twilio_timeouts(5) == pytest.approx((2, 2.9))
    with deadlines.budget(20, clock=clock):
        assert sms.twilio_timeouts(5) == (2, 5)
    with deadlines.budget(4, clock=clock):
        # Keeping the reserve would leave Twilio under 2 s: the SMS goes first.
        assert sms.twilio_timeouts(5) == pytest.approx((2, 1.9))


def test_no_sms_is_tried_when_the_budget_cannot_fit_one(monkeypatch):
    from chalicelib import sms

    sent = []
    monkeypatch.setattr(sms, "twilio_client", lambda: sent.append(1))
    with deadlines.budget(2.3), pytest.raises(sms.SmsDeliveryError, match="no time"):
        sms.send_sms("+8613800000014", "123456")
    assert sent == [1]          # the client is made (and cached), but nothing is sent

"""Idempotency-Key on every creating route (chalicelib/api/idempotency.py): a retry
answers the first attempt's answer and acts once; another request under the key is a
422; a request still running is a 409 with Retry-After; keys are per user, kept 24 h.

The parallel tests run the app in threads, each with its own current request, as each
Lambda container has: chalice's test client shares one current request per app.
"""

import contextlib
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from support.api import caller, error_code, file_report
from support.api import report_body as fresh_report_body
from support.aws_calls import counting_aws_calls

from chalicelib import deadlines
from chalicelib.api import idempotency
from chalicelib.api.routes import CONTRACTS
from chalicelib.tables import IdempotencyRecord, Media, Report

# occurred_at is "an hour ago" when made: one body for the whole module, so that a retry
# sends the same body.
BODY = fresh_report_body()


def report_body(**overrides) -> dict:
    return {**BODY, **overrides}


def post(client, path, who, body, key):
    headers = {"Content-Type": "application/json", **who.headers}
    if key is not None:
        headers[idempotency.HEADER] = key
    return client.http.post(path, headers=headers, body=json.dumps(body))


def reports_of(who) -> list[Report]:
    return list(Report.by_reporter.query(who.user_id))


def test_a_retried_filing_answers_the_first_answer_and_files_once(client):
    citizen, key = caller(), uuid.uuid4().hex
    first = post(client, "/reports", citizen, report_body(), key)
    again = post(client, "/reports", citizen, report_body(), key)
    assert first.status_code == again.status_code == 201
    assert again.json_body == first.json_body
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers[idempotency.REPLAYED_HEADER] == "true"
    assert idempotency.REPLAYED_HEADER not in first.headers
    assert len(reports_of(citizen)) == 1


def test_the_same_key_with_another_body_or_route_is_422(client):
    citizen, key = caller(), uuid.uuid4().hex
    report_id = post(client, "/reports", citizen, report_body(), key).json_body["report_id"]
    other_body = post(client, "/reports", citizen, report_body(category="fraud"), key)
    other_route = post(client, f"/reports/{report_id}/evidence", citizen,
                       {"content_type": "image/jpeg", "size": 10}, key)
    for response in (other_body, other_route):
        assert response.status_code == 422 and error_code(response) == "idempotency_key_reused"
    assert len(reports_of(citizen)) == 1
    assert Report.get(report_id).evidence_count == 0


def test_keys_are_per_user(client):
    key = uuid.uuid4().hex
    one, two = caller(), caller()
    first = post(client, "/reports", one, report_body(), key)
    second = post(client, "/reports", two, report_body(), key)
    assert first.status_code == second.status_code == 201
    assert first.json_body["report_id"] != second.json_body["report_id"]
    assert idempotency.REPLAYED_HEADER not in second.headers


def test_without_a_key_every_request_acts(client):
    citizen = caller()
    for _ in range(2):
        assert post(client, "/reports", citizen, report_body(), None).status_code == 201
    assert len(reports_of(citizen)) == 2


@pytest.mark.parametrize("key", ["", "x" * 129, "two words", "é"])
def test_an_unusable_key_is_a_400_naming_the_header(client, key):
    citizen = caller()
    headers = {"Content-Type": "application/json", **citizen.headers,
               idempotency.HEADER: key}
    response = client.http.post("/reports", headers=headers, body=json.dumps(report_body()))
    assert response.status_code == 400
    assert response.json_body["error"]["field"] == idempotency.HEADER
    assert reports_of(citizen) == []


def test_a_refused_request_keeps_no_key(client):
    """Errors are not stored: after a 400 the client may fix the body and retry."""
    citizen, key = caller(), uuid.uuid4().hex
    refused = post(client, "/reports", citizen,
                   report_body(occurred_at="2999-01-01T00:00:00Z"), key)
    assert refused.status_code == 400 and error_code(refused) == "occurred_in_future"
    assert post(client, "/reports", citizen, report_body(), key).status_code == 201
    assert len(reports_of(citizen)) == 1


def record_of(who, key) -> IdempotencyRecord:
    return IdempotencyRecord.get(idempotency.record_id(who.user_id, key),
                                 consistent_read=True)


def still_in_progress(who, key, *, for_ms: int) -> None:
    """Turn a finished key back into one whose first attempt is still running (for_ms
    more milliseconds; negative: its Lambda timed out that long ago)."""
    record = record_of(who, key)
    record.status, record.data = "INPROGRESS", None
    record.in_progress_expiration = int(time.time() * 1000) + for_ms
    record.save()


def test_a_request_still_in_progress_is_409_with_retry_after(client):
    citizen, key = caller(), uuid.uuid4().hex
    post(client, "/reports", citizen, report_body(), key)
    still_in_progress(citizen, key, for_ms=30_000)
    response = post(client, "/reports", citizen, report_body(), key)
    assert response.status_code == 409 and error_code(response) == "request_in_progress"
    assert int(response.headers["Retry-After"]) >= 1
    assert len(reports_of(citizen)) == 1
    # A different request under the key is refused even while the first runs.
    other = post(client, "/reports", citizen, report_body(category="fraud"), key)
    assert other.status_code == 422


def test_an_attempt_that_died_in_progress_lets_the_retry_act(client):
    """Its Lambda timed out (in_progress_expiration passed) before it answered."""
    citizen, key = caller(), uuid.uuid4().hex
    post(client, "/reports", citizen, report_body(), key)
    still_in_progress(citizen, key, for_ms=-1)
    assert post(client, "/reports", citizen, report_body(), key).status_code == 201
    assert len(reports_of(citizen)) == 2
    assert record_of(citizen, key).status == "COMPLETED"


def test_a_key_is_kept_24_hours_and_expiry_is_checked_in_code(client):
    citizen, key = caller(), uuid.uuid4().hex
    post(client, "/reports", citizen, report_body(), key)
    record = record_of(citizen, key)
    assert record.status == "COMPLETED"
    assert abs(record.ttl - (time.time() + 24 * 3600)) < 60
    # DynamoDB deletes expired items late: one still there after its ttl is ignored.
    record.ttl = int(time.time()) - 1
    record.save()
    again = post(client, "/reports", citizen, report_body(), key)
    assert again.status_code == 201 and idempotency.REPLAYED_HEADER not in again.headers
    assert len(reports_of(citizen)) == 2


def test_evidence_tickets_are_idempotent(client):
    citizen, key = caller(), uuid.uuid4().hex
    report_id = file_report(client, citizen)["report_id"]
    body = {"content_type": "image/jpeg", "size": 2048}
    first = post(client, f"/reports/{report_id}/evidence", citizen, body, key)
    again = post(client, f"/reports/{report_id}/evidence", citizen, body, key)
    assert first.status_code == again.status_code == 201
    assert again.json_body == first.json_body
    assert Report.get(report_id).evidence_count == 1
    assert len(list(Media.query(f"report#{report_id}"))) == 1


def test_every_creating_route_is_idempotent():
    creating = {(c.method, c.path) for c in CONTRACTS if c.idempotent}
    assert {("POST", "/reports"), ("POST", "/reports/{report_id}/evidence"),
            ("POST", "/bulletins"), ("POST", "/bulletins/{bulletin_id}/images"),
            ("PATCH", "/admin/reports/{report_id}")} <= creating
    for contract in CONTRACTS:
        if contract.idempotent:
            assert idempotency.HEADER in contract.request_headers
            assert {409, 422} <= set(contract.errors)


@contextlib.contextmanager
def dynamodb_calls_to_idempotency():
    """The operations sent to the idempotency table (by Powertools' boto3 client)."""
    with counting_aws_calls() as calls:
        operations: list[str] = []
        yield operations
    operations.extend(call.operation for call in calls if call.table == "idempotency")


def test_the_idempotency_table_keeps_to_the_request_budget(client, monkeypatch):
    """Powertools' client is bound to the budget (deadlines.aws_client): a store that does
    not answer is the API's 503 dependency_timeout, and nothing is filed."""
    citizen = caller()
    post(client, "/reports", citizen, report_body(), uuid.uuid4().hex)  # makes the client
    store = idempotency.persistence().client
    assert getattr(store, "_masses_budgeted", False)

    def hangs(**_):
        raise deadlines.timed_out("dynamodb")

    monkeypatch.setattr(store, "put_item", hangs)
    before = len(reports_of(citizen))
    response = post(client, "/reports", citizen, report_body(), uuid.uuid4().hex)
    assert response.status_code == 503 and error_code(response) == "dependency_timeout"
    assert len(reports_of(citizen)) == before


def test_what_a_key_costs_in_dynamodb_calls(client):
    citizen, key = caller(), uuid.uuid4().hex
    post(client, "/reports", citizen, report_body(), key)  # makes the client
    key = uuid.uuid4().hex
    with dynamodb_calls_to_idempotency() as first:
        post(client, "/reports", citizen, report_body(), key)
    with dynamodb_calls_to_idempotency() as replay:
        post(client, "/reports", citizen, report_body(), key)
    with dynamodb_calls_to_idempotency() as reused:
        post(client, "/reports", citizen, report_body(category="fraud"), key)
    with dynamodb_calls_to_idempotency() as refused:
        post(client, "/reports", citizen, report_body(occurred_at="2999-01-01T00:00:00Z"),
             uuid.uuid4().hex)
    with dynamodb_calls_to_idempotency() as without:
        post(client, "/reports", citizen, report_body(), None)
    assert first == ["PutItem", "UpdateItem"]
    assert replay == reused == ["PutItem"]  # the failed condition returns the record
    assert refused == ["PutItem", "DeleteItem"]
    assert without == []


# --- in parallel -----------------------------------------------------------------------

@contextlib.contextmanager
def one_request_per_thread(app):
    """Each thread its own current request and Lambda context, as one Lambda container
    runs one request at a time; without this, threads overwrite each other's."""
    state = threading.local()

    def slot(name):
        return property(lambda self: getattr(state, name, None),
                        lambda self, value: setattr(state, name, value))

    original = type(app)
    app.__class__ = type("OneRequestPerThread", (original,), {
        "current_request": slot("current_request"), "lambda_context": slot("lambda_context")})
    try:
        yield
    finally:
        app.__class__ = original


def in_parallel(app, client, requests):
    barrier = threading.Barrier(len(requests))

    def send_one(arguments):
        barrier.wait()
        return post(client, *arguments)

    with one_request_per_thread(app), ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send_one, requests))


def test_20_parallel_filings_with_one_key_file_one_report(app, client):
    citizen, key = caller(), uuid.uuid4().hex
    answers = in_parallel(app, client, [("/reports", citizen, report_body(), key)] * 20)
    assert len(reports_of(citizen)) == 1
    created = [answer for answer in answers if answer.status_code == 201]
    waiting = [answer for answer in answers if answer.status_code == 409]
    assert len(created) + len(waiting) == 20 and created
    assert {answer.json_body["report_id"] for answer in created} == {
        reports_of(citizen)[0].report_id}
    assert all(error_code(answer) == "request_in_progress" and answer.headers["Retry-After"]
               for answer in waiting)
    # Once the first is answered, a retry of any of them gets its answer.
    retry = post(client, "/reports", citizen, report_body(), key)
    assert retry.status_code == 201 and retry.json_body == created[0].json_body


def test_20_parallel_filings_with_distinct_keys_file_20_reports(app, client):
    citizens = [caller() for _ in range(20)]
    answers = in_parallel(app, client, [("/reports", who, report_body(), uuid.uuid4().hex)
                                        for who in citizens])
    assert [answer.status_code for answer in answers] == [201] * 20
    assert len({answer.json_body["report_id"] for answer in answers}) == 20
    assert all(len(reports_of(who)) == 1 for who in citizens)


def test_powertools_idempotency_loads_at_the_first_keyed_request_not_at_cold_start():
    import subprocess
    import sys
    from pathlib import Path

    from local import config

    probe = ("import sys, app; print(sorted(m for m in sys.modules "
             "if m.startswith('aws_lambda_powertools.utilities.idempotency')))")
    environment = config.stage_environment("http://127.0.0.1:1", "http://127.0.0.1:1")
    result = subprocess.run([sys.executable, "-c", probe], env=environment,
                            cwd=Path(__file__).resolve().parents[1],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_replays_take_nothing_from_the_hourly_report_quota(client):
    citizen, key = caller(), uuid.uuid4().hex
    answers = [post(client, "/reports", citizen, report_body(), key) for _ in range(12)]
    assert {answer.status_code for answer in answers} == {201}
    assert len(reports_of(citizen)) == 1
    for _ in range(9):  # the quota (10 an hour) still has nine left
        assert post(client, "/reports", citizen, report_body(), uuid.uuid4().hex
                    ).status_code == 201

"""Concurrency and faults this suite did not cover elsewhere. Already covered, and not
repeated here:
- 20 parallel moves of one report, one wins: tests/test_reports_admin.py
  (test_of_twenty_parallel_moves_exactly_one_wins);
- parallel refreshes with one token, one winner, the family revoked:
  tests/auth/test_auth_sessions.py;
- DynamoDB conditional failures under races: the two above, tests/auth/test_auth_codes.py
  (twenty parallel verifies) and tests/test_reports_evidence.py (eleven tickets, ten slots);
- DynamoDB throttling → 503 with Retry-After: tests/test_input_limits.py;
- Twilio refusing, failing, unreachable or silent at the SMS client: tests/test_sms.py;
- an evidence object deleted before the worker runs, an SQS message redelivered after
  its work was done, a lost race in the worker: tests/test_worker.py;
- a message that keeps failing ends in the dead-letter queue: tests/test_local_stack.py.
"""

import dataclasses
import functools
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import msgspec
import pytest
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from support.api import caller, report_body, send

from chalicelib import sms
from chalicelib.errors import TooManyRequests
from chalicelib.reports import filing
from chalicelib.reports.bodies import NewReport
from chalicelib.settings import settings
from chalicelib.tables import OtpCode, Report


def file_in_parallel(filings: list, workers: int = 50) -> list:
    """Run each `filing()` at once from a pool; its Report or the exception it raised."""
    def attempt(filing_one):
        try:
            return filing_one()
        except Exception as error:  # noqa: BLE001  (the test sorts them out)
            return error

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(attempt, filings))


def reports_of(who) -> list[Report]:
    return list(Report.by_reporter.query(who.user_id))


def test_200_parallel_filings_store_each_report_once_under_its_own_reporter(client):
    """Through the filing service, as test_of_twenty_parallel_moves_exactly_one_wins does:
    chalice's test client keeps one current request per app, so it cannot serve threads."""
    citizens = [caller() for _ in range(200)]
    body = msgspec.convert(report_body(description=f"Filed at once {uuid.uuid4().hex}"),
                           NewReport)

    filed = file_in_parallel([functools.partial(filing.file_report, who.principal, body)
                              for who in citizens])

    assert [type(report) for report in filed] == [Report] * 200, filed
    assert len({report.report_id for report in filed}) == 200
    for who, report in zip(citizens, filed, strict=True):
        # Nothing lost (each citizen sees their report) and nothing doubled (only it).
        assert [mine.report_id for mine in reports_of(who)] == [report.report_id]
        stored = Report.get(report.report_id, consistent_read=True)
        assert (stored.reporter_id, stored.description) == (who.user_id, body.description)


def test_parallel_filings_given_the_same_id_never_overwrite_one_another(client, monkeypatch):
    """Ids are random, so they never collide by chance; here each of 50 ids is handed to
    two filings at once. A filing that answers must own its report, and one that does
    not must have stored nothing: no report silently replaced by another citizen's."""
    colliding = [uuid.uuid4() for _ in range(50)]
    handed = iter([id_ for id_ in colliding for _ in range(2)])
    lock = threading.Lock()

    def new_id():
        with lock:
            return (next(handed, None) or uuid.uuid4()).hex

    monkeypatch.setattr(filing, "new_id", new_id)
    citizens = [caller() for _ in range(100)]
    body = msgspec.convert(report_body(), NewReport)

    results = file_in_parallel([functools.partial(filing.file_report, who.principal, body)
                                for who in citizens])

    answered = [(who, report) for who, report in zip(citizens, results, strict=True)
                if isinstance(report, Report)]
    refused = [(who, error) for who, error in zip(citizens, results, strict=True)
               if not isinstance(error, Report)]
    assert len({report.report_id for _, report in answered}) == len(answered)
    for who, report in answered:
        assert Report.get(report.report_id, consistent_read=True).reporter_id == who.user_id
        assert [mine.report_id for mine in reports_of(who)] == [report.report_id]
    for who, error in refused:
        # The report is its transaction's one put, listed first among the reasons.
        assert isinstance(error, TransactWriteError), error
        assert error.cancellation_reasons[0].code == "ConditionalCheckFailed"
        assert reports_of(who) == []
    # Of each pair one filing wins the id; the other is refused, or files under a new id.
    assert {report.report_id for _, report in answered} >= {id_.hex for id_ in colliding}


def test_parallel_filings_of_one_citizen_stop_exactly_at_the_hourly_limit(client):
    who, now = caller(), datetime.now(UTC)
    body = msgspec.convert(report_body(), NewReport)
    limit = settings().reports_per_hour

    results = file_in_parallel([functools.partial(filing.file_report, who.principal, body,
                                                  now=now) for _ in range(3 * limit)])

    filed = [result for result in results if isinstance(result, Report)]
    refused = [result for result in results if not isinstance(result, Report)]
    assert len(filed) == limit, refused
    assert all(isinstance(error, TooManyRequests) for error in refused), refused
    assert sorted(mine.report_id for mine in reports_of(who)) == sorted(
        report.report_id for report in filed)


class Twilio(BaseHTTPRequestHandler):
    """A Twilio that answers every message with `status` (or never, when it is None)."""
    status: int | None = 500

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.status is None:
            threading.Event().wait(2)  # longer than the client's timeout
            return
        body = json.dumps({"code": 20429 if self.status == 429 else 20500,
                           "message": "Too Many Requests" if self.status == 429 else "Error",
                           "status": self.status}).encode()
        self.send_response(self.status)
        if self.status == 429:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.mark.parametrize("status", [500, 503, 429, None], ids=["500", "503", "429", "timeout"])
def test_a_failing_twilio_gives_a_clear_503_and_leaves_no_code(client, sms_sink, monkeypatch,
                                                               status):
    handler = type("FailingTwilio", (Twilio,), {"status": status})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    failing = dataclasses.replace(settings(), sms_timeout_seconds=0.5,
                                  twilio_api_base=f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setattr(sms, "settings", lambda: failing)
    phone = f"+86139{uuid.uuid4().int % 10**8:08d}"
    try:
        response = send(client, "post", "/auth/otp", body={"phone": phone})
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 503, response.body
    assert response.json_body["error"]["code"] == "sms_unavailable"
    with pytest.raises(DoesNotExist):
        OtpCode.get(phone, consistent_read=True)
    assert sms_sink.messages(to=phone) == []

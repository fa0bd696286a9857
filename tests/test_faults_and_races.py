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
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import msgspec
import pytest
from pynamodb.exceptions import DoesNotExist
from support.api import caller, report_body, send

from chalicelib import sms
from chalicelib.reports import filing
from chalicelib.reports.bodies import NewReport
from chalicelib.settings import settings
from chalicelib.tables import OtpCode, Report


def test_200_parallel_submissions_store_200_reports_with_distinct_ids(client):
    """Through the filing service, as test_of_twenty_parallel_moves_exactly_one_wins does:
    chalice's test client keeps one current request per app, so it cannot serve threads."""
    citizens = [caller() for _ in range(200)]
    body = msgspec.convert(report_body(), NewReport)

    with ThreadPoolExecutor(max_workers=50) as pool:
        filed = list(pool.map(lambda who: filing.file_report(who.principal, body), citizens))
    ids = {report.report_id for report in filed}
    assert len(ids) == 200
    stored = [Report.get(report_id, consistent_read=True) for report_id in ids]
    assert {report.reporter_id for report in stored} == {who.user_id for who in citizens}


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

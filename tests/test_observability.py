"""Logs and metrics as ops read them: the report and evidence flows driven through the API
and the real worker, and what they wrote to stdout (what Lambda sends to CloudWatch).
Every line is JSON with a request id; no phone number, token or report text is in any
of them; the expected EMF metrics are there."""

import io
import json
import logging
import re
import uuid
from urllib.parse import quote

import pytest
from PIL import Image
from support.api import caller, file_report, registered_citizen, report_body, send
from support.evidence import queue_is_idle, upload
from support.waiting import wait_until

from chalicelib import observability
from chalicelib.observability import Metric, mask_phone, scrub
from chalicelib.reports import filing
from chalicelib.tokens import Principal, issue_access_token


def records(stdout: str) -> list[dict]:
    """Each stdout line as JSON; fails the test on a line that is not."""
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def log_lines(stdout: str) -> list[dict]:
    return [record for record in records(stdout) if "_aws" not in record]


def metrics(stdout: str) -> list[tuple[str, dict]]:
    """(metric name, dimensions) of each EMF line."""
    found = []
    for record in records(stdout):
        if "_aws" in record:
            [directive] = record["_aws"]["CloudWatchMetrics"]
            assert directive["Namespace"] == "Masses"
            [dimension_names] = directive["Dimensions"]
            for metric in directive["Metrics"]:
                found.append((metric["Name"], {name: record[name] for name in dimension_names}))
    return found


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (90, 20, 160)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize(("phone", "masked"), [
    ("+8613812348000", "+86138****8000"),
    ("13812348000", "138****8000"),
    ("+12025550123", "+120****0123"),
    ("+4915112345678", "+49151****5678"),
    ("+85291234567", "+852****4567"),
])
def test_phone_numbers_are_masked_to_country_block_and_last_four(phone, masked):
    assert mask_phone(phone) == masked
    assert scrub(f'{{"message":"code sent to {phone}."}}') == (
        f'{{"message":"code sent to {masked}."}}')


@pytest.mark.parametrize(("text", "scrubbed"), [
    ("/admin/officers/%2B8613812348000", "/admin/officers/%2B86138****8000"),
    ("typed as 8613812348000 or 13812348000", "typed as 86138****8000 or 138****8000"),
    ("two: +8613812348000,+8613912345678", "two: +86138****8000,+86139****5678"),
])
def test_numbers_are_masked_however_they_are_written(text, scrubbed):
    assert scrub(text) == scrubbed


def test_scrub_replaces_jwts_and_leaves_ids_times_and_sizes_alone(emulator):
    token = caller().headers["Authorization"].removeprefix("Bearer ")
    line = json.dumps({"message": f"token {token}", "report_id": "3151941f093540cca8b9138123",
                       "media": "13812348000abcdef", "timestamp": "2026-11-28T21:43:42.633+00:00",
                       "size": 12345678901234, "bytes": 20000000})
    scrubbed = json.loads(scrub(line))
    assert scrubbed["message"] == "token [jwt]"
    assert {k: v for k, v in scrubbed.items() if k != "message"} == {
        k: v for k, v in json.loads(line).items() if k != "message"}


def test_the_report_and_evidence_flows_log_json_lines_with_no_personal_data(
        client, pump, evidence_queue_url, capsys):
    # Uploads an earlier test left behind would be processed, and counted, meanwhile.
    assert wait_until(lambda: queue_is_idle(evidence_queue_url), timeout=30)
    citizen, phone = registered_citizen()
    officer = caller("officer")
    secret_words = f"The man in the blue van {uuid.uuid4().hex} was watching the school"
    address = f"Building {uuid.uuid4().hex[:8]}, Chaoyang Road"
    body = report_body(description=f"{secret_words}; call me on {phone}.")
    body["location"]["address"] = address
    capsys.readouterr()

    report_id = file_report(client, citizen, **body)["report_id"]
    for content in (jpeg(), b"this is not a picture at all"):
        ticket = send(client, "post", f"/reports/{report_id}/evidence", citizen,
                      {"content_type": "image/jpeg", "size": len(content)}).json_body
        upload(ticket["upload"], content, "image/jpeg")

    def both_finished():
        items = send(client, "get", f"/reports/{report_id}", citizen).json_body["evidence"]
        return len(items) == 2 and all(i["status"] != "pending" for i in items)

    assert wait_until(both_finished)
    note = f"Spoke to the reporter {uuid.uuid4().hex}"
    changed = send(client, "patch", f"/admin/reports/{report_id}", officer,
                   {"status": "in_review", "note": {"text": note, "visibility": "reporter"}})
    assert changed.status_code == 200, changed.body
    assert send(client, "get", "/reports/not-a-report", citizen).status_code == 404
    stdout = capsys.readouterr().out

    for private in (phone, phone.removeprefix("+86"), secret_words, address, note,
                    *(who.headers["Authorization"].removeprefix("Bearer ")
                      for who in (citizen, officer))):
        assert private not in stdout
    lines = log_lines(stdout)
    assert all(line["request_id"] and line["service"] == "masses-local" for line in lines)
    assert all(record.get("request_id") for record in records(stdout))

    answered = [(line["method"], line["route"], line["status"]) for line in lines
                if line["message"] == "request answered"]
    assert answered[:3] == [("POST", "/reports", 201),
                            ("POST", "/reports/{report_id}/evidence", 201),
                            ("POST", "/reports/{report_id}/evidence", 201)]
    assert answered[-2:] == [("PATCH", "/admin/reports/{report_id}", 200),
                             ("GET", "/reports/{report_id}", 404)]
    # One id per request, shared by all its lines; the worker's lines name their message.
    api_ids = [line["request_id"] for line in lines if line["message"] == "request answered"]
    assert len(set(api_ids)) == len(api_ids)
    [filed] = [line for line in lines if line["message"] == "report filed"]
    assert filed["request_id"] == api_ids[0] and filed["report_id"] == report_id
    worker_lines = [line for line in lines if "message_id" in line]
    assert {line["request_id"] for line in worker_lines}.isdisjoint(api_ids)
    assert any(line["message"].endswith("is ready") for line in worker_lines)
    assert any("rejected" in line["message"] for line in worker_lines)

    emitted = metrics(stdout)
    service = {"service": "masses-local"}
    assert emitted.count(("ReportsFiled", service)) == 1
    assert emitted.count(("EvidenceReady", service)) == 1
    assert emitted.count(("EvidenceRejected", {**service, "reason": "not_an_allowed_type"})) == 1
    assert emitted.count(("WorkerDuration", service)) >= 2


def post_json(client, path: str, body: dict, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.http.post(path, body=json.dumps(body), headers=headers)


def test_sign_in_logs_no_number_code_or_token_and_counts_codes_and_sign_ins(
        client, sms_sink, capsys):
    phone = f"+86139{uuid.uuid4().int % 10**8:08d}"
    admin = issue_access_token(Principal(f"admin-{uuid.uuid4().hex}", "admin"))
    capsys.readouterr()

    assert post_json(client, "/auth/otp", {"phone": phone}).status_code == 202
    [sms] = sms_sink.messages(to=phone)
    code = re.search(r"\b([0-9]{6})\b", sms["body"]).group(1)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert post_json(client, "/auth/verify", {"phone": phone, "code": wrong}).status_code == 401
    session = post_json(client, "/auth/verify", {"phone": phone, "code": code}).json_body
    rotated = post_json(client, "/auth/refresh",
                        {"refresh_token": session["refresh_token"]}).json_body
    assert client.http.get("/me", headers={
        "Authorization": f"Bearer {rotated['access_token']}"}).status_code == 200
    assert post_json(client, "/auth/logout", {"refresh_token": rotated["refresh_token"]},
                     rotated["access_token"]).status_code == 204
    granted = client.http.put(f"/admin/officers/{quote(phone)}",
                              headers={"Authorization": f"Bearer {admin}"})
    assert granted.status_code == 200, granted.body
    stdout = capsys.readouterr().out

    for private in (phone, phone.removeprefix("+"), phone.removeprefix("+86"),
                    quote(phone, safe=""), admin, *session.values(), *rotated.values()):
        if isinstance(private, str):
            assert private not in stdout
    for six_digits in (code, wrong):
        assert not re.search(rf"(?<!\d){six_digits}(?!\d)", stdout)
    assert all(record.get("request_id") for record in records(stdout))
    lines = log_lines(stdout)
    [sent] = [line for line in lines if line["message"] == "sign-in code sent"]
    assert sent["phone"] == f"{phone[:6]}****{phone[-4:]}" and sent["route"] == "/auth/otp"
    answered = [(line["method"], line["route"], line["status"]) for line in lines
                if line["message"] == "request answered"]
    assert answered == [("POST", "/auth/otp", 202), ("POST", "/auth/verify", 401),
                        ("POST", "/auth/verify", 200), ("POST", "/auth/refresh", 200),
                        ("GET", "/me", 200), ("POST", "/auth/logout", 204),
                        ("PUT", "/admin/officers/{phone}", 200)]
    service = {"service": "masses-local"}
    assert sorted(name for name, dimensions in metrics(stdout) if dimensions == service) == [
        "CodesSent", "CodesVerified", "SignIns"]


def test_an_unhandled_error_is_logged_with_its_request_and_route_and_masked(
        client, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("lookup failed for +8613812348000")

    monkeypatch.setattr(filing, "own_reports", broken)
    capsys.readouterr()
    response = send(client, "get", "/reports", caller())
    assert response.status_code == 500
    stdout = capsys.readouterr().out
    assert "+8613812348000" not in stdout
    # Chalice answers an exception a route lets escape, and logs it through our handler.
    [error, answered] = log_lines(stdout)
    assert (error["level"], error["message"], error["route"]) == (
        "ERROR", "Caught exception for path /reports", "/reports")
    assert "RuntimeError: lookup failed for +86138****8000" in error["exception"]
    assert (answered["message"], answered["status"]) == ("request answered", 500)
    assert error["request_id"] == answered["request_id"]


def test_a_bulletin_published_is_counted_and_logged(client, capsys):
    from support.bulletins import draft, published

    capsys.readouterr()
    bulletin = published(client, draft("vehicle"))
    stdout = capsys.readouterr().out
    [line] = [line for line in log_lines(stdout) if line["message"] == "bulletin published"]
    assert (line["bulletin_id"], line["route"]) == (bulletin["id"], "/bulletins")
    assert metrics(stdout) == [("BulletinsPublished", {"service": "masses-local"})]


def test_whatever_a_module_logs_is_scrubbed(emulator, capsys):
    token = caller().headers["Authorization"].removeprefix("Bearer ")
    with observability.context(request_id="r-1"):
        logging.getLogger("chalicelib.somewhere").warning(
            "careless: %s sent %s", "+8613812348000", token, extra={"to": "13812348000"})
    [line] = log_lines(capsys.readouterr().out)
    assert line["message"] == "careless: +86138****8000 sent [jwt]"
    assert (line["to"], line["request_id"]) == ("138****8000", "r-1")


def test_every_metric_of_the_issue_has_a_name_the_alarms_and_dashboard_use():
    from local.bootstrap import load_template

    body = load_template()["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    for metric in Metric:
        assert f'"{metric.value}"' in body or f'\\"{metric.value}\\"' in body, metric


def test_a_block_adds_its_keys_and_gives_back_the_ones_around_it(capsys):
    log = logging.getLogger("chalicelib.somewhere")
    with observability.context(request_id="r-outer", route="/reports"):
        with observability.context(message_id="m-1", route=None):
            log.info("inside")
        log.info("after")
        observability.count(Metric.SIGN_INS)
    log.info("outside")
    lines = records(capsys.readouterr().out)
    keys = [{k: line.get(k) for k in ("request_id", "route", "message_id")} for line in lines]
    assert keys == [{"request_id": "r-outer", "route": "/reports", "message_id": "m-1"},
                    {"request_id": "r-outer", "route": "/reports", "message_id": None},
                    {"request_id": "r-outer", "route": None, "message_id": None},
                    {"request_id": None, "route": None, "message_id": None}]
    assert lines[2]["SignIns"] == 1 and "route" not in lines[2]

"""CSV exports: asked for over the API, written by the export worker (fed by the local
pump, as Lambda's event source feeds it), checked row by row; duplicate, corrupt and
hostile messages; who may see an export."""

import csv
import io
import json
import uuid

import boto3
import pytest
import requests
from support.api import caller, error_code, file_report, send
from support.bulletins import unique_district
from support.waiting import wait_until

from chalicelib.exports import handler, jobs, writer
from chalicelib.settings import settings
from chalicelib.tables import AuditEvent, ExportJob, Report

TRICKY = ["逗号，引号\"和换行\n都在这里的描述文字。",
          "=HYPERLINK(\"http://x\") looks like a formula",
          "Plain English, with a comma and \"quotes\"."]


def wait_ready(client, officer, export_id: str) -> dict:
    def ready():
        job = send(client, "get", f"/admin/exports/{export_id}", officer).json_body
        return job if job["status"] == "ready" else None
    job = wait_until(ready, timeout=120)
    assert job, "the export did not become ready"
    return job


def sqs_event(body: str) -> dict:
    return {"Records": [{"messageId": uuid.uuid4().hex, "body": body}]}


def versions_of(key: str) -> list:
    answer = boto3.client("s3").list_object_versions(Bucket=settings().evidence_bucket,
                                                     Prefix=key)
    return answer.get("Versions", [])


def test_an_export_holds_every_chosen_report_row_by_row_and_no_identity(client, export_pump):
    district = unique_district()
    reporters = [caller() for _ in TRICKY]
    filed = [file_report(client, reporter, district=district, description=description,
                         category=category)
             for reporter, description, category in zip(reporters, TRICKY,
                                                        ("theft", "fraud", "drugs"), strict=True)]
    file_report(client, caller(), district=unique_district())
    officer = caller("officer")
    send(client, "patch", f"/admin/reports/{filed[1]['report_id']}", officer,
         {"status": "in_review"})

    asked = send(client, "post", "/admin/exports", officer, {"district": district})
    assert asked.status_code == 202
    assert asked.headers["Location"] == f"/admin/exports/{asked.json_body['export_id']}"
    assert asked.json_body["status"] == "queued" and asked.json_body["url"] is None
    job = wait_ready(client, officer, asked.json_body["export_id"])
    assert job["rows"] == 3

    raw = requests.get(job["url"], timeout=10).content
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw[3:].decode("utf-8")
    assert text.count("\r\n") == text.count("\n") - sum(d.count("\n") for d in TRICKY)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert list(rows[0]) == list(writer.COLUMNS)
    by_id = {row["report_id"]: row for row in rows}
    assert set(by_id) == {report["report_id"] for report in filed}
    for report in filed:
        stored, row = Report.get(report["report_id"]), by_id[report["report_id"]]
        expected_description = ("'" + stored.description
                                if stored.description.startswith("=") else stored.description)
        assert (row["alias"], row["category"], row["status"], row["district"],
                row["description"], row["address"], row["latitude"]) == (
            stored.alias, stored.category, stored.status, district, expected_description,
            stored.location.address, str(stored.location.latitude))
        assert stored.reporter_id not in text
    [event] = [event for event in AuditEvent.by_target.query(f"export#{job['export_id']}")]
    assert (event.action, event.actor_id, event.details) == ("reports.exported",
                                                             officer.user_id,
                                                             {"district": district})


def test_duplicate_and_corrupt_messages_write_nothing_more(client, export_pump):
    officer = caller("officer")
    export_id = send(client, "post", "/admin/exports", officer,
                     {"category": "other", "from": "2026-01-01"}).json_body["export_id"]
    wait_ready(client, officer, export_id)
    key = jobs.object_key(export_id)
    assert len(versions_of(key)) == 1

    handler.handler(sqs_event(json.dumps({"export_id": export_id})), None)  # delivered twice
    for body in ("not json", "null", json.dumps({"export_id": 7}), json.dumps(["x"]),
                 json.dumps({"export_id": "../../etc/passwd"}),
                 json.dumps({"export_id": uuid.uuid4().hex})):
        handler.handler(sqs_event(body), None)
    assert len(versions_of(key)) == 1
    assert ExportJob.get(export_id).status == "ready"


def test_the_csv_is_streamed_in_parts_of_the_size_asked(monkeypatch):
    rows = ([str(n), "描述" * 40] for n in range(2000))
    chunks = list(writer.chunks(rows, part_bytes=16 * 1024))
    assert len(chunks) > 5
    assert all(len(chunk) >= 16 * 1024 for chunk in chunks[:-1])
    whole = b"".join(chunks)
    assert whole.startswith(writer.BOM) and whole.count(b"\r\n") == 2001


def test_an_export_is_its_requesters_and_the_admins(client):
    officer = caller("officer")
    export_id = send(client, "post", "/admin/exports", officer, {}).json_body["export_id"]
    assert send(client, "get", f"/admin/exports/{export_id}", officer).status_code == 200
    assert send(client, "get", f"/admin/exports/{export_id}", caller("admin")).status_code == 200
    other = send(client, "get", f"/admin/exports/{export_id}", caller("officer"))
    assert other.status_code == 404 and error_code(other) == "export_not_found"
    assert send(client, "get", "/admin/exports/not-an-id", officer).status_code == 404


@pytest.mark.parametrize(("body", "code"), [
    ({"from": "2026-02-01", "to": "2026-01-01"}, "invalid_period"),
    ({"category": "jaywalking"}, "validation_error"), ({"status": "closed"}, "validation_error"),
    ({"district": ""}, "validation_error"), ({"reporter_id": "x"}, "validation_error")])
def test_bad_filters_are_400(client, body, code):
    refused = send(client, "post", "/admin/exports", caller("officer"), body)
    assert refused.status_code == 400 and error_code(refused) == code


def test_asking_again_with_the_same_idempotency_key_queues_one_export(client):
    officer, key = caller("officer"), uuid.uuid4().hex
    headers = {**officer.headers, "Content-Type": "application/json", "Idempotency-Key": key}
    first, again = (client.http.post("/admin/exports", headers=headers,
                                     body=json.dumps({"category": "fraud"})) for _ in range(2))
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json_body["export_id"] == again.json_body["export_id"]
    assert again.headers["Idempotency-Replayed"] == "true"

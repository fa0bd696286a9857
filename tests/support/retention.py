"""Retention as the tests drive it: each test's own purge partition, a report closed
by an officer with evidence in S3 (several versions, a delete marker, derivatives) and
a conversation, what of a report is left, and the clock moved for everything."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import boto3

from chalicelib import clock, retention
from chalicelib.media import worker
from chalicelib.media.s3_events import CreatedObject
from chalicelib.settings import settings
from chalicelib.tables import AuditEvent, Media, Message, Report
from chalicelib.tokens import issue_access_token
from support.api import Caller, caller, file_report, registered_citizen, send
from support.evidence import JPEG, jpeg_with_gps


def own_partition(monkeypatch) -> str:
    """This test's items go to a purge-due partition of their own, so a run it starts
    purges nothing another test (running at the same time) relies on."""
    partition = f"due-test-{uuid.uuid4().hex}"
    monkeypatch.setattr(retention, "DUE", partition)
    return partition


def at(monkeypatch, moment: datetime) -> datetime:
    """Moves the app's clock (chalicelib/clock.py) to `moment`."""
    monkeypatch.setattr(clock, "now", lambda: moment)
    return moment


def now_signed(who: Caller) -> Caller:
    """The caller with a token issued by the clock as it is now (a moved clock has let
    the first one expire)."""
    return Caller(who.principal,
                  {"Authorization": f"Bearer {issue_access_token(who.principal)}"})


@dataclass
class Case:
    report_id: str
    citizen: Caller
    officer: Caller
    evidence_id: str
    original_key: str


def s3():
    return boto3.client("s3")


def versions_under(prefix: str) -> list[dict]:
    """Every version and delete marker under `prefix`."""
    listing = s3().list_object_versions(Bucket=settings().evidence_bucket, Prefix=prefix)
    return [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]


def report_objects(report_id: str) -> list[dict]:
    return (versions_under(f"uploads/report/{report_id}/")
            + versions_under(f"derivatives/report/{report_id}/"))


def filed_with_evidence(client, **overrides) -> Case:
    """A report with one processed photo: its original in three versions and a delete
    marker, the worker's two derivatives, and a message each way."""
    (citizen, _), officer = registered_citizen(), caller("officer")
    report_id = file_report(client, citizen, **overrides)["report_id"]
    ticket = send(client, "post", f"/reports/{report_id}/evidence", citizen, JPEG).json_body
    evidence_id = ticket["evidence_id"]
    bucket, key = settings().evidence_bucket, ticket["upload"]["fields"]["key"]
    s3().put_object(Bucket=bucket, Key=key, Body=jpeg_with_gps(40, 30))
    # Processed here, as the worker would (it makes the two derivatives), before the
    # later versions: a pump running for another test then finds it done.
    worker.process_object(CreatedObject(bucket, key, 0))
    assert Media.get(f"report#{report_id}", evidence_id).status == "ready"
    s3().put_object(Bucket=bucket, Key=key, Body=jpeg_with_gps(40, 30))
    s3().delete_object(Bucket=bucket, Key=key)
    s3().put_object(Bucket=bucket, Key=key, Body=jpeg_with_gps(40, 30))
    assert send(client, "post", f"/reports/{report_id}/messages", citizen,
                {"body": "It was a blue bicycle."}).status_code == 201
    assert send(client, "post", f"/admin/reports/{report_id}/messages", officer,
                {"body": "Thank you, we have it."}).status_code == 201
    return Case(report_id, citizen, officer, evidence_id, key)


def close(client, case: Case, status: str) -> dict:
    for step in ("in_review", status):
        response = send(client, "patch", f"/admin/reports/{case.report_id}", case.officer,
                        {"status": step})
        assert response.status_code == 200, response.body
    return response.json_body


def left_of(report_id: str) -> dict[str, int]:
    """What is left of a report, part by part."""
    return {"report": Report.count(report_id, consistent_read=True),
            "media": Media.count(f"report#{report_id}", consistent_read=True),
            "messages": Message.count(report_id, consistent_read=True),
            "s3": len(report_objects(report_id))}


NOTHING = {"report": 0, "media": 0, "messages": 0, "s3": 0}


def days_after(moment: datetime, days: int, hours: int = 0) -> datetime:
    return moment + timedelta(days=days, hours=hours)


def trail(report_id: str) -> list[AuditEvent]:
    """A report's audit events, oldest first, whatever month each is in."""
    return list(AuditEvent.by_target.query(f"report#{report_id}"))

"""Report evidence: upload tickets and their cap, the worker's results kept on the
report (on_media_processed), presigned GETs, original downloads, and the whole path
from a phone's upload to a thumbnail the citizen sees."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
from support.api import audit_of, caller, error_code, file_report, send
from support.evidence import JPEG, processed

from chalicelib import reports
from chalicelib.errors import Conflict
from chalicelib.reports import filing
from chalicelib.reports.bodies import EvidenceRequest
from chalicelib.tables import Media, Report


def ticket(client, who, report_id, body=JPEG):
    return send(client, "post", f"/reports/{report_id}/evidence", who, body)


def test_the_owner_gets_an_upload_ticket_and_sees_the_item_pending(client):
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    response = ticket(client, citizen, report_id)
    assert response.status_code == 201
    body = response.json_body
    assert set(body) == {"evidence_id", "upload", "expires_in"}
    assert body["upload"]["fields"]["key"] == f"uploads/report/{report_id}/{body['evidence_id']}"
    assert Media.get(f"report#{report_id}", body["evidence_id"]).status == "pending"

    [item] = send(client, "get", f"/reports/{report_id}", citizen).json_body["evidence"]
    assert item["evidence_id"] == body["evidence_id"]
    assert item["status"] == "pending" and item["content_type"] == "image/jpeg"
    assert "thumb_url" not in item


def test_someone_elses_report_is_404_on_the_evidence_route_too(client):
    owner, stranger = caller(), caller()
    report_id = file_report(client, owner)["report_id"]
    theirs = ticket(client, stranger, report_id)
    missing = ticket(client, stranger, "0" * 32)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json_body == missing.json_body
    assert list(Media.query(f"report#{report_id}")) == []


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"content_type": "text/html", "size": 10}, 415, "unsupported_media_type"),
    ({"content_type": "image/jpeg", "size": 0}, 400, "invalid_size"),
    ({"content_type": "image/jpeg", "size": 25 * 1024 * 1024 + 1}, 400, "file_too_large"),
    ({"content_type": "video/mp4", "size": 501 * 1024 * 1024}, 400, "file_too_large"),
    ({"content_type": "image/jpeg", "size": "2048"}, 400, "validation_error"),
    ({"content_type": "image/jpeg", "size": True}, 400, "validation_error"),
    ({"content_type": "image/jpeg"}, 400, "validation_error"),
    ({"content_type": "image/jpeg", "size": 10, "key": "uploads/x"}, 400, "validation_error"),
    ({"content_type": "i" * 101, "size": 10}, 400, "validation_error"),
])
def test_bad_evidence_requests_are_refused_and_take_no_slot(client, body, status, code):
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    response = ticket(client, citizen, report_id, body)
    assert response.status_code == status and error_code(response) == code
    assert Report.get(report_id).evidence_count == 0


@pytest.mark.parametrize(("raw", "status"), [("{", 400), ("[]", 400),
                                             (json.dumps({**JPEG, "x": "y" * 70_000}), 413)])
def test_malformed_and_oversized_evidence_bodies(client, raw, status):
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    response = send(client, "post", f"/reports/{report_id}/evidence", citizen, raw=raw)
    assert response.status_code == status


def test_the_evidence_route_needs_a_signed_in_caller(client):
    report_id = file_report(client, caller())["report_id"]
    assert ticket(client, None, report_id).status_code == 401


def test_a_report_takes_ten_evidence_items_then_409(client):
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    ids = {ticket(client, citizen, report_id).json_body["evidence_id"] for _ in range(10)}
    assert len(ids) == 10  # a repeated request is a new item, not the same one
    refused = ticket(client, citizen, report_id)
    assert refused.status_code == 409 and error_code(refused) == "evidence_limit_reached"
    assert send(client, "get", f"/reports/{report_id}",
                citizen).json_body["evidence_count"] == 10


def test_eleven_concurrent_requests_get_ten_tickets(client):
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]

    def request(_):
        try:
            return filing.add_evidence(citizen.principal, report_id,
                                       EvidenceRequest(**JPEG))["evidence_id"]
        except Conflict as conflict:
            return conflict.code

    with ThreadPoolExecutor(max_workers=11) as pool:
        outcomes = list(pool.map(request, range(11)))
    assert outcomes.count("evidence_limit_reached") == 1, outcomes
    report = Report.get(report_id)
    assert report.evidence_count == 10 and len(report.evidence.as_dict()) == 10
    # The loser's pending Media record is gone, so only handed-out tickets remain.
    assert {m.media_id for m in Media.query(f"report#{report_id}")} == set(
        report.evidence.as_dict())


def test_a_closed_report_takes_no_more_evidence(client):
    citizen, officer = caller(), caller("officer")
    report_id = file_report(client, citizen)["report_id"]
    for status in ("in_review", "dismissed"):
        send(client, "patch", f"/admin/reports/{report_id}", officer, {"status": status})
    refused = ticket(client, citizen, report_id)
    assert refused.status_code == 409 and error_code(refused) == "report_closed"


def test_a_processed_item_is_kept_on_the_report_idempotently(client):
    citizen, officer = caller(), caller("officer")
    report_id = file_report(client, citizen)["report_id"]
    evidence_id = ticket(client, citizen, report_id).json_body["evidence_id"]
    media = processed(report_id, evidence_id)

    reports.on_media_processed(report_id, media)
    once = Report.get(report_id).serialize()
    reports.on_media_processed(report_id, media)
    assert Report.get(report_id).serialize() == once

    [mine] = send(client, "get", f"/reports/{report_id}", citizen).json_body["evidence"]
    assert mine["status"] == "ready" and mine["kind"] == "image"
    assert (mine["width"], mine["height"]) == (4000, 3000)
    assert {"thumb_url", "large_url"} <= set(mine)
    assert not {"gps", "captured_at", "sha256"} & set(mine)
    assert "116.44" not in json.dumps(mine)

    [full] = send(client, "get", f"/admin/reports/{report_id}", officer).json_body["evidence"]
    assert full["gps"] == {"lat": 39.92, "lon": 116.44}
    assert full["captured_at"] == "2026-11-01T09:15:00Z" and full["sha256"] == "ab" * 32
    thumb = urlparse(full["thumb_url"])
    assert thumb.path.endswith(f"/derivatives/report/{report_id}/{evidence_id}/thumb.jpg")
    assert parse_qs(thumb.query)["X-Amz-Expires"] == ["300"]


def test_a_video_keeps_its_duration(client):
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    evidence_id = ticket(client, citizen, report_id,
                         {"content_type": "video/mp4", "size": 10_000}).json_body["evidence_id"]
    reports.on_media_processed(report_id, processed(report_id, evidence_id, kind="video",
                                                    duration_seconds=12.5))
    [item] = send(client, "get", f"/reports/{report_id}", citizen).json_body["evidence"]
    assert (item["kind"], item["duration_seconds"]) == ("video", 12.5)


def test_a_rejected_item_shows_why(client):
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    evidence_id = ticket(client, citizen, report_id).json_body["evidence_id"]
    reports.on_media_processed(report_id, processed(report_id, evidence_id, "rejected"))
    [item] = send(client, "get", f"/reports/{report_id}", citizen).json_body["evidence"]
    assert item["status"] == "rejected"
    assert item["reject_reason"] == "not_an_allowed_type"
    assert "thumb_url" not in item


def test_a_result_without_a_slot_changes_nothing(client):
    missing_report = uuid.uuid4().hex
    stray = Media(f"report#{missing_report}", uuid.uuid4().hex, status="ready",
                  content_type="image/jpeg", declared_size=1, object_key="uploads/x",
                  created_at=datetime.now(UTC))
    reports.on_media_processed(missing_report, stray)
    assert Report.count(missing_report) == 0

    report_id = file_report(client, caller())["report_id"]
    reports.on_media_processed(report_id, stray)  # not one of this report's tickets
    assert Report.get(report_id).evidence.as_dict() == {}


def test_an_unprocessed_item_is_not_a_result():
    pending = Media("report#x", "y", status="pending", content_type="image/jpeg",
                    declared_size=1, object_key="uploads/x", created_at=datetime.now(UTC))
    with pytest.raises(ValueError, match="pending"):
        reports.on_media_processed("x", pending)


def test_originals_are_downloaded_by_officers_and_audited(client):
    citizen, officer = caller(), caller("officer")
    report_id = file_report(client, citizen)["report_id"]
    evidence_id = ticket(client, citizen, report_id).json_body["evidence_id"]
    path = f"/admin/reports/{report_id}/evidence/{evidence_id}/original"

    pending = send(client, "get", path, officer)
    assert pending.status_code == 409 and error_code(pending) == "evidence_not_ready"

    reports.on_media_processed(report_id, processed(report_id, evidence_id))
    for _ in range(2):  # each download is recorded, the repeated one too
        download = send(client, "get", path, officer)
        assert download.status_code == 200 and download.json_body["expires_in"] == 300
    url = urlparse(download.json_body["url"])
    assert url.path.endswith(f"/uploads/report/{report_id}/{evidence_id}")
    assert parse_qs(url.query)["response-content-disposition"] == [
        f'attachment; filename="{evidence_id}.jpg"']
    downloads = [e for e in audit_of(report_id)
                 if e.action == "report.evidence_original_downloaded"]
    assert [(e.actor_id, e.details) for e in downloads] == [
        (officer.user_id, {"evidence_id": evidence_id})] * 2

    assert send(client, "get", path, citizen).status_code == 403
    unknown = send(client, "get", path.replace(evidence_id, "f" * 32), officer)
    assert unknown.status_code == 404 and error_code(unknown) == "evidence_not_found"


def test_an_original_is_named_with_the_extension_of_what_its_bytes_are(client):
    citizen, officer = caller(), caller("officer")
    report_id = file_report(client, citizen)["report_id"]
    evidence_id = ticket(client, citizen, report_id).json_body["evidence_id"]   # "image/jpeg"
    reports.on_media_processed(report_id, processed(report_id, evidence_id,
                                                    sniffed_type="image/png"))
    download = send(client, "get", f"/admin/reports/{report_id}/evidence/{evidence_id}/original",
                    officer)
    assert parse_qs(urlparse(download.json_body["url"]).query)[
        "response-content-disposition"] == [f'attachment; filename="{evidence_id}.png"']


def test_a_rejected_original_is_not_handed_out(client):
    citizen, officer = caller(), caller("officer")
    report_id = file_report(client, citizen)["report_id"]
    evidence_id = ticket(client, citizen, report_id).json_body["evidence_id"]
    reports.on_media_processed(report_id, processed(report_id, evidence_id, "rejected"))
    refused = send(client, "get", f"/admin/reports/{report_id}/evidence/{evidence_id}/original",
                   officer)
    assert refused.status_code == 409

"""Resumable uploads: above the threshold a ticket is an S3 multipart plan; the app
resumes after losing the network, completes, or aborts. Real multipart uploads against
the emulator (5 MiB parts, S3's least), the pump and the worker; the threshold is
lowered from 32 MiB to 6 MiB so the files stay small."""

import hashlib
import struct
import uuid
from datetime import timedelta

import boto3
import pytest
import requests
from support.api import caller, error_code, file_report, send
from support.evidence import age_ticket
from support.media_files import video
from support.waiting import wait_until

from chalicelib.media import uploads
from chalicelib.settings import settings
from chalicelib.tables import Media, Report

MiB = 1024 * 1024
PART = 5 * MiB


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch):
    monkeypatch.setattr(uploads, "MULTIPART_THRESHOLD_BYTES", 6 * MiB)
    monkeypatch.setattr(uploads, "PART_BYTES", PART)


def padded_video(total: int) -> bytes:
    """A real MP4 made `total` bytes long by a trailing `free` box, which players skip."""
    clip = video(seconds=1)
    padding = total - len(clip)
    return clip + struct.pack(">I4s", padding, b"free") + bytes(padding - 8)


def plan_for(client, who, report_id, size, content_type="video/mp4"):
    response = send(client, "post", f"/reports/{report_id}/evidence", who,
                    {"content_type": content_type, "size": size})
    assert response.status_code == 201, response.body
    return response.json_body


def put_part(url: str, content: bytes) -> str:
    response = requests.put(url, data=content, timeout=30)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


def chunk(content: bytes, number: int) -> bytes:
    return content[(number - 1) * PART:number * PART]


def path_of(report_id, evidence_id, tail):
    return f"/reports/{report_id}/evidence/{evidence_id}/{tail}"


def test_a_small_file_keeps_its_presigned_post_with_a_type(client):
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    ticket = plan_for(client, citizen, report_id, 6 * MiB, "image/jpeg")
    assert ticket["upload"]["type"] == "post" and "fields" in ticket["upload"]
    assert ticket["expires_in"] == uploads.UPLOAD_URL_SECONDS
    resume = send(client, "get", path_of(report_id, ticket["evidence_id"], "upload"), citizen)
    assert resume.status_code == 409 and error_code(resume) == "not_multipart"


def test_a_resumed_upload_ends_ready_and_officers_download_its_bytes(client, pump):
    citizen, officer = caller(), caller("officer")
    report_id = file_report(client, citizen)["report_id"]
    content = padded_video(3 * PART + 2 * MiB)
    ticket = plan_for(client, citizen, report_id, len(content))
    plan, evidence_id = ticket["upload"], ticket["evidence_id"]
    assert plan["type"] == "multipart" and plan["part_size"] == PART
    assert [part["part_number"] for part in plan["parts"]] == [1, 2, 3, 4]
    assert ticket["expires_in"] == uploads.MULTIPART_TICKET_SECONDS

    etags = {n: put_part(plan["parts"][n - 1]["url"], chunk(content, n)) for n in (1, 2)}
    # The network drops; the app comes back and asks where it stands.
    resumed = send(client, "get", path_of(report_id, evidence_id, "upload"), citizen)
    assert resumed.status_code == 200, resumed.body
    state = resumed.json_body
    assert [(p["part_number"], p["etag"], p["size"]) for p in state["uploaded_parts"]] == [
        (1, etags[1], PART), (2, etags[2], PART)]
    assert [part["part_number"] for part in state["upload"]["parts"]] == [3, 4]
    assert state["upload"]["upload_id"] == plan["upload_id"]
    for part in state["upload"]["parts"]:
        etags[part["part_number"]] = put_part(part["url"], chunk(content, part["part_number"]))

    body = {"parts": [{"part_number": n, "etag": etags[n]} for n in sorted(etags)]}
    done = send(client, "post", path_of(report_id, evidence_id, "complete"), citizen, body)
    assert done.status_code == 200, done.body
    assert done.json_body == {"evidence_id": evidence_id, "status": "uploaded"}
    again = send(client, "post", path_of(report_id, evidence_id, "complete"), citizen, body)
    assert again.status_code == 200  # a completion whose answer was lost

    def finished():
        [item] = send(client, "get", f"/reports/{report_id}", citizen).json_body["evidence"]
        return item if item["status"] != "pending" else None

    item = wait_until(finished, timeout=60)
    assert item and item["status"] == "ready", item
    assert item["kind"] == "video" and item["thumb_url"]
    media = Media.get(f"report#{report_id}", evidence_id)
    assert media.sha256 == hashlib.sha256(content).hexdigest() and media.size == len(content)
    download = send(client, "get", f"/admin/reports/{report_id}/evidence/{evidence_id}/"
                    "original", officer).json_body
    assert requests.get(download["url"], timeout=30).content == content


def test_completing_more_than_the_declared_size_is_refused(client):
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    ticket = plan_for(client, citizen, report_id, 2 * PART + 1)
    parts = ticket["upload"]["parts"]
    assert len(parts) == 3
    filler = bytes(PART)
    etags = [put_part(part["url"], filler) for part in parts]  # 15 MiB, not 10 MiB + 1
    body = {"parts": [{"part_number": n, "etag": etag} for n, etag in enumerate(etags, 1)]}
    refused = send(client, "post", path_of(report_id, ticket["evidence_id"], "complete"),
                   citizen, body)
    assert refused.status_code == 400 and error_code(refused) == "upload_too_large"
    assert refused.json_body["error"]["field"] == "parts"
    s3 = boto3.client("s3")
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=settings().evidence_bucket,
                       Key=Media.get(f"report#{report_id}", ticket["evidence_id"]).object_key)


@pytest.mark.parametrize("parts", [
    [{"part_number": 1, "etag": '"not-the-etag"'}],
    [{"part_number": 2, "etag": "x"}, {"part_number": 1, "etag": "y"}],
    [{"part_number": 9, "etag": "x"}],
])
def test_parts_s3_does_not_hold_are_refused(client, parts):
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    ticket = plan_for(client, citizen, report_id, 7 * MiB)
    put_part(ticket["upload"]["parts"][0]["url"], bytes(PART))
    refused = send(client, "post", path_of(report_id, ticket["evidence_id"], "complete"),
                   citizen, {"parts": parts})
    assert refused.status_code == 400 and error_code(refused) == "invalid_parts"


def test_an_aborted_upload_frees_its_slot_and_s3_drops_the_parts(client):
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    ticket = plan_for(client, citizen, report_id, 7 * MiB)
    evidence_id, upload_id = ticket["evidence_id"], ticket["upload"]["upload_id"]
    put_part(ticket["upload"]["parts"][0]["url"], bytes(PART))
    aborted = send(client, "delete", path_of(report_id, evidence_id, "complete"), citizen)
    assert aborted.status_code == 204, aborted.body
    assert send(client, "delete", path_of(report_id, evidence_id, "complete"),
                citizen).status_code == 204
    in_progress = boto3.client("s3").list_multipart_uploads(
        Bucket=settings().evidence_bucket).get("Uploads", [])
    assert upload_id not in {upload["UploadId"] for upload in in_progress}
    view = send(client, "get", f"/reports/{report_id}", citizen).json_body
    assert [item["status"] for item in view["evidence"]] == ["aborted"]
    assert view["evidence_count"] == 0 and Report.get(report_id).evidence_count == 0
    resume = send(client, "get", path_of(report_id, evidence_id, "upload"), citizen)
    assert resume.status_code == 409 and error_code(resume) == "upload_not_in_progress"


def test_an_expired_multipart_ticket_does_not_resume(client):
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    ticket = plan_for(client, citizen, report_id, 7 * MiB)
    age_ticket(report_id, ticket["evidence_id"],
               timedelta(seconds=uploads.MULTIPART_TICKET_SECONDS + 1))
    resume = send(client, "get", path_of(report_id, ticket["evidence_id"], "upload"), citizen)
    assert resume.status_code == 409 and error_code(resume) == "ticket_expired"


def test_someone_elses_upload_is_404(client):
    owner, stranger = caller(), caller()
    report_id = file_report(client, owner)["report_id"]
    ticket = plan_for(client, owner, report_id, 7 * MiB)
    for method, tail in (("get", "upload"), ("delete", "complete")):
        response = send(client, method, path_of(report_id, ticket["evidence_id"], tail),
                        stranger)
        assert response.status_code == 404
    missing = send(client, "get", path_of(report_id, uuid.uuid4().hex, "upload"), owner)
    assert missing.status_code == 404 and error_code(missing) == "evidence_not_found"


def test_the_bucket_aborts_incomplete_multipart_uploads_after_a_day(emulator):
    rules = {rule["Filter"]["Prefix"]: rule for rule in boto3.client(
        "s3").get_bucket_lifecycle_configuration(Bucket=settings().evidence_bucket)["Rules"]}
    uploads = rules.pop("uploads/")
    assert (uploads["Status"], uploads["AbortIncompleteMultipartUpload"]) == (
        "Enabled", {"DaysAfterInitiation": 1})
    assert "NoncurrentVersionExpiration" not in uploads and "Expiration" not in uploads
    # The only other rule: CSV exports, gone a day after they were written.
    assert {prefix: (rule["Expiration"], rule["NoncurrentVersionExpiration"])
            for prefix, rule in rules.items()} == {
        "exports/": ({"Days": 1}, {"NoncurrentDays": 1})}

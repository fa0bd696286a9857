"""Evidence that holds up: upload tickets that expire, originals pinned to the version
the worker hashed, through the real path (presigned POST to the emulator, the S3
notification, the queue, the pump, the worker, the officers' download)."""

import hashlib
import io
from datetime import UTC, datetime, timedelta

import boto3
import requests
from PIL import Image
from support.api import audit_of, caller, error_code, file_report, send
from support.evidence import age_ticket, upload
from support.waiting import wait_until

from chalicelib.reports.evidence import EXPIRY_GRACE, MAX_EVIDENCE
from chalicelib.settings import resource_name, settings
from chalicelib.tables import Media, Report


def jpeg(colour=(200, 40, 40), size=(900, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def ticket(client, who, report_id, size=2048, content_type="image/jpeg"):
    response = send(client, "post", f"/reports/{report_id}/evidence", who,
                    {"content_type": content_type, "size": size})
    assert response.status_code == 201, response.body
    return response.json_body


def evidence_view(client, who, report_id, path="/reports"):
    return send(client, "get", f"{path}/{report_id}", who).json_body


def queue_drained() -> bool:
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=resource_name("evidence"))["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return all(value == "0" for value in attributes.values())


# --- tickets expire ---------------------------------------------------------------------

def test_a_ticket_that_expired_unused_shows_expired_and_frees_its_slot(client):
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    ids = [ticket(client, citizen, report_id)["evidence_id"] for _ in range(MAX_EVIDENCE)]
    full = send(client, "post", f"/reports/{report_id}/evidence", citizen,
                {"content_type": "image/jpeg", "size": 10})
    assert full.status_code == 409 and error_code(full) == "evidence_limit_reached"

    age_ticket(report_id, ids[0], EXPIRY_GRACE + timedelta(seconds=UPLOAD_SECONDS + 1))
    view = evidence_view(client, citizen, report_id)
    statuses = {item["evidence_id"]: item["status"] for item in view["evidence"]}
    assert statuses[ids[0]] == "expired" and view["evidence_count"] == MAX_EVIDENCE - 1

    new_id = ticket(client, citizen, report_id)["evidence_id"]
    stored = Report.get(report_id, consistent_read=True)
    assert stored.evidence_count == MAX_EVIDENCE
    assert stored.evidence.as_dict()[ids[0]]["status"] == "expired"
    statuses = {item["evidence_id"]: item["status"]
                for item in evidence_view(client, citizen, report_id)["evidence"]}
    assert statuses[ids[0]] == "expired" and statuses[new_id] == "pending"
    full = send(client, "post", f"/reports/{report_id}/evidence", citizen,
                {"content_type": "image/jpeg", "size": 10})
    assert full.status_code == 409 and error_code(full) == "evidence_limit_reached"


def test_a_ticket_within_its_grace_still_counts(client):
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    evidence_id = ticket(client, citizen, report_id)["evidence_id"]
    age_ticket(report_id, evidence_id, timedelta(seconds=UPLOAD_SECONDS + 1))
    [item] = evidence_view(client, citizen, report_id)["evidence"]
    assert item["status"] == "pending"


def test_an_upload_after_its_ticket_expired_is_rejected_with_the_reason(client, pump):
    """S3 refuses a presigned POST once its policy expired; the emulator does not, and a
    multipart upload's object is dated when it began. The worker checks the object's
    date against the ticket's expiry."""
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    content = jpeg()
    issued = ticket(client, citizen, report_id, size=len(content))
    age_ticket(report_id, issued["evidence_id"],
               EXPIRY_GRACE + timedelta(seconds=UPLOAD_SECONDS + 1))
    upload(issued["upload"], content, "image/jpeg")

    def finished():  # shown `expired` (its URLs expired) until the worker has judged it
        [item] = evidence_view(client, citizen, report_id)["evidence"]
        return item if item["status"] == "rejected" else None

    item = wait_until(finished)
    assert item and item["status"] == "rejected" and item["reject_reason"] == "ticket_expired"
    media = Media.get(f"report#{report_id}", issued["evidence_id"])
    assert media.status == "rejected" and media.reject_reason == "ticket_expired"


UPLOAD_SECONDS = 900


# --- pinned originals -------------------------------------------------------------------

def test_a_reused_upload_url_after_processing_changes_nothing_officers_see(client, pump):
    citizen, officer = caller(), caller("officer")
    report_id = file_report(client, citizen)["report_id"]
    first, second = jpeg((200, 40, 40)), jpeg((10, 200, 10), (640, 480))
    issued = ticket(client, citizen, report_id, size=len(first) * 2)
    upload(issued["upload"], first, "image/jpeg")

    def ready():
        [item] = evidence_view(client, officer, report_id, "/admin/reports")["evidence"]
        return item if item["status"] == "ready" else None

    before = wait_until(ready)
    assert before, "the first upload was never processed"
    media = Media.get(f"report#{report_id}", issued["evidence_id"])
    assert media.sha256 == hashlib.sha256(first).hexdigest() and media.version_id
    s3 = boto3.client("s3")
    bucket = settings().evidence_bucket
    derivatives = {name: s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                   for name, key in media.derivatives.as_dict().items()}

    # The same presigned POST again (within its 15 minutes), with other bytes.
    upload(issued["upload"], second, "image/jpeg")
    versions = s3.list_object_versions(Bucket=bucket, Prefix=media.object_key)["Versions"]
    assert len(versions) == 2  # the bucket kept both
    assert wait_until(queue_drained), "the second upload's notification was never handled"

    again = Media.get(f"report#{report_id}", issued["evidence_id"], consistent_read=True)
    assert (again.sha256, again.version_id, again.size) == (media.sha256, media.version_id,
                                                            len(first))
    assert {name: s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            for name, key in again.derivatives.as_dict().items()} == derivatives
    [after] = evidence_view(client, officer, report_id, "/admin/reports")["evidence"]
    assert {k: v for k, v in after.items() if not k.endswith("_url")} == {
        k: v for k, v in before.items() if not k.endswith("_url")}

    download = send(client, "get", f"/admin/reports/{report_id}/evidence/"
                    f"{issued['evidence_id']}/original", officer).json_body
    original = requests.get(download["url"], timeout=10)
    assert original.status_code == 200 and original.content == first
    latest = s3.get_object(Bucket=bucket, Key=media.object_key)["Body"].read()
    assert latest == second  # what a download of the key's latest would have served


def test_the_worker_reads_the_version_its_event_names(emulator):
    """On AWS the S3 event names the version created; the worker hashes exactly that one
    (outside uploads/, so the pump's notification does not race this test)."""
    import json
    import uuid

    from chalicelib.media import worker
    from chalicelib.media.s3_events import created_objects

    first, second = jpeg((1, 2, 3)), jpeg((250, 250, 0))
    s3, bucket = boto3.client("s3"), settings().evidence_bucket
    key = f"test-pinned/{uuid.uuid4().hex}"
    version = s3.put_object(Bucket=bucket, Key=key, Body=first,
                            ContentType="image/jpeg")["VersionId"]
    s3.put_object(Bucket=bucket, Key=key, Body=second, ContentType="image/jpeg")
    event = {"Records": [{"eventName": "ObjectCreated:Post", "s3": {
        "bucket": {"name": bucket},
        "object": {"key": key, "size": len(first), "versionId": version}}}]}
    [created] = created_objects(json.dumps(event))
    assert created.version_id == version
    media = Media("report#x", uuid.uuid4().hex, content_type="image/jpeg",
                  declared_size=len(first), object_key=key, created_at=datetime.now(UTC))
    examined = worker._examine(bucket, media, created.version_id)
    assert examined["version_id"] == version
    assert examined["sha256"] == hashlib.sha256(first).hexdigest()


# --- the chain-of-custody record --------------------------------------------------------

def test_the_custody_record_lists_each_item_and_every_access_and_is_audited(client, pump):

    citizen, officer, other = caller(), caller("officer"), caller("officer")
    report_id = file_report(client, citizen)["report_id"]
    content = jpeg()
    issued = ticket(client, citizen, report_id, size=len(content))
    unused = ticket(client, citizen, report_id)["evidence_id"]
    age_ticket(report_id, unused, EXPIRY_GRACE + timedelta(seconds=UPLOAD_SECONDS + 1))
    upload(issued["upload"], content, "image/jpeg")

    def ready():
        items = evidence_view(client, officer, report_id, "/admin/reports")["evidence"]
        return all(item["status"] != "pending" for item in items) or None

    assert wait_until(ready)
    original = f"/admin/reports/{report_id}/evidence/{issued['evidence_id']}/original"
    for who in (officer, other):
        assert send(client, "get", original, who).status_code == 200

    response = send(client, "get", f"/admin/reports/{report_id}/custody", officer)
    assert response.status_code == 200, response.body
    document = response.json_body
    media = Media.get(f"report#{report_id}", issued["evidence_id"])
    [received, expired] = sorted(document["evidence"], key=lambda i: i["evidence_id"] != issued[
        "evidence_id"])
    assert received == {**received, "evidence_id": issued["evidence_id"], "verdict": "ready",
                        "sha256": hashlib.sha256(content).hexdigest(),
                        "version_id": media.version_id, "size": len(content),
                        "sniffed_kind": "image", "sniffed_type": "image/jpeg",
                        "on_report": True, "reject_reason": None}
    assert (datetime.fromisoformat(received["processed_at"])
            >= datetime.fromisoformat(received["uploaded_at"]))
    assert expired["evidence_id"] == unused and expired["verdict"] == "expired"
    assert expired["sha256"] is None and expired["uploaded_at"] is None
    assert [(a["actor"]["id"], a["evidence_id"]) for a in document["original_accesses"]] == [
        (officer.user_id, issued["evidence_id"]), (other.user_id, issued["evidence_id"])]
    assert document["generated_by"]["id"] == officer.user_id
    assert [e.action for e in audit_of(report_id)].count("report.custody_record_opened") == 1


def test_the_custody_record_of_a_missing_report_is_404_and_not_audited(client):
    officer = caller("officer")
    response = send(client, "get", f"/admin/reports/{'0' * 32}/custody", officer)
    assert response.status_code == 404


def test_s3_refuses_the_ticket_when_it_expires(client):
    """What AWS enforces and the emulator does not: the POST policy's expiration is the
    ticket's, and a multipart plan's URLs are signed for an hour (GET .../upload makes
    new ones)."""
    import base64
    import json
    from urllib.parse import parse_qs, urlparse

    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    issued = ticket(client, citizen, report_id)
    policy = json.loads(base64.b64decode(issued["upload"]["fields"]["policy"]))
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    media = Media.get(f"report#{report_id}", issued["evidence_id"])
    assert abs((expiration - media.upload_expires_at).total_seconds()) < 5

    from chalicelib.media import uploads

    original = uploads.MULTIPART_THRESHOLD_BYTES
    uploads.MULTIPART_THRESHOLD_BYTES = 1024
    try:
        plan = ticket(client, citizen, report_id, size=4096, content_type="video/mp4")
    finally:
        uploads.MULTIPART_THRESHOLD_BYTES = original
    [part] = plan["upload"]["parts"]
    assert parse_qs(urlparse(part["url"]).query)["X-Amz-Expires"] == [
        str(uploads.PART_URL_SECONDS)]

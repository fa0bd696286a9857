"""Report evidence: upload tickets, the worker's results kept on the report item, and
short-lived presigned GETs for what is in the bucket.

Each evidence item is a Media record (chalicelib.media) owned by "report#<id>". The
report item keeps a summary of each under `evidence.<evidence id>`, written pending
when the ticket is given out and replaced by the worker's result, so reading a report
with all its evidence is one GetItem.
"""

import logging
from datetime import datetime, timedelta

from botocore.exceptions import ClientError
from pynamodb.attributes import MapAttribute
from pynamodb.exceptions import UpdateError

from chalicelib import clock
from chalicelib.clock import iso
from chalicelib.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from chalicelib.media import MediaStatus, owner_key, owners
from chalicelib.media.uploads import (
    IMAGE_TYPES,
    UPLOAD_GRACE,
    VIDEO_TYPES,
    abort_multipart,
    complete_multipart,
    multipart_plan,
    start_upload,
    uploaded_parts,
)
from chalicelib.reports.bodies import EvidenceRequest, ReportStatus
from chalicelib.reports.store import evidence_of, find
from chalicelib.settings import settings
from chalicelib.storage import API_S3, condition_failed, s3_client
from chalicelib.tables import Media, Report

logger = logging.getLogger(__name__)

MAX_EVIDENCE = 10
OWNER_TYPE = "report"
ACCEPTED_TYPES = {**IMAGE_TYPES, **VIDEO_TYPES}
OPEN_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.IN_REVIEW)
VIEW_URL_SECONDS = 300
EXPIRY_GRACE = UPLOAD_GRACE
# Entries whose slot was given back: the ticket expired unused, or the upload was aborted.
FREED = (MediaStatus.EXPIRED, MediaStatus.ABORTED)
UPLOADED = "uploaded"   # what a completion answers (S3 holds the file; the worker is next)


def start(report: Report, request: EvidenceRequest) -> dict:
    """An upload ticket for one more evidence item on the (owner's) report.

    The slot is taken with a conditional update on the report's counter, so eleven
    concurrent requests cannot all pass; the loser's Media record is deleted and its
    ticket never handed out. Tickets whose URLs expired unused (see `expired`) give their
    slot back in the same update: they are marked `expired` and no longer counted.
    """
    now = clock.now()
    stale = [evidence_id for evidence_id, item in evidence_of(report).items()
             if _unused_past_expiry(item, now)]
    _check_takes_evidence(report, freed=len(stale))
    ticket = start_upload(OWNER_TYPE, report.report_id, request.content_type, request.size,
                          ACCEPTED_TYPES, resumable=True)
    evidence_id = ticket["media_id"]
    # .value: PynamoDB takes only plain types into a map it has no schema for.
    pending = {"status": MediaStatus.PENDING.value, "content_type": request.content_type,
               "object_key": ticket["object_key"],
               "created_at": iso(now),
               "upload_expires_at": iso(now + timedelta(seconds=ticket["expires_in"]))}
    condition = ((Report.evidence_count < MAX_EVIDENCE + len(stale))
                 & Report.status.is_in(*OPEN_STATUSES))
    actions = [Report.evidence_count.add(1 - len(stale)),
               Report.evidence[evidence_id].set(pending)]
    for old in stale:
        condition &= Report.evidence[old]["status"] == MediaStatus.PENDING.value
        actions.append(Report.evidence[old]["status"].set(MediaStatus.EXPIRED.value))
    try:
        report.update(actions=actions, condition=condition)
    except UpdateError as error:
        if not condition_failed(error):
            raise
        loser = _media(report, evidence_id)
        if loser.upload_id:
            abort_multipart(loser)
        loser.delete()
        _check_takes_evidence(find(report.report_id))  # raises the reason it lost
        raise Conflict("The report changed meanwhile; try again.",
                       code=ErrorCode.REPORT_CHANGED) from None
    if stale:
        logger.info("report %s: %d expired upload tickets freed their slots",
                    report.report_id, len(stale))
    return {"evidence_id": evidence_id, "upload": ticket["upload"],
            "expires_in": ticket["expires_in"]}


def resume_plan(report: Report, evidence_id: str) -> dict:
    """Where a multipart upload stands: the parts S3 holds, fresh URLs for the rest."""
    media = _open_multipart(report, evidence_id)
    held = uploaded_parts(media)
    return {"evidence_id": evidence_id, "upload": multipart_plan(media, held),
            "uploaded_parts": [{"part_number": number, "etag": part["etag"],
                                "size": part["size"]} for number, part in sorted(held.items())],
            "expires_in": _seconds_left(media)}


def complete(report: Report, evidence_id: str, parts: list[tuple[int, str]]) -> dict:
    """Completes a multipart upload; S3 then notifies the worker as for any upload. A
    repeated completion (the answer was lost) answers the same once S3 has the object."""
    media = _multipart_of(report, evidence_id)
    uploaded = {"evidence_id": evidence_id, "status": UPLOADED}
    if media.status != MediaStatus.PENDING or _object_exists(media):
        return uploaded
    _open_multipart(report, evidence_id, media)
    try:
        complete_multipart(media, parts)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "NoSuchUpload" and _object_exists(media):
            return uploaded
        if code in ("InvalidPart", "InvalidPartOrder", "EntityTooSmall"):
            raise ValidationFailed(f"S3 refused the parts: {code}",
                                   code=ErrorCode.INVALID_PARTS, field="parts") from None
        if code in ("NoSuchUpload", "PreconditionFailed"):
            raise Conflict("This upload was aborted, or the file is already there.",
                           code=ErrorCode.UPLOAD_NOT_IN_PROGRESS) from None
        raise
    return uploaded


def abort(report: Report, evidence_id: str) -> None:
    """Gives up a multipart upload: S3 drops its parts and the ticket's slot is free
    (the item shows `aborted`). Aborting again is a no-op."""
    media = _multipart_of(report, evidence_id)
    entry = Report.evidence[evidence_id]
    if media.status == MediaStatus.ABORTED:
        return
    if media.status != MediaStatus.PENDING or _object_exists(media):
        raise Conflict("The upload is complete; it can no longer be aborted.",
                       code=ErrorCode.UPLOAD_NOT_IN_PROGRESS)
    try:
        abort_multipart(media)
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchUpload":
            raise
    try:
        media.update(actions=[Media.status.set(MediaStatus.ABORTED)],
                     condition=Media.status == MediaStatus.PENDING)
        report.update(actions=[entry["status"].set(MediaStatus.ABORTED.value),
                               Report.evidence_count.add(-1)],
                      condition=entry["status"] == MediaStatus.PENDING.value)
    except UpdateError as error:
        if not condition_failed(error):
            raise


def _media(report: Report, evidence_id: str) -> Media:
    return Media.get(owner_key(OWNER_TYPE, report.report_id), evidence_id,
                     consistent_read=True)


def _multipart_of(report: Report, evidence_id: str) -> Media:
    if evidence_id not in evidence_of(report):
        raise NotFound("No such evidence on this report.", code=ErrorCode.EVIDENCE_NOT_FOUND)
    media = _media(report, evidence_id)
    if not media.upload_id:
        raise Conflict("This evidence goes up in one POST; only multipart uploads resume.",
                       code=ErrorCode.NOT_MULTIPART)
    return media


def _open_multipart(report: Report, evidence_id: str, media: Media | None = None) -> Media:
    media = media or _multipart_of(report, evidence_id)
    if media.status != MediaStatus.PENDING or _object_exists(media):
        state = "aborted" if media.status == MediaStatus.ABORTED else "complete"
        raise Conflict(f"The upload is {state}; there is nothing to resume.",
                       code=ErrorCode.UPLOAD_NOT_IN_PROGRESS)
    if _seconds_left(media) <= 0:
        raise Conflict("The upload ticket expired; ask for a new one.",
                       code=ErrorCode.TICKET_EXPIRED)
    return media


def _seconds_left(media: Media) -> int:
    return int((media.upload_expires_at - clock.now()).total_seconds())


def _object_exists(media: Media) -> bool:
    try:
        s3_client(API_S3).head_object(Bucket=settings().evidence_bucket, Key=media.object_key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def is_expired(item: dict, now: datetime) -> bool:
    """Whether an entry no longer counts toward the report's MAX_EVIDENCE: its slot was
    given back, or will be at the next ticket (see _unused_past_expiry)."""
    return item.get("status") in FREED or _unused_past_expiry(item, now)


def shown_status(item: dict, now: datetime) -> str:
    """An entry's status as readers see it: `expired` once its URLs expired unused."""
    return MediaStatus.EXPIRED if _unused_past_expiry(item, now) else item["status"]


def _unused_past_expiry(item: dict, now: datetime) -> bool:
    """A ticket whose URLs expired (EXPIRY_GRACE ago) with nothing uploaded: it shows as
    `expired`. The grace lets an upload that began just before the URLs expired arrive
    and be processed."""
    expires_at = item.get("upload_expires_at")
    return (item.get("status") == MediaStatus.PENDING and expires_at is not None
            and datetime.fromisoformat(expires_at) + EXPIRY_GRACE < now)


def _check_takes_evidence(report: Report, freed: int = 0) -> None:
    if report.status not in OPEN_STATUSES:
        raise Conflict(f"The report is {report.status}; it takes no more evidence.",
                       code=ErrorCode.REPORT_CLOSED)
    if report.evidence_count - freed >= MAX_EVIDENCE:
        raise Conflict(f"A report takes at most {MAX_EVIDENCE} evidence items.",
                       code=ErrorCode.EVIDENCE_LIMIT_REACHED)


@owners.register(OWNER_TYPE)
def on_media_processed(report_id: str, media: Media) -> None:
    """The evidence worker finished `media`: keep its summary on the report item, and
    lock its original if the report is under a legal hold.

    Idempotent (SQS may deliver twice): the summary is set whole, never added to. The
    condition that the item has a slot keeps a stray notification from creating a
    report item or an evidence entry beyond the cap. A slot already given back as
    `expired` (the worker ran late, past EXPIRY_GRACE, on an upload that was in time) is
    taken again if the report has room; otherwise the summary stays off the report and
    the item is still in the custody record (chalicelib/reports/custody.py).
    """
    if media.status not in (MediaStatus.READY, MediaStatus.REJECTED):
        raise ValueError(f"media {media.media_id} is {media.status}, not processed")
    report = _kept_on_report(report_id, media)
    if report is None:
        try:
            report = Report.get(report_id, attributes_to_get=["report_id", "hold"],
                                consistent_read=True)
        except Report.DoesNotExist:  # a stray notification, or a report since purged
            return
    if report.hold is not None:
        _lock_original(media)


def _kept_on_report(report_id: str, media: Media) -> Report | None:
    """The report as updated with the summary, or None when it was not kept there."""
    report, entry = Report(report_id), Report.evidence[media.media_id]
    freed = [status.value for status in FREED]
    try:
        report.update(actions=[entry.set(summary(media))],
                      condition=entry.exists() & ~entry["status"].is_in(*freed))
        return report
    except UpdateError as error:
        if not condition_failed(error):
            raise
    if media.status != MediaStatus.READY:  # a late upload, rejected: its slot stays free
        logger.info("report %s evidence %s: %s, its slot had expired", report_id,
                    media.media_id, media.reject_reason)
        return None
    try:
        report.update(actions=[entry.set(summary(media)), Report.evidence_count.add(1)],
                      condition=(entry["status"] == MediaStatus.EXPIRED.value)
                      & (Report.evidence_count < MAX_EVIDENCE))
        return report
    except UpdateError as error:
        if not condition_failed(error):
            raise
        logger.warning("report %s has no evidence slot %s; result not kept",
                       report_id, media.media_id)
        return None


def _lock_original(media: Media) -> None:
    """The S3 Object Lock legal hold on the version the worker read. A hold placed
    before this upload arrived could not lock it (chalicelib/retention/holds.py locks
    the versions there are); one placed after the worker read the report lists it. A
    release at this very moment may leave this version locked: evidence is kept, and
    the purge fails loudly on it rather than deleting it."""
    s3_client().put_object_legal_hold(
        Bucket=settings().evidence_bucket, Key=media.object_key,
        **({"VersionId": media.version_id} if media.version_id else {}),
        LegalHold={"Status": "ON"})
    logger.info("report evidence %s is locked: the report is held", media.media_id)


def summary(media: Media) -> dict:
    """What the report keeps of a processed item. captured_at and gps are for officers
    only; views.py decides who sees what."""
    derivatives = media.derivatives
    if isinstance(derivatives, MapAttribute):
        derivatives = derivatives.as_dict()
    fields = {
        "status": media.status, "content_type": media.content_type,
        "sniffed_type": media.sniffed_type,
        "object_key": media.object_key, "created_at": iso(media.created_at),
        "kind": media.kind, "size": media.size, "sha256": media.sha256,
        "perceptual_hash": media.perceptual_hash,
        "version_id": media.version_id, "uploaded_at": iso(media.uploaded_at),
        "width": media.width, "height": media.height,
        "duration_seconds": media.duration_seconds, "derivatives": derivatives,
        "captured_at": media.captured_at, "gps": media.gps,
        "reject_reason": media.reject_reason,
        "processed_at": iso(media.processed_at),
    }
    return {name: value for name, value in fields.items() if value is not None}


def presigned_get(key: str, *, download_as: str | None = None,
                  version_id: str | None = None) -> str:
    """A GET URL valid for VIEW_URL_SECONDS; computed locally, no call to S3. With a
    version id, that version (an original as hashed), whatever was written since."""
    params = {"Bucket": settings().evidence_bucket, "Key": key}
    if version_id:
        params["VersionId"] = version_id
    if download_as:
        # Originals are untrusted bytes: download them, never render them in a page.
        params["ResponseContentDisposition"] = f'attachment; filename="{download_as}"'
    return s3_client(API_S3).generate_presigned_url("get_object", Params=params,
                                              ExpiresIn=VIEW_URL_SECONDS)

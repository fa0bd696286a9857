"""Report evidence: upload tickets, the worker's results kept on the report item, and
short-lived presigned GETs for what is in the bucket.

Each evidence item is a Media record (chalicelib.media) owned by "report#<id>". The
report item keeps a summary of each under `evidence.<evidence id>`, written pending
when the ticket is given out and replaced by the worker's result, so reading a report
with all its evidence is one GetItem.
"""

import logging

from pynamodb.attributes import MapAttribute
from pynamodb.exceptions import UpdateError

from chalicelib import clock
from chalicelib.clock import iso
from chalicelib.errors import Conflict, ErrorCode
from chalicelib.media import MediaStatus, owner_key, owners
from chalicelib.media.uploads import IMAGE_TYPES, VIDEO_TYPES, start_upload
from chalicelib.reports.bodies import EvidenceRequest, ReportStatus
from chalicelib.reports.store import find
from chalicelib.settings import settings
from chalicelib.storage import condition_failed, s3_client
from chalicelib.tables import Media, Report

logger = logging.getLogger(__name__)

MAX_EVIDENCE = 10
OWNER_TYPE = "report"
ACCEPTED_TYPES = {**IMAGE_TYPES, **VIDEO_TYPES}
OPEN_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.IN_REVIEW)
VIEW_URL_SECONDS = 300


def start(report: Report, request: EvidenceRequest) -> dict:
    """An upload ticket for one more evidence item on the (owner's) report.

    The slot is taken with a conditional update on the report's counter, so eleven
    concurrent requests cannot all pass; the loser's Media record is deleted and its
    ticket never handed out.
    """
    _check_takes_evidence(report)
    ticket = start_upload(OWNER_TYPE, report.report_id, request.content_type, request.size,
                          ACCEPTED_TYPES)
    evidence_id = ticket["media_id"]
    # .value: PynamoDB takes only plain types into a map it has no schema for.
    pending = {"status": MediaStatus.PENDING.value, "content_type": request.content_type,
               "object_key": ticket["upload"]["fields"]["key"],
               "created_at": iso(clock.now())}
    try:
        report.update(actions=[Report.evidence_count.add(1),
                               Report.evidence[evidence_id].set(pending)],
                      condition=(Report.evidence_count < MAX_EVIDENCE)
                      & Report.status.is_in(*OPEN_STATUSES))
    except UpdateError as error:
        if not condition_failed(error):
            raise
        Media(owner_key(OWNER_TYPE, report.report_id), evidence_id).delete()
        _check_takes_evidence(find(report.report_id))  # raises the reason it lost
        raise Conflict("The report changed meanwhile; try again.",
                       code=ErrorCode.REPORT_CHANGED) from None
    return {"evidence_id": evidence_id, "upload": ticket["upload"],
            "expires_in": ticket["expires_in"]}


def _check_takes_evidence(report: Report) -> None:
    if report.status not in OPEN_STATUSES:
        raise Conflict(f"The report is {report.status}; it takes no more evidence.",
                       code=ErrorCode.REPORT_CLOSED)
    if report.evidence_count >= MAX_EVIDENCE:
        raise Conflict(f"A report takes at most {MAX_EVIDENCE} evidence items.",
                       code=ErrorCode.EVIDENCE_LIMIT_REACHED)


@owners.register(OWNER_TYPE)
def on_media_processed(report_id: str, media: Media) -> None:
    """The evidence worker finished `media`: keep its summary on the report item.

    Idempotent (SQS may deliver twice): the summary is set whole, never added to. The
    condition that the item has a slot keeps a stray notification from creating a
    report item or an evidence entry beyond the cap.
    """
    if media.status not in (MediaStatus.READY, MediaStatus.REJECTED):
        raise ValueError(f"media {media.media_id} is {media.status}, not processed")
    try:
        Report(report_id).update(actions=[Report.evidence[media.media_id].set(summary(media))],
                                 condition=Report.evidence[media.media_id].exists())
    except UpdateError as error:
        if not condition_failed(error):
            raise
        logger.warning("report %s has no evidence slot %s; result not kept",
                       report_id, media.media_id)


def summary(media: Media) -> dict:
    """What the report keeps of a processed item. captured_at and gps are for officers
    only; views.py decides who sees what."""
    derivatives = media.derivatives
    if isinstance(derivatives, MapAttribute):
        derivatives = derivatives.as_dict()
    fields = {
        "status": media.status, "content_type": media.content_type,
        "object_key": media.object_key, "created_at": iso(media.created_at),
        "kind": media.kind, "size": media.size, "sha256": media.sha256,
        "width": media.width, "height": media.height,
        "duration_seconds": media.duration_seconds, "derivatives": derivatives,
        "captured_at": media.captured_at, "gps": media.gps,
        "reject_reason": media.reject_reason,
        "processed_at": iso(media.processed_at),
    }
    return {name: value for name, value in fields.items() if value is not None}


def presigned_get(key: str, *, download_as: str | None = None) -> str:
    """A GET URL valid for VIEW_URL_SECONDS; computed locally, no call to S3."""
    params = {"Bucket": settings().evidence_bucket, "Key": key}
    if download_as:
        # Originals are untrusted bytes: download them, never render them in a page.
        params["ResponseContentDisposition"] = f'attachment; filename="{download_as}"'
    return s3_client().generate_presigned_url("get_object", Params=params,
                                              ExpiresIn=VIEW_URL_SECONDS)

"""The evidence worker: what happens to each uploaded original.

For each S3 ObjectCreated under `uploads/` it finds the pending Media record, reads the
object once (size checked, type sniffed from the bytes, SHA-256 taken while streaming),
makes the derivatives, and ends the record `ready` or `rejected`, then tells the owner.

Failures split in two. A bad file is the uploader's: the record ends `rejected` with a
reason code and the message is consumed. Anything else (S3, DynamoDB, throttling)
raises, so SQS delivers the message again and in the end parks it in the dead-letter
queue. Originals are only ever read (IAM grants GetObject on `uploads/*`), and locked
when their report is under a legal hold (PutObjectLegalHold on `uploads/report/*`).

SQS may deliver a message twice and two workers may race: derivatives are written only
if absent (S3 conditional put), the record changes only while still `pending`, and a
delivery for a finished item writes nothing. It does tell the owner again, so a failed
notification is retried like any other failure; owners take notice idempotently.
"""

import contextlib
import hashlib
import io
import logging
import re
import tempfile

from botocore.exceptions import ClientError
from pynamodb.exceptions import UpdateError

from chalicelib import clock, observability, retention
from chalicelib.media import (
    DERIVATIVE_PREFIX,
    UPLOAD_PREFIX,
    MediaKind,
    MediaStatus,
    RejectReason,
    owner_key,
    owners,
    uploads,
)
from chalicelib.media.analysis import Analysis, Rejected
from chalicelib.media.images import analyze_image
from chalicelib.media.s3_events import CreatedObject
from chalicelib.media.sniff import SNIFF_BYTES, FileType, sniff
from chalicelib.media.videos import analyze_video
from chalicelib.settings import settings
from chalicelib.storage import ID_PATTERN, condition_failed, s3_client
from chalicelib.tables import Media

logger = logging.getLogger(__name__)

# What start_upload writes: uploads/<owner type>/<owner id>/<media id (uuid4 hex)>.
# Anything else was not made by us, and is neither read nor retried.
UPLOAD_KEY = re.compile(re.escape(UPLOAD_PREFIX) + r"(?P<owner_type>[a-z_]{1,32})/"
                        rf"(?P<owner_id>[A-Za-z0-9_-]{{1,128}})/(?P<media_id>{ID_PATTERN})")
CHUNK_BYTES = 1024 * 1024
# What a file that no decoder can read is, by the kind its bytes claim.
CORRUPT = {MediaKind.IMAGE: RejectReason.CORRUPT_IMAGE, MediaKind.VIDEO: RejectReason.CORRUPT_VIDEO}


def process_object(created: CreatedObject) -> None:
    media = _media_of(created)
    if media is None:
        return
    if media.status == MediaStatus.PENDING:
        _finish(media, **_examine(created.bucket, media, created.version_id))
    else:
        logger.info("media %s is already %s; nothing to redo", media.media_id, media.status)
    owners.notify(media)


def _media_of(created: CreatedObject) -> Media | None:
    """The Media record this object belongs to, or None (logged) for objects that are
    not ours. The key comes from an event, so it is shown with repr() in logs."""
    if created.bucket != settings().evidence_bucket:
        logger.warning("ignored an object in another bucket: %r", created.bucket)
        return None
    match = UPLOAD_KEY.fullmatch(created.key)
    if match is None:
        logger.warning("ignored an object outside the upload layout: %r", created.key)
        return None
    owner = owner_key(match["owner_type"], match["owner_id"])
    try:
        # Consistent: start_upload wrote the record just before the upload began.
        media = Media.get(owner, match["media_id"], consistent_read=True)
    except Media.DoesNotExist:
        logger.warning("ignored an object with no media record: %r", created.key)
        return None
    if media.object_key != created.key:
        logger.warning("ignored %r: its record is for %r", created.key, media.object_key)
        return None
    return media


def _examine(bucket: str, media: Media, version_id: str | None = None) -> dict:
    """The fields that finish the record: read, check and analyse the original once.

    The original is pinned: the record keeps the S3 VersionId of the very bytes hashed
    (the event's version; the emulator's events carry none, and then the version read),
    and officers' downloads serve that version. A later write to the same key (a reused
    upload URL) makes a new version that nothing reads: the record is no longer pending.
    """
    try:
        response = s3_client().get_object(Bucket=bucket, Key=media.object_key,
                                          **({"VersionId": version_id} if version_id else {}))
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "NoSuchVersion"):
            return {"reject_reason": RejectReason.MISSING}
        raise
    size = response["ContentLength"]
    pinned = {"version_id": response.get("VersionId"), "uploaded_at": response["LastModified"]}
    with contextlib.closing(response["Body"]) as body:
        # S3 refuses a presigned POST after its policy expired, but a multipart upload's
        # object is dated when it began (its parts' URLs expire, a completion may not).
        # The grace: a POST that began in time may finish a little after.
        if (media.upload_expires_at is not None and response["LastModified"]
                > media.upload_expires_at + uploads.UPLOAD_GRACE):
            return {"reject_reason": RejectReason.TICKET_EXPIRED, "size": size, **pinned}
        known = _examine_body(media, size, body)
        return {**known, **pinned}


def _examine_body(media: Media, size: int, body) -> dict:
    """Size, type and content checks of the bytes; the SHA-256 of all of them."""
    if size == 0:
        return {"reject_reason": RejectReason.EMPTY, "size": 0}
    if size > media.declared_size:
        return {"reject_reason": RejectReason.SIZE_MISMATCH, "size": size}
    head = body.read(SNIFF_BYTES)
    file_type = sniff(head)
    known = {"size": size, "kind": file_type.kind if file_type else None,
             "sniffed_type": file_type.content_type if file_type else None}
    if file_type is None:
        return {"reject_reason": RejectReason.NOT_AN_ALLOWED_TYPE, **known}
    if file_type.kind != media.content_type.split("/")[0]:
        return {"reject_reason": RejectReason.TYPE_MISMATCH, **known}
    if size > uploads.largest_size(file_type.content_type):
        return {"reject_reason": RejectReason.TOO_LARGE, **known}
    if file_type.kind == MediaKind.IMAGE:
        original = io.BytesIO()
        known["sha256"] = _copy(head, body, original)
        return {**known, **_analysed(media, file_type, original)}
    # Videos can be hundreds of MB: to local disk (Lambda's /tmp). The file has no
    # name, so it is gone when closed, even if a timeout kills the run.
    with tempfile.TemporaryFile(prefix="evidence-") as original:
        known["sha256"] = _copy(head, body, original)
        return {**known, **_analysed(media, file_type, original)}


def _copy(head: bytes, body, sink) -> str:
    """Streams the rest of the body into `sink`; the SHA-256 of all of it, in hex."""
    digest = hashlib.sha256(head)
    sink.write(head)
    for chunk in body.iter_chunks(CHUNK_BYTES):
        digest.update(chunk)
        sink.write(chunk)
    sink.seek(0)
    return digest.hexdigest()


def _analysed(media: Media, file_type: FileType, original) -> dict:
    """Analyses the downloaded original and stores its derivatives.

    Decoding touches only the local copy, so whatever a decoder raises is about the
    file (Pillow and FFmpeg raise many kinds of error on hostile input): the item is
    rejected, never retried. Storing the derivatives afterwards may raise, and retry.
    """
    try:
        if file_type.kind == MediaKind.IMAGE:
            analysis = analyze_image(original, file_type)
        else:
            analysis = analyze_video(original, file_type)
    except Rejected as rejected:
        logger.info("media %s rejected: %s", media.media_id, rejected.reason)
        return {"reject_reason": rejected.reason}
    except Exception:
        logger.warning("media %s rejected: its %s does not decode", media.media_id,
                       file_type.content_type, exc_info=True)
        return {"reject_reason": CORRUPT[file_type.kind]}
    return {"derivatives": _store_derivatives(media, analysis), **_described(analysis)}


def _described(analysis: Analysis) -> dict:
    return {"width": analysis.width, "height": analysis.height,
            "duration_seconds": analysis.duration_seconds,
            "captured_at": analysis.captured_at, "gps": analysis.gps,
            "perceptual_hash": analysis.perceptual_hash}


def _store_derivatives(media: Media, analysis: Analysis) -> dict[str, str]:
    folder = DERIVATIVE_PREFIX + media.object_key.removeprefix(UPLOAD_PREFIX)
    keys = {}
    for name, jpeg in analysis.derivatives.items():
        keys[name] = f"{folder}/{name}.jpg"
        _put_if_absent(keys[name], jpeg)
    return keys


def _put_if_absent(key: str, jpeg: bytes) -> None:
    try:
        s3_client().put_object(Bucket=settings().evidence_bucket, Key=key, Body=jpeg,
                               ContentType="image/jpeg", IfNoneMatch="*")
    except ClientError as error:
        if error.response["Error"]["Code"] != "PreconditionFailed":
            raise
        # An earlier delivery of this upload wrote it: the same original gives the same bytes.
        logger.info("derivative %r already written", key)


def _finish(media: Media, reject_reason: RejectReason | None = None, **fields) -> None:
    """Ends the record `ready` or `rejected`, unless another delivery already has."""
    fields = {"status": MediaStatus.REJECTED if reject_reason else MediaStatus.READY,
              "reject_reason": reject_reason, "processed_at": clock.now(), **fields}
    actions = [getattr(Media, name).set(value) for name, value in fields.items()
               if value is not None]
    # Retention: rejected evidence is purged some days from now; ready media go with
    # their report (or bulletin), so they leave the purge index.
    if reject_reason:
        actions += [Media.purge_queue.set(retention.DUE),
                    Media.purge_after.set(retention.failed_evidence_due(fields["processed_at"]))]
    else:
        actions += [Media.purge_queue.remove(), Media.purge_after.remove()]
    try:
        media.update(actions=actions, condition=Media.status == MediaStatus.PENDING)
    except UpdateError as error:
        if not condition_failed(error):
            raise
        logger.info("media %s was finished by another delivery", media.media_id)
        media.refresh(consistent_read=True)
        return
    logger.info("media %s is %s%s", media.media_id, media.status,
                f" ({reject_reason})" if reject_reason else "")
    # Counted by the delivery that finished the record, so a redelivery counts nothing.
    if reject_reason:
        observability.count(observability.Metric.EVIDENCE_REJECTED, reason=reject_reason)
    else:
        observability.count(observability.Metric.EVIDENCE_READY)

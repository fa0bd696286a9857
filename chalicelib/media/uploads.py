"""Presigned uploads: files go straight from the phone to S3, never through the API.

The POST policy pins the object key, the content type and a size range, so the
client cannot put anything else anywhere else. The worker still re-checks size and
type from the bytes, because the emulator does not enforce size ranges and a client
may lie about the type.

Files above MULTIPART_THRESHOLD_BYTES (where the owner allows it: report evidence) go
up as an S3 multipart upload instead, so an app that loses the network resumes from
the parts S3 already has rather than from zero: the answer is a plan of presigned
UploadPart URLs, `resume_plan` lists what S3 holds with fresh URLs for the rest, and
`complete` (which checks the total against the declared size) or `abort` ends it.
The bucket's lifecycle rule aborts multipart uploads still incomplete after a day.
"""

from datetime import timedelta

from chalicelib import clock, retention
from chalicelib.errors import ErrorCode, UnsupportedMediaType, ValidationFailed
from chalicelib.media import UPLOAD_PREFIX, owner_key
from chalicelib.settings import settings
from chalicelib.storage import API_S3, new_id, s3_client
from chalicelib.tables import Media

MB = 1024 * 1024
IMAGE_MAX_BYTES = 25 * MB
VIDEO_MAX_BYTES = 500 * MB
IMAGE_TYPES = {t: IMAGE_MAX_BYTES for t in
               ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")}
VIDEO_TYPES = {t: VIDEO_MAX_BYTES for t in ("video/mp4", "video/quicktime")}
# How a downloaded original of each type is named: "<evidence id>.<extension>".
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic",
              "image/heif": "heif", "video/mp4": "mp4", "video/quicktime": "mov"}
UPLOAD_URL_SECONDS = 900
# S3 checks a POST's policy when the request begins; a large file on a slow network may
# finish (and be dated) minutes after the policy expired. Uploads dated within this
# grace after their ticket's expiry are accepted; unused tickets free their slot after it.
UPLOAD_GRACE = timedelta(minutes=5)
# Multipart: videos from phones on mobile networks. 8 MiB parts (S3's least is 5 MiB),
# at most 63 for a 500 MiB video; a lost part costs 8 MiB again, not the whole file.
MULTIPART_THRESHOLD_BYTES = 32 * MB
PART_BYTES = 8 * MB
PART_URL_SECONDS = 3600               # fresh ones from resume_plan
MULTIPART_TICKET_SECONDS = 24 * 3600  # complete by then; the lifecycle rule aborts after 1 day


def start_upload(owner_type: str, owner_id: str, content_type: str, size: int,
                 accepted: dict[str, int], *, resumable: bool = False) -> dict:
    """Record a pending media item and return how to upload it: a presigned POST, or
    (resumable and above the threshold) a multipart plan.

    `accepted` maps each allowed content type to its largest size in bytes.
    """
    if content_type not in accepted:
        raise UnsupportedMediaType(f"content_type must be one of: {', '.join(sorted(accepted))}",
                                   field="content_type")
    if size < 1:
        raise ValidationFailed("size must be the file's size in bytes, at least 1.",
                               code=ErrorCode.INVALID_SIZE, field="size")
    if size > accepted[content_type]:
        raise ValidationFailed(f"size must be at most {accepted[content_type]} bytes for "
                               f"{content_type}", code=ErrorCode.FILE_TOO_LARGE, field="size")
    media_id = new_id()
    key = f"{UPLOAD_PREFIX}{owner_type}/{owner_id}/{media_id}"
    at = clock.now()
    multipart = resumable and size > MULTIPART_THRESHOLD_BYTES
    lifetime = MULTIPART_TICKET_SECONDS if multipart else UPLOAD_URL_SECONDS
    media = Media(owner_key(owner_type, owner_id), media_id, content_type=content_type,
                  declared_size=size, object_key=key, created_at=at,
                  upload_expires_at=(expires := at + timedelta(seconds=lifetime)),
                  # A ticket never used is purged some days after it expires; the worker
                  # moves or clears the date once the upload is processed.
                  purge_queue=retention.DUE, purge_after=retention.failed_evidence_due(expires))
    if multipart:
        media.upload_id = s3_client(API_S3).create_multipart_upload(
            Bucket=settings().evidence_bucket, Key=key, ContentType=content_type)["UploadId"]
        media.part_size = PART_BYTES
    media.save(condition=Media.media_id.does_not_exist())
    if multipart:
        upload = multipart_plan(media, {})
    else:
        post = s3_client(API_S3).generate_presigned_post(
            Bucket=settings().evidence_bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, size]],
            ExpiresIn=UPLOAD_URL_SECONDS,
        )
        upload = {"type": "post", "url": post["url"], "fields": post["fields"]}
    return {"media_id": media_id, "object_key": key, "upload": upload, "expires_in": lifetime}


def largest_size(content_type: str) -> int:
    """The most bytes a file of this (accepted) type may hold."""
    return {**IMAGE_TYPES, **VIDEO_TYPES}[content_type]


def part_count(media: Media) -> int:
    return -(-int(media.declared_size) // int(media.part_size))


def multipart_plan(media: Media, uploaded: dict[int, dict]) -> dict:
    """The plan of a multipart upload: a fresh presigned URL for each part S3 does not
    hold yet (computed locally, no call to S3)."""
    urls = [{"part_number": number, "url": s3_client(API_S3).generate_presigned_url(
                "upload_part", ExpiresIn=PART_URL_SECONDS, Params={
                    "Bucket": settings().evidence_bucket, "Key": media.object_key,
                    "UploadId": media.upload_id, "PartNumber": number})}
            for number in range(1, part_count(media) + 1) if number not in uploaded]
    return {"type": "multipart", "upload_id": media.upload_id,
            "part_size": int(media.part_size), "parts": urls,
            "urls_expire_in": PART_URL_SECONDS}


def uploaded_parts(media: Media) -> dict[int, dict]:
    """The parts S3 holds: part number → {etag, size}. One ListParts call per 1,000."""
    parts, marker = {}, 0
    while True:
        listed = s3_client(API_S3).list_parts(Bucket=settings().evidence_bucket,
                                        Key=media.object_key, UploadId=media.upload_id,
                                        PartNumberMarker=marker)
        for part in listed.get("Parts", []):
            parts[part["PartNumber"]] = {"etag": part["ETag"], "size": part["Size"]}
        if not listed.get("IsTruncated"):
            return parts
        marker = listed["NextPartNumberMarker"]


def complete_multipart(media: Media, parts: list[tuple[int, str]]) -> int:
    """Completes the upload from the client's (part number, ETag) list, refusing a
    total above the declared size (which the type's limit bounds); returns the size."""
    held = uploaded_parts(media)
    numbers = [number for number, _ in parts]
    if numbers != sorted(set(numbers)) or not numbers or numbers[-1] > part_count(media):
        raise ValidationFailed(f"parts must be distinct part numbers from 1 to "
                               f"{part_count(media)}, ascending",
                               code=ErrorCode.INVALID_PARTS, field="parts")
    for number, etag in parts:
        if number not in held or held[number]["etag"].strip('"') != etag.strip('"'):
            raise ValidationFailed(f"part {number} is not in S3 with that etag; list the "
                                   "upload and send what it holds",
                                   code=ErrorCode.INVALID_PARTS, field="parts")
    total = sum(held[number]["size"] for number in numbers)
    if total > media.declared_size:
        declared = int(media.declared_size)
        raise ValidationFailed(f"the parts hold {total} bytes, more than the {declared} "
                               f"declared (a {media.content_type} may be at most "
                               f"{largest_size(media.content_type)})",
                               code=ErrorCode.UPLOAD_TOO_LARGE, field="parts")
    # If-None-Match: a completion never replaces an object already at the key (S3's
    # conditional write; the emulator ignores it).
    s3_client(API_S3).complete_multipart_upload(
        Bucket=settings().evidence_bucket, Key=media.object_key, UploadId=media.upload_id,
        IfNoneMatch="*",
        MultipartUpload={"Parts": [{"PartNumber": number, "ETag": held[number]["etag"]}
                                   for number in numbers]})
    return total


def abort_multipart(media: Media) -> None:
    s3_client(API_S3).abort_multipart_upload(Bucket=settings().evidence_bucket,
                                       Key=media.object_key, UploadId=media.upload_id)

"""Presigned uploads: files go straight from the phone to S3, never through the API.

The POST policy pins the object key, the content type and a size range, so the
client cannot put anything else anywhere else. The worker still re-checks size and
type from the bytes, because the emulator does not enforce size ranges and a client
may lie about the type.
"""

from chalicelib import clock
from chalicelib.errors import ErrorCode, UnsupportedMediaType, ValidationFailed
from chalicelib.media import UPLOAD_PREFIX, owner_key
from chalicelib.settings import settings
from chalicelib.storage import new_id, s3_client
from chalicelib.tables import Media

MB = 1024 * 1024
IMAGE_MAX_BYTES = 25 * MB
VIDEO_MAX_BYTES = 500 * MB
IMAGE_TYPES = {t: IMAGE_MAX_BYTES for t in
               ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")}
VIDEO_TYPES = {t: VIDEO_MAX_BYTES for t in ("video/mp4", "video/quicktime")}
UPLOAD_URL_SECONDS = 900


def start_upload(owner_type: str, owner_id: str, content_type: str, size: int,
                 accepted: dict[str, int]) -> dict:
    """Record a pending media item and return the presigned POST that uploads it.

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
    Media(owner_key(owner_type, owner_id), media_id, content_type=content_type, declared_size=size,
          object_key=key, created_at=clock.now()).save(
        condition=Media.media_id.does_not_exist())
    post = s3_client().generate_presigned_post(
        Bucket=settings().evidence_bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, size]],
        ExpiresIn=UPLOAD_URL_SECONDS,
    )
    return {"media_id": media_id,
            "upload": {"url": post["url"], "fields": post["fields"]},
            "expires_in": UPLOAD_URL_SECONDS}

"""Uploaded media: presigned uploads, S3 event parsing and the evidence worker.

Object keys: originals under `uploads/<owner type>/<owner id>/<media id>`, derivatives
under `derivatives/…`. Only `uploads/` notifies the queue, so writing a derivative
never triggers processing again.
"""

from enum import StrEnum

UPLOAD_PREFIX = "uploads/"
DERIVATIVE_PREFIX = "derivatives/"


def owner_key(owner_type: str, owner_id: str) -> str:
    """Media.owner: whose item it is ("report#<id>"), the partition of its records."""
    return f"{owner_type}#{owner_id}"


class MediaKind(StrEnum):
    """What a file is, as the top level of its content type says."""

    IMAGE = "image"
    VIDEO = "video"


class MediaStatus(StrEnum):
    """Where an uploaded item (a report's evidence, a bulletin's image) stands."""

    PENDING = "pending"     # a ticket was handed out; the worker has not finished it
    READY = "ready"         # checked, with its derivatives
    REJECTED = "rejected"   # refused, for a RejectReason


class RejectReason(StrEnum):
    """Why the worker refused a file. Shown to the uploader, so each is about the file."""

    MISSING = "missing"                          # nothing was uploaded under the key
    EMPTY = "empty"
    SIZE_MISMATCH = "size_mismatch"              # larger than the size declared
    NOT_AN_ALLOWED_TYPE = "not_an_allowed_type"  # the bytes are no image or video we take
    TYPE_MISMATCH = "type_mismatch"              # an image declared as a video, or back
    TOO_LARGE = "too_large"
    DECOMPRESSION_BOMB = "decompression_bomb"
    TRUNCATED = "truncated"
    CORRUPT_IMAGE = "corrupt_image"
    CORRUPT_VIDEO = "corrupt_video"
    NO_VIDEO_STREAM = "no_video_stream"

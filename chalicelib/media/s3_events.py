"""Reads S3 ObjectCreated notifications out of SQS message bodies."""

import json
from urllib.parse import unquote_plus

import msgspec


class MalformedEvent(ValueError):
    """The message is not an S3 notification. Raising sends it, after its retries,
    to the dead-letter queue where ops can read it."""


class CreatedObject(msgspec.Struct, frozen=True):
    bucket: str
    key: str
    size: int
    version_id: str | None = None  # set by S3 for a versioned bucket (not by the emulator)


def created_objects(message_body: str) -> list[CreatedObject]:
    """The objects an S3 notification announces; none for S3's `s3:TestEvent`."""
    try:
        notification = json.loads(message_body)
    except (TypeError, ValueError) as error:
        raise MalformedEvent(f"message body is not JSON: {error}") from None
    if not isinstance(notification, dict):
        raise MalformedEvent("message body is not a JSON object")
    if notification.get("Event") == "s3:TestEvent":
        return []
    records = notification.get("Records")
    if not isinstance(records, list):
        raise MalformedEvent("message has no S3 Records")
    return [_created_object(record) for record in records
            if isinstance(record, dict) and record.get("eventName", "").startswith("ObjectCreated")]


def _created_object(record: dict) -> CreatedObject:
    try:
        s3 = record["s3"]
        # S3 URL-encodes keys in notifications, with '+' for spaces.
        return CreatedObject(bucket=s3["bucket"]["name"], key=unquote_plus(s3["object"]["key"]),
                             size=int(s3["object"].get("size", 0)),
                             version_id=s3["object"].get("versionId") or None)
    except (KeyError, TypeError, ValueError) as error:
        raise MalformedEvent(f"S3 record without bucket or key: {error!r}") from None

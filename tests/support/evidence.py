"""Evidence as the tests make it: a phone's photo, a presigned POST to the emulator's
bucket, as a phone sends it, and the Media record of a report as the worker leaves it."""

import io
from datetime import UTC, datetime, timedelta

import boto3
import requests
from PIL import Image

from chalicelib.tables import Media, Report

JPEG = {"content_type": "image/jpeg", "size": 2048}


def jpeg_with_gps(width: int = 1600, height: int = 1200) -> bytes:
    """A phone's photo: rotated by EXIF, with GPS and a comment that must not survive."""
    image = Image.new("RGB", (width, height), (200, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = 6                                            # orientation: rotate 90°
    exif.get_ifd(0x8825).update({1: "N", 2: (39.0, 54.0, 0.0), 3: "E", 4: (116.0, 23.0, 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"home address in the comment")
    return out.getvalue()


def processed(report_id: str, evidence_id: str, status: str = "ready", **fields) -> Media:
    """The Media record as the worker leaves it."""
    media = Media.get(f"report#{report_id}", evidence_id)
    media.status = status
    media.processed_at = datetime.now(UTC)
    if status == "ready":
        base = f"derivatives/report/{report_id}/{evidence_id}"
        defaults = dict(kind="image", size=2048, sha256="ab" * 32, width=4000, height=3000,
                        derivatives={"large": f"{base}/large.jpg", "thumb": f"{base}/thumb.jpg"},
                        captured_at="2026-11-01T09:15:00Z", gps={"lat": 39.92, "lon": 116.44})
    else:
        defaults = dict(reject_reason="not_an_allowed_type")
    for name, value in {**defaults, **fields}.items():
        setattr(media, name, value)
    media.save()
    return media


def upload(ticket: dict, content: bytes, content_type: str) -> None:
    posted = requests.post(ticket["url"], data=ticket["fields"],
                           files={"file": ("upload", content, content_type)}, timeout=10)
    assert posted.status_code == 204, posted.text


def age_ticket(report_id: str, evidence_id: str, by: timedelta) -> None:
    """Move a ticket's expiry into the past, on the report and its Media record."""
    report = Report.get(report_id)
    entry = report.evidence.as_dict()[evidence_id]
    expires_at = datetime.fromisoformat(entry["upload_expires_at"]) - by
    report.update(actions=[Report.evidence[evidence_id]["upload_expires_at"].set(
        expires_at.isoformat().replace("+00:00", "Z"))])
    media = Media.get(f"report#{report_id}", evidence_id)
    media.update(actions=[Media.upload_expires_at.set(expires_at)])


def queue_is_idle(queue_url: str) -> bool:
    """Nothing waiting in the evidence queue and nothing in flight: uploads an earlier
    test left behind are processed (and counted) by now."""
    counts = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages",
                                            "ApproximateNumberOfMessagesNotVisible"])
    return not any(int(count) for count in counts["Attributes"].values())

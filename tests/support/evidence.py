"""Evidence as the tests make it: a presigned POST to the emulator's bucket, as a phone
sends it, and the Media record of a report as the worker leaves it."""

from datetime import UTC, datetime

import requests

from chalicelib.tables import Media

JPEG = {"content_type": "image/jpeg", "size": 2048}


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

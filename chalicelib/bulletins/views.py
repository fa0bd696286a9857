"""What readers see of a bulletin: its public JSON, with short-lived image URLs, and the
cache validator that goes with it.

Image URLs are presigned GETs for the derivatives (computed locally, no AWS call), so
they differ on every request. The ETag therefore comes from the bulletin's stored
version, not from the response bytes, plus the current validator window: a client
revalidating within the window gets a 304 and keeps the URLs it was given, which were
minted at most one window ago. Those URLs must outlive the window plus the max-age the
client may still serve its copy for, hence IMAGE_URL_SECONDS > WINDOW + MAX_AGE.
"""

import hashlib

from chalicelib import clock
from chalicelib.bulletins.fields import BulletinStatus
from chalicelib.clock import iso
from chalicelib.settings import settings
from chalicelib.storage import s3_client
from chalicelib.tables import Bulletin

MAX_AGE_SECONDS = 30
VALIDATOR_WINDOW_SECONDS = 15 * 60
IMAGE_URL_SECONDS = 60 * 60


def draft_fields(bulletin: Bulletin) -> dict:
    """The bulletin as the officer's draft: the fields POST takes and PATCH changes."""
    return {"category": bulletin.category, "title": bulletin.title, "body": bulletin.body,
            "district": bulletin.district, "contact": bulletin.contact,
            "expires_at": iso(bulletin.expires_at), **bulletin.details}


def bulletin_view(bulletin: Bulletin, *, summary: bool = False) -> dict:
    """The public JSON. A summary (for listings) leaves out the body and gives only the
    first image's thumbnail."""
    view = {"id": bulletin.bulletin_id, "status": bulletin.status, **draft_fields(bulletin),
            "outcome": bulletin.outcome, "note": bulletin.note, "reason": bulletin.reason,
            "published_at": iso(bulletin.published_at), "updated_at": iso(bulletin.updated_at),
            "closed_at": iso(bulletin.closed_at)}
    images = _listed_images(bulletin)
    if summary:
        del view["body"]
        view["thumb_url"] = _url(images[0][1]["thumb"]) if images else None
    else:
        view["images"] = [{"media_id": media_id, "width": image.get("width"),
                           "height": image.get("height"), "thumb_url": _url(image["thumb"]),
                           "large_url": _url(image["large"])} for media_id, image in images]
    return view


def _listed_images(bulletin: Bulletin) -> list[tuple[str, dict]]:
    # A retracted bulletin may have been wrong about the person or car it shows, so its
    # images are no longer handed out.
    if bulletin.status == BulletinStatus.RETRACTED:
        return []
    images = bulletin.images.as_dict() if bulletin.images else {}
    return sorted(images.items(), key=lambda item: (item[1]["added_at"], item[0]))


def _url(key: str) -> str:
    return s3_client().generate_presigned_url(
        "get_object", Params={"Bucket": settings().evidence_bucket, "Key": key},
        ExpiresIn=IMAGE_URL_SECONDS)


def etag(*versions: object) -> str:
    """A strong validator for a representation built from these stored versions."""
    window = int(clock.epoch()) // VALIDATOR_WINDOW_SECONDS
    digest = hashlib.sha256(repr((versions, window)).encode()).hexdigest()[:32]
    return f'"{digest}"'

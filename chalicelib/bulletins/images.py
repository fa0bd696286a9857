"""A bulletin's images: the upload ticket an officer asks for, the ready image the
evidence worker reports, embedded in the bulletin so a read needs nothing else, and the
uploads as the worker left them (ready, pending or refused with its reason), for
officers."""

import logging

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import size

from chalicelib import audit, clock
from chalicelib.audit import AuditAction
from chalicelib.bulletins.store import audit_target, read, refuse_if_closed
from chalicelib.clock import iso
from chalicelib.errors import Conflict, ErrorCode, NotFound
from chalicelib.media import MediaStatus, owner_key, owners
from chalicelib.media.uploads import IMAGE_TYPES, start_upload
from chalicelib.pagination import Page, query_page
from chalicelib.storage import condition_failed, is_id
from chalicelib.tables import Bulletin, Media
from chalicelib.tokens import Principal

logger = logging.getLogger(__name__)

MAX_IMAGES = 10
OWNER_TYPE = "bulletin"


def start_image_upload(officer: Principal, bulletin_id: str, content_type: str,
                       size_bytes: int) -> dict:
    """A presigned POST for one image. The evidence worker processes the upload and
    calls on_media_processed; only then is the image listed."""
    bulletin = read(bulletin_id)
    refuse_if_closed(bulletin)
    if _image_count(bulletin) >= MAX_IMAGES:
        raise Conflict(f"A bulletin shows at most {MAX_IMAGES} images.",
                       code=ErrorCode.TOO_MANY_IMAGES)
    ticket = start_upload(OWNER_TYPE, bulletin_id, content_type, size_bytes, IMAGE_TYPES)
    audit.record(officer, AuditAction.BULLETIN_IMAGE_UPLOAD, audit_target(bulletin_id),
                 {"media_id": ticket["media_id"], "content_type": content_type})
    return {"media_id": ticket["media_id"], "upload": ticket["upload"],
            "expires_in": ticket["expires_in"]}


@owners.register(OWNER_TYPE)
def on_media_processed(bulletin_id: str, media: Media) -> None:
    """Called by the evidence worker (via chalicelib.media.owners) when it has finished
    an image of this bulletin. A ready image joins the bulletin's images with one
    conditional update, which adds it once however often SQS delivers the job, and
    never past MAX_IMAGES; a rejected one is never listed."""
    if media.status != MediaStatus.READY:
        return
    derivatives = media.derivatives.as_dict() if media.derivatives else {}
    if not {"large", "thumb"} <= derivatives.keys():
        logger.error("bulletin %s image %s is ready without derivatives", bulletin_id,
                     media.media_id)
        return
    image = {"large": derivatives["large"], "thumb": derivatives["thumb"],
             "added_at": clock.now().isoformat()}
    image.update({name: int(value) for name in ("width", "height")
                  if (value := getattr(media, name)) is not None})
    try:
        Bulletin(bulletin_id).update(
            actions=[Bulletin.images[media.media_id].set(image), Bulletin.version.add(1),
                     Bulletin.updated_at.set(clock.now())],
            condition=(Bulletin.bulletin_id.exists()
                       & Bulletin.images[media.media_id].does_not_exist()
                       & (size(Bulletin.images) < MAX_IMAGES)))
    except UpdateError as error:
        if not condition_failed(error):
            raise
        # Already listed (a redelivered job), the bulletin is full, or it is gone.
        logger.info("bulletin %s image %s not added: already there, full or no bulletin",
                    bulletin_id, media.media_id)


def image_status(bulletin_id: str, media_id: str) -> dict:
    """What the worker made of one uploaded image: pending, ready, or rejected with its
    reason. One GetItem of the Media record; an image this bulletin never asked for is
    a 404."""
    media = None
    if is_id(media_id):
        try:
            media = Media.get(f"{OWNER_TYPE}#{bulletin_id}", media_id, consistent_read=True)
        except Media.DoesNotExist:
            media = None
    if media is None:
        raise NotFound("This bulletin has no such image upload.", code=ErrorCode.NOT_FOUND)
    return _upload(media)


def _image_count(bulletin: Bulletin) -> int:
    return len(bulletin.images.as_dict()) if bulletin.images else 0


def uploads_page(bulletin_id: str, limit: int, cursor: str | None) -> Page:
    """The bulletin's uploads, whatever became of them: one Query on the bulletin's media
    partition. A refused upload is never listed in the bulletin, so this is where an
    officer learns why."""
    read(bulletin_id)
    page = query_page(Media, owner_key(OWNER_TYPE, bulletin_id), limit=limit, cursor=cursor,
                      newest_first=False)
    return Page([_upload(media) for media in page.items], page.next_cursor)


def _upload(media: Media) -> dict:
    return {"media_id": media.media_id, "status": media.status,
            "reject_reason": media.reject_reason, "content_type": media.content_type,
            "created_at": iso(media.created_at), "processed_at": iso(media.processed_at)}

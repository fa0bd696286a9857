"""Bulletins: officers publish, edit, resolve and retract them; everyone reads them.

Lifecycle: published → resolved (with an outcome) or retracted (with a public reason).
Both are final: a closed bulletin still opens by its id and shows how it ended, but is
no longer edited. A change reads the bulletin (one GetItem), then writes it on
condition that its version is still the one read, so of two concurrent changes exactly
one wins and the other is told to reload (409). Every change goes to the audit trail.

Reads are one GetItem (by id) or one Query (a listing page; see listing.py). Ready
images are embedded in the bulletin by the evidence worker (on_media_processed), so a
read never fetches media records.
"""

import logging
import re
import uuid
from datetime import UTC, datetime

import msgspec
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import size

from chalicelib import audit, observability
from chalicelib.bulletins.fields import (
    COMMON_FIELDS,
    BulletinDraft,
    LifecycleMove,
    MissingPerson,
    Resolve,
)
from chalicelib.bulletins.listing import is_expired, listing_index, listing_keys, published_key
from chalicelib.bulletins.views import draft_fields
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.media.uploads import IMAGE_TYPES, start_upload
from chalicelib.pagination import Page, query_page
from chalicelib.tables import Bulletin, Media
from chalicelib.tokens import Principal

logger = logging.getLogger(__name__)

MAX_IMAGES = 10
_BULLETIN_ID = re.compile(r"[0-9a-f]{32}")


def now() -> datetime:
    return datetime.now(UTC)


def publish(officer: Principal, draft: BulletinDraft) -> Bulletin:
    """Publish a bulletin. A retried publish (same Idempotency-Key) never reaches here:
    the route layer answers it (chalicelib/api/idempotency.py)."""
    _check(draft, expiry_given=True)
    bulletin_id = uuid.uuid4().hex
    at = now()
    bulletin = Bulletin(
        bulletin_id, status="published", version=1, published_at=at, updated_at=at,
        created_by=officer.user_id, updated_by=officer.user_id,
        published_key=published_key(at, bulletin_id), **_stored(draft),
        **listing_keys("published", draft.__struct_config__.tag, draft.district))
    bulletin.save(condition=Bulletin.bulletin_id.does_not_exist())
    audit.record(officer, "bulletin.publish", _target(bulletin_id),
                 {"category": bulletin.category})
    logger.info("bulletin published", extra={"bulletin_id": bulletin_id,
                                             "category": bulletin.category})
    observability.count(observability.Metric.BULLETINS_PUBLISHED)
    return bulletin


def read(bulletin_id: str) -> Bulletin:
    """One GetItem. Resolved, retracted and expired bulletins open too."""
    if not _BULLETIN_ID.fullmatch(bulletin_id):
        raise NotFound("No bulletin has this id.")
    try:
        return Bulletin.get(bulletin_id)
    except Bulletin.DoesNotExist:
        raise NotFound("No bulletin has this id.") from None


def list_page(*, status: str, category: str | None, district: str | None,
              include_expired: bool, limit: int, cursor: str | None) -> Page:
    """One page of a listing, newest first: one Query. Expired bulletins are dropped
    from the published listing unless asked for (see listing.py on short pages)."""
    index, partition = listing_index(status, category, district)
    page = query_page(index, partition, limit=limit, cursor=cursor)
    if status != "published" or include_expired:
        return page
    at = now()
    return Page([bulletin for bulletin in page.items if not is_expired(bulletin, at)],
                page.next_cursor)


def edited_draft(current: Bulletin, changes: dict) -> dict:
    """PATCH without `status` edits: the named fields over the current draft. The
    result is validated whole (as BulletinDraft), as if published anew."""
    _refuse_if_closed(current)
    if not changes:
        raise ValidationFailed("Name at least one field to change.")
    if changes.get("category", current.category) != current.category:
        raise ValidationFailed("A bulletin's category cannot change; retract it and publish "
                               "a new one.", field="category")
    return {**draft_fields(current), **changes}


def edit(officer: Principal, current: Bulletin, draft: BulletinDraft,
         changed: set[str]) -> Bulletin:
    _refuse_if_closed(current)
    _check(draft, expiry_given="expires_at" in changed)
    stored = _stored(draft)
    if all(getattr(current, name) == value for name, value in stored.items()):
        return current  # a repeat of an edit already made
    _write(officer, current, stored | listing_keys(current.status, current.category,
                                                   draft.district))
    audit.record(officer, "bulletin.edit", _target(current.bulletin_id),
                 {"fields": sorted(changed)})
    return current


def close(officer: Principal, current: Bulletin, move: LifecycleMove) -> Bulletin:
    """Resolve or retract a published bulletin. Repeating the very same move answers
    with the bulletin as it is; any other move of a closed bulletin is a 409."""
    status = move.__struct_config__.tag
    if isinstance(move, Resolve):
        closing = {"outcome": move.outcome, "note": move.note}
        action, details = "bulletin.resolve", {"outcome": move.outcome}
    else:
        closing = {"reason": move.reason}
        action, details = "bulletin.retract", {"reason": move.reason}
    if current.status == status and all(getattr(current, name) == value
                                        for name, value in closing.items()):
        return current
    _refuse_if_closed(current)
    at = now()
    _write(officer, current, {"status": status, "closed_at": at, "updated_at": at, **closing,
                              **listing_keys(status, current.category, current.district)})
    audit.record(officer, action, _target(current.bulletin_id), details)
    return current


def start_image_upload(officer: Principal, bulletin_id: str, content_type: str,
                       size_bytes: int) -> dict:
    """A presigned POST for one image. The evidence worker processes the upload and
    calls on_media_processed; only then is the image listed."""
    bulletin = read(bulletin_id)
    _refuse_if_closed(bulletin)
    if _image_count(bulletin) >= MAX_IMAGES:
        raise Conflict(f"A bulletin shows at most {MAX_IMAGES} images.", code="too_many_images")
    ticket = start_upload("bulletin", bulletin_id, content_type, size_bytes, IMAGE_TYPES)
    audit.record(officer, "bulletin.image_upload", _target(bulletin_id),
                 {"media_id": ticket["media_id"], "content_type": content_type})
    return {"media_id": ticket["media_id"], "upload": ticket["upload"],
            "expires_in": ticket["expires_in"]}


def on_media_processed(bulletin_id: str, media: Media) -> None:
    """Called by the evidence worker (via chalicelib.media.owners) when it has finished
    an image of this bulletin. A ready image joins the bulletin's images with one
    conditional update, which adds it once however often SQS delivers the job, and
    never past MAX_IMAGES; a rejected one is never listed."""
    if media.status != "ready":
        return
    derivatives = media.derivatives.as_dict() if media.derivatives else {}
    if not {"large", "thumb"} <= derivatives.keys():
        logger.error("bulletin %s image %s is ready without derivatives", bulletin_id,
                     media.media_id)
        return
    image = {"large": derivatives["large"], "thumb": derivatives["thumb"],
             "added_at": now().isoformat()}
    image.update({name: int(value) for name in ("width", "height")
                  if (value := getattr(media, name)) is not None})
    try:
        Bulletin(bulletin_id).update(
            actions=[Bulletin.images[media.media_id].set(image), Bulletin.version.add(1),
                     Bulletin.updated_at.set(now())],
            condition=(Bulletin.bulletin_id.exists()
                       & Bulletin.images[media.media_id].does_not_exist()
                       & (size(Bulletin.images) < MAX_IMAGES)))
    except UpdateError as error:
        if not _condition_failed(error):
            raise
        # Already listed (a redelivered job), the bulletin is full, or it is gone.
        logger.info("bulletin %s image %s not added: already there, full or no bulletin",
                    bulletin_id, media.media_id)


def _check(draft: BulletinDraft, *, expiry_given: bool) -> None:
    """The rules a single field's type cannot say."""
    if isinstance(draft, MissingPerson) and draft.age is None and draft.date_of_birth is None:
        raise ValidationFailed("A missing person needs an age or a date_of_birth.", field="age")
    if expiry_given and draft.expires_at is not None and draft.expires_at <= now():
        raise ValidationFailed("expires_at must be in the future.", field="expires_at")


def _stored(draft: BulletinDraft) -> dict:
    """The draft as Bulletin attributes: common fields as columns, the category's own
    fields as `details`; times in UTC."""
    in_utc = msgspec.structs.replace(draft, **{
        name: value.astimezone(UTC) for name, value in msgspec.structs.asdict(draft).items()
        if isinstance(value, datetime)})
    details = msgspec.to_builtins(in_utc)
    common = {name: details.pop(name) for name in COMMON_FIELDS}
    common["expires_at"] = in_utc.expires_at
    return {"category": details.pop("category"), **common, "details": details}


def _write(officer: Principal, current: Bulletin, values: dict) -> None:
    """Set these attributes if nobody changed the bulletin since it was read; on
    success `current` holds the new state."""
    values = {"updated_at": now(), **values, "updated_by": officer.user_id}
    actions = [getattr(Bulletin, name).remove() if value is None
               else getattr(Bulletin, name).set(value) for name, value in values.items()]
    try:
        current.update(actions + [Bulletin.version.add(1)],
                       condition=Bulletin.version == current.version)
    except UpdateError as error:
        if not _condition_failed(error):
            raise
        raise Conflict("The bulletin changed while you were changing it; reload it and try "
                       "again.", code="edit_conflict") from None


def _refuse_if_closed(bulletin: Bulletin) -> None:
    if bulletin.status != "published":
        raise Conflict(f"The bulletin is {bulletin.status}; it can no longer change.",
                       code="bulletin_closed")


def _image_count(bulletin: Bulletin) -> int:
    return len(bulletin.images.as_dict()) if bulletin.images else 0


def _condition_failed(error: UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


def _target(bulletin_id: str) -> str:
    return f"bulletin#{bulletin_id}"

"""Bulletins: the five police categories, published by officers and read by everyone.

Public reads send an ETag and Cache-Control, and answer If-None-Match with 304 (see
chalicelib/bulletins/views.py for why the ETag is not a hash of the body). A publish
with an Idempotency-Key that was already used answers what the first attempt answered
(chalicelib/api/idempotency.py), as every creating route does.
"""

from typing import Annotated, Any, Literal

import msgspec
from chalice import Response

from chalicelib import bulletins, clock
from chalicelib.api import places
from chalicelib.api import responses as r
from chalicelib.api.bodies import convert_body
from chalicelib.api.caching import CACHED, CONDITIONAL, cached, json_answer
from chalicelib.api.routes import ANYONE, STAFF, Blueprint, Paging
from chalicelib.bulletins import images, nearby
from chalicelib.bulletins.fields import (
    BulletinCategory,
    BulletinDraft,
    BulletinStatus,
    District,
    ImageUploadRequest,
    LifecycleMove,
)
from chalicelib.bulletins.views import MAX_AGE_SECONDS, bulletin_view, etag
from chalicelib.errors import ErrorCode, ValidationFailed

bp = Blueprint(__name__)

# A PATCH body is either a lifecycle move or an edit: some fields of the bulletin's
# draft, validated whole once merged with the stored bulletin.
BULLETIN_EDIT = {"type": "object", "minProperties": 1, "not": {"required": ["status"]},
                 "description": "Fields of the bulletin's draft (see the drafts) to change."}


class BulletinQuery(Paging, kw_only=True):
    # The enumeration's values, not the enum: query parameters are documented inline.
    status: Literal[tuple(status.value for status in BulletinStatus)] = (
        BulletinStatus.PUBLISHED.value)
    category: BulletinCategory | None = None
    district: District | None = None
    include_expired: bool = False
    near: places.NearPoint | None = None
    radius_m: Annotated[int, msgspec.Meta(ge=1, le=nearby.MAX_RADIUS_M, description=(
        f"With near: metres around the point, at most {nearby.MAX_RADIUS_M}"))] | None = None


PUBLIC = f"public, max-age={MAX_AGE_SECONDS}"
DEFAULT_RADIUS_M = 2_000
NEAR_RULES = {**places.RULES, ErrorCode.NEAR_REQUIRED: "radius_m comes with near",
              ErrorCode.INVALID_CURSOR: "a search near a place is one page: no cursor"}


@bp.route("/bulletins", methods=["GET"], allow=ANYONE, query=BulletinQuery,
          request_headers=CONDITIONAL, answer=r.BulletinPage,
          more={304: None}, headers=CACHED, rules=NEAR_RULES,
          summary="Bulletins, newest first, or near a place")
def list_bulletins(request):
    """Newest first; with `near=LAT,LON` (and `radius_m`, default 2 km) the bulletins
    with a place within the radius instead, nearest first with their `distance_m`, in
    one page of up to `limit` (no cursor). Answers near a point are not cached on the
    way: the point must not be stored anywhere."""
    query = request.query
    if query.near is not None:
        return _near(request, query)
    if query.radius_m is not None:
        raise ValidationFailed("radius_m goes with near.", code=ErrorCode.NEAR_REQUIRED,
                               field="radius_m")
    page = bulletins.list_page(status=query.status, category=query.category,
                               district=query.district, include_expired=query.include_expired,
                               limit=query.limit, cursor=query.cursor)
    versions = [(bulletin.bulletin_id, bulletin.version) for bulletin in page.items]
    return cached(request, etag(page.next_cursor, versions),
                  lambda: {"items": [bulletin_view(b, summary=True) for b in page.items],
                           "next_cursor": page.next_cursor}, PUBLIC)


@bp.route("/bulletins/{bulletin_id}", methods=["GET"], allow=ANYONE,
          request_headers=CONDITIONAL, answer=r.Bulletin,
          more={304: None}, headers=CACHED, summary="One bulletin")
def get_bulletin(request, bulletin_id):
    bulletin = bulletins.read(bulletin_id)
    return cached(request, etag(bulletin.bulletin_id, bulletin.version),
                  lambda: bulletin_view(bulletin), PUBLIC)


@bp.route("/bulletins", methods=["POST"], allow=STAFF, body=BulletinDraft, ok=201,
          answer=r.Bulletin, errors=(409, 429), rules=bulletins.RULES, idempotent=True,
          summary="Publish (officers)")
def publish_bulletin(request):
    return json_answer(bulletin_view(bulletins.publish(request.caller, request.body)), 201)


@bp.route("/bulletins/{bulletin_id}", methods=["PATCH"], allow=STAFF, body=dict[str, Any],
          body_schema=(LifecycleMove, BULLETIN_EDIT), answer=r.Bulletin, errors=(409, 429),
          rules=bulletins.RULES, summary="Edit, resolve or retract (officers)")
def change_bulletin(request, bulletin_id):
    changes = request.body
    current = bulletins.read(bulletin_id)
    if "status" in changes:
        bulletin = bulletins.close(request.caller, current, convert_body(changes, LifecycleMove))
    else:
        draft = convert_body(bulletins.edited_draft(current, changes), BulletinDraft)
        bulletin = bulletins.edit(request.caller, current, draft, changed=set(changes))
    return json_answer(bulletin_view(bulletin))


@bp.route("/bulletins/{bulletin_id}/images", methods=["POST"], allow=STAFF,
          body=ImageUploadRequest, ok=201, answer=r.ImageTicket, errors=(409,),
          idempotent=True, summary="Upload an image (officers)")
def start_image_upload(request, bulletin_id):
    return bulletins.start_image_upload(request.caller, bulletin_id, request.body.content_type,
                                        request.body.size)


@bp.route("/bulletins/{bulletin_id}/images", methods=["GET"], allow=STAFF, query=Paging,
          answer=r.ImageUploadPage,
          summary="The bulletin's image uploads, refused ones with their reason (officers)")
def image_uploads(request, bulletin_id):
    page = bulletins.uploads_page(bulletin_id, request.query.limit, request.query.cursor)
    return {"items": page.items, "next_cursor": page.next_cursor}


@bp.route("/bulletins/{bulletin_id}/images/{media_id}", methods=["GET"], allow=STAFF,
          answer=r.ImageStatus, summary="What became of an uploaded image (officers)")
def image_status(request, bulletin_id, media_id):
    """pending until the worker is done; then ready (the bulletin lists it) or rejected,
    with the reason (a RejectReason), so the admin site can say why."""
    return images.image_status(bulletin_id, media_id)


def _near(request, query: BulletinQuery) -> Response:
    if query.cursor is not None:
        raise ValidationFailed("A search near a place is one page, nearest first; it takes "
                               "no cursor.", code=ErrorCode.INVALID_CURSOR, field="cursor")
    with places.bounded_search():
        found = nearby.near(places.point(query.near), query.radius_m or DEFAULT_RADIUS_M,
                            now=clock.now(), status=query.status,
                            category=query.category, district=query.district,
                            include_expired=query.include_expired, limit=query.limit)
    return cached(request, etag("near", [(b.bulletin_id, b.version, round(d)) for b, d in found]),
                  lambda: {"items": near_views(found), "next_cursor": None},
                  "private, no-store")


def near_views(found) -> list[dict]:
    """Bulletin summaries with their distance in whole metres."""
    return [{**bulletin_view(bulletin, summary=True), "distance_m": round(distance)}
            for bulletin, distance in found]

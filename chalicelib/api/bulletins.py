"""Bulletins: the five police categories, published by officers and read by everyone.

Public reads send an ETag and Cache-Control, and answer If-None-Match with 304 (see
chalicelib/bulletins/views.py for why the ETag is not a hash of the body). A publish
with an Idempotency-Key that was already used answers 200 with the bulletin it made.
"""

from typing import Annotated, Any, Literal

import msgspec
from chalice import Response

from chalicelib import bulletins
from chalicelib.api import responses as r
from chalicelib.api.bodies import convert_body
from chalicelib.api.routes import ANYONE, STAFF, Blueprint, Paging
from chalicelib.bulletins.fields import (
    BulletinCategory,
    BulletinDraft,
    BulletinStatus,
    District,
    ImageUploadRequest,
    LifecycleMove,
)
from chalicelib.bulletins.views import MAX_AGE_SECONDS, bulletin_view, etag
from chalicelib.patterns import whole

bp = Blueprint(__name__)

IdempotencyKey = Annotated[str, msgspec.Meta(
    pattern=whole(r"[\x21-\x7e]{1,128}"),
    description="Any 1 to 128 visible ASCII characters, new for each bulletin: a retried "
                "publish with the same key answers 200 with the bulletin it made.")]
IfNoneMatch = Annotated[str, msgspec.Meta(max_length=1024, description=(
    "The ETag of the copy the client holds: 304 if it is still current."))]
# A PATCH body is either a lifecycle move or an edit: some fields of the bulletin's
# draft, validated whole once merged with the stored bulletin.
BULLETIN_EDIT = {"type": "object", "minProperties": 1, "not": {"required": ["status"]},
                 "description": "Fields of the bulletin's draft (see the drafts) to change."}
CACHED = {200: ("ETag", "Cache-Control"), 304: ("ETag", "Cache-Control")}


class BulletinQuery(Paging, kw_only=True):
    # The enumeration's values, not the enum: query parameters are documented inline.
    status: Literal[tuple(status.value for status in BulletinStatus)] = (
        BulletinStatus.PUBLISHED.value)
    category: BulletinCategory | None = None
    district: District | None = None
    include_expired: bool = False


@bp.route("/bulletins", methods=["GET"], allow=ANYONE, query=BulletinQuery,
          request_headers={"If-None-Match": IfNoneMatch}, answer=r.BulletinPage,
          more={304: None}, headers=CACHED, summary="Bulletins, newest first")
def list_bulletins(request):
    query = request.query
    page = bulletins.list_page(status=query.status, category=query.category,
                               district=query.district, include_expired=query.include_expired,
                               limit=query.limit, cursor=query.cursor)
    versions = [(bulletin.bulletin_id, bulletin.version) for bulletin in page.items]
    return _cached(request, etag(page.next_cursor, versions),
                   lambda: {"items": [bulletin_view(b, summary=True) for b in page.items],
                            "next_cursor": page.next_cursor})


@bp.route("/bulletins/{bulletin_id}", methods=["GET"], allow=ANYONE,
          request_headers={"If-None-Match": IfNoneMatch}, answer=r.Bulletin,
          more={304: None}, headers=CACHED, summary="One bulletin")
def get_bulletin(request, bulletin_id):
    bulletin = bulletins.read(bulletin_id)
    return _cached(request, etag(bulletin.bulletin_id, bulletin.version),
                   lambda: bulletin_view(bulletin))


@bp.route("/bulletins", methods=["POST"], allow=STAFF, body=BulletinDraft,
          request_headers={"Idempotency-Key": IdempotencyKey}, ok=201, answer=r.Bulletin,
          more={200: r.Bulletin}, errors=(409,), summary="Publish (officers)")
def publish_bulletin(request):
    bulletin, created = bulletins.publish(request.caller, request.body,
                                          request.headers["Idempotency-Key"])
    return _json(bulletin_view(bulletin), 201 if created else 200)


@bp.route("/bulletins/{bulletin_id}", methods=["PATCH"], allow=STAFF, body=dict[str, Any],
          body_schema=(LifecycleMove, BULLETIN_EDIT), answer=r.Bulletin, errors=(409,),
          summary="Edit, resolve or retract (officers)")
def change_bulletin(request, bulletin_id):
    changes = request.body
    current = bulletins.read(bulletin_id)
    if "status" in changes:
        bulletin = bulletins.close(request.caller, current, convert_body(changes, LifecycleMove))
    else:
        draft = convert_body(bulletins.edited_draft(current, changes), BulletinDraft)
        bulletin = bulletins.edit(request.caller, current, draft, changed=set(changes))
    return _json(bulletin_view(bulletin))


@bp.route("/bulletins/{bulletin_id}/images", methods=["POST"], allow=STAFF,
          body=ImageUploadRequest, ok=201, answer=r.ImageTicket, errors=(409,),
          summary="Upload an image (officers)")
def start_image_upload(request, bulletin_id):
    return bulletins.start_image_upload(request.caller, bulletin_id, request.body.content_type,
                                        request.body.size)


def _cached(request, tag: str, make_body) -> Response:
    """A public, cacheable answer; 304 when the client already holds this version."""
    headers = {"ETag": tag, "Cache-Control": f"public, max-age={MAX_AGE_SECONDS}"}
    held = request.headers["If-None-Match"] or ""
    if any(candidate.strip().removeprefix("W/") in (tag, "*") for candidate in held.split(",")):
        return Response(body="", status_code=304, headers=headers)
    return _json(make_body(), headers=headers)


def _json(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    # msgspec writes UTF-8 as is (Chinese text stays readable, and smaller than \u escapes).
    return Response(body=msgspec.json.encode(body).decode(), status_code=status,
                    headers={"Content-Type": "application/json",
                             **(headers or {"Cache-Control": "no-store"})})

"""Bulletins: the five police categories, published by officers and read by everyone.

    GET   /bulletins?category=&district=&status=&include_expired=&limit=&cursor=  anyone
    GET   /bulletins/{id}                                                      anyone
    POST  /bulletins            (optional Idempotency-Key header)              officer, admin
    PATCH /bulletins/{id}       edit fields, or {"status": "resolved"|"retracted", …}
    POST  /bulletins/{id}/images  {content_type, size} → presigned upload      officer, admin

Public reads send an ETag and Cache-Control, and answer If-None-Match with 304 (see
chalicelib/bulletins/views.py for why the ETag is not a hash of the body).
"""

import re
from typing import Any, Literal

import msgspec
from chalice import Blueprint, Response

from chalicelib import bulletins
from chalicelib.api.authz import authorize
from chalicelib.api.bodies import convert_body, parse_body
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
from chalicelib.pagination import parse_limit
from chalicelib.roles import STAFF

bp = Blueprint(__name__)

_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,128}")


@bp.route("/bulletins", methods=["GET"])
def list_bulletins():
    request = bp.current_request
    query = request.query_params or {}
    page = bulletins.list_page(
        status=_query_param(query, "status", BulletinStatus, BulletinStatus.PUBLISHED),
        category=_query_param(query, "category", BulletinCategory),
        district=_query_param(query, "district", District),
        include_expired=_query_param(query, "include_expired", Literal["true", "false"]) == "true",
        limit=parse_limit(query), cursor=query.get("cursor"))
    versions = [(bulletin.bulletin_id, bulletin.version) for bulletin in page.items]
    return _cached(request, etag(page.next_cursor, versions),
                   lambda: {"items": [bulletin_view(b, summary=True) for b in page.items],
                            "next_cursor": page.next_cursor})


@bp.route("/bulletins/{bulletin_id}", methods=["GET"])
def get_bulletin(bulletin_id):
    bulletin = bulletins.read(bulletin_id)
    return _cached(bp.current_request, etag(bulletin.bulletin_id, bulletin.version),
                   lambda: bulletin_view(bulletin))


@bp.route("/bulletins", methods=["POST"])
def publish_bulletin():
    request = bp.current_request
    officer = authorize(request, *STAFF)
    draft = parse_body(request, BulletinDraft)
    bulletin, created = bulletins.publish(officer, draft, _idempotency_key(request))
    return _json(bulletin_view(bulletin), 201 if created else 200)


@bp.route("/bulletins/{bulletin_id}", methods=["PATCH"])
def change_bulletin(bulletin_id):
    request = bp.current_request
    officer = authorize(request, *STAFF)
    changes = parse_body(request, dict[str, Any])
    current = bulletins.read(bulletin_id)
    if "status" in changes:
        bulletin = bulletins.close(officer, current, convert_body(changes, LifecycleMove))
    else:
        draft = convert_body(bulletins.edited_draft(current, changes), BulletinDraft)
        bulletin = bulletins.edit(officer, current, draft, changed=set(changes))
    return _json(bulletin_view(bulletin))


@bp.route("/bulletins/{bulletin_id}/images", methods=["POST"])
def start_image_upload(bulletin_id):
    request = bp.current_request
    officer = authorize(request, *STAFF)
    upload = parse_body(request, ImageUploadRequest)
    return _json(bulletins.start_image_upload(officer, bulletin_id, upload.content_type,
                                              upload.size), 201)


def _query_param(query, name: str, kind: Any, default: str | None = None):
    value = query.get(name)
    if value is None:
        return default
    try:
        return msgspec.convert(value, kind)
    except msgspec.ValidationError as error:
        raise ValidationFailed(f"{name}: {error}", code=ErrorCode.INVALID_QUERY,
                               field=name) from None


def _idempotency_key(request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is not None and not _IDEMPOTENCY_KEY.fullmatch(key):
        raise ValidationFailed("Idempotency-Key must be 1 to 128 visible ASCII characters.",
                               field="Idempotency-Key")
    return key


def _cached(request, tag: str, make_body) -> Response:
    """A public, cacheable answer; 304 when the client already holds this version."""
    headers = {"ETag": tag, "Cache-Control": f"public, max-age={MAX_AGE_SECONDS}"}
    held = request.headers.get("if-none-match") or ""
    if any(candidate.strip().removeprefix("W/") in (tag, "*") for candidate in held.split(",")):
        return Response(body="", status_code=304, headers=headers)
    return _json(make_body(), headers=headers)


def _json(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    # msgspec writes UTF-8 as is (Chinese text stays readable, and smaller than \u escapes).
    return Response(body=msgspec.json.encode(body).decode(), status_code=status,
                    headers={"Content-Type": "application/json",
                             **(headers or {"Cache-Control": "no-store"})})

"""Public answers a client or a CDN may keep: an ETag and Cache-Control, and 304 for
If-None-Match naming the current version (the bulletins, the transparency report, the districts)."""

import hashlib
from typing import Annotated

import msgspec
from chalice import Response

IfNoneMatch = Annotated[str, msgspec.Meta(max_length=1024, description=(
    "The ETag of the copy the client holds: 304 if it is still current."))]
# The request header and the answer headers a cached route declares.
CONDITIONAL = {"If-None-Match": IfNoneMatch}
CACHED = {200: ("ETag", "Cache-Control"), 304: ("ETag", "Cache-Control")}


def cached(request, tag: str, make_body, cache_control: str) -> Response:
    """A cacheable answer; 304 when the client already holds this version."""
    headers = {"ETag": tag, "Cache-Control": cache_control}
    held = request.headers["If-None-Match"] or ""
    if any(candidate.strip().removeprefix("W/") in (tag, "*") for candidate in held.split(",")):
        return Response(body="", status_code=304, headers=headers)
    return json_answer(make_body(), headers=headers)


def etag_of(body: dict) -> str:
    """Of the answer itself, for answers that hold no URL or time that changes between
    requests."""
    return f'"{hashlib.sha256(msgspec.json.encode(body)).hexdigest()[:32]}"'


def json_answer(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    # msgspec writes UTF-8 as is (Chinese text stays readable, and smaller than \u escapes).
    return Response(body=msgspec.json.encode(body).decode(), status_code=status,
                    headers={"Content-Type": "application/json",
                             **(headers or {"Cache-Control": "no-store"})})

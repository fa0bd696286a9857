"""Cursor pagination over one DynamoDB Query.

A cursor is the Query's LastEvaluatedKey, bound to the partition it was read from and
signed, so a client can neither forge one nor carry one over to another listing (a
citizen cannot page into someone else's reports). Anything else gets a 400.
"""

import base64
import functools
import hashlib
import hmac
import json
from typing import Any

from msgspec import Struct

from chalicelib.errors import ErrorCode, ValidationFailed
from chalicelib.settings import secret

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class Page(Struct, frozen=True):
    items: list
    next_cursor: str | None


@functools.cache
def _cursor_key() -> bytes:
    return hmac.new(secret("jwt-signing-key").encode(), b"masses cursor", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(partition: str, last_key: dict) -> str:
    payload = json.dumps({"p": partition, "k": last_key}, sort_keys=True,
                         separators=(",", ":")).encode()
    signature = hmac.new(_cursor_key(), payload, hashlib.sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(signature)}"


def decode_cursor(partition: str, cursor: str) -> dict:
    invalid = ValidationFailed("The cursor is not one this listing gave out.",
                               code=ErrorCode.INVALID_CURSOR, field="cursor")
    try:
        payload_text, signature_text = cursor.split(".")
        payload, signature = _unb64(payload_text), _unb64(signature_text)
    except ValueError:
        raise invalid from None
    expected = hmac.new(_cursor_key(), payload, hashlib.sha256).digest()[:16]
    if not hmac.compare_digest(signature, expected):
        raise invalid
    decoded = json.loads(payload)
    if decoded["p"] != partition:
        raise invalid
    return decoded["k"]


def query_page(query_target: Any, partition: str, *, limit: int, cursor: str | None,
               newest_first: bool = True, **query_args) -> Page:
    """One page of `query_target` (a Model or an Index) in `partition`: one Query call.

    Extra keyword arguments (range_key_condition, …) go to PynamoDB's query(). Avoid
    filter_condition here: DynamoDB filters after its limit, so a page would need
    more than one call.
    """
    results = query_target.query(
        partition, limit=limit, page_size=limit, scan_index_forward=not newest_first,
        last_evaluated_key=decode_cursor(partition, cursor) if cursor else None, **query_args)
    items = list(results)
    last_key = results.last_evaluated_key
    return Page(items, encode_cursor(partition, last_key) if last_key else None)

"""Reading request bodies into typed msgspec structs, with one error shape.

The structs are the contract: handlers validate with them, and the OpenAPI document
is generated from the same structs.
"""

import re
from typing import Any, TypeVar

import msgspec

from chalicelib.errors import PayloadTooLarge, ValidationFailed

MAX_BODY_BYTES = 64 * 1024
T = TypeVar("T")
_FIELD_PATH = re.compile(r"at `\$\.?([^`]*)`")
# msgspec names a missing or unknown key in the message, not in the path.
_NAMED_FIELD = re.compile(r"field `([^`]*)`")


def parse_body(request, body_type: type[T]) -> T:
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        return msgspec.json.decode(raw, type=body_type)
    except msgspec.ValidationError as error:
        raise _validation_failed(error) from None
    except msgspec.DecodeError:
        raise ValidationFailed("The body is not valid JSON.", code="malformed_json") from None


def convert_body(data: Any, body_type: type[T]) -> T:
    """Validates data already decoded (say, a stored item merged with a partial
    update) into `body_type`, with the same 400s as parse_body."""
    try:
        return msgspec.convert(data, type=body_type)
    except msgspec.ValidationError as error:
        raise _validation_failed(error) from None


def _validation_failed(error: msgspec.ValidationError) -> ValidationFailed:
    message = str(error)
    parts = [match.group(1) for match in (_FIELD_PATH.search(message),
                                          _NAMED_FIELD.search(message)) if match]
    return ValidationFailed(message, field=".".join(part for part in parts if part) or None)

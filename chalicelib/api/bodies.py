"""Reading request bodies into typed msgspec structs, with one error shape.

The structs are the contract: handlers validate with them, and the OpenAPI document
is generated from the same structs.
"""

import re
from typing import TypeVar

import msgspec

from chalicelib.errors import PayloadTooLarge, ValidationFailed

MAX_BODY_BYTES = 64 * 1024
T = TypeVar("T")
_FIELD_PATH = re.compile(r"at `\$\.?([^`]*)`")


def parse_body(request, body_type: type[T]) -> T:
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        return msgspec.json.decode(raw, type=body_type)
    except msgspec.ValidationError as error:
        match = _FIELD_PATH.search(str(error))
        raise ValidationFailed(str(error), field=match.group(1) if match else None) from None
    except msgspec.DecodeError:
        raise ValidationFailed("The body is not valid JSON.", code="malformed_json") from None

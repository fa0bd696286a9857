"""Reading request bodies into typed msgspec structs, with one error shape.

The structs are the contract: handlers validate with them, and the OpenAPI document
is generated from the same structs.
"""

import json
import math
import re
from typing import Any

import msgspec

from chalicelib.errors import ErrorCode, PayloadTooLarge, ValidationFailed

MAX_BODY_BYTES = 64 * 1024
# No body of ours nests deeper than a few levels; a deeper one is an attack on parsers.
MAX_DEPTH = 16
# DynamoDB numbers carry 38 digits; our integers fit in 64 bits.
MIN_INT, MAX_INT = -(2 ** 63), 2 ** 63 - 1
# NUL breaks C-string consumers (logs, SMS gateways); a lone surrogate cannot be stored as
# UTF-8. JSON can smuggle both in as \u escapes.
_UNSAFE_CHARACTER = re.compile("[\x00\ud800-\udfff]")
# What checked() refuses in every body, beyond what a body's schema says.
RULES = {
    ErrorCode.INVALID_CHARACTER: "no string holds a NUL character or a lone surrogate",
    ErrorCode.DUPLICATE_KEY: "no object names a key twice",
    ErrorCode.TOO_DEEPLY_NESTED: f"nothing nests deeper than {MAX_DEPTH} levels",
    ErrorCode.NUMBER_OUT_OF_RANGE: "integers fit in 64 bits; numbers are finite",
}
_FIELD_PATH = re.compile(r"at `\$\.?([^`]*)`")
# msgspec names a missing or unknown key in the message, not in the path.
_NAMED_FIELD = re.compile(r"field `([^`]*)`")


def parse_body[T](request, body_type: type[T]) -> T:
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        return msgspec.json.decode(checked(raw), type=body_type)
    except msgspec.ValidationError as error:
        raise _validation_failed(error) from None
    except msgspec.DecodeError:
        raise _malformed() from None


def checked(raw: bytes) -> bytes:
    """The body for msgspec to read, once refused what msgspec lets through: duplicate
    keys (which one would win depends on the parser reading it), NUL characters and
    lone surrogates, nesting deeper than MAX_DEPTH, and integers beyond 64 bits. A
    second parse of a body of at most 64 KiB costs well under a millisecond.

    A number written with a zero fraction (44.0) is an integer to JSON Schema, so to the
    OpenAPI document; msgspec would refuse it for an int field. Such a body is read
    again with those numbers as integers (a float field takes an integer as well)."""
    whole_floats = []

    def parse_float(text: str) -> float | int:
        number = float(text)
        if number.is_integer() and MIN_INT <= number <= MAX_INT:
            whole_floats.append(text)
            return int(number)
        return number

    try:
        decoded = json.loads(raw, object_pairs_hook=_object_without_duplicates,
                             parse_constant=_not_json, parse_float=parse_float)
    except RecursionError:
        raise _too_deep() from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise _malformed() from None
    except ValueError:  # an integer of more than 4300 digits
        raise _out_of_range("") from None
    _check_value(decoded, "", 0)
    return json.dumps(decoded, ensure_ascii=False).encode() if whole_floats else raw


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    seen = set()
    for key, _ in pairs:
        if key in seen:
            raise ValidationFailed(f"The key {key!r} appears more than once in an object.",
                                   code=ErrorCode.DUPLICATE_KEY, field=key)
        seen.add(key)
    return dict(pairs)


def _check_value(value: Any, path: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _too_deep()
    if isinstance(value, str):
        if _UNSAFE_CHARACTER.search(value):
            raise ValidationFailed("Text may not contain NUL characters or lone surrogates.",
                                   code=ErrorCode.INVALID_CHARACTER, field=path or None)
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        if not MIN_INT <= value <= MAX_INT:
            raise _out_of_range(path)
    elif isinstance(value, float):
        if not math.isfinite(value):  # 1e400 reads as infinity
            raise _out_of_range(path)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(key, path, depth + 1)
            _check_value(item, f"{path}.{key}" if path else key, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(item, f"{path}[{index}]", depth + 1)


def _not_json(constant: str):
    """NaN and Infinity: Python's json reads them, JSON has no such thing."""
    raise _malformed()


def _malformed() -> ValidationFailed:
    return ValidationFailed("The body is not valid JSON.", code=ErrorCode.MALFORMED_JSON)


def _too_deep() -> ValidationFailed:
    return ValidationFailed(f"The body nests deeper than {MAX_DEPTH} levels.",
                            code=ErrorCode.TOO_DEEPLY_NESTED)


def _out_of_range(path: str) -> ValidationFailed:
    return ValidationFailed("A number is out of range.", code=ErrorCode.NUMBER_OUT_OF_RANGE,
                            field=path or None)


def convert_body[T](data: Any, body_type: type[T]) -> T:
    """Validates data already decoded (say, a stored item merged with a partial
    update) into `body_type`, with the same 400s as parse_body."""
    try:
        return msgspec.convert(data, type=body_type)
    except msgspec.ValidationError as error:
        raise _validation_failed(error) from None


def _validation_failed(error: msgspec.ValidationError) -> ValidationFailed:
    return ValidationFailed(str(error), field=field_of(error))


def field_of(error: msgspec.ValidationError) -> str | None:
    """The dotted path of the field msgspec refused, if it names one."""
    message = str(error)
    parts = [match.group(1) for match in (_FIELD_PATH.search(message),
                                          _NAMED_FIELD.search(message)) if match]
    return ".".join(part for part in parts if part) or None

"""Idempotent creating requests: one mechanism for every route declared `idempotent=True`.

A client on a bad mobile network cannot tell a request that never arrived from an answer
that never came back, so it retries. With an `Idempotency-Key` header (any 1 to 128
visible ASCII characters, new for each thing the client means to create) a retry is
safe:

- the same key with the same request answers what the first attempt answered (status,
  body and headers, plus `Idempotency-Replayed: true`) and does not act again;
- the same key with a different request (another body, or another route) is a 422
  `idempotency_key_reused`;
- while the first attempt still runs, another with the key is a 409
  `request_in_progress` with `Retry-After`;
- keys are per user (two users' keys never meet) and kept 24 hours.

Without the header a request acts every time, as before.

The work is Powertools for AWS Lambda's idempotency utility (IdempotencyHandler over
DynamoDBPersistenceLayer), given what it cannot guess: the record's key is the SHA-256
of [user id, key] under one prefix, so a key is the user's across routes; the payload
hash covers the route, its path parameters and the parsed body; the stored answer is
the whole HTTP answer (see _answer_serializer). Its records:

    id (S, hash key)  "idempotency#<sha256 of [user, key]>"
    status            INPROGRESS | COMPLETED
    ttl               epoch seconds: 24 h after the request; checked in code (an
                      expired record is overwritten), DynamoDB's TTL only tidies up
    in_progress_expiration   epoch ms: when the Lambda running the first attempt times
                      out; after it a retry may act (the first attempt died)
    validation        hash of the request
    data              the answer, JSON

DynamoDB calls: a first request is one conditional PutItem (the in-progress marker) and
one UpdateItem (the answer); a replay, a 409 or a 422 is one PutItem that fails its
condition and returns the stored record with it (ReturnValuesOnConditionCheckFailure),
so no read; a request that fails (4xx, 5xx) deletes its marker, one DeleteItem, so the
client may retry with the same key. See the README for the capacity units.

Errors are never stored: only a 2xx answer is replayed.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

import msgspec
from botocore.exceptions import ClientError
from chalice import Response

from chalicelib import deadlines
from chalicelib.api.faults import RETRY_AFTER_SECONDS, THROTTLING_CODES
from chalicelib.errors import ApiError, Conflict, ErrorCode, ServiceUnavailable
from chalicelib.patterns import whole
from chalicelib.settings import resource_name

HEADER = "Idempotency-Key"
# What no schema can say: a key's meaning comes from its first request.
RULES = {ErrorCode.IDEMPOTENCY_KEY_REUSED: "an Idempotency-Key is new for each new request "
                                           "(422 when it was sent with another)"}
REPLAYED_HEADER = "Idempotency-Replayed"
KEEP_SECONDS = 24 * 3600
# A first attempt that is still running takes a second or two; a retry after that sees
# its answer.
IN_PROGRESS_RETRY_SECONDS = 2
KEY_PREFIX = "idempotency"

IdempotencyKey = Annotated[str, msgspec.Meta(
    pattern=whole(r"[\x21-\x7e]{1,128}"),
    description="Any 1 to 128 visible ASCII characters, new for each item the client "
                "creates. A retry with the same key and request answers what the first "
                "attempt answered (with Idempotency-Replayed: true) and creates nothing; "
                "the same key with another request is a 422 idempotency_key_reused; while "
                "the first attempt runs, a 409 request_in_progress. Kept 24 hours, per user.")]


class KeyReused(ApiError):
    status, code = 422, ErrorCode.IDEMPOTENCY_KEY_REUSED


# Powertools is imported at the first idempotent request, not at the API's cold start.

@functools.cache
def persistence():
    """Made at the first idempotent request, with a boto3 client whose timeouts and
    tries are DynamoDB's and whose retries the request's budget runs
    (chalicelib/deadlines.py), like the models' in chalicelib/tables.py."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(
        table_name=resource_name("idempotency"), key_attr="id", expiry_attr="ttl",
        in_progress_expiry_attr="in_progress_expiration", status_attr="status",
        data_attr="data", validation_key_attr="validation",
        boto3_client=deadlines.aws_client("dynamodb"))


def record_id(user_id: str, key: str) -> str:
    """The record's hash key, as Powertools computes it from the request data."""
    digest = hashlib.sha256(json.dumps([user_id, key]).encode()).hexdigest()
    return f"{KEY_PREFIX}#{digest}"


@functools.cache
def _answer_serializer():
    from aws_lambda_powertools.utilities.idempotency.serialization.base import (
        BaseIdempotencySerializer,
    )

    class AnswerSerializer(BaseIdempotencySerializer):
        """The stored answer is the HTTP answer: status, body and the view's own headers
        (Location, Content-Type). The middlewares' headers (CORS, security) are added to
        a replay as to any answer."""

        def to_dict(self, data: Response) -> dict:
            body = data.body
            if isinstance(body, bytes):
                body = body.decode()
            elif not isinstance(body, str):
                body = json.dumps(body, ensure_ascii=False)
            return {"status": data.status_code, "headers": dict(data.headers or {}),
                    "body": body}

        def from_dict(self, data: dict) -> Response:
            return Response(body=data["body"], status_code=int(data["status"]),
                            headers={**data["headers"], REPLAYED_HEADER: "true"})

    return AnswerSerializer()


def run(user_id: str, key: str | None, request: dict, act: Callable[[], Response],
        lambda_context: Any = None) -> Response:
    """Answer `act()` once per (user, key); `request` is what must match on a retry
    (JSON-serialisable: method, path, body)."""
    if key is None:
        return act()
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.idempotency.base import IdempotencyHandler
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    config = IdempotencyConfig(
        event_key_jmespath="[user, key]", payload_validation_jmespath="request",
        expires_after_seconds=KEEP_SECONDS, hash_function="sha256",
        lambda_context=lambda_context if hasattr(
            lambda_context, "get_remaining_time_in_millis") else None)
    handler = IdempotencyHandler(
        function=act, function_payload={"user": user_id, "key": key, "request": request},
        config=config, persistence_store=persistence(), key_prefix=KEY_PREFIX,
        output_serializer=_answer_serializer(), function_args=(), function_kwargs={})
    try:
        return handler.handle()
    except IdempotencyValidationError:
        raise KeyReused(f"This {HEADER} was used for a different request; use a new key "
                        "for a new item.") from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict(f"A request with this {HEADER} is still being answered; retry "
                       "shortly for its answer.", code=ErrorCode.REQUEST_IN_PROGRESS,
                       headers={"Retry-After": str(IN_PROGRESS_RETRY_SECONDS)}) from None
    except IdempotencyPersistenceLayerError as error:
        cause = error.args[1] if len(error.args) > 1 else error.__cause__
        if isinstance(cause, deadlines.DeadlineExceeded):
            raise cause from error   # the budget ran out: 503 dependency_timeout
        if (isinstance(cause, ClientError)
                and cause.response.get("Error", {}).get("Code") in THROTTLING_CODES):
            raise ServiceUnavailable("The service is busy; try again in a moment.",
                                     code=ErrorCode.THROTTLED,
                                     headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                                     ) from error
        raise

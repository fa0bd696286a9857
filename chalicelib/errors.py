"""The one error shape every route answers with.

Mobile apps translate by `code`, so codes are stable machine-readable strings; the
message is for people reading logs and the admin site.
"""

import json

from chalice import Response
from chalice.app import ChaliceUnhandledError


class ApiError(ChaliceUnhandledError):
    """Chalice turns any other exception from a view into its own 500 before middleware
    sees it; a ChaliceUnhandledError reaches the middleware that shapes the answer."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 headers: dict[str, str] | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status
        self.headers = headers or {}
        self.field = field

    def to_response(self) -> Response:
        return error_response(self.status, self.code, self.message, self.headers, self.field)


class ValidationFailed(ApiError):
    status, code = 400, "validation_error"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class TooManyRequests(ApiError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None):
        super().__init__(message, code=code, headers={"Retry-After": str(max(1, retry_after))})


class ServiceUnavailable(ApiError):
    status, code = 503, "service_unavailable"


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None, field: str | None = None) -> Response:
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    return Response(
        body=json.dumps({"error": error}, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


# Chalice answers some requests itself (405 for a method a path does not take, 415 for a
# body that is not JSON, 500 for an exception it caught before any middleware) with its
# own {"Code", "Message"} body. These are the codes ours use for the same statuses.
_FRAMEWORK_CODES = {
    400: ("bad_request", "The request is not one this API understands."),
    405: ("method_not_allowed", "This path does not take this method."),
    415: ("unsupported_media_type", "Send request bodies as application/json."),
    500: ("internal_error", "Something went wrong on our side."),
}


def reshape_framework_error(response: Response) -> Response:
    """Chalice's own error answers in our shape; every other response unchanged. A 500
    is always replaced: with debug on, Chalice's body would be a traceback."""
    is_framework_error = isinstance(response.body, dict) and "Code" in response.body
    if not (response.status_code == 500 or response.status_code >= 400 and is_framework_error):
        return response
    code, message = _FRAMEWORK_CODES.get(response.status_code, ("error", "The request failed."))
    kept = {name: value for name, value in response.headers.items() if name.lower() == "allow"}
    return error_response(response.status_code, code, message, kept)

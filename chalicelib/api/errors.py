"""The one error shape every route answers with: {"error": {code, message, field?}}.

The domain raises plain ApiErrors (chalicelib/errors.py); this is where they, and the
answers Chalice makes by itself, become responses.
"""

import json

from chalice import Response

from chalicelib.errors import ApiError, ErrorCode

INTERNAL_ERROR_MESSAGE = "Something went wrong on our side."


def error_response(status: int, code: ErrorCode, message: str,
                   headers: dict[str, str] | None = None, field: str | None = None) -> Response:
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    return Response(
        body=json.dumps({"error": error}, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def to_response(error: ApiError) -> Response:
    return error_response(error.status, error.code, error.message, error.headers, error.field)


# Chalice answers some requests itself (405 for a method a path does not take, 415 for a
# body that is not JSON, 500 for an exception it caught before any middleware) with its
# own {"Code", "Message"} body. These are the codes ours use for the same statuses.
_FRAMEWORK_CODES = {
    400: (ErrorCode.BAD_REQUEST, "The request is not one this API understands."),
    405: (ErrorCode.METHOD_NOT_ALLOWED, "This path does not take this method."),
    415: (ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Send request bodies as application/json."),
    500: (ErrorCode.INTERNAL_ERROR, INTERNAL_ERROR_MESSAGE),
}


def reshape_framework_error(response: Response) -> Response:
    """Chalice's own error answers in our shape; every other response unchanged. A 500
    is always replaced: with debug on, Chalice's body would be a traceback."""
    is_framework_error = isinstance(response.body, dict) and "Code" in response.body
    if not (response.status_code == 500 or response.status_code >= 400 and is_framework_error):
        return response
    code, message = _FRAMEWORK_CODES.get(response.status_code,
                                         (ErrorCode.BAD_REQUEST, "The request failed."))
    kept = {name: value for name, value in response.headers.items() if name.lower() == "allow"}
    return error_response(response.status_code, code, message, kept)

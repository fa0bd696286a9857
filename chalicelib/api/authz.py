"""The one authorization helper every route goes through.

`authorize(request, *STAFF)` (roles from chalicelib/roles.py) returns the caller or
raises: 401 when the bearer token is missing or invalid, 403 when the role is not among
those allowed. Routes declare their roles (chalicelib/api/routes.py), which call it.
"""

from chalicelib.errors import ErrorCode, Forbidden, Unauthorized
from chalicelib.roles import ANYONE_SIGNED_IN
from chalicelib.tokens import InvalidToken, Principal, verify_access_token


def authorize(request, *roles: str) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Sign in first: send 'Authorization: Bearer <access token>'.")
    try:
        principal = verify_access_token(token.strip())
    except InvalidToken:
        raise Unauthorized("The access token is invalid or expired; refresh it or sign in "
                           "again.", code=ErrorCode.INVALID_TOKEN) from None
    if principal.role not in (roles or ANYONE_SIGNED_IN):
        raise Forbidden("Your role may not do this.")
    return principal

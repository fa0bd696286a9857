"""Access tokens: short-lived JWTs that carry who the caller is and their role, so
authorizing a request costs no DynamoDB call.

PyJWT is imported on first use, not at cold start. Lifetimes are checked against the
app's clock (chalicelib/clock.py), not PyJWT's own, so time moves for tokens as it does
for the sessions that hand them out.
"""

import msgspec

from chalicelib import clock
from chalicelib.roles import Role
from chalicelib.settings import secret

ACCESS_TOKEN_SECONDS = 15 * 60
ISSUER = "masses"
ALGORITHM = "HS256"


class Principal(msgspec.Struct, frozen=True):
    user_id: str
    role: str


class InvalidToken(Exception):
    pass


def issue_access_token(principal: Principal, now: float | None = None) -> str:
    import jwt

    issued_at = int(clock.epoch() if now is None else now)
    claims = {"sub": principal.user_id, "role": principal.role, "iss": ISSUER,
              "iat": issued_at, "exp": issued_at + ACCESS_TOKEN_SECONDS}
    return jwt.encode(claims, secret("jwt-signing-key"), algorithm=ALGORITHM)


def verify_access_token(token: str) -> Principal:
    import jwt

    try:
        claims = jwt.decode(token, secret("jwt-signing-key"), algorithms=[ALGORITHM],
                            issuer=ISSUER, options={"require": ["sub", "role", "exp", "iat"],
                                                    "verify_exp": False, "verify_iat": False})
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from None
    if not isinstance(claims["exp"], int) or claims["exp"] <= clock.epoch():
        raise InvalidToken("expired")
    if claims["role"] not in tuple(Role) or not isinstance(claims["sub"], str):
        raise InvalidToken("unknown role")
    return Principal(user_id=claims["sub"], role=claims["role"])

"""Access tokens: short-lived JWTs that carry who the caller is and their role, so
authorizing a request costs no DynamoDB call.

PyJWT is imported on first use, not at cold start.
"""

import time
from dataclasses import dataclass

from chalicelib.settings import secret

ACCESS_TOKEN_SECONDS = 15 * 60
ISSUER = "masses"
ALGORITHM = "HS256"
ROLES = ("citizen", "officer", "admin")


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str

    @property
    def is_staff(self) -> bool:
        return self.role in ("officer", "admin")


class InvalidToken(Exception):
    pass


def issue_access_token(principal: Principal, now: float | None = None) -> str:
    import jwt

    issued_at = int(time.time() if now is None else now)
    claims = {"sub": principal.user_id, "role": principal.role, "iss": ISSUER,
              "iat": issued_at, "exp": issued_at + ACCESS_TOKEN_SECONDS}
    return jwt.encode(claims, secret("jwt-signing-key"), algorithm=ALGORITHM)


def verify_access_token(token: str) -> Principal:
    import jwt

    try:
        claims = jwt.decode(token, secret("jwt-signing-key"), algorithms=[ALGORITHM],
                            issuer=ISSUER, options={"require": ["sub", "role", "exp", "iat"]})
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from None
    if claims["role"] not in ROLES or not isinstance(claims["sub"], str):
        raise InvalidToken("unknown role")
    return Principal(user_id=claims["sub"], role=claims["role"])

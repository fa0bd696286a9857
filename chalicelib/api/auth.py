"""Sign-in by SMS code and sessions:

POST /auth/otp      {phone, locale?}    202, whether or not the number is registered
POST /auth/verify   {phone, code}       200 {access_token, refresh_token, expires_in, user}
POST /auth/refresh  {refresh_token}     200, the same shape; the old token is spent
POST /auth/logout   {refresh_token}     204; ends that token's session (signed in)

The SMS is in Chinese unless the body asks for `"locale": "en"`.
"""

from typing import Annotated, Literal

import msgspec
from chalice import Blueprint, Response

from chalicelib.api.authz import authorize
from chalicelib.api.bodies import parse_body
from chalicelib.auth import accounts, codes, phones, sessions
from chalicelib.patterns import whole

bp = Blueprint(__name__)

RefreshTokenText = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class CodeRequest(msgspec.Struct):
    phone: str
    locale: Literal["zh", "en"] = "zh"


class SignInRequest(msgspec.Struct):
    phone: str
    code: Annotated[str, msgspec.Meta(pattern=whole("[0-9]{6}"))]


class RefreshRequest(msgspec.Struct):
    refresh_token: RefreshTokenText


@bp.route("/auth/otp", methods=["POST"])
def request_code():
    request = bp.current_request
    body = parse_body(request, CodeRequest)
    codes.send_code(phones.normalise(body.phone), request.context["identity"]["sourceIp"],
                    body.locale)
    return Response(body="", status_code=202)


@bp.route("/auth/verify", methods=["POST"])
def verify():
    body = parse_body(bp.current_request, SignInRequest)
    return session_body(accounts.sign_in(phones.normalise(body.phone), body.code))


@bp.route("/auth/refresh", methods=["POST"])
def refresh():
    body = parse_body(bp.current_request, RefreshRequest)
    return session_body(sessions.refresh(body.refresh_token))


@bp.route("/auth/logout", methods=["POST"])
def logout():
    request = bp.current_request
    principal = authorize(request)
    sessions.logout(principal, parse_body(request, RefreshRequest).refresh_token)
    return Response(body="", status_code=204)


def session_body(session: sessions.Session) -> dict:
    return {"access_token": session.access_token, "refresh_token": session.refresh_token,
            "expires_in": session.expires_in,
            "user": {"id": session.user_id, "phone": session.phone, "role": session.role}}

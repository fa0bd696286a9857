"""Sign-in by SMS code, and sessions: a code is sent whether or not the number is
registered (202 either way), the code signs in (registering on first success), refresh
tokens rotate, and logout ends one session.

The SMS is in Chinese unless the body asks for `"locale": "en"`.
"""

from typing import Annotated, Literal

import msgspec

from chalicelib.api import responses as r
from chalicelib.api.routes import ANYONE, SIGNED_IN, Blueprint
from chalicelib.auth import accounts, codes, phones, sessions
from chalicelib.patterns import whole
from chalicelib.push import devices

bp = Blueprint(__name__)

RefreshTokenText = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
InstallationId = Annotated[str, msgspec.Meta(pattern=whole("[A-Za-z0-9_-]{8,128}"))]


class CodeRequest(msgspec.Struct, forbid_unknown_fields=True):
    phone: str
    locale: Literal["zh", "en"] = "zh"


class SignInRequest(msgspec.Struct, forbid_unknown_fields=True):
    phone: str
    code: Annotated[str, msgspec.Meta(pattern=whole("[0-9]{6}"))]


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: RefreshTokenText


class LogoutRequest(RefreshRequest, forbid_unknown_fields=True):
    # The installation signing out: it stops receiving pushes (DELETE /me/devices/{id}).
    installation_id: InstallationId | None = None


@bp.route("/auth/otp", methods=["POST"], allow=ANYONE, body=CodeRequest, ok=202,
          errors=(429,), rules=phones.RULES,
          summary="Send a sign-in code (202 whether or not the number is registered)")
def request_code(request):
    codes.send_code(phones.normalise(request.body.phone),
                    request.raw.context["identity"]["sourceIp"], request.body.locale)


@bp.route("/auth/verify", methods=["POST"], allow=ANYONE, body=SignInRequest,
          answer=r.SessionBody, errors=(401, 409, 429), rules=phones.RULES,
          summary="Sign in with the code")
def verify(request):
    return session_body(accounts.sign_in(phones.normalise(request.body.phone),
                                         request.body.code))


@bp.route("/auth/refresh", methods=["POST"], allow=ANYONE, body=RefreshRequest,
          answer=r.SessionBody, errors=(401,), summary="Rotate the refresh token")
def refresh(request):
    return session_body(sessions.refresh(request.body.refresh_token))


@bp.route("/auth/logout", methods=["POST"], allow=SIGNED_IN, body=LogoutRequest, ok=204,
          summary="End the session")
def logout(request):
    """With `installation_id`, that installation stops receiving pushes too."""
    sessions.logout(request.caller, request.body.refresh_token)
    if request.body.installation_id is not None:
        devices.remove(request.caller.user_id, [request.body.installation_id])


def session_body(session: sessions.Session) -> dict:
    return {"access_token": session.access_token, "refresh_token": session.refresh_token,
            "expires_in": session.expires_in,
            "user": {"id": session.user_id, "phone": session.phone, "role": session.role}}

"""Admins grant and revoke the officer role. A grant works before the number has signed
up (it is registered then); revoking a number that is not an officer's is a 404.

Every grant and revoke is written to the audit trail with who did it and when.
`{phone}` may be URL-encoded ("%2B8613800000000") and written in any way /auth/otp
accepts.
"""

from urllib.parse import unquote

from chalicelib.api import responses as r
from chalicelib.api.routes import ADMINS, Blueprint
from chalicelib.auth import accounts, phones
from chalicelib.errors import ErrorCode, NotFound

bp = Blueprint(__name__)


@bp.route("/admin/officers/{phone}", methods=["PUT"], allow=ADMINS, answer=r.OfficerGrant,
          errors=(409,), summary="Grant the officer role (admins)")
def grant_officer(request, phone):
    return accounts.set_officer(request.caller, phones.normalise(unquote(phone)),
                                officer=True)


@bp.route("/admin/officers/{phone}", methods=["DELETE"], allow=ADMINS, ok=204,
          summary="Revoke the officer role (admins)")
def revoke_officer(request, phone):
    if accounts.set_officer(request.caller, phones.normalise(unquote(phone)),
                            officer=False) is None:
        raise NotFound("No one with this number is an officer.", code=ErrorCode.NOT_AN_OFFICER)

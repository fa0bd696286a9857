"""Admins grant and revoke the officer role:

PUT /admin/officers/{phone}      200 {phone, user_id, role}; works before the number
                                 has signed up (it is registered then)
DELETE /admin/officers/{phone}   204, or 404 if the number is not an officer

Every grant and revoke is written to the audit trail with who did it and when.
`{phone}` may be URL-encoded ("%2B8613800000000") and written in any way /auth/otp
accepts.
"""

from urllib.parse import unquote

from chalice import Blueprint, Response

from chalicelib.api.authz import authorize
from chalicelib.auth import accounts, phones
from chalicelib.errors import ErrorCode, NotFound
from chalicelib.roles import Role

bp = Blueprint(__name__)


@bp.route("/admin/officers/{phone}", methods=["PUT"])
def grant_officer(phone):
    admin = authorize(bp.current_request, Role.ADMIN)
    return accounts.set_officer(admin, phones.normalise(unquote(phone)), officer=True)


@bp.route("/admin/officers/{phone}", methods=["DELETE"])
def revoke_officer(phone):
    admin = authorize(bp.current_request, Role.ADMIN)
    if accounts.set_officer(admin, phones.normalise(unquote(phone)), officer=False) is None:
        raise NotFound("No one with this number is an officer.", code=ErrorCode.NOT_AN_OFFICER)
    return Response(body="", status_code=204)

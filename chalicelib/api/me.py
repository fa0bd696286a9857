"""The signed-in user's own account:

GET /me       200 {id, phone, role, created_at}: one GetItem
DELETE /me    204; the profile and the number are deleted, the sessions end, and the
              user's reports stay, no longer linked to any number
"""

from chalice import Blueprint, Response

from chalicelib.api.authz import authorize
from chalicelib.auth import accounts
from chalicelib.clock import iso

bp = Blueprint(__name__)


@bp.route("/me", methods=["GET"])
def get_me():
    user = accounts.profile(authorize(bp.current_request).user_id)
    return {"id": user.user_id, "phone": user.phone, "role": user.role,
            "created_at": iso(user.created_at)}


@bp.route("/me", methods=["DELETE"])
def delete_me():
    accounts.delete_account(authorize(bp.current_request).user_id)
    return Response(body="", status_code=204)

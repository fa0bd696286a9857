"""The signed-in user's own account: the profile (one GetItem), and its deletion. On
deletion the profile and the number go, the sessions end, the push devices and alert
choices go, and the user's reports stay, no longer linked to any number.
"""

from chalicelib.api import responses as r
from chalicelib.api.routes import SIGNED_IN, Blueprint
from chalicelib.auth import accounts
from chalicelib.clock import iso
from chalicelib.push import alerts, devices

bp = Blueprint(__name__)


@bp.route("/me", methods=["GET"], allow=SIGNED_IN, answer=r.Profile, summary="Your profile")
def get_me(request):
    user = accounts.profile(request.caller.user_id)
    return {"id": user.user_id, "phone": user.phone, "role": user.role,
            "created_at": iso(user.created_at)}


@bp.route("/me", methods=["DELETE"], allow=SIGNED_IN, ok=204, summary="Delete your account")
def delete_me(request):
    """The account's push devices (and their SNS endpoints) go with it."""
    accounts.delete_account(request.caller.user_id)
    alerts.forget(request.caller.user_id)
    devices.remove(request.caller.user_id)

"""Admins grant and revoke the officer role, give officers their profile (the name
other officers see them by, a badge number), and list who holds a staff role. A grant
works before the number has signed up (it is registered then); revoking a number that
is not an officer's is a 404.

Every grant, revoke and profile change is written to the audit trail with who did it
and when. `{phone}` may be URL-encoded ("%2B8613800000000") and written in any way
/auth/otp accepts.
"""

from urllib.parse import unquote

from chalicelib.api import responses as r
from chalicelib.api.routes import ADMINS, Blueprint, Paging
from chalicelib.auth import accounts, phones, staff
from chalicelib.auth.staff import OfficerProfile
from chalicelib.errors import ErrorCode, NotFound

bp = Blueprint(__name__)


@bp.route("/admin/officers/{phone}", methods=["PUT"], allow=ADMINS, body=OfficerProfile,
          body_optional=True, answer=r.OfficerGrant, errors=(409,),
          summary="Grant the officer role, set the profile (admins)")
def grant_officer(request, phone):
    """Grants the officer role (an admin stays admin) and, with a body
    `{"display_name", "badge"?}`, sets the profile other officers see; without a body
    the profile is left as it is. Repeating it changes nothing more."""
    return staff.grant(request.caller, phones.normalise(unquote(phone)), request.body)


@bp.route("/admin/officers/{phone}", methods=["DELETE"], allow=ADMINS, ok=204,
          summary="Revoke the officer role (admins)")
def revoke_officer(request, phone):
    if accounts.set_officer(request.caller, phones.normalise(unquote(phone)),
                            officer=False) is None:
        raise NotFound("No one with this number is an officer.", code=ErrorCode.NOT_AN_OFFICER)


@bp.route("/admin/officers", methods=["GET"], allow=ADMINS, query=Paging,
          answer=r.OfficerPage, summary="The officers and admins (admins)")
def list_officers(request):
    """Everyone who holds the officer or admin role now, with their profile and when the
    role was granted, longest-serving first: one Query on the users' staff index."""
    page = staff.page(limit=request.query.limit, cursor=request.query.cursor)
    return {"items": [staff.row(user) for user in page.items], "next_cursor": page.next_cursor}

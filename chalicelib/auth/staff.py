"""Officers and admins as their colleagues see them: a profile (the display name other
officers know them by, a badge number) and the list of who holds a staff role.

The list is one Query of the users' sparse `by-staff` index: only a User with a staff
role carries `staff` and `granted_at`, written in the same transaction as the role
(chalicelib/auth/accounts.py). Citizens see none of this: to them the police are the
unit's name.
"""

import msgspec
from pynamodb.exceptions import TransactWriteError

from chalicelib import audit, clock
from chalicelib.audit import AuditAction
from chalicelib.auth import accounts
from chalicelib.bulletins.fields import line
from chalicelib.errors import Conflict, ErrorCode
from chalicelib.pagination import Page, query_page
from chalicelib.roles import Role
from chalicelib.tables import User, write_transaction
from chalicelib.tokens import Principal


class OfficerProfile(msgspec.Struct, forbid_unknown_fields=True):
    display_name: line(64)
    badge: line(32) | None = None


def grant(admin: Principal, phone: str, profile: OfficerProfile | None) -> dict:
    """The officer role for the number's holder (an admin keeps theirs: only the
    profile changes), then the profile when given, with its audit event."""
    claim = accounts.claim_of(phone)
    if claim is not None and claim.role == Role.ADMIN and profile is not None:
        holder = {"phone": phone, "user_id": claim.user_id, "role": Role.ADMIN}
    else:
        holder = accounts.set_officer(admin, phone, officer=True)
    user = User.get(holder["user_id"], consistent_read=True)
    if profile is not None and (user.display_name, user.badge) != (profile.display_name,
                                                                   profile.badge):
        _set_profile(admin, user, profile)
        user.display_name, user.badge = profile.display_name, profile.badge
    return {**holder, "display_name": user.display_name, "badge": user.badge}


def _set_profile(admin: Principal, user: User, profile: OfficerProfile) -> None:
    actions = [User.display_name.set(profile.display_name)]
    actions.append(User.badge.set(profile.badge) if profile.badge is not None
                   else User.badge.remove())
    event = audit.event(admin, AuditAction.OFFICER_PROFILE_CHANGED, f"user:{user.user_id}",
                        {"display_name": profile.display_name, "badge": profile.badge})
    try:
        with write_transaction() as transaction:
            # Still staff: a revoke meanwhile must not leave a profile on a citizen.
            transaction.update(user, actions=actions, condition=User.staff.exists())
            transaction.save(event, condition=audit.APPEND_ONLY)
    except TransactWriteError as error:
        if not error.cancellation_reasons:
            raise
        raise Conflict("The account changed at the same moment; try again.",
                       code=ErrorCode.ACCOUNT_CHANGED) from None


def page(*, limit: int, cursor: str | None) -> Page:
    return query_page(User.by_staff, accounts.STAFF, limit=limit, cursor=cursor, newest_first=False)


def row(user: User) -> dict:
    return {"user_id": user.user_id, "phone": user.phone, "role": user.role,
            "display_name": user.display_name, "badge": user.badge,
            "granted_at": clock.iso(user.granted_at)}


def display_names(user_ids: set[str]) -> dict[str, str | None]:
    """User id → display name, for the ids that are users: one BatchGetItem (per 100)."""
    ids = sorted(user_ids)
    return {user.user_id: user.display_name for user in User.batch_get(ids)} if ids else {}

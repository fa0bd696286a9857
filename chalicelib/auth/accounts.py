"""Accounts: signing in (and so registering), the profile, deletion, and roles.

A User (id, phone, role) and the PhoneClaim of its number are always written in one
transaction, so a number never belongs to two users, and the role the claim copies
never differs from the User's. User ids are random: once the account is deleted
(User and PhoneClaim gone), nothing leads from the id, which lives on in the user's
reports, back to the number.
"""

import logging

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib import audit, clock, observability
from chalicelib.audit import AuditAction
from chalicelib.auth import codes, phones, sessions
from chalicelib.errors import Conflict, ErrorCode, Unauthorized
from chalicelib.roles import ActorRole, Role
from chalicelib.settings import settings
from chalicelib.storage import new_id
from chalicelib.tables import PhoneClaim, User, write_transaction
from chalicelib.tokens import Principal

# The partition of the users' by-staff index, which lists officers and admins
# (chalicelib/auth/staff.py); only a User with a staff role carries it.
STAFF = "staff"
BOOTSTRAP = Principal(user_id="bootstrap-admin-setting", role=ActorRole.SYSTEM)

logger = logging.getLogger(__name__)


def sign_in(phone: str, code: str) -> sessions.Session:
    """Use up `code` for `phone` and start a session, registering the number on its
    first sign-in. The stage's bootstrap-admin number is made admin here.

    Four DynamoDB calls: two conditional updates of the code, the number's claim, and
    one transaction that writes the user (when new or promoted) and starts the session.
    """
    codes.use_code(phone, code)
    claim = claim_of(phone)
    before = claim.role if claim else Role.CITIZEN
    role = Role.ADMIN if phone == settings().bootstrap_admin else before
    user_id = claim.user_id if claim else new_id()
    try:
        with write_transaction() as transaction:
            _hold_role(transaction, claim, user_id, phone, role)
            if role != before:
                _record_role_change(transaction, BOOTSTRAP, user_id, phone, before, role)
            session = sessions.start(transaction, user_id, phone, role)
    except TransactWriteError as error:
        if not error.cancellation_reasons:
            raise
        # The account changed (deleted, role changed) between reading and writing.
        raise Conflict("The account changed while signing in; ask for a new code and try "
                       "again.", code=ErrorCode.ACCOUNT_CHANGED) from None
    logger.info("signed in", extra={"user_id": user_id, "role": role,
                                    "new_account": claim is None})
    observability.count(observability.Metric.SIGN_INS)
    return session


def profile(user_id: str) -> User:
    """The caller's User (one GetItem), or 401 if the account no longer exists."""
    try:
        return User.get(user_id)
    except DoesNotExist:
        raise Unauthorized("This account has been deleted.",
                           code=ErrorCode.ACCOUNT_DELETED) from None


def delete_account(user_id: str) -> None:
    """Delete the User and its PhoneClaim. Every refresh token of the account stops
    working with the User (a refresh reads it); access tokens run out within 15 min."""
    try:
        user = User.get(user_id, consistent_read=True)
    except DoesNotExist:
        return
    with write_transaction() as transaction:
        transaction.delete(user, condition=User.user_id.exists())
        transaction.delete(PhoneClaim(user.phone), condition=PhoneClaim.user_id == user_id)


def set_officer(actor: Principal, phone: str, officer: bool) -> dict | None:
    """Grant (`officer=True`) or revoke the officer role of the number's holder, with
    its audit event in the same transaction. Granting to a number that has not signed
    up yet registers it. Returns the holder, or None when there is nothing to revoke.
    """
    role = Role.OFFICER if officer else Role.CITIZEN
    claim = claim_of(phone)
    before = claim.role if claim else Role.CITIZEN
    if before == Role.ADMIN:
        raise Conflict("This number belongs to an admin; admins are not changed here.",
                       code=ErrorCode.IS_ADMIN)
    if not officer and before != Role.OFFICER:
        return None
    user_id = claim.user_id if claim else new_id()
    if before != role:
        try:
            with write_transaction() as transaction:
                _hold_role(transaction, claim, user_id, phone, role)
                _record_role_change(transaction, actor, user_id, phone, before, role)
        except TransactWriteError as error:
            if not error.cancellation_reasons:
                raise
            raise Conflict("The account changed at the same moment; try again.",
                           code=ErrorCode.ACCOUNT_CHANGED) from None
    return {"phone": phone, "user_id": user_id, "role": role}


def claim_of(phone: str) -> PhoneClaim | None:
    try:
        return PhoneClaim.get(phone, consistent_read=True)
    except DoesNotExist:
        return None


def _hold_role(transaction, claim: PhoneClaim | None, user_id: str, phone: str,
               role: str) -> None:
    """The number's user has `role` after the transaction: registered if new."""
    if claim is None:
        now = clock.now()
        staff = role in (Role.OFFICER, Role.ADMIN)
        _register(transaction, User(user_id, phone=phone, role=role, created_at=now,
                                    staff=STAFF if staff else None,
                                    granted_at=now if staff else None))
    else:
        _set_role(transaction, claim, role)


def _register(transaction, user: User) -> None:
    transaction.save(user, condition=User.user_id.does_not_exist())
    transaction.save(PhoneClaim(user.phone, user_id=user.user_id, role=user.role),
                     condition=PhoneClaim.phone.does_not_exist())


def _set_role(transaction, claim: PhoneClaim, role: str) -> None:
    """Write `role` to the claim (and to the User, when it changes), on condition that
    neither changed since the claim was read."""
    transaction.update(claim, [PhoneClaim.role.set(role)],
                       condition=(PhoneClaim.user_id == claim.user_id)
                       & (PhoneClaim.role == claim.role))
    if role != claim.role:
        transaction.update(User(claim.user_id), [User.role.set(role), *_staff_index(role)],
                           condition=User.user_id.exists() & (User.role == claim.role))


def _staff_index(role: str) -> list:
    """The actions that put a User in the by-staff index with a staff role (keeping when
    it was first granted, as an officer becomes admin) or take it out."""
    if role in (Role.OFFICER, Role.ADMIN):
        return [User.staff.set(STAFF), User.granted_at.set(User.granted_at | clock.now())]
    return [User.staff.remove(), User.granted_at.remove()]


def _record_role_change(transaction, actor: Principal, user_id: str, phone: str,
                        before: str, after: str) -> None:
    # The target is the user id with only a hint of the number: the trail is
    # append-only and must not link the id to the number once the account is gone.
    event = audit.event(actor, AuditAction.ROLE_CHANGE, f"user:{user_id}",
                        {"from": before, "to": after, "phone_hint": phones.hint(phone)})
    transaction.save(event, condition=audit.APPEND_ONLY)

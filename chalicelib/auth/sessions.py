"""Sessions: a short-lived access token (a JWT, chalicelib/tokens.py) and a refresh
token that is rotated on every use.

Refresh tokens are 256 random bits, stored only as their SHA-256. Each sign-in starts
a family; every token rotated from it joins the family. A token presented a second
time means two parties hold it (one of them a thief), so the whole family is revoked.
Logout revokes the family too. Deleting the account deletes the User, and a refresh
reads the User for the current role, so every family of the account dies with it; a
role change likewise takes effect at the next refresh.

Access tokens are not looked up (authorization costs no DynamoDB call), so one stays
valid until it expires, 15 minutes at most.
"""

import hashlib
import logging
import secrets

import msgspec
from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import clock
from chalicelib.errors import ErrorCode, Unauthorized
from chalicelib.storage import condition_failed, new_id
from chalicelib.tables import RefreshToken, SessionFamily, User, read_transaction
from chalicelib.tokens import ACCESS_TOKEN_SECONDS, Principal, issue_access_token

logger = logging.getLogger(__name__)

REFRESH_TOKEN_SECONDS = 30 * 24 * 3600   # unused for this long, a session ends
SESSION_SECONDS = 90 * 24 * 3600         # and after this long in any case
NEW_TOKEN = RefreshToken.token_hash.does_not_exist()


class Session(msgspec.Struct, frozen=True):
    """What a sign-in or a refresh answers: who, in which role, and the new tokens."""

    user_id: str
    phone: str
    role: str
    access_token: str
    refresh_token: str
    expires_in: int = ACCESS_TOKEN_SECONDS


def start(transaction, user_id: str, phone: str, role: str) -> Session:
    """Add a new family and its first refresh token to `transaction` (the sign-in's);
    the session is the client's once the transaction commits."""
    now = clock.epoch()
    family = SessionFamily(new_id(), user_id=user_id,
                           expires_at=int(now + SESSION_SECONDS),
                           ttl=int(now + SESSION_SECONDS) + 1)
    transaction.save(family, condition=SessionFamily.family_id.does_not_exist())
    token, session = _issue(family, user_id, phone, role, now)
    transaction.save(token, condition=NEW_TOKEN)
    return session


def refresh(refresh_token: str) -> Session:
    """Rotate `refresh_token` into a new session with the user's current role."""
    now = clock.epoch()
    old = RefreshToken(_hash(refresh_token))
    unused = RefreshToken.token_hash.exists() & RefreshToken.used_at.does_not_exist()
    try:
        old.update([RefreshToken.used_at.set(now)], condition=unused)
    except UpdateError as error:
        if not condition_failed(error):
            raise
        raise _not_rotatable(old.token_hash) from None
    if now >= old.expires_at:
        raise _rejected(ErrorCode.REFRESH_TOKEN_EXPIRED, "The session has expired; sign in again.")

    with read_transaction() as reads:
        family_read = reads.get(SessionFamily, old.family_id)
        user_read = reads.get(User, old.user_id)
    family = _present(family_read)
    user = _present(user_read)
    # Reuse of this very token revokes the family only after this rotation won: the
    # winner still gets its pair (whose refresh token then dies with the family).
    if family is None or (family.revoked_at is not None
                          and family.revoked_by != old.token_hash):
        raise _rejected(ErrorCode.SESSION_REVOKED, "This session has ended; sign in again.")
    if user is None:
        raise _rejected(ErrorCode.ACCOUNT_DELETED, "This account has been deleted.")

    token, session = _issue(family, user.user_id, user.phone, user.role, now)
    token.save(condition=NEW_TOKEN)
    return session


def logout(principal: Principal, refresh_token: str) -> None:
    """End the session `refresh_token` belongs to, if it is the caller's."""
    try:
        token = RefreshToken.get(_hash(refresh_token), consistent_read=True)
    except DoesNotExist:
        return
    if token.user_id == principal.user_id:
        _revoke(token.family_id, "logout")


def _issue(family: SessionFamily, user_id: str, phone: str, role: str,
           now: float) -> tuple[RefreshToken, Session]:
    """A new refresh token of `family` (to be saved) and the session it belongs to."""
    refresh_token = secrets.token_urlsafe(32)   # 256 bits
    expires_at = int(min(now + REFRESH_TOKEN_SECONDS, family.expires_at))
    token = RefreshToken(_hash(refresh_token), family_id=family.family_id, user_id=user_id,
                         expires_at=expires_at, ttl=expires_at + 1)
    access_token = issue_access_token(Principal(user_id, role))
    return token, Session(user_id, phone, role, access_token, refresh_token)


def _not_rotatable(token_hash: str) -> Unauthorized:
    """Why a token could not be rotated: it was never ours, or it was rotated already.
    The second is reuse, and revokes the token's family."""
    try:
        token = RefreshToken.get(token_hash, consistent_read=True)
    except DoesNotExist:
        return _rejected(ErrorCode.REFRESH_TOKEN_INVALID,
                         "This refresh token is not valid; sign in again.")
    logger.warning("refresh token reused: revoking session family %s", token.family_id)
    _revoke(token.family_id, "reuse", token_hash)
    return _rejected(ErrorCode.REFRESH_TOKEN_REUSED, "This refresh token was already used, so "
                     "the session has been ended for safety; sign in again.")


def _revoke(family_id: str, reason: str, reused_token_hash: str | None = None) -> None:
    actions = [SessionFamily.revoked_at.set(clock.now()),
               SessionFamily.revoked_reason.set(reason)]
    if reused_token_hash:
        actions.append(SessionFamily.revoked_by.set(reused_token_hash))
    try:
        SessionFamily(family_id).update(
            actions,
            condition=(SessionFamily.family_id.exists()
                       & SessionFamily.revoked_at.does_not_exist()))
    except UpdateError as error:
        if not condition_failed(error):
            raise
        # Revoked already (or expired and tidied away): nothing more to end.


def _present(read):
    """The item a TransactGet read, or None where there was none."""
    try:
        return read.get()
    except DoesNotExist:
        return None


def _hash(refresh_token: str) -> str:
    # A plain hash suffices: the token is 256 random bits, so there is nothing to guess.
    return hashlib.sha256(refresh_token.encode()).hexdigest()


def _rejected(code: ErrorCode, message: str) -> Unauthorized:
    return Unauthorized(message, code=code)

"""The few helpers every side of bulletins shares: reading one, refusing to change a
closed one, and its name in the audit trail."""

from chalicelib.bulletins.fields import BulletinStatus
from chalicelib.errors import Conflict, ErrorCode, NotFound
from chalicelib.storage import is_id
from chalicelib.tables import Bulletin


def read(bulletin_id: str) -> Bulletin:
    """One GetItem. Resolved, retracted and expired bulletins open too."""
    if not is_id(bulletin_id):
        raise NotFound("No bulletin has this id.")
    try:
        return Bulletin.get(bulletin_id)
    except Bulletin.DoesNotExist:
        raise NotFound("No bulletin has this id.") from None


def refuse_if_closed(bulletin: Bulletin) -> None:
    if bulletin.status != BulletinStatus.PUBLISHED:
        raise Conflict(f"The bulletin is {bulletin.status}; it can no longer change.",
                       code=ErrorCode.BULLETIN_CLOSED)


def audit_target(bulletin_id: str) -> str:
    return f"bulletin#{bulletin_id}"

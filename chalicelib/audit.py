"""The append-only audit trail of officer and admin actions.

Events are only ever put (with a condition that the key is new), never updated or
deleted; the API role has no permission to change what a month partition holds
beyond adding to it. An action that changes state writes its event in the same
transaction as the change (`event()` + `TransactWrite.save`), so neither happens
without the other.
"""

from datetime import datetime
from enum import StrEnum

from chalicelib import clock
from chalicelib.pagination import Page, decode_cursor, encode_cursor
from chalicelib.storage import new_id
from chalicelib.tables import AuditEvent, User
from chalicelib.tokens import Principal

# The condition every audit write carries: an event is only ever added, never replaced.
APPEND_ONLY = AuditEvent.at_event.does_not_exist()


class AuditAction(StrEnum):
    """What an officer or admin did (or the app, for the bootstrap admin)."""

    ROLE_CHANGE = "role.change"
    REPORT_STATUS_CHANGED = "report.status_changed"
    REPORT_NOTE_ADDED = "report.note_added"
    REPORT_IDENTITY_REVEALED = "report.identity_revealed"
    REPORT_EVIDENCE_ORIGINAL_DOWNLOADED = "report.evidence_original_downloaded"
    REPORT_MESSAGE_SENT = "report.message_sent"
    REPORT_CUSTODY_RECORD_OPENED = "report.custody_record_opened"
    REPORT_LINKED_AS_DUPLICATE = "report.linked_as_duplicate"
    REPORT_UNLINKED = "report.unlinked"
    REPORT_ASSIGNED = "report.assigned"              # taken, given back or taken over
    REPORT_URGENCY_CHANGED = "report.urgency_changed"
    REPORTS_EXPORTED = "reports.exported"
    OFFICER_PROFILE_CHANGED = "officer.profile_changed"
    REPLY_TEMPLATES_CHANGED = "replies.changed"
    BULLETIN_PUBLISH = "bulletin.publish"
    BULLETIN_EDIT = "bulletin.edit"
    BULLETIN_RESOLVE = "bulletin.resolve"
    BULLETIN_RETRACT = "bulletin.retract"
    BULLETIN_IMAGE_UPLOAD = "bulletin.image_upload"


def event(actor: Principal, action: AuditAction, target: str,
          details: dict | None = None) -> AuditEvent:
    """An unsaved event: save it with APPEND_ONLY, alone (record) or in the same
    transaction as the change it describes, so the change cannot happen unrecorded."""
    now = clock.now()
    return AuditEvent(
        now.strftime("%Y-%m"), f"{now.isoformat()}#{new_id()}",
        actor_id=actor.user_id, actor_role=actor.role, action=action, target=target,
        details=details or {},
    )


def record(actor: Principal, action: AuditAction, target: str,
           details: dict | None = None) -> None:
    event(actor, action, target, details).save(condition=APPEND_ONLY)


def identity(event: AuditEvent) -> tuple[datetime, str]:
    """When an event happened and its id, from its sort key ("<iso time>#<id>")."""
    at, _, event_id = event.at_event.partition("#")
    return datetime.fromisoformat(at), event_id


# --- reading the trail -------------------------------------------------------------------

def actors(events: list[AuditEvent]) -> dict[str, dict]:
    """Actor id → how staff see the actor: id, role and display name (officers know
    each other by name). One BatchGetItem per 100 actors."""
    ids = sorted({event.actor_id for event in events})
    names = {user.user_id: user.display_name for user in User.batch_get(ids)} if ids else {}
    roles = {event.actor_id: event.actor_role for event in events}
    return {actor_id: {"id": actor_id, "role": roles[actor_id],
                       "display_name": names.get(actor_id)} for actor_id in ids}


LISTING = "audit"        # what cursors of this listing are bound to
HORIZON_MONTHS = 24      # the trail is read back this far, the current month included


def page(limit: int, cursor: str | None, now: datetime | None = None) -> Page:
    """Events newest first: the current month, then earlier ones, back to the horizon.

    A page is one Query unless it crosses into an earlier month (then one more per
    month, and empty months cost one each). The cursor holds the month and the key to
    go on after, signed like every cursor.
    """
    current = (now or clock.now()).strftime("%Y-%m")
    oldest = _months_before(current, HORIZON_MONTHS - 1)
    position = decode_cursor(LISTING, cursor) if cursor else {"month": current, "after": None}
    month, after = position["month"], position["after"]
    items: list[AuditEvent] = []
    while month >= oldest and len(items) < limit:
        results = AuditEvent.query(month, limit=limit - len(items),
                                   page_size=limit - len(items), scan_index_forward=False,
                                   last_evaluated_key=after)
        items.extend(results)
        if results.last_evaluated_key:
            return Page(items, _cursor(month, results.last_evaluated_key))
        month, after = _months_before(month, 1), None
    return Page(items, _cursor(month, None) if month >= oldest else None)


def _cursor(month: str, after: dict | None) -> str:
    return encode_cursor(LISTING, {"month": month, "after": after})


def _months_before(month: str, count: int) -> str:
    year, number = map(int, month.split("-"))
    index = year * 12 + number - 1 - count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"

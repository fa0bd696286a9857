"""The append-only audit trail of officer and admin actions.

Events are only ever put (with a condition that the key is new), never updated or
deleted; the API role has no permission to change what a month partition holds
beyond adding to it.
"""

import uuid
from datetime import UTC, datetime

from chalicelib.tables import AuditEvent
from chalicelib.tokens import Principal

# The condition every audit write carries: an event is only ever added, never replaced.
APPEND_ONLY = AuditEvent.at_event.does_not_exist()


def event(actor: Principal, action: str, target: str, details: dict | None = None) -> AuditEvent:
    """An unsaved event: save it with APPEND_ONLY, alone (record) or in the same
    transaction as the change it describes, so the change cannot happen unrecorded."""
    now = datetime.now(UTC)
    return AuditEvent(
        now.strftime("%Y-%m"), f"{now.isoformat()}#{uuid.uuid4().hex}",
        actor_id=actor.user_id, actor_role=actor.role, action=action, target=target,
        details=details or {},
    )


def record(actor: Principal, action: str, target: str, details: dict | None = None) -> None:
    event(actor, action, target, details).save(condition=APPEND_ONLY)

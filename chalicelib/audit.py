"""The append-only audit trail of officer and admin actions.

Events are only ever put (with a condition that the key is new), never updated or
deleted; the API role has no permission to change what a month partition holds
beyond adding to it.
"""

import uuid
from datetime import UTC, datetime

from chalicelib.tables import AuditEvent
from chalicelib.tokens import Principal


def record(actor: Principal, action: str, target: str, details: dict | None = None) -> None:
    now = datetime.now(UTC)
    AuditEvent(
        now.strftime("%Y-%m"), f"{now.isoformat()}#{uuid.uuid4().hex}",
        actor_id=actor.user_id, actor_role=actor.role, action=action, target=target,
        details=details or {},
    ).save(condition=AuditEvent.at_event.does_not_exist())

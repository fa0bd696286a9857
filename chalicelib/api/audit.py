"""GET /admin/audit: the audit trail, newest first, paginated (admins only)."""

from datetime import datetime

from chalicelib import audit
from chalicelib.api import responses as r
from chalicelib.api.routes import ADMINS, Blueprint, Paging
from chalicelib.clock import iso
from chalicelib.tables import AuditEvent

bp = Blueprint(__name__)


@bp.route("/admin/audit", methods=["GET"], allow=ADMINS, query=Paging, answer=r.AuditPage,
          summary="The audit trail (admins)")
def audit_trail(request):
    page = audit.page(request.query.limit, request.query.cursor)
    return {"items": [event_body(event) for event in page.items],
            "next_cursor": page.next_cursor}


def event_body(event: AuditEvent) -> dict:
    at, _, event_id = event.at_event.partition("#")
    return {"id": event_id, "at": iso(datetime.fromisoformat(at)),
            "actor": {"id": event.actor_id, "role": event.actor_role},
            "action": event.action, "target": event.target, "details": event.details}

"""GET /admin/audit: the audit trail, newest first, paginated (admins only)."""

from datetime import datetime

from chalice import Blueprint

from chalicelib import audit
from chalicelib.api.authz import authorize
from chalicelib.clock import iso
from chalicelib.pagination import parse_limit
from chalicelib.roles import Role
from chalicelib.tables import AuditEvent

bp = Blueprint(__name__)


@bp.route("/admin/audit", methods=["GET"])
def audit_trail():
    request = bp.current_request
    authorize(request, Role.ADMIN)
    query = request.query_params or {}
    page = audit.page(parse_limit(query), query.get("cursor"))
    return {"items": [event_body(event) for event in page.items],
            "next_cursor": page.next_cursor}


def event_body(event: AuditEvent) -> dict:
    at, _, event_id = event.at_event.partition("#")
    return {"id": event_id, "at": iso(datetime.fromisoformat(at)),
            "actor": {"id": event.actor_id, "role": event.actor_role},
            "action": event.action, "target": event.target, "details": event.details}

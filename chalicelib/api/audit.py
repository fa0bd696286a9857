"""GET /admin/audit: the audit trail, newest first, paginated (admins only)."""

from chalicelib import audit
from chalicelib.api import responses as r
from chalicelib.api.routes import ADMINS, Blueprint, Paging
from chalicelib.clock import iso
from chalicelib.tables import AuditEvent

bp = Blueprint(__name__)


@bp.route("/admin/audit", methods=["GET"], allow=ADMINS, query=Paging, answer=r.AuditPage,
          summary="The audit trail (admins)")
def audit_trail(request):
    """Each actor with their display name (one BatchGetItem for the page's actors)."""
    page = audit.page(request.query.limit, request.query.cursor)
    actors = audit.actors(page.items)
    return {"items": [event_body(event, actors[event.actor_id]) for event in page.items],
            "next_cursor": page.next_cursor}


def event_body(event: AuditEvent, actor: dict) -> dict:
    at, event_id = audit.identity(event)
    return {"id": event_id, "at": iso(at), "actor": actor,
            "action": event.action, "target": event.target, "details": event.details}

"""What the report tests share: signed-in callers, a valid report body, JSON requests,
the audit trail of a report, and a count of DynamoDB calls. (No tests here.)"""

import contextlib
import json
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pynamodb.signals import pre_dynamodb_send

from chalicelib.settings import resource_name
from chalicelib.tables import AuditEvent, User
from chalicelib.tokens import Principal, issue_access_token


@dataclass(frozen=True)
class Caller:
    principal: Principal
    headers: dict[str, str]

    @property
    def user_id(self) -> str:
        return self.principal.user_id


def caller(role: str = "citizen") -> Caller:
    principal = Principal(uuid.uuid4().hex, role)
    return Caller(principal, {"Authorization": f"Bearer {issue_access_token(principal)}"})


def registered_citizen() -> tuple[Caller, str]:
    """A citizen with a User record and a unique phone number."""
    who = caller()
    phone = f"+86139{uuid.uuid4().int % 10**8:08d}"
    User(who.user_id, phone=phone, role="citizen", created_at=datetime.now(UTC)).save()
    return who, phone


def a_bulletin(status: str = "published") -> str:
    """The id of a bulletin (a found wallet) in this status, for clues to name."""
    import msgspec

    from chalicelib import bulletins
    from chalicelib.bulletins.fields import BulletinDraft, Retract

    officer = Principal(uuid.uuid4().hex, "officer")
    draft = msgspec.convert({
        "category": "lost_and_found", "title": "A found wallet", "body": "Brown leather.",
        "district": "chaoyang", "contact": "110", "lost_or_found": "found",
        "item_type": "wallet", "description": "Brown leather wallet.",
        "place": "Hujialou station", "occurred_on": "2026-03-03",
        "claim_at": "Hujialou police station"}, BulletinDraft)
    bulletin = bulletins.publish(officer, draft)
    if status == "retracted":
        bulletins.close(officer, bulletin, Retract(reason="Published by mistake."))
    return bulletin.bulletin_id


def report_body(**overrides) -> dict:
    body = {
        "category": "theft",
        "description": "Someone cut the lock and took my bicycle outside the metro.",
        "location": {"latitude": 39.9219, "longitude": 116.4436, "accuracy_m": 12.5,
                     "address": "Chaoyang Park South Gate"},
        "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
    }
    body.update(overrides)
    return body


def send(client, method: str, path: str, who: Caller | None = None, body=None,
         raw: bytes | str | None = None):
    headers = {"Content-Type": "application/json", **(who.headers if who else {})}
    payload = raw if raw is not None else (None if body is None else json.dumps(body))
    return getattr(client.http, method)(path, headers=headers, body=payload)


def file_report(client, who: Caller, **overrides) -> dict:
    response = send(client, "post", "/reports", who, report_body(**overrides))
    assert response.status_code == 201, response.body
    return response.json_body


def audit_of(report_id: str) -> list[AuditEvent]:
    month = datetime.now(UTC).strftime("%Y-%m")
    is_this_report = AuditEvent.target == f"report#{report_id}"
    return list(AuditEvent.query(month, filter_condition=is_this_report))


def error_code(response) -> str:
    return response.json_body["error"]["code"]


@contextlib.contextmanager
def dynamodb_calls():
    """Every DynamoDB API call PynamoDB makes inside the block from this thread (not the
    pump's), as (operation, table)."""
    calls: list[tuple[str, str | None]] = []
    prefix = resource_name("")
    thread = threading.get_ident()

    def count(_connection, operation_name, table_name, **_):
        if threading.get_ident() == thread:
            calls.append((operation_name, table_name and table_name.removeprefix(prefix)))

    with pre_dynamodb_send.connected_to(count):
        yield calls

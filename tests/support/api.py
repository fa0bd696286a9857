"""Callers and requests through the chalice test client: signed-in callers (a token, no
sign-in), JSON requests, a valid report body and a filed report, the audit trail of a
report, and the error code of an answer."""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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

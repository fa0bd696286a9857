"""Bulletins through the chalice test client: a valid draft of each category (with a
district unique to the draft, so a listing sees only its test's bulletins), officers'
headers, and the requests the bulletin tests make."""

import itertools
import json
import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

from chalicelib.tables import AuditEvent
from chalicelib.tokens import Principal, issue_access_token
from support.districts import TEST_DISTRICTS

DRAFTS = {
    "key_case": {
        "case_number": "2026-CY-0042",
        "summary": "Robbery at a convenience store on Chaoyang Road.",
        "occurred_at": "2026-03-01T20:15:00Z",
        "appeal": "Anyone who passed the store between 20:00 and 20:30, please call us.",
    },
    "missing_person": {
        "name": "王小明", "sex": "male", "age": 8, "height_cm": 125, "build": "slim",
        "clothing": "red jacket, blue school trousers",
        "last_seen_place": "朝阳公园南门", "last_seen_at": "2026-03-02T16:40:00Z",
        "circumstances": "Left school alone and did not arrive home.", "at_risk": True,
    },
    "lost_and_found": {
        "lost_or_found": "found", "item_type": "wallet",
        "description": "Brown leather wallet with a library card.",
        "place": "Line 10, Hujialou station", "occurred_on": "2026-03-03",
        "claim_at": "Hujialou police station, front desk",
    },
    "suspect": {
        "name": "Zhang San", "aliases": ["Little Zhang"],
        "description": "Male, about 30, 175 cm, scar on the left cheek.",
        "wanted_for": "Armed robbery", "caution": "Dangerous: do not approach.",
        "reward": "Up to 10,000 yuan for information leading to an arrest.",
    },
    "vehicle": {
        "plate": "京A·12345", "make": "Volkswagen", "model": "Passat", "colour": "silver",
        "year": 2019, "sought_for": "hit_and_run",
    },
}
CATEGORIES = tuple(DRAFTS)
# What each category's outcome would naturally be when resolved.
OUTCOMES = {"key_case": "closed", "missing_person": "found", "lost_and_found": "returned",
            "suspect": "arrested", "vehicle": "recovered"}


def headers(role: str | None = "officer", user_id: str | None = None, **extra: str) -> dict:
    base = {"Content-Type": "application/json", **extra}
    if role:
        principal = Principal(user_id or f"{role}-{uuid.uuid4().hex}", role)
        base["Authorization"] = f"Bearer {issue_access_token(principal)}"
    return base


# One per call: each test process has its own emulator, so no two tests share one.
_next_district = itertools.count()


def unique_district() -> str:
    return TEST_DISTRICTS[next(_next_district)]


def draft(category: str, district: str | None = None, **overrides) -> dict:
    return {"category": category, "title": f"A {category} bulletin",
            "body": "Details for the public.\nSecond line.",
            "district": district or unique_district(), "contact": "110 or 010-6500 0000",
            **DRAFTS[category], **overrides}


def publish(client, body, role: str | None = "officer", **extra_headers: str):
    return client.http.post("/bulletins", body=json.dumps(body),
                            headers=headers(role, **extra_headers))


def published(client, body: dict) -> dict:
    response = publish(client, body)
    assert response.status_code == 201, response.body
    return response.json_body


def patch(client, bulletin_id: str, body, role: str | None = "officer"):
    return client.http.patch(f"/bulletins/{bulletin_id}", body=json.dumps(body),
                             headers=headers(role))


def get(client, bulletin_id: str, **request_headers: str):
    return client.http.get(f"/bulletins/{bulletin_id}", headers=request_headers)


def listing(client, **params) -> dict:
    response = client.http.get(f"/bulletins?{urlencode(params)}")
    assert response.status_code == 200, response.body
    return response.json_body


def listed_ids(client, **params) -> list[str]:
    return [item["id"] for item in listing(client, **params)["items"]]


def error_of(response) -> dict:
    return response.json_body["error"]


def audit_actions(bulletin_id: str) -> list[str]:
    month = datetime.now(UTC).strftime("%Y-%m")
    return [event.action for event in AuditEvent.query(month)
            if event.target == f"bulletin#{bulletin_id}"]


def a_bulletin(status: str = "published") -> str:
    """The id of a bulletin (a found wallet) in this status, for clues to name."""
    import msgspec

    from chalicelib import bulletins
    from chalicelib.bulletins.fields import BulletinDraft, Retract

    officer = Principal(uuid.uuid4().hex, "officer")
    bulletin = bulletins.publish(officer, msgspec.convert(draft("lost_and_found"),
                                                          BulletinDraft))
    if status == "retracted":
        bulletins.close(officer, bulletin, Retract(reason="Published by mistake."))
    return bulletin.bulletin_id

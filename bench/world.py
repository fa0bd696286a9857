"""A realistic state to measure the API in: callers of each role signed in by SMS code,
50 published bulletins (one with a processed image), and a citizen's reports with
processed photo evidence. Built through the API itself (chalice.test.Client): the
admin is the stage's bootstrap-admin number, the officer a citizen the admin promoted,
each code read back from the SMS sink; the evidence is uploaded to the emulator's S3
and run through the real worker.

Throwaway callers (`caller()`) are minted with chalicelib.tokens.issue_access_token,
each with a User record, as the report tests do.
"""

import functools
import io
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

BULLETINS = 50
REPORTS = 3
PHOTOS_PER_REPORT = 2
DRAFTS = {
    "key_case": {"case_number": "2026-CY-0107", "occurred_at": "2026-03-01T20:15:00Z",
                 "summary": "A shop on Chaoyang North Road was robbed at knifepoint.",
                 "appeal": "Did you pass the shop between 20:00 and 20:30? Call us."},
    "missing_person": {"name": "李娜", "sex": "female", "age": 71, "height_cm": 158,
                       "clothing": "grey coat, black trousers",
                       "last_seen_place": "团结湖公园北门",
                       "last_seen_at": "2026-03-02T07:40:00Z", "at_risk": True},
    "lost_and_found": {"lost_or_found": "found", "item_type": "backpack",
                       "description": "Blue school backpack with maths books.",
                       "place": "Bus 405, Jintai Road stop", "occurred_on": "2026-03-03",
                       "claim_at": "Hujialou police station, front desk"},
    "suspect": {"description": "Male, about 40, 180 cm, grey beard.",
                "wanted_for": "Fraud against elderly residents",
                "caution": "Do not hand him money or bank cards."},
    "vehicle": {"plate": "京B·6G271", "make": "Toyota", "model": "Corolla",
                "colour": "white", "year": 2017, "sought_for": "stolen"},
}


@dataclass(frozen=True)
class Caller:
    user_id: str
    role: str
    headers: dict[str, str]


@dataclass
class World:
    citizen: Caller
    officer: Caller
    admin: Caller
    bulletin_ids: list[str] = field(default_factory=list)
    bulletin_with_image: str = ""
    report_ids: list[str] = field(default_factory=list)
    evidence: dict[str, list[str]] = field(default_factory=dict)  # report id → evidence ids


def new_phone() -> str:
    return f"+86139{uuid.uuid4().int % 10**8:08d}"


def caller(role: str = "citizen") -> Caller:
    """A registered user of `role` with a valid access token."""
    from chalicelib.tables import User
    from chalicelib.tokens import Principal, issue_access_token

    principal = Principal(uuid.uuid4().hex, role)
    User(principal.user_id, phone=new_phone(), role=role, created_at=datetime.now(UTC)).save()
    return Caller(principal.user_id, role,
                  {"Authorization": f"Bearer {issue_access_token(principal)}"})


def code_sent_to(client, phone: str) -> str:
    """Asks for a sign-in code and reads it back from the SMS sink, as from Twilio."""
    from bench.stack import local_stack

    expect(send(client, "POST", "/auth/otp", body={"phone": phone}), 202)
    newest = local_stack().sms_sink.messages(to=phone)[0]
    return re.search(r"\b([0-9]{6})\b", newest["body"]).group(1)


def signed_in(client, phone: str | None = None) -> dict:
    """`phone` (a fresh number by default) signed in through the API: the session body
    (access_token, refresh_token, user) and the phone."""
    phone = phone or new_phone()
    return {"phone": phone, **expect(send(client, "POST", "/auth/verify", body={
        "phone": phone, "code": code_sent_to(client, phone)}), 200)}


def session_caller(session: dict) -> Caller:
    return Caller(session["user"]["id"], session["user"]["role"],
                  {"Authorization": f"Bearer {session['access_token']}"})


def signed_in_callers(client) -> tuple[Caller, Caller, Caller]:
    """A citizen, an officer and the admin, each signed in by SMS code."""
    from chalicelib.settings import settings

    admin = session_caller(signed_in(client, settings().bootstrap_admin))
    officer_phone = new_phone()
    expect(send(client, "PUT", f"/admin/officers/{quote(officer_phone)}", admin), 200)
    officer = session_caller(signed_in(client, officer_phone))
    return session_caller(signed_in(client)), officer, admin


def send(client, method: str, path: str, who: Caller | None = None, body=None,
         headers: dict | None = None):
    all_headers = {"Content-Type": "application/json", **(who.headers if who else {}),
                   **(headers or {})}
    return getattr(client.http, method.lower())(
        path, headers=all_headers, body=None if body is None else json.dumps(body))


def expect(response, status: int) -> dict:
    if response.status_code != status:
        raise AssertionError(f"expected {status}, got {response.status_code}: {response.body}")
    return json.loads(response.body) if response.body else {}


def bulletin_draft(category: str, number: int) -> dict:
    return {"category": category, "title": f"Bulletin {number}: {category.replace('_', ' ')}",
            "body": "What happened, and what we ask of you.\nCall us with anything you saw.",
            "district": "朝阳区", "contact": "110 or 010-6500 0000", **DRAFTS[category]}


def report_body(bulletin_id: str | None = None) -> dict:
    body = {"category": "theft",
            "description": "Two men forced the lock of a bicycle outside the metro exit.",
            "location": {"latitude": 39.9219, "longitude": 116.4436, "accuracy_m": 12.5,
                         "address": "Chaoyang Park South Gate"},
            "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}
    return {**body, "bulletin_id": bulletin_id} if bulletin_id else body


def photo() -> bytes:
    """A 1600×1200 phone-like JPEG."""
    from PIL import Image

    out = io.BytesIO()
    Image.effect_noise((400, 300), 40).resize((1600, 1200)).convert("RGB").save(
        out, "JPEG", quality=85)
    return out.getvalue()


def upload_and_process(ticket: dict, content: bytes, content_type: str) -> None:
    """What the phone and then the evidence worker do with an upload ticket."""
    import requests

    from chalicelib.media.s3_events import CreatedObject
    from chalicelib.media.worker import process_object
    from chalicelib.settings import settings

    posted = requests.post(ticket["url"], data=ticket["fields"],
                           files={"file": ("upload", content, content_type)}, timeout=30)
    if posted.status_code != 204:
        raise AssertionError(f"upload refused: {posted.status_code} {posted.text}")
    process_object(CreatedObject(settings().evidence_bucket, ticket["fields"]["key"],
                                 len(content)))


def build(client) -> World:
    world = World(*signed_in_callers(client))
    if (world.officer.role, world.admin.role) != ("officer", "admin"):
        raise AssertionError(f"signed in as {world.officer.role} and {world.admin.role}")
    categories = list(DRAFTS)
    for number in range(BULLETINS):
        draft = bulletin_draft(categories[number % len(categories)], number)
        world.bulletin_ids.append(
            expect(send(client, "POST", "/bulletins", world.officer, draft), 201)["id"])
    content = photo()
    world.bulletin_with_image = world.bulletin_ids[-1]
    ticket = expect(send(client, "POST", f"/bulletins/{world.bulletin_with_image}/images",
                         world.officer, {"content_type": "image/jpeg", "size": len(content)}),
                    201)
    upload_and_process(ticket["upload"], content, "image/jpeg")
    for number in range(REPORTS):
        clue_on = world.bulletin_ids[number] if number == 0 else None
        report_id = expect(send(client, "POST", "/reports", world.citizen,
                                report_body(clue_on)), 201)["report_id"]
        world.report_ids.append(report_id)
        world.evidence[report_id] = []
        for _ in range(PHOTOS_PER_REPORT):
            ticket = expect(send(client, "POST", f"/reports/{report_id}/evidence", world.citizen,
                                 {"content_type": "image/jpeg", "size": len(content)}), 201)
            upload_and_process(ticket["upload"], content, "image/jpeg")
            world.evidence[report_id].append(ticket["evidence_id"])
    return world


@functools.cache
def shared() -> tuple:
    """(chalice.test.Client, World, app) on the local stack, built once per process."""
    from chalice.test import Client

    from bench.stack import app_log_in_file, local_stack
    from local import config

    local_stack()  # first: the app reads table names from the environment at import
    from app import app

    client = Client(app, stage_name=config.STAGE)
    client.__enter__()  # sets the stage's environment, which local_stack() already set
    with app_log_in_file():
        return client, build(client), app

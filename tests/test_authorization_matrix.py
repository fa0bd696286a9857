"""The authorization matrix: every route of the app × every kind of caller → the status.

The rows are checked against the app's own route table, so a route added without a row
here fails test_every_route_has_a_row. Each row gets a fresh world (citizen A's report
with processed evidence, a bulletin, an officer's number) and sends a body that is valid
for the route, so the status shows who may do what, not whether the body was good.
"Citizen B" is another citizen acting on A's objects (A's report id, A's evidence).
"""

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from support.api import Caller, caller, file_report, report_body, send
from support.bulletins import draft
from support.evidence import JPEG, processed

from chalicelib import reports
from chalicelib.tables import PhoneClaim, User

CALLERS = ("anonymous", "citizen_a", "citizen_b", "officer", "admin")
NOTE = {"note": {"text": "Checked the CCTV request.", "visibility": "internal"}}


def new_phone() -> str:
    return f"+86139{uuid.uuid4().int % 10**8:08d}"


def registered(role: str) -> Caller:
    """A caller with an account, as sign-in leaves it: the User and its PhoneClaim."""
    who, phone = caller(role), new_phone()
    User(who.user_id, phone=phone, role=role, created_at=datetime.now(UTC)).save()
    PhoneClaim(phone, user_id=who.user_id, role=role).save()
    return who


@dataclass
class World:
    """What one row's requests act on; every id belongs to citizen A."""
    callers: dict[str, Caller | None]
    report_id: str
    evidence_id: str
    bulletin_id: str
    officer_phone: str


@pytest.fixture
def world(client) -> World:
    callers = {"anonymous": None, **{name: registered(name.split("_")[0])
                                     for name in CALLERS[1:]}}
    owner = callers["citizen_a"]
    report_id = file_report(client, owner)["report_id"]
    evidence = send(client, "post", f"/reports/{report_id}/evidence", owner, JPEG)
    evidence_id = evidence.json_body["evidence_id"]
    reports.on_media_processed(report_id, processed(report_id, evidence_id))
    bulletin = send(client, "post", "/bulletins", callers["officer"], draft("vehicle"))
    officer_phone = new_phone()
    granted = send(client, "put", f"/admin/officers/{officer_phone}", callers["admin"])
    assert (bulletin.status_code, granted.status_code) == (201, 200)
    return World(callers, report_id, evidence_id, bulletin.json_body["id"], officer_phone)


def session_body(client, sms_sink) -> dict:
    phone = new_phone()
    send(client, "post", "/auth/otp", body={"phone": phone})
    code = re.search(r"\b([0-9]{6})\b", sms_sink.messages(to=phone)[0]["body"]).group(1)
    return {"phone": phone, "code": code}


# (method, route) → (how to call it: path and body from the world, expected statuses in
# the order of CALLERS). A callable body is made per call (a fresh number, a fresh code).
ROWS = {
    ("GET", "/health"): (lambda w: ("/health", None), (200, 200, 200, 200, 200)),
    ("GET", "/openapi.json"): (lambda w: ("/openapi.json", None), (200,) * 5),
    ("POST", "/auth/otp"): (lambda w: ("/auth/otp", lambda: {"phone": new_phone()}),
                            (202, 202, 202, 202, 202)),
    ("POST", "/auth/verify"): (lambda w: ("/auth/verify", "sign_in"), (200,) * 5),
    ("POST", "/auth/refresh"): (lambda w: ("/auth/refresh", "refresh"), (200,) * 5),
    ("POST", "/auth/logout"): (lambda w: ("/auth/logout", {"refresh_token": "not-a-token"}),
                               (401, 204, 204, 204, 204)),
    ("GET", "/me"): (lambda w: ("/me", None), (401, 200, 200, 200, 200)),
    ("DELETE", "/me"): (lambda w: ("/me", None), (401, 204, 204, 204, 204)),
    ("GET", "/bulletins"): (lambda w: ("/bulletins", None), (200,) * 5),
    ("GET", "/bulletins/{bulletin_id}"): (lambda w: (f"/bulletins/{w.bulletin_id}", None),
                                          (200,) * 5),
    ("POST", "/bulletins"): (lambda w: ("/bulletins", lambda: draft("vehicle")),
                             (401, 403, 403, 201, 201)),
    ("PATCH", "/bulletins/{bulletin_id}"): (
        lambda w: (f"/bulletins/{w.bulletin_id}", {"title": "Stolen van, plate updated"}),
        (401, 403, 403, 200, 200)),
    ("POST", "/bulletins/{bulletin_id}/images"): (
        lambda w: (f"/bulletins/{w.bulletin_id}/images", JPEG), (401, 403, 403, 201, 201)),
    ("POST", "/reports"): (lambda w: ("/reports", report_body()), (401, 201, 201, 201, 201)),
    ("GET", "/reports"): (lambda w: ("/reports", None), (401, 200, 200, 200, 200)),
    ("GET", "/reports/{report_id}"): (lambda w: (f"/reports/{w.report_id}", None),
                                      (401, 200, 404, 404, 404)),
    ("POST", "/reports/{report_id}/evidence"): (
        lambda w: (f"/reports/{w.report_id}/evidence", JPEG), (401, 201, 404, 404, 404)),
    ("GET", "/admin/reports"): (lambda w: ("/admin/reports?category=theft", None),
                                (401, 403, 403, 200, 200)),
    ("GET", "/admin/reports/{report_id}"): (lambda w: (f"/admin/reports/{w.report_id}", None),
                                            (401, 403, 403, 200, 200)),
    ("PATCH", "/admin/reports/{report_id}"): (
        lambda w: (f"/admin/reports/{w.report_id}", NOTE), (401, 403, 403, 200, 200)),
    ("POST", "/admin/reports/{report_id}/reveal"): (
        lambda w: (f"/admin/reports/{w.report_id}/reveal",
                   {"reason": "Court order 2026-114 for the robbery case."}),
        (401, 403, 403, 403, 200)),
    ("GET", "/admin/reports/{report_id}/evidence/{evidence_id}/original"): (
        lambda w: (f"/admin/reports/{w.report_id}/evidence/{w.evidence_id}/original", None),
        (401, 403, 403, 200, 200)),
    ("PUT", "/admin/officers/{phone}"): (
        lambda w: (f"/admin/officers/{new_phone()}", None), (401, 403, 403, 403, 200)),
    ("DELETE", "/admin/officers/{phone}"): (
        lambda w: (f"/admin/officers/{w.officer_phone}", None), (401, 403, 403, 403, 204)),
    ("GET", "/admin/audit"): (lambda w: ("/admin/audit", None), (401, 403, 403, 403, 200)),
}

# Every path answers CORS preflights (chalicelib/api/cors.py) to anyone: a preflight
# carries no credentials, and the real request that follows is checked as above.
ROWS.update({("OPTIONS", path): (lambda w, route=route: (ROWS[route][0](w)[0], None),
                                 (204,) * 5)
             for route in list(ROWS) for path in [route[1]]})


def app_routes(app) -> set[tuple[str, str]]:
    return {(method, path) for path, methods in app.routes.items() for method in methods}


def test_every_route_has_a_row(app):
    assert set(ROWS) == app_routes(app)
    print(f"authorization matrix: {len(ROWS)} routes × {len(CALLERS)} callers = "
          f"{len(ROWS) * len(CALLERS)} cells")


def body_for(client, sms_sink, body):
    """The body to send: fixed, made per call, or a fresh sign-in's code or token."""
    if body in ("sign_in", "refresh"):
        sign_in = session_body(client, sms_sink)
        if body == "sign_in":
            return sign_in
        return {"refresh_token": json.loads(
            send(client, "post", "/auth/verify", body=sign_in).body)["refresh_token"]}
    return body() if callable(body) else body


@pytest.mark.parametrize("route", sorted(ROWS), ids=" ".join)
def test_each_caller_gets_the_expected_status(client, sms_sink, world, route):
    make_request, expected = ROWS[route]
    method = route[0].lower()
    statuses = []
    for name in CALLERS:
        path, body = make_request(world)
        response = send(client, method, path, world.callers[name],
                        body=body_for(client, sms_sink, body))
        statuses.append(response.status_code)
    assert dict(zip(CALLERS, statuses, strict=True)) == dict(zip(CALLERS, expected, strict=True))

"""The authorization matrix: every route of the app × every kind of caller → the status.

The expected statuses follow from each route's declared roles, plus the object-level
rules below; the requests are real. The rows are checked against the app's own route
table, so a route added without a row here fails test_every_route_has_a_row. Each row
gets a fresh world (citizen A's report with processed evidence, a bulletin, an
officer's number) and sends a body that is valid for the route, so the status shows who
may do what, not whether the body was good. "Citizen B" is another citizen acting on
A's objects (A's report id, A's evidence).
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import requests
from support.api import Caller, caller, file_report, report_body, send
from support.auth import new_phone
from support.bulletins import draft
from support.evidence import JPEG, processed

from chalicelib import reports
from chalicelib.api.routes import ANYONE, CONTRACTS, Contract
from chalicelib.media import uploads
from chalicelib.tables import PhoneClaim, User

CALLERS = ("anonymous", "citizen_a", "citizen_b", "officer", "admin")
NOTE = {"note": {"text": "Checked the CCTV request.", "visibility": "internal"}}


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
    multipart_id: str   # a multipart upload of one part, uploaded, not completed
    part_etag: str
    bulletin_id: str
    officer_phone: str
    other_report_id: str        # another of A's reports, to link A's report to
    export_id: str              # an export the admin asked for
    image_id: str               # an image upload asked for on the bulletin


@pytest.fixture
def world(client, monkeypatch) -> World:
    callers = {"anonymous": None, **{name: registered(name.split("_")[0])
                                     for name in CALLERS[1:]}}
    owner = callers["citizen_a"]
    report_id = file_report(client, owner)["report_id"]
    evidence = send(client, "post", f"/reports/{report_id}/evidence", owner, JPEG)
    evidence_id = evidence.json_body["evidence_id"]
    reports.on_media_processed(report_id, processed(report_id, evidence_id))
    monkeypatch.setattr(uploads, "MULTIPART_THRESHOLD_BYTES", 1024)
    multipart = send(client, "post", f"/reports/{report_id}/evidence", owner, JPEG).json_body
    [part] = multipart["upload"]["parts"]
    etag = requests.put(part["url"], data=bytes(JPEG["size"]), timeout=10).headers["ETag"]
    bulletin = send(client, "post", "/bulletins", callers["officer"], draft("vehicle"))
    officer_phone = new_phone()
    granted = send(client, "put", f"/admin/officers/{officer_phone}", callers["admin"])
    assert (bulletin.status_code, granted.status_code) == (201, 200)
    other_report_id = file_report(client, owner)["report_id"]
    export = send(client, "post", "/admin/exports", callers["admin"], {"category": "theft"})
    image = send(client, "post", f"/bulletins/{bulletin.json_body['id']}/images",
                 callers["officer"], JPEG)
    assert (export.status_code, image.status_code) == (202, 201)
    return World(callers, report_id, evidence_id, multipart["evidence_id"], etag,
                 bulletin.json_body["id"], officer_phone, other_report_id,
                 export.json_body["export_id"], image.json_body["media_id"])


def replies_body() -> dict:
    """A valid PUT /admin/replies: the version as it is now."""
    from chalicelib import replies

    return {"version": replies.view(replies.current())["version"], "replies": [{
        "id": "thanks", "title": {"zh-CN": "感谢", "en": "Thanks"},
        "text": {"zh-CN": "感谢您的举报。", "en": "Thank you for your report."}}]}


def session_body(client, sms_sink) -> dict:
    phone = new_phone()
    send(client, "post", "/auth/otp", body={"phone": phone})
    code = re.search(r"\b([0-9]{6})\b", sms_sink.messages(to=phone)[0]["body"]).group(1)
    return {"phone": phone, "code": code}


# (method, route) → how to call it: the path and the body, from the world. A callable
# body is made per call (a fresh number, a fresh code). What each caller should get
# follows from the route's declared roles (chalicelib/api/routes.py): its success status
# when allowed, 401 for anonymous, 403 for another role.
REQUESTS = {
    ("GET", "/health"): lambda w: ("/health", None),
    ("GET", "/openapi.json"): lambda w: ("/openapi.json", None),
    ("POST", "/auth/otp"): lambda w: ("/auth/otp", lambda: {"phone": new_phone()}),
    ("POST", "/auth/verify"): lambda w: ("/auth/verify", "sign_in"),
    ("POST", "/auth/refresh"): lambda w: ("/auth/refresh", "refresh"),
    ("POST", "/auth/logout"): lambda w: ("/auth/logout", {"refresh_token": "not-a-token"}),
    ("GET", "/me"): lambda w: ("/me", None),
    ("DELETE", "/me"): lambda w: ("/me", None),
    ("GET", "/bulletins"): lambda w: ("/bulletins", None),
    ("GET", "/bulletins/{bulletin_id}"): lambda w: (f"/bulletins/{w.bulletin_id}", None),
    ("POST", "/bulletins"): lambda w: ("/bulletins", lambda: draft("vehicle")),
    ("PATCH", "/bulletins/{bulletin_id}"): lambda w: (
        f"/bulletins/{w.bulletin_id}", {"title": "Stolen van, plate updated"}),
    ("POST", "/bulletins/{bulletin_id}/images"): lambda w: (
        f"/bulletins/{w.bulletin_id}/images", JPEG),
    ("GET", "/bulletins/{bulletin_id}/images"): lambda w: (
        f"/bulletins/{w.bulletin_id}/images", None),
    ("POST", "/reports"): lambda w: ("/reports", report_body()),
    ("GET", "/reports"): lambda w: ("/reports", None),
    ("GET", "/reports/{report_id}"): lambda w: (f"/reports/{w.report_id}", None),
    ("POST", "/reports/{report_id}/evidence"): lambda w: (
        f"/reports/{w.report_id}/evidence", JPEG),
    ("GET", "/reports/{report_id}/evidence/{evidence_id}/upload"): lambda w: (
        f"/reports/{w.report_id}/evidence/{w.multipart_id}/upload", None),
    ("POST", "/reports/{report_id}/evidence/{evidence_id}/complete"): lambda w: (
        f"/reports/{w.report_id}/evidence/{w.multipart_id}/complete",
        {"parts": [{"part_number": 1, "etag": w.part_etag}]}),
    ("DELETE", "/reports/{report_id}/evidence/{evidence_id}/complete"): lambda w: (
        f"/reports/{w.report_id}/evidence/{w.multipart_id}/complete", None),
    ("GET", "/admin/reports"): lambda w: ("/admin/reports?category=theft", None),
    ("GET", "/admin/reports/{report_id}"): lambda w: (f"/admin/reports/{w.report_id}", None),
    ("PATCH", "/admin/reports/{report_id}"): lambda w: (f"/admin/reports/{w.report_id}", NOTE),
    ("POST", "/admin/reports/{report_id}/reveal"): lambda w: (
        f"/admin/reports/{w.report_id}/reveal",
        {"reason": "Court order 2026-114 for the robbery case."}),
    ("GET", "/reports/nearby-bulletins"): lambda w: (
        "/reports/nearby-bulletins?near=39.9219,116.4436", None),
    ("GET", "/admin/reports/{report_id}/nearby"): lambda w: (
        f"/admin/reports/{w.report_id}/nearby", None),
    ("POST", "/admin/reports/{report_id}/duplicate-of"): lambda w: (
        f"/admin/reports/{w.report_id}/duplicate-of", {"report_id": w.other_report_id}),
    ("DELETE", "/admin/reports/{report_id}/duplicate-of"): lambda w: (
        f"/admin/reports/{w.report_id}/duplicate-of", None),
    ("GET", "/admin/reports/{report_id}/evidence/{evidence_id}/original"): lambda w: (
        f"/admin/reports/{w.report_id}/evidence/{w.evidence_id}/original", None),
    ("GET", "/admin/reports/{report_id}/custody"): lambda w: (
        f"/admin/reports/{w.report_id}/custody", None),
    ("PUT", "/admin/officers/{phone}"): lambda w: (f"/admin/officers/{new_phone()}", None),
    ("DELETE", "/admin/officers/{phone}"): lambda w: (f"/admin/officers/{w.officer_phone}",
                                                      None),
    ("GET", "/admin/audit"): lambda w: ("/admin/audit", None),
    ("GET", "/reports/{report_id}/messages"): lambda w: (
        f"/reports/{w.report_id}/messages", None),
    ("POST", "/reports/{report_id}/messages"): lambda w: (
        f"/reports/{w.report_id}/messages", {"body": "The car was a grey sedan."}),
    ("GET", "/admin/reports/{report_id}/messages"): lambda w: (
        f"/admin/reports/{w.report_id}/messages", None),
    ("POST", "/admin/reports/{report_id}/messages"): lambda w: (
        f"/admin/reports/{w.report_id}/messages", {"body": "Which way did it go?"}),
    ("GET", "/admin/inbox"): lambda w: ("/admin/inbox", None),
    ("PUT", "/admin/reports/{report_id}/hold"): lambda w: (
        f"/admin/reports/{w.report_id}/hold", {"reason": "Court case 2026-311, keep it."}),
    ("DELETE", "/admin/reports/{report_id}/hold"): lambda w: (
        f"/admin/reports/{w.report_id}/hold", None),
    ("GET", "/transparency"): lambda w: ("/transparency?month=2026-11&months=12", None),
    ("GET", "/transparency/policy"): lambda w: ("/transparency/policy", None),
    ("GET", "/districts"): lambda w: ("/districts", None),
    ("PUT", "/me/devices/{installation_id}"): lambda w: (
        "/me/devices/matrix-installation", {"platform": "fcm", "token": "matrix-token"}),
    ("DELETE", "/me/devices/{installation_id}"): lambda w: (
        "/me/devices/matrix-installation", None),
    ("GET", "/me/alerts"): lambda w: ("/me/alerts", None),
    ("PUT", "/me/alerts"): lambda w: (
        "/me/alerts", {"subscriptions": [{"category": "missing_person", "district": "朝阳区"}]}),
    ("GET", "/admin/alerts/audience"): lambda w: (
        "/admin/alerts/audience?category=missing_person&district=朝阳区", None),
    ("GET", "/admin/officers"): lambda w: ("/admin/officers", None),
    ("GET", "/bulletins/{bulletin_id}/images/{media_id}"): lambda w: (
        f"/bulletins/{w.bulletin_id}/images/{w.image_id}", None),
    ("GET", "/admin/replies"): lambda w: ("/admin/replies", None),
    ("PUT", "/admin/replies"): lambda w: ("/admin/replies", replies_body),
    ("GET", "/admin/stats"): lambda w: ("/admin/stats", None),
    # A day before any report: the export is real but empty, so it keeps no pump busy.
    ("POST", "/admin/exports"): lambda w: (
        "/admin/exports", {"category": "theft", "from": "2020-01-01", "to": "2020-01-01"}),
    ("GET", "/admin/exports/{export_id}"): lambda w: (f"/admin/exports/{w.export_id}", None),
}

# The object-level rules, which live in the domain, not in the declarations: a citizen's
# report and its evidence are the reporter's alone; anyone else gets the 404 a missing
# report gets, whatever their role.
NOT_YOURS = {"citizen_b": 404, "officer": 404, "admin": 404}
OBJECT_LEVEL = {
    ("GET", "/reports/{report_id}"): NOT_YOURS,
    ("POST", "/reports/{report_id}/evidence"): NOT_YOURS,
    ("GET", "/reports/{report_id}/messages"): NOT_YOURS,
    ("POST", "/reports/{report_id}/messages"): NOT_YOURS,
    ("GET", "/reports/{report_id}/evidence/{evidence_id}/upload"): NOT_YOURS,
    ("POST", "/reports/{report_id}/evidence/{evidence_id}/complete"): NOT_YOURS,
    ("DELETE", "/reports/{report_id}/evidence/{evidence_id}/complete"): NOT_YOURS,
    # An export is its requester's (here the admin's) and other admins': another
    # officer gets the 404 a missing export gets.
    ("GET", "/admin/exports/{export_id}"): {"officer": 404},
}


def declared_statuses(contract: Contract) -> dict[str, int]:
    """What the route's declaration says each caller gets."""
    def status(caller: str) -> int:
        if contract.allow is ANYONE:
            return contract.ok
        if caller == "anonymous":
            return 401
        return contract.ok if caller.split("_")[0] in contract.allow else 403

    expected = {caller: status(caller) for caller in CALLERS}
    return {**expected, **OBJECT_LEVEL.get((contract.method, contract.path), {})}


CONTRACT_OF = {(contract.method, contract.path): contract for contract in CONTRACTS}


def app_routes(app) -> set[tuple[str, str]]:
    return {(method, path) for path, methods in app.routes.items() for method in methods}


def test_every_route_has_a_row(app):
    routes = app_routes(app)
    preflights = {route for route in routes if route[0] == "OPTIONS"}
    assert set(REQUESTS) == routes - preflights == set(CONTRACT_OF)
    # Every path answers preflights (chalicelib/api/cors.py), and only paths of routes.
    assert {path for _, path in preflights} == {path for _, path in REQUESTS}
    print(f"authorization matrix: {len(routes)} routes × {len(CALLERS)} callers = "
          f"{len(routes) * len(CALLERS)} cells")


def body_for(client, sms_sink, body):
    """The body to send: fixed, made per call, or a fresh sign-in's code or token."""
    if body in ("sign_in", "refresh"):
        sign_in = session_body(client, sms_sink)
        if body == "sign_in":
            return sign_in
        return {"refresh_token": json.loads(
            send(client, "post", "/auth/verify", body=sign_in).body)["refresh_token"]}
    return body() if callable(body) else body


def statuses_of(client, sms_sink, world, method: str, make_request) -> dict[str, int]:
    statuses = {}
    for name in CALLERS:
        path, body = make_request(world)
        response = send(client, method.lower(), path, world.callers[name],
                        body=body_for(client, sms_sink, body))
        statuses[name] = response.status_code
    return statuses


@pytest.mark.parametrize("route", sorted(REQUESTS), ids=" ".join)
def test_each_caller_gets_the_declared_status(client, sms_sink, world, route):
    assert statuses_of(client, sms_sink, world, route[0], REQUESTS[route]) == \
        declared_statuses(CONTRACT_OF[route])


@pytest.mark.parametrize("route", sorted(REQUESTS), ids=" ".join)
def test_every_path_answers_preflights_to_anyone(client, sms_sink, world, route):
    """A preflight carries no credentials; the real request that follows is checked."""
    def preflight(w):
        return REQUESTS[route](w)[0], None

    assert set(statuses_of(client, sms_sink, world, "OPTIONS", preflight).values()) == {204}

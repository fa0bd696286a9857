"""DynamoDB round trips per route: every route of the app, in a realistic state.

    .venv/bin/python -m bench.round_trips

Walks the app's own route table (`app.routes`), so a route added later is measured or,
without a scenario here, fails the run (every OPTIONS route is a CORS preflight, sent
from the admin site's origin). Each scenario prepares what its request needs
(uncounted: a fresh report to triage, a fresh sign-in to refresh …), then sends one
request through chalice.test.Client against the emulator, counting the requests
botocore sends (bench.stack.recorded_requests). Each runs twice and the second run
counts: a warm container, whose secrets and clients are already cached.

Targets: a read of one item or one page costs one DynamoDB request (an audited read
adds the audit event's one write), and authorizing a signed-in request costs none
(requests made while authorize() is on the stack).
"""

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from bench.common import Figure, Section, report
from bench.stack import Request, app_log_in_file, recorded_requests
from bench.world import (
    Caller,
    World,
    bulletin_draft,
    caller,
    code_sent_to,
    expect,
    new_phone,
    report_body,
    send,
    session_caller,
    shared,
    signed_in,
)

COMPLETE_REFUSED = 400  # parts S3 does not hold (chalicelib/reports/evidence.py)
READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
# What a route of each kind may cost: (DynamoDB reads, DynamoDB writes); None: no target.
TARGETS: dict[str, tuple[int, int] | None] = {
    "no data": (0, 0), "item read": (1, 0), "page read": (1, 0), "audited read": (1, 1),
    "write": None, "sign-in": None,
    # A thread: the report (who may read it, its counters) and the page of messages;
    # officers' also read whether the reporter's account still exists. Marking read is
    # a write only when something was unread (not on this warm, second run).
    "thread read": (2, 0), "officers' thread read": (3, 0),
    # The queue: one Query per category (8; 1 with a category) and one of the counts.
    "all-categories queue page": (9, 0),
    # A page of what belongs to an item: the item (404 when missing), then the page.
    "page under an item": (2, 0),
    # A page whose actors are shown by name: one BatchGetItem of their profiles.
    "page read with names": (2, 0),
    # The dashboard: the period's counters, the oldest waiting report (8 Queries of one
    # item), the inbox's count and its oldest.
    "statistics": (11, 0),
    # Reads of several items, measured and shown without a target: the upload's state
    # (the report, the ticket, S3's parts), the custody record (the report, its media,
    # the trail's by-target Query, and its own audit event first) and the places reads
    # (a Query per geohash cell the circle touches).
    "upload state": None, "custody record": None, "places read": None,
}


@dataclass(frozen=True)
class Call:
    """The one request a scenario counts, and the status it must get."""

    path: str
    status: int
    who: Caller | None = None
    body: dict | None = None
    headers: dict | None = None


@dataclass(frozen=True)
class Scenario:
    kind: str
    prepare: Callable[..., Call]   # (client, world) → Call; its own requests are not counted


def fresh_report(client) -> str:
    return expect(send(client, "POST", "/reports", caller(), report_body()), 201)["report_id"]


def fresh_bulletin(client, world: World) -> str:
    return expect(send(client, "POST", "/bulletins", world.officer,
                       bulletin_draft("vehicle", 0)), 201)["id"]


def code_sent(client, world: World) -> Call:
    phone = new_phone()
    return Call("/auth/verify", 200, body={"phone": phone, "code": code_sent_to(client, phone)})


def refresh(client, world: World) -> Call:
    return Call("/auth/refresh", 200, body={"refresh_token": signed_in(client)["refresh_token"]})


def logout(client, world: World) -> Call:
    session = signed_in(client)
    return Call("/auth/logout", 204, session_caller(session),
                {"refresh_token": session["refresh_token"]})


def officer_granted(client, world: World) -> Call:
    phone = signed_in(client)["phone"]
    expect(send(client, "PUT", f"/admin/officers/{quote(phone)}", world.admin), 200)
    return Call(f"/admin/officers/{quote(phone)}", 204, world.admin)


def preflight(path: str) -> Scenario:
    """The CORS preflight the admin site's browser sends before calling `path`."""
    from chalicelib.settings import settings

    concrete = re.sub(r"\{[^}]+\}", "example", path)
    origin = min(settings().admin_origins)
    return Scenario("no data", lambda c, w: Call(concrete, 204, headers={
        "Origin": origin, "Access-Control-Request-Method": "GET"}))


def an_image(client, world: World) -> Call:
    bulletin_id = world.bulletin_ids[0]
    ticket = expect(send(client, "POST", f"/bulletins/{bulletin_id}/images", world.officer,
                         {"content_type": "image/jpeg", "size": 1000}), 201)
    return Call(f"/bulletins/{bulletin_id}/images/{ticket['media_id']}", 200, world.officer)


def an_export(client, world: World) -> Call:
    export = expect(send(client, "POST", "/admin/exports", world.officer, {}), 202)
    return Call(f"/admin/exports/{export['export_id']}", 200, world.officer)


def a_multipart_upload(client) -> tuple[Caller, str, str]:
    """A reporter, their report and a video ticket large enough to go up in parts."""
    who = caller()
    report_id = expect(send(client, "POST", "/reports", who, report_body()), 201)["report_id"]
    ticket = expect(send(client, "POST", f"/reports/{report_id}/evidence", who,
                         {"content_type": "video/mp4", "size": 40_000_000}), 201)
    return who, report_id, ticket["evidence_id"]


def upload_plan(client, world: World) -> Call:
    who, report_id, evidence_id = a_multipart_upload(client)
    return Call(f"/reports/{report_id}/evidence/{evidence_id}/upload", 200, who)


def completion_of_missing_parts(client, world: World) -> Call:
    """Completing parts S3 never received: refused after S3 is asked what it holds."""
    who, report_id, evidence_id = a_multipart_upload(client)
    return Call(f"/reports/{report_id}/evidence/{evidence_id}/complete", COMPLETE_REFUSED, who,
                {"parts": [{"part_number": 1, "etag": '"0123456789abcdef0123456789abcdef"'}]})


def upload_abort(client, world: World) -> Call:
    who, report_id, evidence_id = a_multipart_upload(client)
    return Call(f"/reports/{report_id}/evidence/{evidence_id}/complete", 204, who)


def a_duplicate(client, world: World) -> Call:
    duplicate = fresh_report(client)
    expect(send(client, "POST", f"/admin/reports/{duplicate}/duplicate-of", world.officer,
                {"report_id": fresh_report(client)}), 200)
    return Call(f"/admin/reports/{duplicate}/duplicate-of", 200, world.officer)


def a_held_report(client, world: World) -> Call:
    report_id = fresh_report(client)
    expect(send(client, "PUT", f"/admin/reports/{report_id}/hold", world.admin,
                {"reason": "Court case 2026-311: keep it."}), 200)
    return Call(f"/admin/reports/{report_id}/hold", 200, world.admin)


def a_device(client, world: World) -> Call:
    who = caller()
    expect(send(client, "PUT", "/me/devices/bench-installation", who,
                {"platform": "fcm", "token": "bench-token"}), 200)
    return Call("/me/devices/bench-installation", 204, who)


def first_evidence(world: World) -> tuple[str, str]:
    report_id = world.report_ids[0]
    return report_id, world.evidence[report_id][0]


SCENARIOS: dict[tuple[str, str], Scenario] = {
    ("GET", "/health"): Scenario("no data", lambda c, w: Call("/health", 200)),
    ("GET", "/openapi.json"): Scenario("no data", lambda c, w: Call("/openapi.json", 200)),
    # Bulletins
    ("GET", "/bulletins"): Scenario("page read", lambda c, w: Call("/bulletins", 200)),
    ("GET", "/bulletins/{bulletin_id}"): Scenario(
        "item read", lambda c, w: Call(f"/bulletins/{w.bulletin_with_image}", 200)),
    ("POST", "/bulletins"): Scenario(
        "write", lambda c, w: Call("/bulletins", 201, w.officer, bulletin_draft("suspect", 1))),
    ("PATCH", "/bulletins/{bulletin_id}"): Scenario(
        "write", lambda c, w: Call(f"/bulletins/{fresh_bulletin(c, w)}", 200, w.officer,
                                   {"title": "Stolen white Corolla: seen again in Sanlitun"})),
    ("POST", "/bulletins/{bulletin_id}/images"): Scenario(
        "write", lambda c, w: Call(f"/bulletins/{fresh_bulletin(c, w)}/images", 201, w.officer,
                                   {"content_type": "image/jpeg", "size": 2_000_000})),
    # A citizen's reports
    ("POST", "/reports"): Scenario(
        "write", lambda c, w: Call("/reports", 201, w.citizen, report_body())),
    ("GET", "/reports"): Scenario("page read", lambda c, w: Call("/reports", 200, w.citizen)),
    ("GET", "/reports/{report_id}"): Scenario(
        "item read", lambda c, w: Call(f"/reports/{first_evidence(w)[0]}", 200, w.citizen)),
    ("POST", "/reports/{report_id}/evidence"): Scenario(
        "write", lambda c, w: Call(f"/reports/{w.report_ids[-1]}/evidence", 201, w.citizen,
                                   {"content_type": "video/mp4", "size": 40_000_000})),
    # Triage
    ("GET", "/admin/reports"): Scenario(
        "all-categories queue page", lambda c, w: Call("/admin/reports?status=submitted", 200,
                                                       w.officer)),
    ("GET", "/admin/reports/{report_id}"): Scenario(
        "item read", lambda c, w: Call(f"/admin/reports/{first_evidence(w)[0]}", 200, w.officer)),
    ("PATCH", "/admin/reports/{report_id}"): Scenario(
        "write", lambda c, w: Call(f"/admin/reports/{fresh_report(c)}", 200, w.officer, {
            "status": "in_review",
            "note": {"text": "Checking the metro's cameras.", "visibility": "reporter"}})),
    ("POST", "/admin/reports/{report_id}/reveal"): Scenario(
        "write", lambda c, w: Call(f"/admin/reports/{first_evidence(w)[0]}/reveal", 200, w.admin,
                                   {"reason": "Court order 2026-CY-17 for this witness."})),
    ("GET", "/admin/reports/{report_id}/evidence/{evidence_id}/original"): Scenario(
        "audited read", lambda c, w: Call(
            "/admin/reports/{}/evidence/{}/original".format(*first_evidence(w)), 200, w.officer)),
    # Conversations
    ("GET", "/reports/{report_id}/messages"): Scenario(
        "thread read", lambda c, w: Call(f"/reports/{first_evidence(w)[0]}/messages", 200,
                                         w.citizen)),
    ("POST", "/reports/{report_id}/messages"): Scenario(
        "write", lambda c, w: Call(f"/reports/{first_evidence(w)[0]}/messages", 201, w.citizen,
                                   {"body": "The van turned north at the Third Ring Road."})),
    ("GET", "/admin/reports/{report_id}/messages"): Scenario(
        "officers' thread read", lambda c, w: Call(
            f"/admin/reports/{first_evidence(w)[0]}/messages", 200, w.officer)),
    ("POST", "/admin/reports/{report_id}/messages"): Scenario(
        "write", lambda c, w: Call(f"/admin/reports/{first_evidence(w)[0]}/messages", 201,
                                   w.officer, {"body": "Which lane was it in?"})),
    ("GET", "/admin/inbox"): Scenario("page read", lambda c, w: Call("/admin/inbox", 200,
                                                                     w.officer)),
    # Sign-in and accounts
    ("POST", "/auth/otp"): Scenario(
        "sign-in", lambda c, w: Call("/auth/otp", 202, body={"phone": new_phone()})),
    ("POST", "/auth/verify"): Scenario("sign-in", code_sent),
    ("POST", "/auth/refresh"): Scenario("sign-in", refresh),
    ("POST", "/auth/logout"): Scenario("sign-in", logout),
    ("GET", "/me"): Scenario("item read", lambda c, w: Call("/me", 200, w.citizen)),
    ("DELETE", "/me"): Scenario(
        "write", lambda c, w: Call("/me", 204, session_caller(signed_in(c)))),
    ("PUT", "/admin/officers/{phone}"): Scenario(
        "write", lambda c, w: Call(f"/admin/officers/{quote(signed_in(c)['phone'])}", 200,
                                   w.admin)),
    ("DELETE", "/admin/officers/{phone}"): Scenario("write", officer_granted),
    ("GET", "/admin/audit"): Scenario(
        "page read with names", lambda c, w: Call("/admin/audit", 200, w.admin)),
    ("GET", "/bulletins/{bulletin_id}/images/{media_id}"): Scenario("item read", an_image),
    ("GET", "/admin/officers"): Scenario("page read", lambda c, w: Call("/admin/officers", 200,
                                                                        w.admin)),
    ("GET", "/admin/replies"): Scenario("item read", lambda c, w: Call("/admin/replies", 200,
                                                                       w.officer)),
    ("PUT", "/admin/replies"): Scenario("write", lambda c, w: Call("/admin/replies", 200, w.admin, {
        "version": expect(send(c, "GET", "/admin/replies", w.officer), 200)["version"],
        "replies": [{"id": "thanks", "title": {"zh-CN": "感谢", "en": "Thanks"},
                     "text": {"zh-CN": "感谢您的举报。", "en": "Thank you for your report."}}]})),
    ("GET", "/admin/stats"): Scenario("statistics", lambda c, w: Call("/admin/stats", 200,
                                                                      w.officer)),
    ("POST", "/admin/exports"): Scenario("write", lambda c, w: Call("/admin/exports", 202,
                                                                    w.officer, {})),
    ("GET", "/admin/exports/{export_id}"): Scenario("item read", an_export),
    # Evidence in parts, duplicates, places, holds
    ("GET", "/reports/{report_id}/evidence/{evidence_id}/upload"): Scenario(
        "upload state", upload_plan),
    ("POST", "/reports/{report_id}/evidence/{evidence_id}/complete"): Scenario(
        "write", completion_of_missing_parts),
    ("DELETE", "/reports/{report_id}/evidence/{evidence_id}/complete"): Scenario(
        "write", upload_abort),
    ("GET", "/admin/reports/{report_id}/custody"): Scenario(
        "custody record", lambda c, w: Call(f"/admin/reports/{first_evidence(w)[0]}/custody",
                                            200, w.officer)),
    ("POST", "/admin/reports/{report_id}/duplicate-of"): Scenario(
        "write", lambda c, w: Call(f"/admin/reports/{fresh_report(c)}/duplicate-of", 200,
                                   w.officer, {"report_id": fresh_report(c)})),
    ("DELETE", "/admin/reports/{report_id}/duplicate-of"): Scenario("write", a_duplicate),
    ("GET", "/admin/reports/{report_id}/nearby"): Scenario(
        "places read", lambda c, w: Call(f"/admin/reports/{first_evidence(w)[0]}/nearby", 200,
                                         w.officer)),
    ("GET", "/reports/nearby-bulletins"): Scenario(
        "places read", lambda c, w: Call("/reports/nearby-bulletins?near=39.9219,116.4436", 200,
                                         w.citizen)),
    ("PUT", "/admin/reports/{report_id}/hold"): Scenario(
        "write", lambda c, w: Call(f"/admin/reports/{fresh_report(c)}/hold", 200, w.admin,
                                   {"reason": "Court case 2026-311: keep it."})),
    ("DELETE", "/admin/reports/{report_id}/hold"): Scenario("write", a_held_report),
    ("GET", "/bulletins/{bulletin_id}/images"): Scenario(
        "page under an item", lambda c, w: Call(f"/bulletins/{w.bulletin_with_image}/images", 200,
                                       w.officer)),
    # Push and alerts
    ("PUT", "/me/devices/{installation_id}"): Scenario(
        "write", lambda c, w: Call("/me/devices/bench-installation", 200, caller(),
                                   {"platform": "fcm", "token": "bench-token"})),
    ("DELETE", "/me/devices/{installation_id}"): Scenario("write", a_device),
    ("GET", "/me/alerts"): Scenario("item read", lambda c, w: Call("/me/alerts", 200, w.citizen)),
    ("PUT", "/me/alerts"): Scenario("write", lambda c, w: Call("/me/alerts", 200, w.citizen, {
        "subscriptions": [{"category": "missing_person", "district": "朝阳区"}]})),
    ("GET", "/admin/alerts/audience"): Scenario(
        "item read", lambda c, w: Call(
            "/admin/alerts/audience?category=missing_person&district=%E6%9C%9D%E9%98%B3%E5%8C%BA",
            200, w.officer)),
    # The public transparency report
    ("GET", "/transparency"): Scenario("page read", lambda c, w: Call("/transparency", 200)),
    ("GET", "/transparency/policy"): Scenario("no data",
                                              lambda c, w: Call("/transparency/policy", 200)),
}


@dataclass
class Measured:
    method: str
    path: str
    kind: str
    status: int
    expected_status: int
    authenticated: bool
    requests: list[Request]

    @property
    def dynamodb(self) -> list[Request]:
        return [r for r in self.requests if r.service == "dynamodb"]

    @property
    def reads(self) -> int:
        return sum(r.operation in READS for r in self.dynamodb)

    @property
    def writes(self) -> int:
        return len(self.dynamodb) - self.reads

    @property
    def in_authorization(self) -> int:
        return sum(r.in_authorization for r in self.requests)

    @property
    def met(self) -> bool | None:
        target = TARGETS[self.kind]
        return None if target is None else (self.reads, self.writes) == target

    def as_json(self) -> dict:
        return {"method": self.method, "path": self.path, "kind": self.kind,
                "status": self.status, "dynamodb_reads": self.reads,
                "dynamodb_writes": self.writes, "in_authorization": self.in_authorization,
                "requests": [f"{r.service}:{r.operation}" for r in self.requests],
                "target_reads_writes": TARGETS[self.kind], "met": self.met}


def measure(client, world: World, method: str, path: str, scenario: Scenario) -> Measured:
    call = scenario.prepare(client, world)
    with recorded_requests() as requests:
        response = send(client, method, call.path, call.who, call.body, call.headers)
    return Measured(method, path, scenario.kind, response.status_code, call.status,
                    call.who is not None, requests)


def route_table(rows: list[Measured]) -> str:
    lines = [f"{'route':<66} {'kind':<12} {'status':>6} {'reads':>5} {'writes':>6} "
             f"{'authz':>5} {'other AWS':<10} target"]
    for row in rows:
        other = ",".join(f"{r.service}:{r.operation}" for r in row.requests
                         if r.service != "dynamodb") or "-"
        target = TARGETS[row.kind]
        verdict = "-" if target is None else f"{target[0]}r+{target[1]}w " + (
            "met" if row.met else "MISSED")
        lines.append(f"{row.method + ' ' + row.path:<66} {row.kind:<12} {row.status:>6} "
                     f"{row.reads:>5} {row.writes:>6} {row.in_authorization:>5} {other:<10} "
                     f"{verdict}")
    return "\n".join(lines)


def main() -> Section:
    client, world, app = shared()
    # By path, as the API table reads; the preflights after the rest.
    routes = sorted(((method, path) for path, methods in app.routes.items() for method in methods),
                    key=lambda route: (route[0] == "OPTIONS", route[1], route[0]))
    measured, failures = [], []
    for method, path in routes:
        scenario = preflight(path) if method == "OPTIONS" else SCENARIOS.get((method, path))
        if scenario is None:
            failures.append(f"{method} {path} has no scenario in bench/round_trips.py")
            continue
        with app_log_in_file():
            measure(client, world, method, path, scenario)  # warms this route's caches
            row = measure(client, world, method, path, scenario)
        if row.status != row.expected_status:
            failures.append(f"{method} {path} answered {row.status}, not {row.expected_status}")
        measured.append(row)
    print(route_table(measured))
    reads = [row for row in measured if row.kind in ("item read", "page read")]
    audited = [row for row in measured if row.kind == "audited read"]
    signed_in_routes = [row for row in measured if row.authenticated]
    figures = [
        Figure("item/page read: DynamoDB requests (worst route)",
               max(len(row.dynamodb) for row in reads), "requests", target="1 on each route",
               met=all(row.met for row in reads)),
        Figure("audited read: DynamoDB requests (worst route)",
               max((len(row.dynamodb) for row in audited), default=0), "requests",
               target="1 read + 1 audit write", met=all(row.met for row in audited)),
        Figure("authorization: requests in authorize() (worst route)",
               max(row.in_authorization for row in signed_in_routes), "requests",
               target="0 on each route",
               met=all(row.in_authorization == 0 for row in signed_in_routes)),
        Figure("routes measured", len(measured), "count",
               target=f"all {len(routes)} in app.routes", met=len(measured) == len(routes)),
    ]
    unused = sorted(f"{m} {p}" for m, p in SCENARIOS if (m, p) not in set(routes))
    return Section("round trips", figures,
                   {"routes": [row.as_json() for row in measured],
                    "scenarios_for_routes_not_in_app": unused}, failures)


if __name__ == "__main__":
    sys.exit(report(main()))

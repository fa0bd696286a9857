"""The officers' report routes: the queue, the full view, status moves and notes, and
the admin-only reveal of the sealed reporter identity."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from support.api import (
    audit_of,
    caller,
    error_code,
    file_report,
    registered_citizen,
    send,
)
from support.bulletins import a_bulletin

from chalicelib.errors import Conflict
from chalicelib.reports import triage
from chalicelib.reports.bodies import NoteInput, ReportChange
from chalicelib.tables import User


def patch(client, who, report_id, body):
    return send(client, "patch", f"/admin/reports/{report_id}", who, body)


def test_an_officer_sees_the_alias_never_the_reporters_phone_or_user_id(client):
    citizen, phone = registered_citizen()
    officer = caller("officer")
    category = "missing_or_trafficked_person"
    report = file_report(client, citizen, category=category,
                         description=f"My neighbour {phone} saw a child taken into a van.")
    report_id = report["report_id"]

    listed = send(client, "get", f"/admin/reports?status=submitted&category={category}&limit=100",
                  officer)
    viewed = send(client, "get", f"/admin/reports/{report_id}", officer)
    changed = patch(client, officer, report_id,
                    {"status": "in_review", "note": {"text": "Calling the reporter back.",
                                                     "visibility": "internal"}})
    for response in (listed, viewed, changed):
        assert response.status_code == 200
        assert citizen.user_id not in response.body.decode()
    # The phone number is in the description the citizen wrote, and only there.
    assert viewed.json_body["description"].count(phone) == 1
    assert viewed.body.decode().count(phone) == 1

    [listed_item] = [r for r in listed.json_body["items"] if r["report_id"] == report_id]
    alias = viewed.json_body["alias"]
    assert alias.startswith("Reporter-") and len(alias) == len("Reporter-7F3K")
    assert listed_item["alias"] == changed.json_body["alias"] == alias
    assert "reporter_id" not in viewed.json_body


def test_aliases_are_per_report(client):
    citizen, officer = caller(), caller("officer")
    aliases = {send(client, "get", f"/admin/reports/{file_report(client, citizen)['report_id']}",
                    officer).json_body["alias"] for _ in range(5)}
    assert len(aliases) > 1


def all_pages(client, officer, path: str) -> list[dict]:
    items, cursor = [], None
    while True:
        page = send(client, "get", path + (f"&cursor={cursor}" if cursor else ""),
                    officer).json_body
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_the_queue_of_one_category_pages_newest_first_when_asked(client):
    officer = caller("officer")
    filed = [file_report(client, caller(), category="fraud")["report_id"] for _ in range(3)]
    file_report(client, caller(), category="drugs")

    newest = "/admin/reports?category=fraud&order=newest_first&limit=2"
    first = send(client, "get", newest, officer).json_body
    assert [r["report_id"] for r in first["items"]] == [filed[2], filed[1]]
    assert all(r["category"] == "fraud" and r["status"] == "submitted" for r in first["items"])
    second = send(client, "get", f"{newest}&cursor={first['next_cursor']}", officer).json_body
    assert second["items"][0]["report_id"] == filed[0]

    # A cursor from one queue does not page another, nor the same queue in another order.
    other_queue = send(client, "get", f"/admin/reports?category=drugs&order=newest_first&"
                                      f"cursor={first['next_cursor']}", officer)
    assert other_queue.status_code == 400 and error_code(other_queue) == "invalid_cursor"
    other_order = send(client, "get", f"/admin/reports?category=fraud&limit=2&cursor="
                                      f"{first['next_cursor']}", officer)
    assert other_order.status_code == 400 and error_code(other_order) == "invalid_cursor"
    # Submitted reports wait: by default the longest wait comes first.
    fraud = [r["report_id"] for r in all_pages(client, officer, "/admin/reports?category=fraud")]
    assert fraud.index(filed[0]) < fraud.index(filed[1]) < fraud.index(filed[2])

    patch(client, officer, filed[2], {"status": "in_review"})
    in_review = send(client, "get", "/admin/reports?status=in_review&category=fraud&limit=100",
                     officer).json_body["items"]
    submitted = send(client, "get", "/admin/reports?category=fraud&limit=100",
                     officer).json_body["items"]
    assert filed[2] in [r["report_id"] for r in in_review]
    assert filed[2] not in [r["report_id"] for r in submitted]


def test_a_bulletins_clues_are_listed_with_one_query(client):
    officer, bulletin_id = caller("officer"), a_bulletin()
    clues = [file_report(client, caller(), bulletin_id=bulletin_id, category=category)
             for category in ("suspicious_activity", "other")]
    file_report(client, caller())
    listed = send(client, "get", f"/admin/reports?bulletin_id={bulletin_id}", officer).json_body
    assert [r["report_id"] for r in listed["items"]] == [clues[1]["report_id"],
                                                         clues[0]["report_id"]]
    assert listed["next_cursor"] is None


@pytest.mark.parametrize(("query", "code", "field"), [
    ("category=jaywalking", "invalid_query", "category"),
    ("status=closed&category=theft", "invalid_query", "status"),
    ("bulletin_id=b-1&status=submitted", "clues_alone", "bulletin_id"),
    ("bulletin_id=b-1&category=theft", "clues_alone", "bulletin_id"),
    ("bulletin_id=b-1&urgent=true", "clues_alone", "bulletin_id"),
    ("assigned=someone", "invalid_query", "assigned"),
    ("urgent=maybe", "invalid_query", "urgent"),
    ("order=sideways", "invalid_query", "order"),
    ("bulletin_id=../x", "invalid_query", "bulletin_id"),
    ("category=theft&limit=1000", "invalid_limit", "limit"),
    ("category=theft&cursor=abc", "invalid_cursor", "cursor"),
])
def test_bad_queue_parameters_are_400(client, query, code, field):
    response = send(client, "get", f"/admin/reports?{query}", caller("officer"))
    assert response.status_code == 400
    assert response.json_body["error"]["code"] == code
    assert response.json_body["error"]["field"] == field


@pytest.mark.parametrize(("method", "path", "body"), [
    ("get", "/admin/reports?category=theft", None),
    ("get", "/admin/reports/{id}", None),
    ("patch", "/admin/reports/{id}", {"status": "in_review"}),
    ("post", "/admin/reports/{id}/reveal", {"reason": "Court order 2026-117."}),
    ("get", "/admin/reports/{id}/evidence/{id}/original", None),
])
def test_admin_routes_refuse_citizens_and_strangers(client, method, path, body):
    report_id = file_report(client, caller())["report_id"]
    path = path.replace("{id}", report_id)
    assert send(client, method, path, None, body).status_code == 401
    forged = caller("admin").headers["Authorization"][:-4] + "AAAA"
    assert getattr(client.http, method)(path, headers={"Authorization": forged},
                                        body=json.dumps(body)).status_code == 401
    forbidden = send(client, method, path, caller(), body)
    assert forbidden.status_code == 403 and error_code(forbidden) == "forbidden"


def test_status_moves_submitted_in_review_then_actioned_or_dismissed(client):
    officer = caller("officer")
    for final in ("actioned", "dismissed"):
        report_id = file_report(client, caller())["report_id"]
        assert patch(client, officer, report_id, {"status": "in_review"}).json_body["status"] \
            == "in_review"
        done = patch(client, officer, report_id, {"status": final})
        assert done.status_code == 200 and done.json_body["status"] == final
        assert send(client, "get", f"/admin/reports/{report_id}",
                    officer).json_body["status"] == final
        moves = [e.details for e in audit_of(report_id) if e.action == "report.status_changed"]
        assert sorted(moves, key=lambda m: m["from"]) == [
            {"from": "in_review", "to": final}, {"from": "submitted", "to": "in_review"}]


@pytest.mark.parametrize(("path", "illegal"), [
    ([], "actioned"), ([], "dismissed"), ([], "submitted"),
    (["in_review"], "in_review"), (["in_review"], "submitted"),
    (["in_review", "actioned"], "in_review"), (["in_review", "actioned"], "dismissed"),
    (["in_review", "dismissed"], "actioned"), (["in_review", "dismissed"], "submitted"),
])
def test_illegal_status_moves_are_409(client, path, illegal):
    officer = caller("officer")
    report_id = file_report(client, caller())["report_id"]
    for status in path:
        assert patch(client, officer, report_id, {"status": status}).status_code == 200
    refused = patch(client, officer, report_id, {"status": illegal})
    assert refused.status_code == 409 and error_code(refused) == "illegal_status_change"
    expected = path[-1] if path else "submitted"
    assert send(client, "get", f"/admin/reports/{report_id}",
                officer).json_body["status"] == expected


def test_a_repeated_move_is_409_the_second_time(client):
    officer = caller("officer")
    report_id = file_report(client, caller())["report_id"]
    assert patch(client, officer, report_id, {"status": "in_review"}).status_code == 200
    assert patch(client, officer, report_id, {"status": "in_review"}).status_code == 409
    assert len([e for e in audit_of(report_id) if e.action == "report.status_changed"]) == 1


def test_of_twenty_parallel_moves_exactly_one_wins(client):
    report_id = file_report(client, caller())["report_id"]
    officers = [caller("officer").principal for _ in range(20)]

    def move(officer):
        try:
            triage.change(officer, report_id, ReportChange(status="in_review"))
            return "moved"
        except Conflict as conflict:
            return conflict.code

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(move, officers))
    assert outcomes.count("moved") == 1, outcomes
    assert set(outcomes) - {"moved"} <= {"report_changed", "illegal_status_change"}
    assert len([e for e in audit_of(report_id) if e.action == "report.status_changed"]) == 1


def test_reporter_notes_reach_the_citizen_and_internal_ones_never(client):
    citizen, officer = caller(), caller("officer")
    report_id = file_report(client, citizen)["report_id"]
    patch(client, officer, report_id,
          {"note": {"text": "INTERNAL: plate seen on camera 7", "visibility": "internal"}})
    patch(client, officer, report_id,
          {"status": "in_review",
           "note": {"text": "Thank you, an officer is looking into it.",
                    "visibility": "reporter"}})

    mine = send(client, "get", f"/reports/{report_id}", citizen)
    assert mine.json_body["notes"] == [
        {"text": "Thank you, an officer is looking into it.",
         "created_at": mine.json_body["notes"][0]["created_at"]}]
    assert "INTERNAL" not in mine.body.decode()
    assert officer.user_id not in mine.body.decode()

    full = send(client, "get", f"/admin/reports/{report_id}", officer).json_body
    assert [(n["visibility"], n["author_id"]) for n in full["notes"]] == [
        ("internal", officer.user_id), ("reporter", officer.user_id)]
    noted = [e.details for e in audit_of(report_id) if e.action == "report.note_added"]
    assert sorted(n["visibility"] for n in noted) == ["internal", "reporter"]


def test_a_report_takes_at_most_fifty_notes(client):
    officer = caller("officer")
    report_id = file_report(client, caller())["report_id"]
    for n in range(triage.MAX_NOTES):
        triage.change(officer.principal, report_id,
                      ReportChange(note=NoteInput(text=f"note {n}", visibility="internal")))
    refused = patch(client, officer, report_id, {"note": {"text": "one more",
                                                          "visibility": "internal"}})
    assert refused.status_code == 409 and error_code(refused) == "note_limit_reached"


@pytest.mark.parametrize(("body", "field"), [
    ({}, None),
    ({"status": "closed"}, "status"),
    ({"status": 3}, "status"),
    ({"note": {"text": "hi"}}, "note.visibility"),
    ({"note": {"text": "", "visibility": "internal"}}, "note.text"),
    ({"note": {"text": "   ", "visibility": "internal"}}, "note.text"),
    ({"note": {"text": "x" * 2001, "visibility": "internal"}}, "note.text"),
    ({"note": {"text": "hello", "visibility": "public"}}, "note.visibility"),
    ({"note": "hello"}, "note"),
    ({"status": "in_review", "alias": "me"}, "alias"),
])
def test_bad_changes_are_400(client, body, field):
    report_id = file_report(client, caller())["report_id"]
    response = patch(client, caller("officer"), report_id, body)
    assert response.status_code == 400, response.body
    assert response.json_body["error"].get("field") == field


@pytest.mark.parametrize("raw", ["{", "[]", "status=in_review"])
def test_malformed_changes_are_400(client, raw):
    report_id = file_report(client, caller())["report_id"]
    response = send(client, "patch", f"/admin/reports/{report_id}", caller("officer"), raw=raw)
    assert response.status_code == 400


@pytest.mark.parametrize("method", ["patch", "post"])
def test_oversized_admin_bodies_are_413(client, method):
    report_id = file_report(client, caller())["report_id"]
    path = f"/admin/reports/{report_id}" + ("/reveal" if method == "post" else "")
    response = send(client, method, path, caller("admin"), raw=json.dumps(
        {"reason": "r" * 70_000, "note": {"text": "n" * 70_000, "visibility": "internal"}}))
    assert response.status_code == 413


def test_unknown_reports_are_404_for_officers(client):
    officer = caller("officer")
    for path in (f"/admin/reports/{'f' * 32}", "/admin/reports/not-an-id"):
        assert send(client, "get", path, officer).status_code == 404
        assert patch(client, officer, path.rsplit("/", 1)[1],
                     {"status": "in_review"}).status_code == 404


def test_a_reveal_by_an_officer_who_is_not_admin_is_403_and_not_audited(client):
    citizen, _ = registered_citizen()
    report_id = file_report(client, citizen)["report_id"]
    refused = send(client, "post", f"/admin/reports/{report_id}/reveal", caller("officer"),
                   {"reason": "I would like to call them back."})
    assert refused.status_code == 403
    assert citizen.user_id not in refused.body.decode()
    assert [e for e in audit_of(report_id) if e.action == "report.identity_revealed"] == []


def test_a_reveal_by_an_admin_answers_the_identity_and_is_audited(client):
    citizen, phone = registered_citizen()
    admin = caller("admin")
    report_id = file_report(client, citizen)["report_id"]
    reason = "Prosecutor's request 2026-117: witness statement needed."
    for _ in range(2):  # every reveal is recorded, the repeated one too
        revealed = send(client, "post", f"/admin/reports/{report_id}/reveal", admin,
                        {"reason": reason})
        assert revealed.status_code == 200
        assert revealed.json_body == {"report_id": report_id, "user_id": citizen.user_id,
                                      "phone": phone, "account_deleted": False}
    reveals = [e for e in audit_of(report_id) if e.action == "report.identity_revealed"]
    assert len(reveals) == 2
    assert {(e.actor_id, e.actor_role, e.details["reason"]) for e in reveals} == {
        (admin.user_id, "admin", reason)}
    assert phone not in json.dumps([e.details for e in reveals])


@pytest.mark.parametrize("deletion", ["user_gone", "phone_removed"])
def test_a_reveal_says_when_the_account_was_deleted(client, deletion):
    citizen, _ = registered_citizen()
    report_id = file_report(client, citizen)["report_id"]
    user = User.get(citizen.user_id)
    if deletion == "user_gone":
        user.delete()
    else:
        user.update(actions=[User.phone.remove()])
    revealed = send(client, "post", f"/admin/reports/{report_id}/reveal", caller("admin"),
                    {"reason": "Court order 2026-118 for the reporter."})
    assert revealed.json_body == {"report_id": report_id, "user_id": citizen.user_id,
                                  "phone": None, "account_deleted": True}


@pytest.mark.parametrize(("body", "status"), [
    ({"reason": "too short"}, 400),
    ({"reason": "x" * 501}, 400),
    ({"reason": " " * 20}, 400),
    ({"reason": 1234567890123}, 400),
    ({}, 400),
    ({"reason": "A long enough reason.", "phone": "+86"}, 400),
])
def test_a_reveal_needs_a_reason_of_10_to_500_characters(client, body, status):
    report_id = file_report(client, caller())["report_id"]
    response = send(client, "post", f"/admin/reports/{report_id}/reveal", caller("admin"), body)
    assert response.status_code == status
    assert [e for e in audit_of(report_id) if e.action == "report.identity_revealed"] == []


def test_revealing_an_unknown_report_is_404(client):
    response = send(client, "post", f"/admin/reports/{'a' * 32}/reveal", caller("admin"),
                    {"reason": "Court order 2026-119 for the reporter."})
    assert response.status_code == 404

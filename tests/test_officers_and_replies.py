"""Officer profiles, the officers list (one Query on the staff index), officers shown
to each other by name (and to citizens only as the police), and the reply templates."""

import json
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from support.api import caller, error_code, file_report, send
from support.auth import new_phone

from chalicelib.tables import AuditEvent, User


def admin_with_profile(name: str):
    admin = caller("admin")
    User(admin.user_id, phone=new_phone(), role="admin", created_at=datetime.now(UTC),
         display_name=name, staff="staff", granted_at=datetime.now(UTC)).save()
    return admin


def listed(client, admin) -> list[dict]:
    items, cursor = [], None
    while True:
        page = send(client, "get", "/admin/officers?limit=7" + (f"&cursor={cursor}" if cursor
                                                                else ""), admin).json_body
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def profile_events(user_id: str) -> list[AuditEvent]:
    month = datetime.now(UTC).strftime("%Y-%m")
    return [event for event in AuditEvent.query(month)
            if event.target == f"user:{user_id}" and event.action == "officer.profile_changed"]


def test_an_admin_grants_with_a_profile_and_the_list_shows_it_until_revoked(client):
    admin, phone = admin_with_profile("Chen Jie"), new_phone()
    path = f"/admin/officers/{quote(phone)}"
    granted = send(client, "put", path, admin, {"display_name": "李伟", "badge": "010203"})
    assert granted.status_code == 200
    assert (granted.json_body["role"], granted.json_body["display_name"],
            granted.json_body["badge"]) == ("officer", "李伟", "010203")
    user_id = granted.json_body["user_id"]

    [row] = [row for row in listed(client, admin) if row["user_id"] == user_id]
    assert (row["phone"], row["role"], row["display_name"], row["badge"]) == (
        phone, "officer", "李伟", "010203")
    assert datetime.fromisoformat(row["granted_at"]) <= datetime.now(UTC)
    assert any(row["user_id"] == admin.user_id and row["role"] == "admin"
               for row in listed(client, admin))

    # The same PUT again changes nothing; without a body the profile stays.
    assert send(client, "put", path, admin, {"display_name": "李伟", "badge": "010203"}
                ).status_code == 200
    assert len(profile_events(user_id)) == 1
    kept = send(client, "put", path, admin)
    assert kept.status_code == 200 and kept.json_body["display_name"] == "李伟"
    renamed = send(client, "put", path, admin, {"display_name": "Li Wei"})
    assert (renamed.json_body["display_name"], renamed.json_body["badge"]) == ("Li Wei", None)
    assert [event.details for event in profile_events(user_id)][-1] == {
        "display_name": "Li Wei", "badge": None}

    assert send(client, "delete", path, admin).status_code == 204
    assert all(row["user_id"] != user_id for row in listed(client, admin))


def test_the_list_is_one_query_of_the_staff_index(client, monkeypatch):
    from pynamodb.signals import pre_dynamodb_send

    admin, operations = admin_with_profile("Chen Jie"), []

    def record(_connection, operation_name, table_name, **_):
        operations.append(operation_name)

    with pre_dynamodb_send.connected_to(record):
        assert send(client, "get", "/admin/officers", admin).status_code == 200
    assert operations.count("Query") == 1 and "Scan" not in operations


@pytest.mark.parametrize("body", [{"display_name": ""}, {"display_name": " padded "},
                                  {"display_name": "x" * 65}, {"badge": "1"},
                                  {"display_name": "Li", "rank": "captain"}])
def test_bad_profiles_are_400(client, body):
    refused = send(client, "put", f"/admin/officers/{quote(new_phone())}", caller("admin"), body)
    assert refused.status_code == 400


def test_officers_see_each_other_by_name_and_citizens_see_the_police(client):
    admin, reporter = admin_with_profile(f"Chen {uuid.uuid4().hex[:6]}"), caller()
    report_id = file_report(client, reporter)["report_id"]
    send(client, "patch", f"/admin/reports/{report_id}", admin, {"assignee": "me"})
    sent = send(client, "post", f"/admin/reports/{report_id}/messages", admin,
                {"body": "We are on it."})
    assert sent.status_code == 201, sent.body
    name = User.get(admin.user_id).display_name

    trail = send(client, "get", "/admin/audit?limit=20", admin).json_body["items"]
    mine = [event for event in trail if event["actor"]["id"] == admin.user_id]
    assert mine and all(event["actor"]["display_name"] == name for event in mine)
    seen = send(client, "get", f"/reports/{report_id}", reporter)
    thread = send(client, "get", f"/reports/{report_id}/messages", reporter)
    for answer in (seen, thread):
        assert name not in answer.body.decode() and admin.user_id not in answer.body.decode()
    assert thread.json_body["items"][0]["author"] == "police"


# --- reply templates ----------------------------------------------------------------------

def template(number: int, **overrides) -> dict:
    return {"id": f"reply-{number}", "title": {"zh-CN": f"回复{number}", "en": f"Reply {number}"},
            "text": {"zh-CN": "感谢您的举报，我们正在处理。", "en": "Thank you; we are on it."},
            **overrides}


def test_templates_are_saved_read_and_protected_from_lost_updates(client):
    admin, officer = admin_with_profile("Chen Jie"), caller("officer")
    version = send(client, "get", "/admin/replies", officer).json_body["version"]
    body = {"version": version, "replies": [template(1), template(2)]}
    saved = send(client, "put", "/admin/replies", admin, body)
    assert saved.status_code == 200 and saved.json_body["version"] == version + 1
    read = send(client, "get", "/admin/replies", officer).json_body
    assert read["replies"] == [template(1), template(2)]
    assert read["updated_by"] == {"id": admin.user_id, "role": "admin"}

    # The same save again (a retry) answers the same; another admin's stale save is 409.
    again = send(client, "put", "/admin/replies", admin, body)
    assert again.status_code == 200 and again.json_body["version"] == version + 1
    stale = send(client, "put", "/admin/replies", admin_with_profile("Sun"),
                 {"version": version, "replies": [template(3)]})
    assert stale.status_code == 409 and error_code(stale) == "edit_conflict"
    assert send(client, "get", "/admin/replies", officer).json_body["replies"] == [
        template(1), template(2)]
    month = datetime.now(UTC).strftime("%Y-%m")
    events = [event for event in AuditEvent.query(month) if event.action == "replies.changed"
              and event.details["version"] == version + 1]
    assert [json.dumps(event.details["ids"]) for event in events] == ['["reply-1", "reply-2"]']


@pytest.mark.parametrize(("replies", "code"), [
    ([template(n) for n in range(51)], "validation_error"),
    ([template(1), template(1)], "duplicate_reply_id"),
    ([template(1, id="Bad Id")], "validation_error"),
    ([template(1, title={"zh-CN": "回复"})], "validation_error"),
    ([template(1, text={"zh-CN": "好" * 401, "en": "ok"})], "validation_error"),
])
def test_bad_template_lists_are_400(client, replies, code):
    refused = send(client, "put", "/admin/replies", caller("admin"),
                   {"version": 0, "replies": replies})
    assert refused.status_code == 400 and error_code(refused) == code

"""Conversations between officers and the reporter behind a report: the whole exchange
through the API, who sees what, the rules (lengths, limits, closed threads, deleted
accounts), unread counts, the inbox, attachments through the real evidence worker,
concurrent sends, the audit trail and the logs."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError
from support.api import (
    audit_of,
    caller,
    error_code,
    file_report,
    registered_citizen,
    send,
)
from support.aws_calls import counting_aws_calls
from support.evidence import jpeg_with_gps, upload
from support.waiting import wait_until

from chalicelib import deadlines
from chalicelib.api import idempotency
from chalicelib.audit import AuditAction
from chalicelib.conversations import threads
from chalicelib.conversations.bodies import MessageAuthor, OfficerMessage, ReporterMessage
from chalicelib.errors import ErrorCode
from chalicelib.roles import Role
from chalicelib.settings import settings
from chalicelib.tables import Message, PhoneClaim, Report

QUESTION = "Which direction did the car go?"
ANSWER = "North, towards the Third Ring Road."


def messages_path(report_id: str, officer: bool = False) -> str:
    return f"{'/admin' if officer else ''}/reports/{report_id}/messages"


def write(client, who, report_id: str, text: str, officer: bool = False, **extra):
    return send(client, "post", messages_path(report_id, officer), who, {"body": text, **extra})


def read(client, who, report_id: str, officer: bool = False, query: str = ""):
    response = send(client, "get", messages_path(report_id, officer) + query, who)
    assert response.status_code == 200, response.body
    return response.json_body


def inbox_ids(client, officer) -> list[str]:
    response = send(client, "get", "/admin/inbox?limit=100", officer)
    assert response.status_code == 200, response.body
    return [row["report_id"] for row in response.json_body["items"]]


@pytest.fixture
def thread(client):
    """A registered citizen's report and an officer."""
    citizen, phone = registered_citizen()
    PhoneClaim(phone, user_id=citizen.user_id, role=Role.CITIZEN).save()  # as sign-in leaves it
    report_id = file_report(client, citizen)["report_id"]
    return citizen, phone, caller("officer"), report_id


def tables(calls) -> list[tuple[str, str | None]]:
    """The DynamoDB calls counted (tests/support/aws_calls.py), as (operation, table)."""
    return [(call.operation, call.table) for call in calls]


def limits(monkeypatch, **changes) -> None:
    monkeypatch.setattr(threads, "settings",
                        lambda: msgspec.structs.replace(settings(), **changes))


def test_the_whole_exchange_through_the_api(client, thread):
    citizen, _, officer, report_id = thread

    asked = write(client, officer, report_id, QUESTION, officer=True)
    assert asked.status_code == 201, asked.body
    assert asked.json_body["author"] == "police" and asked.json_body["body"] == QUESTION

    # The reporter sees one unread message on the summary and the full view.
    [row] = send(client, "get", "/reports", citizen).json_body["items"]
    assert row["unread_messages"] == 1
    assert send(client, "get", f"/reports/{report_id}", citizen).json_body["unread_messages"] == 1

    seen = read(client, citizen, report_id)
    [message] = seen["items"]
    assert message["author"] == "police" and message["unit"] == settings().police_unit
    assert message["body"] == QUESTION and seen["open"] is True and seen["open_until"] is None
    assert send(client, "get", f"/reports/{report_id}", citizen).json_body["unread_messages"] == 0

    answered = write(client, citizen, report_id, ANSWER)
    assert answered.status_code == 201, answered.body
    alias = send(client, "get", f"/admin/reports/{report_id}", officer).json_body["alias"]
    assert answered.json_body["author"] == "reporter" and answered.json_body["alias"] == alias

    # Officers: unread on the full view and the queue row; the report is in the inbox.
    assert send(client, "get", f"/admin/reports/{report_id}",
                officer).json_body["unread_messages"] == 1
    queue = send(client, "get", "/admin/reports?category=theft&limit=100", officer).json_body
    [queued] = [item for item in queue["items"] if item["report_id"] == report_id]
    assert queued["unread_messages"] == 1
    assert report_id in inbox_ids(client, officer)

    officer_thread = read(client, officer, report_id, officer=True)
    assert [m["body"] for m in officer_thread["items"]] == [QUESTION, ANSWER]
    assert officer_thread["alias"] == alias and officer_thread["account_deleted"] is False
    assert send(client, "get", f"/admin/reports/{report_id}",
                officer).json_body["unread_messages"] == 0

    # The reporter's own messages never count as unread for the reporter.
    assert send(client, "get", f"/reports/{report_id}", citizen).json_body["unread_messages"] == 0
    assert write(client, officer, report_id, "Thank you.", officer=True).status_code == 201
    assert report_id not in inbox_ids(client, officer)


def test_the_inbox_lists_waiting_reports_oldest_wait_first_with_the_wait(client):
    officer = caller("officer")
    waiting = []
    for _ in range(3):
        citizen, _ = registered_citizen()
        report_id = file_report(client, citizen)["report_id"]
        assert write(client, citizen, report_id, "I remember the plate now.").status_code == 201
        waiting.append((citizen, report_id))
    # A second message does not move the report back in the queue: the wait began earlier.
    assert write(client, waiting[0][0], waiting[0][1], "It began with 京A.").status_code == 201
    ids = [report_id for report_id in inbox_ids(client, officer)
           if report_id in {report_id for _, report_id in waiting}]
    assert ids == [report_id for _, report_id in waiting]
    rows = {row["report_id"]: row for row in
            send(client, "get", "/admin/inbox?limit=100", officer).json_body["items"]}
    first = rows[waiting[0][1]]
    assert first["unread_messages"] == 2 and first["waiting_seconds"] >= 0
    assert first["waiting_since"] < first["last_message_at"]
    assert first["category"] == "theft" and first["alias"].startswith("Reporter-")
    assert set(first) >= {"report_id", "alias", "status", "waiting_since"}


def test_the_inbox_pages_with_one_query_each(client, monkeypatch):
    officer = caller("officer")
    for _ in range(3):
        citizen, _ = registered_citizen()
        write(client, citizen, file_report(client, citizen)["report_id"], "Here is more.")
    seen, cursor = [], None
    while True:
        with counting_aws_calls() as calls:
            page = send(client, "get", "/admin/inbox?limit=2" + (f"&cursor={cursor}" if cursor
                                                                  else ""), officer).json_body
        assert tables(calls) == [("Query", "reports")] and calls[0].index == "inbox"
        seen += [row["report_id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) >= 3


def test_a_thread_pages_in_time_order_and_gives_what_came_after_a_message(client, thread):
    citizen, _, officer, report_id = thread
    for number in range(5):
        assert write(client, citizen, report_id, f"Detail {number}").status_code == 201
    first = read(client, citizen, report_id, query="?limit=2")
    second = read(client, citizen, report_id, query=f"?limit=2&cursor={first['next_cursor']}")
    third = read(client, citizen, report_id, query=f"?limit=2&cursor={second['next_cursor']}")
    bodies = [m["body"] for page in (first, second, third) for m in page["items"]]
    assert bodies == [f"Detail {number}" for number in range(5)]
    assert third["next_cursor"] is None

    after = first["items"][1]["message_id"]
    later = read(client, officer, report_id, officer=True, query=f"?after={after}")
    assert [m["body"] for m in later["items"]] == ["Detail 2", "Detail 3", "Detail 4"]
    last = later["items"][-1]["message_id"]
    assert read(client, citizen, report_id, query=f"?after={last}")["items"] == []

    # A cursor of one thread does not page another.
    other_citizen, _ = registered_citizen()
    other = file_report(client, other_citizen)["report_id"]
    foreign = send(client, "get", messages_path(other) + f"?cursor={first['next_cursor']}",
                   other_citizen)
    assert foreign.status_code == 400 and error_code(foreign) == "invalid_cursor"


@pytest.mark.parametrize("officer", [False, True], ids=["reporter", "officer"])
@pytest.mark.parametrize(("body", "status", "code"), [
    ({"body": ""}, 400, "validation_error"),
    ({"body": "   \n\t "}, 400, "validation_error"),
    ({"body": "x" * 2001}, 400, "validation_error"),
    ({"body": 42}, 400, "validation_error"),
    ({}, 400, "validation_error"),
    ({"body": "hi", "author": "police"}, 400, "validation_error"),
    ({"body": "a\u0000b"}, 400, "invalid_character"),
    (["body"], 400, "validation_error"),
    ({"body": "x" * 70_000}, 413, "payload_too_large"),
])
def test_malformed_and_oversized_messages_are_refused(client, thread, officer, body, status,
                                                      code):
    citizen, _, staff, report_id = thread
    response = send(client, "post", messages_path(report_id, officer),
                    staff if officer else citizen, body)
    assert response.status_code == status, response.body
    assert error_code(response) == code
    assert list(Message.query(report_id)) == []


@pytest.mark.parametrize("officer", [False, True], ids=["reporter", "officer"])
def test_not_json_and_duplicate_keys_are_refused(client, thread, officer):
    citizen, _, staff, report_id = thread
    who = staff if officer else citizen
    path = messages_path(report_id, officer)
    assert error_code(send(client, "post", path, who, raw="{")) == "malformed_json"
    duplicated = send(client, "post", path, who, raw='{"body": "a", "body": "b"}')
    assert error_code(duplicated) == "duplicate_key"


def test_2000_characters_of_any_script_are_stored_and_returned_as_sent(client, thread):
    citizen, _, officer, report_id = thread
    text = ("车往北开了<b>不是</b> & 'quotes' 🚗\n" * 100)[:2000]
    assert len(text) == 2000
    sent = write(client, citizen, report_id, text)
    assert sent.status_code == 201 and sent.json_body["body"] == text
    assert read(client, officer, report_id, officer=True)["items"][0]["body"] == text


def test_officers_cannot_attach_files(client, thread):
    _, _, officer, report_id = thread
    response = write(client, officer, report_id, "See this photo.", officer=True,
                     attachments=["0" * 32])
    assert response.status_code == 400 and error_code(response) == "validation_error"


@pytest.mark.parametrize(("attachments", "code"), [
    (["f" * 32], "attachment_not_found"),
    (["../x"], "validation_error"),
    (["a" * 65], "validation_error"),
    ([f"{n:032x}" for n in range(11)], "validation_error"),
    ("f" * 32, "validation_error"),
])
def test_attachments_must_be_this_reports_evidence(client, thread, attachments, code):
    citizen, _, _, report_id = thread
    response = write(client, citizen, report_id, "Photo attached.", attachments=attachments)
    assert response.status_code == 400, response.body
    assert error_code(response) == code


def test_the_same_attachment_twice_is_refused(client, thread):
    citizen, _, _, report_id = thread
    evidence_id = send(client, "post", f"/reports/{report_id}/evidence", citizen,
                       {"content_type": "image/jpeg", "size": 2048}).json_body["evidence_id"]
    twice = write(client, citizen, report_id, "Photo.", attachments=[evidence_id] * 2)
    assert twice.status_code == 400 and error_code(twice) == "validation_error"


@pytest.mark.parametrize("query", ["?limit=0", "?limit=101", "?limit=ten", "?cursor=forged",
                                   "?after=yesterday", "?after=" + "9" * 300])
def test_bad_queries_are_400(client, thread, query):
    citizen, _, officer, report_id = thread
    for who, officer_side in ((citizen, False), (officer, True)):
        response = send(client, "get", messages_path(report_id, officer_side) + query, who)
        assert response.status_code == 400, (query, response.body)


def test_another_citizens_report_is_404_on_every_route_like_a_missing_one(client, thread):
    citizen, _, officer, report_id = thread
    write(client, officer, report_id, QUESTION, officer=True)
    stranger, _ = registered_citizen()
    for method, body in (("get", None), ("post", {"body": "Let me in."})):
        theirs = send(client, method, messages_path(report_id), stranger, body)
        missing = send(client, method, messages_path("0" * 32), stranger, body)
        garbage = send(client, method, messages_path("not-an-id"), stranger, body)
        # Officers use their own routes; the reporter's are the reporter's alone.
        officers = send(client, method, messages_path(report_id), officer, body)
        assert theirs.status_code == missing.status_code == garbage.status_code == 404
        assert officers.status_code == 404
        assert theirs.json_body == missing.json_body == officers.json_body
    for method, body in (("get", None), ("post", {"body": "Hello?"})):
        response = send(client, method, messages_path("0" * 32, officer=True), officer, body)
        assert response.status_code == 404 and error_code(response) == "report_not_found"
    assert [m.author for m in Message.query(report_id)] == [MessageAuthor.POLICE]


def test_officers_see_no_phone_or_user_id_and_the_reporter_sees_no_officer(client, thread):
    citizen, phone, officer, report_id = thread
    evidence_id = send(client, "post", f"/reports/{report_id}/evidence", citizen,
                       {"content_type": "image/jpeg", "size": 2048}).json_body["evidence_id"]
    answers = [write(client, officer, report_id, QUESTION, officer=True),
               write(client, citizen, report_id, ANSWER, attachments=[evidence_id])]
    citizen_side = answers + [send(client, "get", messages_path(report_id), citizen),
                              send(client, "get", f"/reports/{report_id}", citizen),
                              send(client, "get", "/reports", citizen)]
    officer_side = [send(client, "get", messages_path(report_id, True), officer),
                    send(client, "get", "/admin/inbox", officer),
                    send(client, "get", f"/admin/reports/{report_id}", officer)]
    national = phone.removeprefix("+86")
    for response in officer_side:
        assert response.status_code == 200
        assert citizen.user_id not in response.body.decode()
        assert national not in response.body.decode()
    for response in citizen_side:
        assert response.status_code in (200, 201)
        assert officer.user_id not in response.body.decode()
    [attached] = read(client, officer, report_id, officer=True)["items"][1]["attachments"]
    assert attached["evidence_id"] == evidence_id and attached["status"] == "pending"


def test_officer_messages_are_audited_in_the_same_transaction_without_the_text(client, thread):
    _, _, officer, report_id = thread
    with counting_aws_calls() as calls:
        sent = write(client, officer, report_id, QUESTION, officer=True).json_body
    dynamodb = [call for call in calls if call.service == "dynamodb"]
    assert tables(dynamodb) == [("GetItem", "reports"), ("TransactWriteItems", None)]
    # Then the reporter's push is queued (chalicelib/push), after the message is written.
    assert calls[-1].operation == "SendMessageBatch"
    [event] = [e for e in audit_of(report_id) if e.action == AuditAction.REPORT_MESSAGE_SENT]
    assert event.actor_id == officer.user_id and event.actor_role == Role.OFFICER
    assert event.details == {"message_id": sent["message_id"]}
    assert QUESTION not in json.dumps(event.attribute_values, default=str)


def test_the_dynamodb_calls_of_each_route(client, thread):
    citizen, _, officer, report_id = thread
    with counting_aws_calls() as reporter_send:
        write(client, citizen, report_id, ANSWER)
    with counting_aws_calls() as officer_read:
        read(client, officer, report_id, officer=True)
    with counting_aws_calls() as officer_read_again:
        read(client, officer, report_id, officer=True)
    with counting_aws_calls() as reporter_read:
        read(client, citizen, report_id)
    assert tables(reporter_send) == [("GetItem", "reports"), ("TransactWriteItems", None)]
    # The read mark is written only when there is something to mark.
    assert tables(officer_read) == [("GetItem", "reports"), ("Query", "messages"),
                                    ("UpdateItem", "reports"), ("GetItem", "users")]
    assert tables(officer_read_again) == [("GetItem", "reports"), ("Query", "messages"),
                                          ("GetItem", "users")]
    assert tables(reporter_read) == [("GetItem", "reports"), ("Query", "messages")]


def test_rate_limits_are_429_with_retry_after_and_refusals_cost_nothing(client, thread,
                                                                      monkeypatch):
    citizen, _, officer, report_id = thread
    limits(monkeypatch, reporter_messages_per_report_hour=3, officer_messages_per_hour=2)
    for number in range(3):
        assert write(client, citizen, report_id, f"Detail {number}").status_code == 201
    refused = write(client, citizen, report_id, "One more.")
    assert refused.status_code == 429 and error_code(refused) == "message_rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600

    # The citizen's limit is per report; a refused body uses up nothing.
    second_report = file_report(client, citizen)["report_id"]
    for _ in range(5):
        write(client, citizen, second_report, "")
    assert write(client, citizen, second_report, "Another report.").status_code == 201

    # The officer's is per officer across reports.
    assert write(client, officer, report_id, "Q1", officer=True).status_code == 201
    assert write(client, officer, second_report, "Q2", officer=True).status_code == 201
    too_many = write(client, officer, second_report, "Q3", officer=True)
    assert too_many.status_code == 429 and "Retry-After" in too_many.headers
    assert write(client, caller("officer"), report_id, "Q3", officer=True).status_code == 201
    assert len(list(Message.query(report_id))) == 5


def test_the_defaults_are_the_issues_limits():
    assert settings().reporter_messages_per_report_hour == 20
    assert settings().officer_messages_per_hour == 60
    assert settings().conversation_days_after_close == 30
    assert settings().police_unit == "朝阳分局"


def close(client, report_id: str, status: str = "dismissed") -> None:
    admin = caller("admin")
    for step in ("in_review", status):
        moved = send(client, "patch", f"/admin/reports/{report_id}", admin, {"status": step})
        assert moved.status_code == 200, moved.body


def test_a_closed_report_takes_reporter_messages_for_30_days_and_officers_always(
        client, thread, monkeypatch):
    citizen, _, officer, report_id = thread
    close(client, report_id)
    still_open = read(client, citizen, report_id)
    assert still_open["open"] is True
    closes = datetime.fromisoformat(still_open["open_until"])
    assert timedelta(days=29) < closes - datetime.now(UTC) <= timedelta(days=30)
    assert write(client, citizen, report_id, "One more thing.").status_code == 201

    limits(monkeypatch, conversation_days_after_close=0)
    closed = write(client, citizen, report_id, "Hello?")
    assert closed.status_code == 409 and error_code(closed) == "conversation_closed"
    assert read(client, citizen, report_id)["open"] is False
    assert write(client, officer, report_id, "We closed the case.", officer=True).status_code == 201


def test_the_30_days_count_from_the_close(client, thread):
    citizen, _, _, report_id = thread
    close(client, report_id, "actioned")
    closed_at = Report.get(report_id).closed_at
    body = ReporterMessage(body="Late detail.")
    threads.send_as_reporter(citizen.principal, report_id, body,
                             now=closed_at + timedelta(days=29, hours=23))
    with pytest.raises(Exception) as refused:
        threads.send_as_reporter(citizen.principal, report_id, body,
                                 now=closed_at + timedelta(days=30, seconds=1))
    assert getattr(refused.value, "code", None) == "conversation_closed"


def test_a_report_closed_between_reading_and_writing_refuses_the_message(client, thread,
                                                                       monkeypatch):
    """The open rule is checked again in the transaction's condition."""
    citizen, _, _, report_id = thread
    real_check = threads._check_reporter_may_write
    calls = []

    def close_after_the_check(report, now):
        calls.append(report.status)
        if len(calls) == 1:
            close(client, report_id)  # and, as if long ago:
            Report(report_id).update(actions=[Report.closed_at.set(now - timedelta(days=31))])
        else:
            real_check(report, now)

    monkeypatch.setattr(threads, "_check_reporter_may_write", close_after_the_check)
    refused = write(client, citizen, report_id, "Just in time?")
    assert refused.status_code == 409 and error_code(refused) == "conversation_closed"
    assert calls == ["submitted", "dismissed"]
    assert list(Message.query(report_id)) == []


def test_a_deleted_account_keeps_the_thread_under_the_alias_and_writes_no_more(client, thread):
    citizen, _, officer, report_id = thread
    write(client, citizen, report_id, ANSWER)
    assert send(client, "delete", "/me", citizen).status_code == 204
    refused = write(client, citizen, report_id, "Still here?")
    assert refused.status_code == 401 and error_code(refused) == "account_deleted"
    seen = read(client, officer, report_id, officer=True)
    assert seen["account_deleted"] is True
    [message] = seen["items"]
    assert message["alias"] == seen["alias"] and message["body"] == ANSWER


def test_a_reveal_changes_nothing_the_reporter_sees(client, thread):
    citizen, _, officer, report_id = thread
    write(client, officer, report_id, QUESTION, officer=True)
    before = read(client, citizen, report_id)
    revealed = send(client, "post", f"/admin/reports/{report_id}/reveal", caller("admin"),
                    {"reason": "Court order 2026-114 for the robbery case."})
    assert revealed.status_code == 200
    assert read(client, citizen, report_id) == before


def test_a_repeated_send_without_a_key_is_a_second_message(client, thread):
    citizen, _, _, report_id = thread
    first = write(client, citizen, report_id, ANSWER).json_body
    second = write(client, citizen, report_id, ANSWER).json_body
    assert first["message_id"] != second["message_id"]
    assert Report.get(report_id, consistent_read=True).reporter_messages == 2


@pytest.mark.parametrize("officer", [False, True], ids=["reporter", "officer"])
def test_a_retried_send_with_its_key_is_one_message(client, thread, officer):
    citizen, _, officer_caller, report_id = thread
    who, key = (officer_caller if officer else citizen), uuid.uuid4().hex

    def send_keyed(text):
        headers = {"Content-Type": "application/json", **who.headers,
                   idempotency.HEADER: key}
        return client.http.post(messages_path(report_id, officer), headers=headers,
                                body=json.dumps({"body": text}))

    first, again = send_keyed(ANSWER), send_keyed(ANSWER)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json_body == first.json_body
    assert again.headers[idempotency.REPLAYED_HEADER] == "true"
    report = Report.get(report_id, consistent_read=True)
    assert (report.officer_messages if officer else report.reporter_messages) == 1
    assert send_keyed("Something else entirely.").status_code == 422


def test_50_concurrent_messages_from_both_sides_are_50_stored_and_counted(client, thread):
    citizen, _, _, report_id = thread
    officers = [caller("officer") for _ in range(3)]
    sends = ([lambda n=n: threads.send_as_reporter(
        citizen.principal, report_id, ReporterMessage(body=f"citizen {n}"))
        for n in range(20)]
        + [lambda n=n: threads.send_as_officer(
            officers[n % 3].principal, report_id, OfficerMessage(body=f"officer {n}"))
           for n in range(30)])
    with ThreadPoolExecutor(max_workers=25) as pool:
        sent = list(pool.map(lambda send_one: send_one(), sends))
    assert len({message["message_id"] for message in sent}) == 50
    stored = list(Message.query(report_id))
    assert len(stored) == 50
    assert sorted(m.body for m in stored) == sorted(
        [f"citizen {n}" for n in range(20)] + [f"officer {n}" for n in range(30)])
    report = Report.get(report_id, consistent_read=True)
    assert (report.reporter_messages, report.officer_messages) == (20, 30)
    assert send(client, "get", f"/reports/{report_id}", citizen).json_body["unread_messages"] \
        == 30
    assert len([event for event in audit_of(report_id)
                if event.action == AuditAction.REPORT_MESSAGE_SENT]) == 30
    # Both inbox keys move together whatever the commit order; an answer clears them.
    assert (report.inbox == "waiting") == (report.waiting_since is not None)
    threads.send_as_officer(officers[0].principal, report_id, OfficerMessage(body="Thanks."))
    answered = Report.get(report_id, consistent_read=True)
    assert (answered.inbox, answered.waiting_since) == (None, None)


def test_message_text_never_reaches_a_log_line(client, thread, capsys):
    citizen, _, officer, report_id = thread
    secret_text = "The dealer lives at 12 Hidden Lane, flat 3"
    capsys.readouterr()
    write(client, citizen, report_id, secret_text)
    write(client, officer, report_id, secret_text + "?", officer=True)
    read(client, officer, report_id, officer=True)
    read(client, citizen, report_id)
    write(client, citizen, report_id, secret_text + "x" * 2000)  # refused: too long
    output = capsys.readouterr()
    assert "Hidden Lane" not in output.out + output.err
    assert output.out.count('"message sent"') == 2


def test_a_citizens_photo_reply_reaches_the_officer_with_its_thumbnail(client, thread, pump):
    """Attachments go through the evidence flow: ticket, presigned upload, the worker."""
    citizen, _, officer, report_id = thread
    write(client, officer, report_id, "Do you have a photo?", officer=True)
    content = jpeg_with_gps()
    ticket = send(client, "post", f"/reports/{report_id}/evidence", citizen,
                  {"content_type": "image/jpeg", "size": len(content)}).json_body
    upload(ticket["upload"], content, "image/jpeg")
    sent = write(client, citizen, report_id, "Here it is.", attachments=[ticket["evidence_id"]])
    assert sent.status_code == 201, sent.body

    def ready_attachment():
        [_, reply] = read(client, officer, report_id, officer=True)["items"]
        [attached] = reply["attachments"]
        return attached if attached["status"] == "ready" else None

    attached = wait_until(ready_attachment)
    assert attached and attached["thumb_url"] and attached["kind"] == "image"
    [_, own] = read(client, citizen, report_id)["items"]
    assert "gps" not in own["attachments"][0]


def conflicting(monkeypatch, times: int, took: float = 0, clock: list | None = None
                ) -> list[int]:
    """DynamoDB cancels the next `times` sends with TransactionConflict, as it does when
    another transaction holds the report item at that moment (the emulator never does).
    Answers the tries made so far; each moves `clock[0]` on by `took` seconds."""
    real, left, tries = threads.write_transaction, [times], []

    def transaction():
        made = real()
        if left[0] > 0:
            left[0] -= 1

            def cancelled():
                tries.append(1)
                if clock is not None:
                    clock[0] += took
                raise TransactWriteError("cancelled", cause=VerboseClientError(
                    {"Error": {"Code": "TransactionCanceledException", "Message": "conflict"}},
                    "TransactWriteItems",
                    cancellation_reasons=[None, None, CancellationReason("TransactionConflict"),
                                          None]))
            made._commit = cancelled
        return made

    monkeypatch.setattr(threads, "write_transaction", transaction)
    monkeypatch.setattr(threads, "CONFLICT_BACKOFF", deadlines.Backoff(base=0, cap=0))
    return tries


def test_a_send_that_meets_a_concurrent_transaction_is_retried_and_stored_once(
        client, thread, monkeypatch):
    citizen, _, _, report_id = thread
    tries = conflicting(monkeypatch, 2)
    assert write(client, citizen, report_id, ANSWER).status_code == 201
    assert len(tries) == 2
    assert len(list(Message.query(report_id))) == 1
    assert Report.get(report_id, consistent_read=True).reporter_messages == 1


def test_a_send_that_keeps_conflicting_is_a_503_to_retry_and_writes_nothing(
        client, thread, monkeypatch):
    _, _, officer, report_id = thread
    tries = conflicting(monkeypatch, threads.CONFLICT_ATTEMPTS)
    busy = write(client, officer, report_id, QUESTION, officer=True)
    assert busy.status_code == 503 and error_code(busy) == ErrorCode.CONVERSATION_BUSY
    assert busy.headers["Retry-After"] == "1"
    assert len(tries) == threads.CONFLICT_ATTEMPTS
    assert list(Message.query(report_id)) == []
    assert [e for e in audit_of(report_id) if e.action == AuditAction.REPORT_MESSAGE_SENT] == []


def test_conflict_retries_stop_when_the_request_budget_cannot_fit_another_try(
        thread, monkeypatch):
    """Each try may take a whole transaction call (connect + read); none is started
    that the request's budget cannot fit, however many tries are left."""
    _, _, officer, report_id = thread
    now = [0.0]
    tries = conflicting(monkeypatch, threads.CONFLICT_ATTEMPTS, took=1, clock=now)
    seconds = 2 * threads.CONFLICT_CALLS.attempt_seconds - 1
    with deadlines.budget(seconds, clock=lambda: now[0]), pytest.raises(Exception) as busy:
        threads.send_as_officer(officer.principal, report_id, OfficerMessage(body=QUESTION))
    assert getattr(busy.value, "code", None) == ErrorCode.CONVERSATION_BUSY
    # Tries start at 0, 1, 2 … seconds: the last one is the one the budget still fits whole.
    assert len(tries) == seconds - threads.CONFLICT_CALLS.attempt_seconds + 1
    assert len(tries) < threads.CONFLICT_ATTEMPTS
    assert list(Message.query(report_id)) == []

"""Bulletins through the API: each category's lifecycle, validation, authorization,
listings and their paging, expiry, caching, and the DynamoDB calls a read costs.

Every draft gets a district unique to its test (tests/support/bulletins.py), so a
listing sees only that test's bulletins however many others the session has made.
"""

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from support.bulletins import (
    CATEGORIES,
    OUTCOMES,
    audit_actions,
    draft,
    error_of,
    get,
    headers,
    listed_ids,
    listing,
    patch,
    publish,
    published,
    unique_district,
)

from chalicelib import bulletins, clock
from chalicelib.api.bodies import MAX_BODY_BYTES
from chalicelib.bulletins.fields import Resolve, Retract
from chalicelib.errors import Conflict
from chalicelib.tables import Bulletin
from chalicelib.tokens import Principal

# Each category: create, read, list, edit, resolve, retract.

@pytest.mark.parametrize("category", CATEGORIES)
def test_each_category_is_published_read_listed_edited_and_resolved(client, category):
    body = draft(category)
    created = published(client, body)
    assert {name: created[name] for name in body} == body
    assert created["status"] == "published" and created["images"] == []

    read = get(client, created["id"])
    assert read.status_code == 200 and read.json_body == created
    assert listed_ids(client, category=category, district=body["district"]) == [created["id"]]
    assert created["id"] in listed_ids(client, district=body["district"])

    edited = patch(client, created["id"], {"title": "Updated title"})
    assert edited.status_code == 200, edited.body
    assert edited.json_body["title"] == "Updated title"
    assert get(client, created["id"]).json_body["title"] == "Updated title"

    resolved = patch(client, created["id"], {"status": "resolved",
                                             "outcome": OUTCOMES[category],
                                             "note": "Thank you for your help."})
    assert resolved.status_code == 200, resolved.body
    assert resolved.json_body["status"] == "resolved"
    assert resolved.json_body["outcome"] == OUTCOMES[category]
    assert resolved.json_body["closed_at"]
    assert listed_ids(client, category=category, district=body["district"]) == []
    assert listed_ids(client, category=category, district=body["district"],
                      status="resolved") == [created["id"]]
    reopened = get(client, created["id"]).json_body
    assert (reopened["status"], reopened["note"]) == ("resolved", "Thank you for your help.")
    assert audit_actions(created["id"]) == ["bulletin.publish", "bulletin.edit",
                                            "bulletin.resolve"]


@pytest.mark.parametrize("category", CATEGORIES)
def test_each_category_can_be_retracted_with_a_public_reason(client, category):
    created = published(client, draft(category))
    retracted = patch(client, created["id"], {"status": "retracted",
                                              "reason": "Published in error."})
    assert retracted.status_code == 200, retracted.body
    reopened = get(client, created["id"]).json_body
    assert (reopened["status"], reopened["reason"]) == ("retracted", "Published in error.")
    assert listed_ids(client, district=created["district"]) == []
    assert listed_ids(client, district=created["district"], status="retracted") == [created["id"]]
    assert audit_actions(created["id"])[-1] == "bulletin.retract"


def test_listing_without_a_category_covers_every_category_newest_first(client):
    district = unique_district()
    ids = [published(client, draft(category, district))["id"] for category in CATEGORIES]
    assert listed_ids(client, district=district) == ids[::-1]
    summary = listing(client, district=district)["items"][0]
    assert "body" not in summary and summary["thumb_url"] is None


# Validation: every refusal names the field.

@pytest.mark.parametrize(("change", "field"), [
    ({"category": "gossip"}, "category"),
    ({"title": None}, "title"),
    ({"age": "eight"}, "age"),
    ({"at_risk": "yes"}, "at_risk"),
    ({"last_seen_at": "2026-03-02T16:40:00"}, "last_seen_at"),  # no time zone
    ({"sex": "robot"}, "sex"),
    ({"height_cm": 900}, "height_cm"),
    ({"title": "x" * 10_000}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "two\nlines"}, "title"),
    ({"nickname": "Xiao Ming"}, "nickname"),
    ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ({"age": None, "date_of_birth": None}, "age"),
])
def test_invalid_drafts_get_a_400_naming_the_field(client, change, field):
    response = publish(client, {**draft("missing_person"), **change})
    assert response.status_code == 400, response.body
    assert error_of(response)["field"] == field


@pytest.mark.parametrize("missing", ["title", "category", "contact", "plate", "sought_for"])
def test_a_missing_required_field_is_named(client, missing):
    body = draft("vehicle")
    del body[missing]
    response = publish(client, body)
    assert response.status_code == 400
    assert error_of(response)["field"] == missing


def test_a_nested_wrong_type_is_named_with_its_path(client):
    response = publish(client, draft("suspect", aliases=["ok", 7]))
    assert response.status_code == 400 and error_of(response)["field"] == "aliases[1]"


def test_chinese_and_emoji_text_round_trips_intact(client):
    text = "朝阳群众请注意 🚨👮‍♀️ 失物招领：黑色钱包 👛，请到派出所认领。"
    created = published(client, draft("lost_and_found", district="朝阳区", title=text[:40],
                                      body=text, description=text))
    reread = get(client, created["id"])
    assert reread.json_body["body"] == text and reread.json_body["description"] == text
    assert reread.json_body["district"] == "朝阳区"
    assert "朝阳群众" in reread.body.decode()  # sent as UTF-8, not \u escapes
    assert listed_ids(client, district="朝阳区", category="lost_and_found") \
        [:1] == [created["id"]]


def test_malformed_oversized_and_wrongly_typed_bodies_are_refused(client):
    not_json = client.http.post("/bulletins", body="{nope", headers=headers())
    assert not_json.status_code == 400 and error_of(not_json)["code"] == "malformed_json"
    array = publish(client, [draft("vehicle")])
    assert array.status_code == 400
    huge = publish(client, draft("vehicle", body="x" * (MAX_BODY_BYTES + 1)))
    assert huge.status_code == 413
    wrong_content = client.http.post("/bulletins", body="title=x",
                                     headers={**headers(), "Content-Type": "text/plain"})
    assert wrong_content.status_code == 415

@pytest.mark.parametrize("change", [
    {"age": 10**30}, {"age": 1.5}, {"title": {"nested": [[[]]]}}, {"aliases": ["a"] * 11},
    {"status": 5}, {"status": None}, {"status": "resolved", "outcome": ["found"]},
    {"expires_at": "garbage"}, {"date_of_birth": "2020-13-45"}, {"": 1}, {"title": "\u0000"},
])
def test_odd_input_is_a_400_never_a_500(client, change):
    created = published(client, draft("missing_person"))
    assert patch(client, created["id"], change).status_code == 400
    assert publish(client, {**draft("missing_person"), **change}).status_code == 400


def test_deeply_nested_json_is_a_400(client):
    created = published(client, draft("vehicle"))
    deep = "[" * 10_000 + "]" * 10_000
    assert client.http.post("/bulletins", body=deep, headers=headers()).status_code == 400
    assert client.http.patch(f"/bulletins/{created['id']}", body=deep,
                             headers=headers()).status_code == 400


# Who may publish.

def test_a_citizen_gets_403_and_no_token_gets_401(client):
    assert publish(client, draft("vehicle"), role="citizen").status_code == 403
    assert publish(client, draft("vehicle"), role=None).status_code == 401
    garbage = client.http.post("/bulletins", body=json.dumps(draft("vehicle")),
                               headers={"Content-Type": "application/json",
                                        "Authorization": "Bearer not-a-token"})
    assert garbage.status_code == 401
    created = published(client, draft("vehicle"))
    assert patch(client, created["id"], {"title": "x"}, role="citizen").status_code == 403
    assert patch(client, created["id"], {"title": "x"}, role=None).status_code == 401


def test_an_admin_may_publish(client):
    assert publish(client, draft("key_case"), role="admin").status_code == 201


def test_reads_need_no_sign_in(client):
    created = published(client, draft("key_case"))
    assert client.http.get(f"/bulletins/{created['id']}").status_code == 200
    assert client.http.get("/bulletins").status_code == 200


# Repeated publishing.

def test_a_retried_publish_with_the_same_idempotency_key_publishes_once(client):
    body, officer = draft("suspect"), f"officer-{uuid.uuid4().hex}"
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = client.http.post("/bulletins", body=json.dumps(body),
                             headers=headers(user_id=officer, **key))
    again = client.http.post("/bulletins", body=json.dumps(body),
                             headers=headers(user_id=officer, **key))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotency-Replayed"] == "true"
    assert first.json_body == again.json_body
    assert listed_ids(client, district=body["district"]) == [first.json_body["id"]]
    assert audit_actions(first.json_body["id"]) == ["bulletin.publish"]

    different = client.http.post("/bulletins", body=json.dumps({**body, "title": "Other"}),
                                 headers=headers(user_id=officer, **key))
    assert different.status_code == 422
    assert error_of(different)["code"] == "idempotency_key_reused"
    another_officer = client.http.post("/bulletins", body=json.dumps(body), headers=headers(**key))
    assert another_officer.status_code == 201
    assert another_officer.json_body["id"] != first.json_body["id"]


def test_an_unusable_idempotency_key_is_a_400(client):
    response = publish(client, draft("suspect"), **{"Idempotency-Key": "x" * 129})
    assert response.status_code == 400 and error_of(response)["field"] == "Idempotency-Key"


def test_without_a_key_a_repeated_publish_makes_two_bulletins(client):
    body = draft("vehicle")
    ids = {published(client, body)["id"], published(client, body)["id"]}
    assert len(ids) == 2


# Editing.

def test_an_edit_is_validated_whole_and_keeps_the_rest(client):
    created = published(client, draft("missing_person"))
    moved = patch(client, created["id"], {"district": "朝阳区", "age": None,
                                          "date_of_birth": "2018-05-01"})
    assert moved.status_code == 200, moved.body
    assert (moved.json_body["age"], moved.json_body["date_of_birth"]) == (None, "2018-05-01")
    assert moved.json_body["name"] == "王小明"
    # The district listing keys moved with it.
    assert listed_ids(client, district=created["district"]) == []
    assert created["id"] in listed_ids(client, district="朝阳区", category="missing_person")

    for change, field in [({"age": None, "date_of_birth": None}, "age"),
                          ({"category": "vehicle"}, "category"),
                          ({"plate": "京A1"}, "plate"),
                          ({"title": 5}, "title"),
                          ({"status": "published"}, "status"),
                          ({"status": "resolved"}, "outcome"),
                          ({"status": "resolved", "outcome": "found", "title": "x"}, "title"),
                          ({"status": "retracted"}, "reason")]:
        response = patch(client, created["id"], change)
        assert response.status_code == 400, (change, response.body)
        assert error_of(response)["field"] == field, change


def test_an_empty_or_non_object_patch_is_a_400(client):
    created = published(client, draft("vehicle"))
    assert patch(client, created["id"], {}).status_code == 400
    assert patch(client, created["id"], ["title"]).status_code == 400
    assert patch(client, created["id"], {"title": "x" * 10_000}).status_code == 400


def test_a_repeated_edit_changes_nothing_the_second_time(client):
    created = published(client, draft("vehicle"))
    first = patch(client, created["id"], {"colour": "black"})
    etag = get(client, created["id"]).headers["ETag"]
    again = patch(client, created["id"], {"colour": "black"})
    assert first.json_body == again.json_body
    assert get(client, created["id"]).headers["ETag"] == etag
    assert audit_actions(created["id"]) == ["bulletin.publish", "bulletin.edit"]


def test_expiry_can_be_set_and_cleared(client):
    created = published(client, draft("lost_and_found"))
    later = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    set_expiry = patch(client, created["id"], {"expires_at": later.isoformat()})
    assert set_expiry.json_body["expires_at"] == later.isoformat().replace("+00:00", "Z")
    assert patch(client, created["id"], {"expires_at": None}).json_body["expires_at"] is None


def test_times_are_stored_and_shown_in_utc(client):
    created = published(client, draft("key_case", occurred_at="2026-03-01T20:15:00+08:00"))
    assert created["occurred_at"] == "2026-03-01T12:15:00Z"


# Lifecycle.

def test_illegal_lifecycle_moves_are_409(client):
    retracted = published(client, draft("suspect"))
    patch(client, retracted["id"], {"status": "retracted", "reason": "Wrong person."})
    resolved = published(client, draft("suspect"))
    patch(client, resolved["id"], {"status": "resolved", "outcome": "arrested"})
    for bulletin_id, change in [
            (retracted["id"], {"status": "resolved", "outcome": "arrested"}),
            (retracted["id"], {"title": "Edited after retraction"}),
            (resolved["id"], {"status": "retracted", "reason": "Changed our minds."}),
            (resolved["id"], {"status": "resolved", "outcome": "closed"}),
            (resolved["id"], {"caution": None}),
            (resolved["id"], {"title": "x" * 10_000})]:  # closed comes before invalid
        response = patch(client, bulletin_id, change)
        assert response.status_code == 409, (change, response.body)
        assert error_of(response)["code"] == "bulletin_closed"
    assert get(client, resolved["id"]).json_body["outcome"] == "arrested"


def test_repeating_the_same_move_answers_with_the_bulletin_unchanged(client):
    created = published(client, draft("vehicle"))
    move = {"status": "resolved", "outcome": "recovered"}
    first, again = patch(client, created["id"], move), patch(client, created["id"], move)
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json_body == again.json_body
    assert audit_actions(created["id"]) == ["bulletin.publish", "bulletin.resolve"]


def test_concurrent_resolve_and_retract_exactly_one_wins(client):
    created = published(client, draft("suspect"))
    officer = Principal("officer-race", "officer")
    both_read = threading.Barrier(2)
    # The emulator (moto) checks a condition and writes without a lock, so two writes
    # sent at the same instant can both pass there; DynamoDB itself is atomic per item.
    # The writes therefore go one after the other, each from a bulletin read before
    # either was sent: the race a real deployment has.
    one_write_at_a_time = threading.Lock()
    results: list[str] = []

    def attempt(move):
        current = bulletins.read(created["id"])
        both_read.wait(timeout=10)
        with one_write_at_a_time:
            try:
                bulletins.close(officer, current, move)
                results.append(f"won:{move.__struct_config__.tag}")
            except Conflict as conflict:
                results.append(f"lost:{conflict.code}")

    threads = [threading.Thread(target=attempt, args=(move,)) for move in
               (Resolve(outcome="arrested"), Retract(reason="Duplicate bulletin."))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    winners = [result for result in results if result.startswith("won:")]
    assert len(winners) == 1 and results.count("lost:edit_conflict") == 1, results
    assert get(client, created["id"]).json_body["status"] == winners[0].removeprefix("won:")
    assert Bulletin.get(created["id"]).version == 2


def test_unknown_bulletins_are_404(client):
    for bulletin_id in (uuid.uuid4().hex, uuid.uuid4().hex.upper(), "nope", "x" * 5000):
        assert get(client, bulletin_id).status_code == 404
    response = patch(client, uuid.uuid4().hex, {"title": "x"})
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


# Listings: paging, filters, cursors, expiry.

def test_paging_returns_each_bulletin_once_in_order_while_more_are_published(client):
    district = unique_district()
    ids = [published(client, draft("missing_person", district))["id"] for _ in range(55)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"category": "missing_person", "district": district, "limit": 20}
        page = listing(client, **params, **({"cursor": cursor} if cursor else {}))
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
        published(client, draft("missing_person", district))  # newer: before the cursor
    assert seen == ids[::-1]
    assert pages == 3


@pytest.mark.parametrize("cursor", ["garbage", "a.b", "x" * 3000, "é.é",
                                    "eyJwIjoic3RhdHVzPXB1Ymxpc2hlZCJ9.AAAA"])
def test_a_forged_or_garbage_cursor_is_a_400(client, cursor):
    response = client.http.get(f"/bulletins?{urlencode({'cursor': cursor})}")
    assert response.status_code == 400, response.body
    assert error_of(response)["field"] == "cursor"


def test_a_cursor_from_another_listing_is_a_400(client):
    district = unique_district()
    for _ in range(2):
        published(client, draft("vehicle", district))
    cursor = listing(client, district=district, limit=1)["next_cursor"]
    assert cursor
    elsewhere = client.http.get(f"/bulletins?{urlencode({'cursor': cursor, 'limit': 1})}")
    assert elsewhere.status_code == 400
    other_category = client.http.get(
        f"/bulletins?{urlencode({'cursor': cursor, 'district': district, 'category': 'vehicle'})}")
    assert other_category.status_code == 400


@pytest.mark.parametrize(("query", "field"), [
    ({"category": "gossip"}, "category"), ({"status": "deleted"}, "status"),
    ({"district": "x" * 65}, "district"), ({"include_expired": "maybe"}, "include_expired"),
    ({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"), ({"limit": "ten"}, "limit"),
])
def test_bad_listing_parameters_are_400_naming_them(client, query, field):
    response = client.http.get(f"/bulletins?{urlencode(query)}")
    assert response.status_code == 400 and error_of(response)["field"] == field


def test_an_expired_bulletin_leaves_the_default_listing_but_opens_by_id(client, monkeypatch):
    district = unique_district()
    in_an_hour = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    expiring = published(client, draft("lost_and_found", district, expires_at=in_an_hour))
    lasting = published(client, draft("lost_and_found", district))
    assert listed_ids(client, district=district) == [lasting["id"], expiring["id"]]

    two_hours_on = datetime.now(UTC) + timedelta(hours=2)
    monkeypatch.setattr(clock, "now", lambda: two_hours_on)
    assert listed_ids(client, district=district) == [lasting["id"]]
    assert listed_ids(client, district=district, category="lost_and_found") == [lasting["id"]]
    assert listed_ids(client, district=district, include_expired="true") == \
        [lasting["id"], expiring["id"]]
    reopened = get(client, expiring["id"])
    assert reopened.status_code == 200 and reopened.json_body["status"] == "published"


# Caching.

def test_a_conditional_get_answers_304_until_the_bulletin_changes(client):
    created = published(client, draft("key_case"))
    first = get(client, created["id"])
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=30"
    again = get(client, created["id"], **{"If-None-Match": etag})
    assert again.status_code == 304 and again.body == b""
    assert again.headers["ETag"] == etag
    assert get(client, created["id"], **{"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert get(client, created["id"], **{"If-None-Match": "*"}).status_code == 304
    assert get(client, created["id"], **{"If-None-Match": '"other"'}).status_code == 200

    patch(client, created["id"], {"title": "Changed"})
    changed = get(client, created["id"], **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_a_listing_answers_304_until_it_changes(client):
    district = unique_district()
    published(client, draft("vehicle", district))
    path = f"/bulletins?{urlencode({'district': district})}"
    etag = client.http.get(path).headers["ETag"]
    assert client.http.get(path, headers={"If-None-Match": etag}).status_code == 304
    published(client, draft("vehicle", district))
    assert client.http.get(path, headers={"If-None-Match": etag}).status_code == 200


def test_writes_are_not_cacheable(client):
    response = publish(client, draft("vehicle"))
    assert response.headers["Cache-Control"] == "no-store"


# The AWS calls each request costs.

def test_a_detail_read_is_one_getitem_and_a_page_one_query(client, aws_calls):
    district = unique_district()
    for _ in range(25):
        created = published(client, draft("vehicle", district))
    first_page = listing(client, district=district, category="vehicle")  # warms the cursor key

    aws_calls.clear()
    read = get(client, created["id"])
    assert read.status_code == 200
    assert aws_calls == [("dynamodb", "GetItem", "bulletins", None)]

    for params, index in [({}, "by_status"), ({"category": "vehicle"}, "by_status_category"),
                          ({"district": district}, "by_status_district"),
                          ({"district": district, "category": "vehicle",
                            "cursor": first_page["next_cursor"]},
                           "by_status_category_district")]:
        aws_calls.clear()
        listing(client, **params)
        assert aws_calls == [("dynamodb", "Query", "bulletins", index)], params


def test_a_change_is_one_getitem_one_conditional_update_and_its_audit_event(client, aws_calls):
    created = published(client, draft("vehicle"))
    aws_calls.clear()
    patch(client, created["id"], {"status": "resolved", "outcome": "recovered"})
    assert aws_calls == [("dynamodb", "GetItem", "bulletins", None),
                         ("dynamodb", "UpdateItem", "bulletins", None),
                         ("dynamodb", "PutItem", "audit", None)]
    aws_calls.clear()
    published(client, draft("vehicle"))
    # The audit event and the transparency report's count, in one transaction.
    assert aws_calls == [("dynamodb", "PutItem", "bulletins", None),
                         ("dynamodb", "TransactWriteItems", None, None)]

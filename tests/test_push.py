"""Push notifications and district alerts (issue 15), through the real path: the API
(chalice test client) queues jobs on the emulator's SQS, the push pump hands them to
the push worker's handler, the worker calls SNS (moto, in the push sink's process),
and what reached a device token is read back from the push sink over HTTP."""

import json
import uuid
from datetime import UTC, datetime

import boto3
import pytest
from support.api import (
    Caller,
    caller,
    error_code,
    file_report,
    registered_citizen,
    report_body,
    send,
)
from support.auth import sign_in
from support.bulletins import draft, unique_district
from support.push import (
    endpoint_attributes,
    new_installation,
    new_token,
    pushes,
    register,
    registered_endpoint,
    wait_for_pushes,
)
from support.waiting import wait_until

from chalicelib.push import handler
from chalicelib.settings import settings
from chalicelib.tables import AlertAudience, AuditEvent, Device, PhoneClaim
from chalicelib.tokens import Principal

pytestmark = pytest.mark.usefixtures("push_pump")
REPORT_TEXT = "Someone cut the lock and took my bicycle outside the metro."


def device(client, who: Caller, **options) -> tuple[str, str, str]:
    """A registered device of `who`: (installation id, token, its SNS endpoint)."""
    installation, token = new_installation(), new_token()
    response = register(client, who, installation, token, **options)
    assert response.status_code == 200, response.body
    return installation, token, registered_endpoint(who.user_id, installation)


def endpoints_with_token(token: str) -> list[str]:
    sns = boto3.client("sns")
    found = []
    for arn in settings().push_applications.values():
        for endpoint in sns.list_endpoints_by_platform_application(
                PlatformApplicationArn=arn)["Endpoints"]:
            if endpoint["Attributes"].get("Token") == token:
                found.append(endpoint["EndpointArn"])
    return found


def gone(arn: str) -> bool:
    return wait_until(lambda: endpoint_attributes(arn) is None, timeout=30)


# ---- registration --------------------------------------------------------------------

def test_registering_twice_with_the_same_body_makes_one_endpoint_and_changes_nothing(client):
    who = caller()
    installation, token, arn = device(client, who)
    before = Device.get(who.user_id, installation)
    again = register(client, who, installation, token)
    assert again.status_code == 200
    assert again.json_body == {"installation_id": installation, "platform": "fcm",
                               "locale": "zh-CN", "registered": True,
                               "updated_at": before.updated_at.isoformat()}
    after = Device.get(who.user_id, installation)
    assert (after.endpoint_arn, after.updated_at) == (arn, before.updated_at)
    assert endpoints_with_token(token) == [arn]


def test_a_new_token_updates_the_same_endpoint(client, push_sink):
    who = caller()
    installation, _, arn = device(client, who)
    token = new_token()
    assert register(client, who, installation, token).status_code == 200
    assert wait_until(lambda: (endpoint_attributes(arn) or {}).get("Token") == token)
    assert Device.get(who.user_id, installation).endpoint_arn == arn
    report_id = file_report(client, who)["report_id"]
    send(client, "patch", f"/admin/reports/{report_id}", caller("officer"),
         {"status": "in_review"})
    assert wait_for_pushes(push_sink.url, token)[0]["data"] == {"report_id": report_id}


def test_an_endpoint_sns_disabled_is_enabled_again_by_the_next_registration(client):
    who = caller()
    installation, token, arn = device(client, who)
    boto3.client("sns").set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})
    assert endpoint_attributes(arn)["Enabled"] == "false"
    assert register(client, who, installation, token).status_code == 200
    assert wait_until(lambda: endpoint_attributes(arn)["Enabled"] == "true")
    assert endpoints_with_token(token) == [arn]


def test_deleting_a_device_deletes_its_endpoint_and_is_repeatable(client):
    who = caller()
    installation, _, arn = device(client, who)
    for _ in range(2):
        assert send(client, "delete", f"/me/devices/{installation}", who).status_code == 204
    assert gone(arn)
    assert Device.count(who.user_id) == 0


def test_logout_with_the_installation_removes_its_device(client, sms_sink):
    session = sign_in(client, sms_sink)
    principal = Principal(session["user"]["id"], session["user"]["role"])
    who = Caller(principal, {"Authorization": f"Bearer {session['access_token']}"})
    installation, _, arn = device(client, who)
    kept, _, kept_arn = device(client, who)
    response = send(client, "post", "/auth/logout", who,
                    {"refresh_token": session["refresh_token"], "installation_id": installation})
    assert response.status_code == 204
    assert gone(arn)
    assert [d.installation_id for d in Device.query(who.user_id)] == [kept]
    assert endpoint_attributes(kept_arn) is not None


def test_deleting_the_account_removes_every_device_and_alert(client):
    who, phone = registered_citizen()
    PhoneClaim(phone, user_id=who.user_id).save()  # as sign-in leaves it
    arns = [device(client, who)[2] for _ in range(2)]
    send(client, "put", "/me/alerts", who,
         {"subscriptions": [{"category": "vehicle", "district": unique_district()}]})
    assert send(client, "delete", "/me", who).status_code == 204
    assert all(gone(arn) for arn in arns)
    assert Device.count(who.user_id) == 0
    assert wait_until(lambda: not list(AlertAudience.by_user.query(who.user_id)))


@pytest.mark.parametrize("installation_id", ["short", "has space here", "x" * 129])
def test_a_malformed_installation_id_is_a_400_naming_it(client, installation_id):
    response = register(client, caller(), installation_id, new_token())
    assert response.status_code == 400
    assert response.json_body["error"]["field"] == "installation_id"


# ---- what reaches the reporter -------------------------------------------------------

def test_status_change_note_and_officer_message_reach_the_reporter_without_report_text(
        client, push_sink):
    reporter, other = caller(), caller()
    _, token, _ = device(client, reporter)
    _, english_token, _ = device(client, reporter, locale="en")
    _, other_token, _ = device(client, other)
    report_id = file_report(client, reporter)["report_id"]
    officer = caller("officer")
    note = "Internal: the suspect lives at 12 Chaoyang Road."
    steps = [("patch", f"/admin/reports/{report_id}", {"status": "in_review"}),
             ("patch", f"/admin/reports/{report_id}",
              {"note": {"text": "We found your bicycle.", "visibility": "reporter"}}),
             ("post", f"/admin/reports/{report_id}/messages", {"body": "Was it a red bike?"})]
    for number, (method, path, body) in enumerate(steps, start=1):
        assert send(client, method, path, officer, body).status_code in (200, 201)
        received = wait_for_pushes(push_sink.url, token, number)
        assert len(received) == number
    # An internal note is not the reporter's news.
    send(client, "patch", f"/admin/reports/{report_id}",
         officer, {"note": {"text": note, "visibility": "internal"}})
    english = wait_for_pushes(push_sink.url, english_token, 3)
    assert {(p["title"], p["body"]) for p in received} == {("有新的进展", "您的报告有新的进展")}
    assert {p["title"] for p in english} == {"There is an update on your report"}
    for push in received + english:
        assert push["data"] == {"report_id": report_id}
        text = json.dumps(push, ensure_ascii=False)
        assert all(secret not in text for secret in
                   (REPORT_TEXT, "bicycle", "red bike", "Chaoyang Road"))
    assert len(pushes(push_sink.url, token)) == 3
    assert pushes(push_sink.url, other_token) == []


def test_the_reporters_of_linked_duplicates_hear_of_the_primarys_status_and_notes(
        client, push_sink):
    primary_reporter, duplicate_reporter, unlinked_reporter = caller(), caller(), caller()
    tokens = [device(client, who)[1]
              for who in (primary_reporter, duplicate_reporter, unlinked_reporter)]
    primary, duplicate, _ = (file_report(client, who)["report_id"] for who in (
        primary_reporter, duplicate_reporter, unlinked_reporter))
    officer = caller("officer")
    assert send(client, "post", f"/admin/reports/{duplicate}/duplicate-of", officer,
                {"report_id": primary}).status_code == 200
    for body in ({"status": "in_review"},
                 {"note": {"text": "We found the bicycle.", "visibility": "reporter"}},
                 {"note": {"text": "Internal only.", "visibility": "internal"}}):
        assert send(client, "patch", f"/admin/reports/{primary}", officer,
                    body).status_code == 200
    to_primary, to_duplicate = (wait_for_pushes(push_sink.url, token, 2)
                                for token in tokens[:2])
    # Each reporter is told of their own report, never of the other one.
    assert [push["data"] for push in to_primary] == [{"report_id": primary}] * 2
    assert [push["data"] for push in to_duplicate] == [{"report_id": duplicate}] * 2
    # An officer's message is the primary's conversation alone.
    assert send(client, "post", f"/admin/reports/{primary}/messages", officer,
                {"body": "Was it a red bike?"}).status_code == 201
    assert len(wait_for_pushes(push_sink.url, tokens[0], 3)) == 3
    assert len(pushes(push_sink.url, tokens[1])) == 2
    assert pushes(push_sink.url, tokens[2]) == []


def test_a_job_delivered_twice_pushes_once(client, push_sink):
    who = caller()
    _, token, _ = device(client, who)
    body = json.dumps({"kind": "report_update", "event_id": uuid.uuid4().hex,
                       "user_id": who.user_id, "report_id": uuid.uuid4().hex})
    event = {"Records": [{"messageId": "m-1", "body": body}]}
    handler.handler(event, None)
    handler.handler(event, None)
    assert len(wait_for_pushes(push_sink.url, token)) == 1
    assert len(pushes(push_sink.url, token)) == 1


@pytest.mark.parametrize("body", [
    "", "not json", "[]", '{"kind": "report_update"}', '{"kind": "drop_tables"}',
    '{"kind": "alert_page", "event_id": 1}', "\u0000" * 10, '{"kind": "sync_user"}' * 1000])
def test_a_message_that_is_not_a_job_is_consumed_without_harm(body):
    handler.handler({"Records": [{"messageId": "m-bad", "body": body}]}, None)


def test_a_disabled_endpoint_removes_its_device_when_a_push_is_refused(client, push_sink):
    who = caller()
    installation, token, arn = device(client, who)
    boto3.client("sns").set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})
    report_id = file_report(client, who)["report_id"]
    send(client, "patch", f"/admin/reports/{report_id}", caller("officer"),
         {"status": "in_review"})
    assert wait_until(lambda: Device.count(who.user_id) == 0)
    assert gone(arn)
    assert pushes(push_sink.url, token) == []


# ---- district alerts -----------------------------------------------------------------

def subscribed(client, *pairs: tuple[str, str]) -> str:
    """A citizen's device subscribed to these (category, district) pairs: its token."""
    who = caller()
    _, token, _ = device(client, who)
    body = {"subscriptions": [{"category": c, "district": d} for c, d in pairs]}
    response = send(client, "put", "/me/alerts", who, body)
    assert response.status_code == 200, response.body
    assert response.json_body == body
    assert send(client, "get", "/me/alerts", who).json_body == body
    return token


def audience_of(client, category: str, district: str) -> int:
    response = send(client, "get", f"/admin/alerts/audience?category={category}"
                    f"&district={district}", caller("officer"))
    assert response.status_code == 200, response.body
    return response.json_body["devices"]


def test_an_alert_reaches_its_district_and_category_and_then_its_outcome(client, push_sink):
    district = "朝阳区"
    before = audience_of(client, "missing_person", district)
    chaoyang = subscribed(client, ("missing_person", district), ("vehicle", "海淀区"))
    also = subscribed(client, ("missing_person", district))
    haidian = subscribed(client, ("missing_person", "海淀区"))
    vehicles = subscribed(client, ("vehicle", district))
    assert wait_until(lambda: audience_of(client, "missing_person", district) == before + 2)
    officer = caller("officer")
    body = draft("missing_person", district, title="寻找8岁男孩王小明", alert=True)
    response = send(client, "post", "/bulletins", officer, body)
    assert response.status_code == 201, response.body
    bulletin_id = response.json_body["id"]
    for token in (chaoyang, also):
        (push,) = wait_for_pushes(push_sink.url, token)
        assert push["title"] == "寻人 · 朝阳区"
        assert push["body"] == "寻找8岁男孩王小明"
        assert push["data"] == {"bulletin_id": bulletin_id, "category": "missing_person",
                                "district": district}
    resolved = send(client, "patch", f"/bulletins/{bulletin_id}", officer,
                    {"status": "resolved", "outcome": "found"})
    assert resolved.status_code == 200, resolved.body
    outcome = wait_for_pushes(push_sink.url, chaoyang, 2)[0]
    assert outcome["title"] == "已找到: 寻人 · 朝阳区"
    assert outcome["data"]["outcome"] == "found"
    assert pushes(push_sink.url, haidian) == pushes(push_sink.url, vehicles) == []
    audited = [event.details for event in AuditEvent.query(datetime.now(UTC).strftime("%Y-%m"))
               if event.target == f"bulletin#{bulletin_id}" and event.action == "bulletin.alert"]
    assert [(d["outcome"], d["audience"]) for d in audited] == [(None, before + 2),
                                                                ("found", before + 2)]


def test_an_edit_can_send_a_published_bulletin_as_an_alert(client, push_sink):
    district = unique_district()
    token = subscribed(client, ("vehicle", district))
    officer = caller("officer")
    created = send(client, "post", "/bulletins", officer, draft("vehicle", district))
    assert created.status_code == 201
    assert wait_until(lambda: audience_of(client, "vehicle", district) == 1)
    assert pushes(push_sink.url, token) == []
    edited = send(client, "patch", f"/bulletins/{created.json_body['id']}", officer,
                  {"alert": True})
    assert edited.status_code == 200, edited.body
    assert wait_for_pushes(push_sink.url, token)[0]["data"]["bulletin_id"] == \
        created.json_body["id"]


def test_alerts_past_the_districts_daily_limit_are_a_429_and_publish_nothing(client):
    district = unique_district()
    officer = caller("officer")
    limit = settings().alerts_per_district_day
    for _ in range(limit):
        assert send(client, "post", "/bulletins", officer,
                    draft("vehicle", district, alert=True)).status_code == 201
    refused = send(client, "post", "/bulletins", officer, draft("vehicle", district, alert=True))
    assert refused.status_code == 429
    assert error_code(refused) == "alert_rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    listed = send(client, "get", f"/bulletins?district={district}&limit=50").json_body["items"]
    assert len(listed) == limit
    # Without an alert the district's bulletins still go out.
    plain = send(client, "post", "/bulletins", officer, draft("vehicle", district))
    assert plain.status_code == 201


def test_an_unknown_district_is_a_400_naming_the_field(client):
    who = caller()
    response = send(client, "put", "/me/alerts", who, {"subscriptions": [
        {"category": "missing_person", "district": "朝阳区"},
        {"category": "missing_person", "district": "Gotham"}]})
    assert response.status_code == 400
    assert error_code(response) == "unknown_district"
    assert response.json_body["error"]["field"] == "subscriptions[1].district"
    assert send(client, "get", "/me/alerts", who).json_body == {"subscriptions": []}
    published = send(client, "post", "/bulletins", caller("officer"),
                     draft("vehicle", "Gotham"))
    assert published.status_code == 400
    assert (error_code(published), published.json_body["error"]["field"]) == (
        "unknown_district", "district")
    citizen = caller()
    filed = send(client, "post", "/reports", citizen, report_body(district="Gotham"))
    assert (filed.status_code, error_code(filed), filed.json_body["error"]["field"]) == (
        400, "unknown_district", "district")
    assert send(client, "get", "/reports", citizen).json_body["items"] == []


def test_the_districts_are_public_cacheable_and_exactly_what_alerts_accept(client,
                                                                          monkeypatch):
    response = client.http.get("/districts")
    assert response.status_code == 200
    districts = response.json_body["districts"]
    assert districts == list(settings().districts) and "朝阳区" in districts
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert client.http.get("/districts", headers={
        "If-None-Match": response.headers["ETag"]}).status_code == 304
    who = caller()
    chosen = [{"category": "missing_person", "district": district}
              for district in (districts[0], districts[-1])]
    assert send(client, "put", "/me/alerts", who, {"subscriptions": chosen}).status_code == 200

    monkeypatch.setenv("MASSES_DISTRICTS", "海淀区,朝阳区")
    settings.cache_clear()
    try:
        changed = client.http.get("/districts", headers={
            "If-None-Match": response.headers["ETag"]})
    finally:
        monkeypatch.undo()
        settings.cache_clear()
    assert changed.status_code == 200
    assert changed.json_body == {"districts": ["海淀区", "朝阳区"]}


def test_at_most_twenty_subscriptions_and_a_repeated_pair_counts_once(client):
    who = caller()
    districts = list(settings().districts[:16]) + [unique_district() for _ in range(5)]
    too_many = [{"category": "vehicle", "district": d} for d in districts]
    response = send(client, "put", "/me/alerts", who, {"subscriptions": too_many})
    assert response.status_code == 400
    assert response.json_body["error"]["field"] == "subscriptions"
    twice = [{"category": "vehicle", "district": "东城区"}] * 2
    assert send(client, "put", "/me/alerts", who, {"subscriptions": twice}).json_body == {
        "subscriptions": twice[:1]}


def test_the_audience_size_is_for_officers_and_checks_the_district(client):
    citizen = caller()
    assert send(client, "get", "/admin/alerts/audience?category=vehicle&district=东城区",
                citizen).status_code == 403
    response = send(client, "get", "/admin/alerts/audience?category=vehicle&district=Gotham",
                    caller("officer"))
    assert response.status_code == 400
    assert error_code(response) == "unknown_district"


def test_an_alert_pages_through_a_shard_and_every_subscriber_gets_it_once(
        client, push_sink, monkeypatch):
    from chalicelib.push import audience, worker

    district = unique_district()
    tokens = [subscribed(client, ("suspect", district)) for _ in range(audience.SHARDS + 1)]
    assert wait_until(lambda: audience_of(client, "suspect", district) == len(tokens))
    shards = [AlertAudience.count(audience.shard_key("suspect", district, shard))
              for shard in range(audience.SHARDS)]
    assert max(shards) >= 2  # more rows than shards: one shard at least has two pages
    monkeypatch.setattr(worker, "PAGE", 1)
    published = send(client, "post", "/bulletins", caller("officer"),
                     draft("suspect", district, alert=True))
    assert published.status_code == 201, published.body
    for token in tokens:
        assert len(wait_for_pushes(push_sink.url, token)) == 1
    assert [len(pushes(push_sink.url, token)) for token in tokens] == [1] * len(tokens)


def test_a_new_platform_gets_a_new_endpoint_and_the_old_one_is_deleted(client, push_sink):
    who = caller()
    installation, token, old = device(client, who)
    assert register(client, who, installation, token, platform="apns").status_code == 200
    assert gone(old)
    new = registered_endpoint(who.user_id, installation)
    assert ":endpoint/APNS/" in new
    report_id = file_report(client, who)["report_id"]
    send(client, "patch", f"/admin/reports/{report_id}", caller("officer"),
         {"status": "in_review"})
    assert wait_for_pushes(push_sink.url, token)[0]["data"] == {"report_id": report_id}


def test_the_calls_each_push_event_makes(client, push_sink):
    from support.aws_calls import counting_aws_calls

    who = caller()
    first, token, _ = device(client, who)
    device(client, who, locale="en")

    def run(job: dict):
        event = {"Records": [{"messageId": uuid.uuid4().hex, "body": json.dumps(job)}]}
        with counting_aws_calls() as calls:
            handler.handler(event, None)
        return [(call.service, call.operation, call.table) for call in calls]

    report_push = run({"kind": "report_update", "event_id": uuid.uuid4().hex,
                       "user_id": who.user_id, "report_id": uuid.uuid4().hex})
    per_device = [("dynamodb", "PutItem", "push-receipts"), ("sns", "Publish", None)]
    assert report_push == [("dynamodb", "Query", "devices"), *per_device, *per_device]
    # The app's launch: the same body again writes nothing, and the worker only checks.
    with counting_aws_calls() as calls:
        assert register(client, who, first, token).status_code == 200
    assert [(c.operation, c.table) for c in calls if c.operation != "GetQueueUrl"] == [
        ("GetItem", "devices"), ("SendMessageBatch", None)]
    launch = run({"kind": "sync_device", "user_id": who.user_id, "installation_id": first})
    assert launch == [("dynamodb", "GetItem", "devices"), ("sns", "GetEndpointAttributes", None),
                      ("dynamodb", "Query", "devices"), ("dynamodb", "GetItem", "alert-choices"),
                      ("dynamodb", "Query", "alert-audiences")]


def test_the_calls_an_alerted_publish_makes_in_the_api(client):
    from support.aws_calls import counting_aws_calls

    with counting_aws_calls() as calls:
        response = send(client, "post", "/bulletins", caller("officer"),
                        draft("vehicle", unique_district(), alert=True))
    assert response.status_code == 201, response.body
    assert [(c.operation, c.table) for c in calls
            if c.table != "idempotency" and c.operation not in ("GetQueueUrl", "GetParameter")
            ] == [
        ("UpdateItem", "rate-limits"),        # the district's alert of the day
        ("PutItem", "bulletins"),
        ("TransactWriteItems", None),         # the publish's audit event and its count
        ("GetItem", "audience-sizes"),        # the audit says whom the alert reaches
        ("TransactWriteItems", None),         # the alert's audit event and its count
        ("UpdateItem", "bulletins"),
        ("SendMessageBatch", None)]           # one job per shard; no SNS call

"""Retention (chalicelib/retention/): each rule purges what it should and nothing else,
a legal hold keeps a report (and locks its originals in S3) until it is released, and a
purge that fails midway resumes, the report never showing half gone. Time is the app's
clock, moved, never waited for; each test purges only its own partition of the index."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from support.api import caller, error_code, send
from support.evidence import JPEG, jpeg_with_gps
from support.retention import (
    NOTHING,
    at,
    close,
    days_after,
    filed_with_evidence,
    left_of,
    now_signed,
    own_partition,
    report_objects,
    s3,
    trail,
)

from chalicelib import retention
from chalicelib.media import worker
from chalicelib.media.s3_events import CreatedObject
from chalicelib.retention import purge
from chalicelib.settings import settings
from chalicelib.storage import s3_client
from chalicelib.tables import Media, Report

DISMISSED = settings().retention.dismissed_days
ACTIONED = settings().retention.actioned_days
FAILED = settings().retention.failed_evidence_days


@pytest.fixture(autouse=True)
def partition(monkeypatch):
    return own_partition(monkeypatch)


def test_the_defaults_are_those_the_readme_states():
    assert (DISMISSED, ACTIONED, FAILED) == (90, 3 * 365, 7)
    assert settings().retention.audit_days == 7 * 365


def test_a_dismissed_report_goes_whole_after_its_period_and_nothing_else_does(client):
    dismissed = filed_with_evidence(client)
    closed_at = datetime.fromisoformat(close(client, dismissed, "dismissed")["updated_at"])
    actioned, still_open = filed_with_evidence(client), filed_with_evidence(client)
    close(client, actioned, "actioned")
    kept = {case.report_id: left_of(case.report_id) for case in (actioned, still_open)}
    assert left_of(dismissed.report_id) == {"report": 1, "media": 1, "messages": 2, "s3": 6}

    assert purge.run(days_after(closed_at, DISMISSED, hours=-1)) == {"reports": 0,
                                                                    "evidence": 0}
    assert left_of(dismissed.report_id)["s3"] == 6

    assert purge.run(days_after(closed_at, DISMISSED, hours=1)) == {"reports": 1, "evidence": 0}
    assert left_of(dismissed.report_id) == NOTHING
    assert {case: left_of(case) for case in kept} == kept
    # Gone for the reporter and the officers alike.
    assert send(client, "get", f"/reports/{dismissed.report_id}", dismissed.citizen) \
        .status_code == 404
    assert send(client, "get", f"/admin/reports/{dismissed.report_id}", dismissed.officer) \
        .status_code == 404


def test_the_audit_trail_keeps_the_purge_and_everything_before_it_without_personal_data(
        client):
    case = filed_with_evidence(client, description="My neighbour Wang Lei, 13800138000")
    closed_at = datetime.fromisoformat(close(client, case, "dismissed")["updated_at"])
    before = {event.at_event for event in trail(case.report_id)}

    purge.run(days_after(closed_at, DISMISSED, hours=1))

    events = trail(case.report_id)
    assert before < {event.at_event for event in events}
    [purged] = [event for event in events if event.action == "report.purged"]
    assert purged.target == f"report#{case.report_id}"
    assert purged.details == {"rule": "dismissed", "days": DISMISSED, "category": "theft"}
    assert purged.actor_role == "system"
    held = json.dumps([event.attribute_values for event in events], default=str)
    for personal in ("Wang Lei", "13800138000", case.citizen.user_id, "blue bicycle",
                     "Thank you"):
        assert personal not in held
    # Seven years, by DynamoDB's TTL, for every event.
    assert {round((event.ttl - datetime.now(UTC).timestamp()) / 86400) for event in events} \
        == {settings().retention.audit_days}


def test_an_actioned_report_is_kept_three_years_after_its_last_change(client, monkeypatch):
    case = filed_with_evidence(client)
    closed_at = datetime.fromisoformat(close(client, case, "actioned")["updated_at"])
    # A note half a year later is a change: the clock starts again.
    noted_at = at(monkeypatch, days_after(closed_at, 180))
    officer = now_signed(case.officer)
    assert send(client, "patch", f"/admin/reports/{case.report_id}", officer,
                {"note": {"text": "Court date set.", "visibility": "internal"}}).status_code == 200

    assert purge.run(days_after(closed_at, ACTIONED, hours=1))["reports"] == 0
    assert left_of(case.report_id)["report"] == 1
    # The schedule moved the date to the note's three years, which the officers see.
    view = send(client, "get", f"/admin/reports/{case.report_id}", officer).json_body
    assert view["purge_after"] == days_after(noted_at, ACTIONED).isoformat().replace(
        "+00:00", "Z")
    assert Report.get(case.report_id).purge_after == days_after(noted_at, ACTIONED)

    assert purge.run(days_after(noted_at, ACTIONED, hours=1))["reports"] == 1
    assert left_of(case.report_id) == NOTHING


def test_rejected_evidence_and_unused_tickets_go_after_seven_days_the_report_stays(client):
    case = filed_with_evidence(client)
    citizen = case.citizen
    unused = send(client, "post", f"/reports/{case.report_id}/evidence", citizen, JPEG).json_body
    rejected = send(client, "post", f"/reports/{case.report_id}/evidence", citizen,
                    JPEG).json_body
    key = rejected["upload"]["fields"]["key"]
    s3().put_object(Bucket=settings().evidence_bucket, Key=key, Body=b"<html>not a photo")
    worker.process_object(CreatedObject(settings().evidence_bucket, key, 17))
    rejected_media = Media.get(f"report#{case.report_id}", rejected["evidence_id"])
    assert rejected_media.status == "rejected"
    assert rejected_media.purge_after == days_after(rejected_media.processed_at, FAILED)
    assert Media.get(f"report#{case.report_id}", case.evidence_id).purge_queue is None

    assert purge.run(days_after(datetime.now(UTC), FAILED, hours=-1))["evidence"] == 0
    assert purge.run(days_after(datetime.now(UTC), FAILED, hours=2)) == {"reports": 0,
                                                                        "evidence": 2}
    assert [media.media_id for media in Media.query(f"report#{case.report_id}")] \
        == [case.evidence_id]
    assert set(Report.get(case.report_id).evidence.as_dict()) == {case.evidence_id}
    assert {version["Key"] for version in report_objects(case.report_id)} == {
        case.original_key, *Media.get(f"report#{case.report_id}",
                                      case.evidence_id).derivatives.as_dict().values()}
    assert left_of(case.report_id)["messages"] == 2
    [event] = [e for e in trail(case.report_id) if e.action == "evidence.purged"
               and e.details["media_id"] == rejected["evidence_id"]]
    assert event.details == {"rule": "failed_evidence", "days": FAILED,
                             "media_id": rejected["evidence_id"], "status": "rejected"}
    assert unused["evidence_id"] in {e.details["media_id"] for e in trail(case.report_id)
                                     if e.action == "evidence.purged"}


def test_a_reopened_or_open_report_is_never_purged_by_an_early_date(client):
    case = filed_with_evidence(client)
    Report(case.report_id).update(actions=[Report.purge_queue.set(retention.DUE),
                                           Report.purge_after.set(datetime(2020, 1, 1,
                                                                           tzinfo=UTC))])
    assert purge.run()["reports"] == 0
    report = Report.get(case.report_id)
    assert report.purge_queue is None and left_of(case.report_id)["s3"] == 6


# --- legal holds ---------------------------------------------------------------------------

def hold(client, case, admin, method="put", reason="Court case 2026-311, keep the evidence."):
    body = {"reason": reason} if method == "put" else None
    return send(client, method, f"/admin/reports/{case.report_id}/hold", admin, body)


def legal_holds(case) -> set[str]:
    """The legal hold status of every version of the original, as the emulator reports."""
    bucket = settings().evidence_bucket
    return {s3().get_object_legal_hold(Bucket=bucket, Key=version["Key"],
                                       VersionId=version["VersionId"])["LegalHold"]["Status"]
            for version in report_objects(case.report_id)
            if version["Key"] == case.original_key and "Size" in version}


def test_a_held_report_survives_its_rule_and_goes_its_period_after_release(client, monkeypatch):
    case, admin = filed_with_evidence(client), caller("admin")
    closed_at = datetime.fromisoformat(close(client, case, "dismissed")["updated_at"])
    placed = hold(client, case, admin)
    assert placed.status_code == 200
    assert placed.json_body["hold"]["reason"] == "Court case 2026-311, keep the evidence."
    assert placed.json_body["purge_after"] is None
    shown = send(client, "get", f"/admin/reports/{case.report_id}", case.officer).json_body
    assert shown["hold"] == placed.json_body["hold"]
    assert legal_holds(case) == {"ON"}

    assert purge.run(days_after(closed_at, DISMISSED + 400))["reports"] == 0
    assert left_of(case.report_id)["s3"] == 6

    released_at = at(monkeypatch, days_after(closed_at, 500))
    released = hold(client, case, now_signed(admin), "delete")
    assert released.status_code == 200 and released.json_body["hold"] is None
    assert released.json_body["purge_after"] == days_after(released_at, DISMISSED) \
        .isoformat().replace("+00:00", "Z")
    assert legal_holds(case) == {"OFF"}

    assert purge.run(days_after(released_at, DISMISSED, hours=-1))["reports"] == 0
    assert purge.run(days_after(released_at, DISMISSED, hours=1))["reports"] == 1
    assert left_of(case.report_id) == NOTHING
    actions = [e.action for e in trail(case.report_id)]
    assert actions.count("report.hold_placed") == actions.count("report.hold_released") == 1


def new_evidence(client, case, content: bytes) -> tuple[str, str]:
    """The citizen's next upload, processed by the worker: its key and the version read."""
    ticket = send(client, "post", f"/reports/{case.report_id}/evidence", case.citizen,
                  JPEG).json_body
    bucket, key = settings().evidence_bucket, ticket["upload"]["fields"]["key"]
    s3().put_object(Bucket=bucket, Key=key, Body=content)
    worker.process_object(CreatedObject(bucket, key, len(content)))
    return key, Media.get(f"report#{case.report_id}", ticket["evidence_id"]).version_id


def legal_hold_of(key: str, version_id: str) -> str | None:
    """ON, OFF, or None for a version never given a legal hold."""
    return s3().get_object_legal_hold(Bucket=settings().evidence_bucket, Key=key,
                                      VersionId=version_id)["LegalHold"].get("Status")


def test_evidence_that_arrives_while_the_report_is_held_is_locked_too(client):
    case, admin = filed_with_evidence(client), caller("admin")
    before_hold = new_evidence(client, case, jpeg_with_gps(40, 30))
    assert legal_hold_of(*before_hold) is None
    assert hold(client, case, admin).status_code == 200
    assert legal_hold_of(*before_hold) == "ON"       # locked by the hold itself

    photo = new_evidence(client, case, jpeg_with_gps(40, 30))
    not_a_photo = new_evidence(client, case, b"<html>not a photo")
    assert legal_hold_of(*photo) == legal_hold_of(*not_a_photo) == "ON"
    with pytest.raises(ClientError) as refused:
        s3().delete_object(Bucket=settings().evidence_bucket, Key=photo[0],
                           VersionId=photo[1])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"

    assert hold(client, case, admin, "delete").status_code == 200
    assert legal_hold_of(*photo) == legal_hold_of(*not_a_photo) == "OFF"
    after_release = new_evidence(client, case, jpeg_with_gps(40, 30))
    assert legal_hold_of(*after_release) is None


def test_a_held_original_cannot_be_deleted_even_by_hand(client):
    case, admin = filed_with_evidence(client), caller("admin")
    assert hold(client, case, admin).status_code == 200
    [current] = [v for v in report_objects(case.report_id)
                 if v["Key"] == case.original_key and v.get("IsLatest") and "Size" in v]
    with pytest.raises(ClientError) as refused:
        s3().delete_object(Bucket=settings().evidence_bucket, Key=case.original_key,
                           VersionId=current["VersionId"])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    # The derivatives are copies made by the app, not evidence: not locked.
    assert hold(client, case, admin, "delete").status_code == 200


def test_holds_repeated_change_nothing_more(client):
    case, admin = filed_with_evidence(client), caller("admin")
    first = hold(client, case, admin)
    again = hold(client, case, admin, reason="Another reason entirely, ignored.")
    assert again.json_body["hold"] == first.json_body["hold"]
    assert hold(client, case, admin, "delete").status_code == 200
    assert hold(client, case, admin, "delete").json_body["hold"] is None
    actions = [e.action for e in trail(case.report_id)]
    assert actions.count("report.hold_placed") == actions.count("report.hold_released") == 1
    assert legal_holds(case) == {"OFF"}


def test_a_hold_on_a_missing_report_is_404_and_needs_a_reason(client):
    admin = caller("admin")
    missing = send(client, "put", f"/admin/reports/{'0' * 32}/hold", admin,
                   {"reason": "Court case 2026-311, keep it."})
    assert missing.status_code == 404 and error_code(missing) == "report_not_found"
    case = filed_with_evidence(client)
    short = hold(client, case, admin, reason="   ")
    assert short.status_code == 400
    assert Report.get(case.report_id).hold is None


# --- a purge that fails midway ---------------------------------------------------------------

def listed(client, case) -> dict[str, bool]:
    mine = send(client, "get", "/reports", case.citizen).json_body["items"]
    queue = send(client, "get", "/admin/reports?status=dismissed&category=theft&limit=100",
                 case.officer).json_body["items"]
    return {"citizen's list": any(r["report_id"] == case.report_id for r in mine),
            "officers' queue": any(r["report_id"] == case.report_id for r in queue),
            "citizen's view": send(client, "get", f"/reports/{case.report_id}",
                                   case.citizen).status_code == 200,
            "officers' view": send(client, "get", f"/admin/reports/{case.report_id}",
                                   case.officer).status_code == 200}


def test_a_purge_failing_midway_hides_the_report_and_the_next_run_completes_it(client):
    case = filed_with_evidence(client)
    closed_at = datetime.fromisoformat(close(client, case, "dismissed")["updated_at"])
    assert set(listed(client, case).values()) == {True}
    events = s3_client().meta.events
    failures = []

    def refuse_once(**_):
        if not failures:
            failures.append(1)
            raise ClientError({"Error": {"Code": "ServiceUnavailable",
                                         "Message": "injected"}}, "DeleteObjects")

    events.register("before-call.s3.DeleteObjects", refuse_once, unique_id="test-refuse")
    try:
        with pytest.raises(purge.PurgeIncomplete):
            purge.run(days_after(closed_at, DISMISSED, hours=1))
    finally:
        events.unregister("before-call.s3.DeleteObjects", unique_id="test-refuse")

    assert failures == [1]
    assert left_of(case.report_id) == {"report": 1, "media": 1, "messages": 2, "s3": 6}
    assert set(listed(client, case).values()) == {False}

    assert purge.run(days_after(closed_at, DISMISSED, hours=2)) == {"reports": 1,
                                                                   "evidence": 0}
    assert left_of(case.report_id) == NOTHING
    assert [e.action for e in trail(case.report_id)].count("report.purged") == 1
    # Once more: nothing left to do, nothing counted twice.
    assert purge.run(days_after(closed_at, DISMISSED, hours=3))["reports"] == 0


def test_an_original_still_locked_stops_the_purge_before_any_record_goes(client, monkeypatch):
    case = filed_with_evidence(client)
    closed_at = datetime.fromisoformat(close(client, case, "dismissed")["updated_at"])
    [current] = [v for v in report_objects(case.report_id)
                 if v["Key"] == case.original_key and v.get("IsLatest") and "Size" in v]
    bucket = settings().evidence_bucket
    # A lock left on by hand (an operator), with no hold on the report.
    s3().put_object_legal_hold(Bucket=bucket, Key=case.original_key,
                               VersionId=current["VersionId"], LegalHold={"Status": "ON"})
    with pytest.raises(purge.PurgeIncomplete):
        purge.run(days_after(closed_at, DISMISSED, hours=1))
    assert left_of(case.report_id)["report"] == left_of(case.report_id)["media"] == 1
    s3().put_object_legal_hold(Bucket=bucket, Key=case.original_key,
                               VersionId=current["VersionId"], LegalHold={"Status": "OFF"})
    assert purge.run(days_after(closed_at, DISMISSED, hours=2))["reports"] == 1
    assert left_of(case.report_id) == NOTHING


def test_the_schedule_handler_runs_a_purge(client, monkeypatch):
    from chalicelib.retention import handler

    case = filed_with_evidence(client)
    close(client, case, "dismissed")
    at(monkeypatch, datetime.now(UTC) + timedelta(days=DISMISSED + 1))
    assert handler.handler({"id": "event-1"}, None) == {"reports": 1, "evidence": 0}
    assert left_of(case.report_id) == NOTHING


def test_the_calls_one_purged_report_costs(client, aws_calls):
    """One photo (3 versions, a delete marker, 2 derivatives) and 2 messages."""
    case = filed_with_evidence(client)
    closed_at = datetime.fromisoformat(close(client, case, "dismissed")["updated_at"])
    aws_calls.clear()
    assert purge.run(days_after(closed_at, DISMISSED, hours=1))["reports"] == 1
    calls = [(call.service, call.operation, call.table, call.index) for call in aws_calls]
    assert calls == [
        ("dynamodb", "Query", "reports", "purge-due"),
        ("dynamodb", "GetItem", "reports", None),
        ("dynamodb", "UpdateItem", "reports", None),             # hidden from every list
        ("s3", "ListObjectVersions", None, None),                # originals
        ("s3", "DeleteObjects", None, None),
        ("s3", "ListObjectVersions", None, None),                # derivatives
        ("s3", "DeleteObjects", None, None),
        ("dynamodb", "Query", "media", None),
        ("dynamodb", "BatchWriteItem", None, None),
        ("dynamodb", "Query", "messages", None),
        ("dynamodb", "BatchWriteItem", None, None),
        ("dynamodb", "TransactWriteItems", None, None),          # report, audit, count
        ("dynamodb", "Query", "media", "purge-due"),
    ]

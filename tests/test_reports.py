"""The citizen's report routes: POST /reports, GET /reports, GET /reports/{id}."""

from datetime import UTC, datetime, timedelta

import pytest
from support.api import caller, error_code, file_report, report_body, send

from chalicelib.settings import settings


def test_a_citizen_files_a_report_and_reads_it_back(client):
    citizen = caller()
    created = send(client, "post", "/reports", citizen, report_body(bulletin_id="b-42"))
    assert created.status_code == 201
    report = created.json_body
    assert created.headers["Location"] == f"/reports/{report['report_id']}"
    assert report["status"] == "submitted"
    assert report["bulletin_id"] == "b-42"
    assert report["location"] == {"latitude": 39.9219, "longitude": 116.4436,
                                  "accuracy_m": 12.5, "address": "Chaoyang Park South Gate"}
    assert report["notes"] == [] and report["evidence"] == []
    assert report["created_at"].endswith("Z")

    opened = send(client, "get", f"/reports/{report['report_id']}", citizen)
    assert opened.status_code == 200
    assert opened.json_body == report


@pytest.mark.parametrize("location", [
    {"address": "No. 1 Guanghua Road"},
    {"latitude": -90, "longitude": 180, "accuracy_m": 5000},
])
def test_a_location_is_coordinates_or_an_address(client, location):
    report = file_report(client, caller(), location=location)
    assert {k: v for k, v in report["location"].items() if v is not None} == location


def test_an_occurred_at_in_another_zone_is_kept_in_utc(client):
    report = file_report(client, caller(), occurred_at="2026-01-02T08:30:00+08:00")
    assert report["occurred_at"] == "2026-01-02T00:30:00Z"


def test_any_signed_in_role_may_file(client):
    assert file_report(client, caller("officer"))["status"] == "submitted"


LONG = "x" * 5001


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"description": "too short"}, "validation_error", "description"),
    ({"description": LONG}, "validation_error", "description"),
    ({"description": " " * 20}, "validation_error", "description"),
    ({"description": 12345678901}, "validation_error", "description"),
    ({"category": "jaywalking"}, "validation_error", "category"),
    ({"category": None}, "validation_error", "category"),
    ({"location": {"latitude": 91, "longitude": 0, "accuracy_m": 5}}, "validation_error",
     "location.latitude"),
    ({"location": {"latitude": 0, "longitude": -180.5, "accuracy_m": 5}}, "validation_error",
     "location.longitude"),
    ({"location": {"latitude": 10, "longitude": 10}}, "validation_error", "location"),
    ({"location": {"latitude": 10, "longitude": 10, "accuracy_m": 0}}, "validation_error",
     "location.accuracy_m"),
    ({"location": {"latitude": "10", "longitude": 10, "accuracy_m": 3}}, "validation_error",
     "location.latitude"),
    ({"location": {}}, "validation_error", "location"),
    ({"location": {"address": ""}}, "validation_error", "location.address"),
    ({"occurred_at": "yesterday"}, "validation_error", "occurred_at"),
    ({"occurred_at": "2026-01-02T08:30:00"}, "validation_error", "occurred_at"),
    ({"occurred_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
     "occurred_in_future", "occurred_at"),
    ({"bulletin_id": "../../etc"}, "validation_error", "bulletin_id"),
    ({"bulletin_id": "b" * 65}, "validation_error", "bulletin_id"),
])
def test_bad_reports_are_refused_naming_the_field(client, change, code, field):
    response = send(client, "post", "/reports", caller(), report_body(**change))
    assert response.status_code == 400, response.body
    assert response.json_body["error"]["code"] == code
    assert response.json_body["error"].get("field") == field


@pytest.mark.parametrize("change", [{"reporter_id": "someone-else"},
                                    {"location": {"address": "here", "reporter_id": "x"}}])
def test_unknown_fields_are_refused_by_name(client, change):
    response = send(client, "post", "/reports", caller(), report_body(**change))
    assert response.status_code == 400
    assert "unknown field `reporter_id`" in response.json_body["error"]["message"]


def test_a_report_without_a_required_field_is_refused(client):
    body = report_body()
    del body["location"]
    response = send(client, "post", "/reports", caller(), body)
    assert response.status_code == 400
    assert "location" in response.json_body["error"]["message"]


@pytest.mark.parametrize("raw", ["{", "", "[]", "null", '"report"', "\xff"])
def test_malformed_bodies_are_400(client, raw):
    response = send(client, "post", "/reports", caller(), raw=raw)
    assert response.status_code == 400
    assert error_code(response) in ("malformed_json", "validation_error")


def test_an_oversized_body_is_413(client):
    body = report_body(description="x" * 5000, padding="y" * 70_000)
    response = send(client, "post", "/reports", caller(), body)
    assert response.status_code == 413


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"},
                                     {"Authorization": "Basic abc"}])
def test_filing_needs_a_signed_in_caller(client, headers):
    response = client.http.post("/reports", body="{}", headers={
        "Content-Type": "application/json", **headers})
    assert response.status_code == 401


def test_repeating_a_filing_files_a_second_report(client):
    citizen = caller()
    first = file_report(client, citizen)
    second = file_report(client, citizen)
    assert first["report_id"] != second["report_id"]
    listed = send(client, "get", "/reports", citizen).json_body["items"]
    assert [r["report_id"] for r in listed] == [second["report_id"], first["report_id"]]


def test_reports_per_hour_are_limited_with_retry_after(client):
    citizen, other = caller(), caller()
    limit = settings().reports_per_hour
    assert limit == 10
    for _ in range(limit):
        file_report(client, citizen)
    refused = send(client, "post", "/reports", citizen, report_body())
    assert refused.status_code == 429
    assert error_code(refused) == "report_rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert len(send(client, "get", "/reports?limit=100", citizen).json_body["items"]) == limit
    file_report(client, other)  # the limit is per reporter


def test_a_refused_body_does_not_use_up_the_hourly_limit(client):
    citizen = caller()
    for _ in range(settings().reports_per_hour + 2):
        send(client, "post", "/reports", citizen, report_body(category="nope"))
    file_report(client, citizen)


def test_a_citizen_lists_only_their_own_reports_newest_first_in_pages(client):
    citizen, other = caller(), caller()
    filed = [file_report(client, citizen, description=f"Report number {n} of three")
             for n in range(3)]
    file_report(client, other)

    first = send(client, "get", "/reports?limit=2", citizen).json_body
    assert [r["report_id"] for r in first["items"]] == [filed[2]["report_id"],
                                                         filed[1]["report_id"]]
    assert first["next_cursor"]
    second = send(client, "get", f"/reports?limit=2&cursor={first['next_cursor']}",
                  citizen).json_body
    assert [r["report_id"] for r in second["items"]] == [filed[0]["report_id"]]
    assert second["next_cursor"] is None
    assert set(first["items"][0]) >= {"status", "category", "created_at", "evidence_count"}

    # A cursor is bound to its listing: another citizen cannot page with it.
    stolen = send(client, "get", f"/reports?cursor={first['next_cursor']}", other)
    assert stolen.status_code == 400 and error_code(stolen) == "invalid_cursor"


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=ten", "cursor=forged.cursor"])
def test_bad_list_parameters_are_400(client, query):
    response = send(client, "get", f"/reports?{query}", caller())
    assert response.status_code == 400


def test_listing_needs_a_signed_in_caller(client):
    assert client.http.get("/reports").status_code == 401


def test_someone_elses_report_is_404_like_a_missing_one(client):
    owner, stranger = caller(), caller()
    report_id = file_report(client, owner)["report_id"]
    theirs = send(client, "get", f"/reports/{report_id}", stranger)
    missing = send(client, "get", f"/reports/{'0' * 32}", stranger)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json_body == missing.json_body
    # Nor through the officers' role: /reports is the filer's own view.
    assert send(client, "get", f"/reports/{report_id}", caller("officer")).status_code == 404


@pytest.mark.parametrize("report_id", ["nope", "A" * 32, "1" * 2000, "%00"])
def test_ids_that_cannot_be_report_ids_are_404(client, report_id):
    assert send(client, "get", f"/reports/{report_id}", caller()).status_code == 404

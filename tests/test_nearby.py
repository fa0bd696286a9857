"""Near here: bulletins near a point (public, and before filing), and the reports near
a report in place and time with their photo similarity, through the real routes (and,
for photos, the real worker via the pump)."""

import contextlib
import json
import logging
import math
import random
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from pynamodb.signals import pre_dynamodb_send
from support.api import caller, error_code, file_report, send
from support.aws_calls import counting_aws_calls
from support.bulletins import draft, patch, published, unique_district
from support.evidence import upload
from support.media_files import encoded, photo
from support.waiting import wait_until

from chalicelib import geo
from chalicelib.settings import resource_name


def somewhere() -> geo.Point:
    """A place of this test's own, so that other tests' reports and bulletins (the
    emulator is shared by the session) are never within reach."""
    rng = random.Random(uuid.uuid4().int)
    return geo.Point(round(rng.uniform(22, 45), 6), round(rng.uniform(80, 125), 6))


def moved(point: geo.Point, north_m: float, east_m: float) -> geo.Point:
    return geo.Point(
        round(point.latitude + north_m / geo.METRES_PER_DEGREE_LATITUDE, 7),
        round(point.longitude + east_m / (geo.METRES_PER_DEGREE_LATITUDE
                                          * math.cos(math.radians(point.latitude))), 7))


def near(point: geo.Point) -> str:
    return f"{point.latitude},{point.longitude}"


def place(point: geo.Point) -> dict:
    return {"latitude": point.latitude, "longitude": point.longitude}


def located_report(client, who, point: geo.Point, **overrides) -> dict:
    return file_report(client, who, location={**place(point), "accuracy_m": 10.0},
                       **overrides)


# --- bulletins near a point -------------------------------------------------------------


def bulletins_near(client, **params):
    return client.http.get(f"/bulletins?{urlencode(params)}")


def test_bulletins_near_a_point_are_listed_nearest_first_with_their_distance(client):
    here, district = somewhere(), unique_district()
    ids = {}
    for name, (north, east) in {"far": (0, 4000), "close": (150, 0), "mid": (0, -1200),
                                "outside": (-9000, 0)}.items():
        ids[name] = published(client, draft("missing_person", district,
                                            location=place(moved(here, north, east))))["id"]
    published(client, draft("missing_person", district))  # no place: never near anything
    response = bulletins_near(client, near=near(here), radius_m=5000, district=district)
    assert response.status_code == 200, response.body
    items = response.json_body["items"]
    assert [item["id"] for item in items] == [ids["close"], ids["mid"], ids["far"]]
    assert [item["distance_m"] for item in items] == [pytest.approx(d, abs=2)
                                                      for d in (150, 1200, 4000)]
    assert items[0]["location"] == place(moved(here, 150, 0))
    assert response.json_body["next_cursor"] is None
    # The point is not shared with caches on the way.
    assert response.headers["Cache-Control"] == "private, no-store"
    wide = bulletins_near(client, near=near(here), radius_m=10_000, district=district)
    assert ids["outside"] in [item["id"] for item in wide.json_body["items"]]


def test_a_bulletin_moves_with_its_place_and_leaves_when_closed(client):
    here, district = somewhere(), unique_district()
    bulletin = published(client, draft("vehicle", district, location=place(here)))

    def found(point):
        response = bulletins_near(client, near=near(point), radius_m=1000, district=district)
        return [item["id"] for item in response.json_body["items"]]

    assert found(here) == [bulletin["id"]]
    elsewhere = moved(here, 50_000, 0)
    assert patch(client, bulletin["id"], {"location": place(elsewhere)}).status_code == 200
    assert (found(here), found(elsewhere)) == ([], [bulletin["id"]])
    assert patch(client, bulletin["id"], {"location": None}).status_code == 200
    assert found(elsewhere) == []
    assert patch(client, bulletin["id"], {"location": place(here)}).status_code == 200
    resolved = patch(client, bulletin["id"], {"status": "resolved", "outcome": "recovered"})
    assert resolved.status_code == 200
    assert found(here) == []
    closed = bulletins_near(client, near=near(here), radius_m=1000, district=district,
                            status="resolved")
    assert [item["id"] for item in closed.json_body["items"]] == [bulletin["id"]]


@contextlib.contextmanager
def calls_on(table: str):
    """DynamoDB calls on one table from every thread (a lookup's Queries run in a pool)."""
    calls = []

    def count(_connection, operation_name, table_name, **_):
        if table_name == resource_name(table):
            calls.append(operation_name)

    with pre_dynamodb_send.connected_to(count):
        yield calls


def test_a_near_lookup_is_a_bounded_number_of_queries(client):
    here = geo.Point(39.9219, 116.4436)
    with calls_on("bulletins") as calls:
        assert bulletins_near(client, near=near(here), radius_m=10_000).status_code == 200
    # Only Queries, one per covered cell: at most 6 at Beijing's latitude for 10 km.
    assert set(calls) == {"Query"} and len(calls) == len(geo.covering_cells(here, 10_000, 4))
    assert len(calls) <= 6
    with calls_on("reports") as calls:
        report = located_report(client, caller(), here)["report_id"]
        calls.clear()
        assert nearby(client, report).status_code == 200
    # One GetItem (the report), then at most 4 Queries at 300 m.
    assert calls[0] == "GetItem" and set(calls[1:]) == {"Query"} and len(calls) <= 5


@pytest.mark.parametrize("params, code", [
    ({"near": "39.9"}, "invalid_query"),
    ({"near": "91,116"}, "invalid_query"),
    ({"near": "39.9,181"}, "invalid_query"),
    ({"near": "39.9,116.4;DROP"}, "invalid_query"),
    ({"near": "1" * 5000}, "invalid_query"),
    ({"near": "39.9,116.4", "radius_m": "0"}, "invalid_query"),
    ({"near": "39.9,116.4", "radius_m": "10001"}, "invalid_query"),
    ({"near": "39.9,116.4", "radius_m": "1e3"}, "invalid_query"),
    ({"radius_m": "500"}, "near_required"),
    ({"near": "39.9,116.4", "cursor": "abc"}, "invalid_cursor"),
    ({"near": "89.99,0", "radius_m": "10000"}, "search_area_too_large"),
    # Described integers are whole numbers in digits too (the route layer's rule).
    ({"limit": "1e1"}, "invalid_limit"),
    ({"limit": "5.0"}, "invalid_limit"),
])
def test_a_bad_near_search_is_a_400_naming_the_parameter(client, params, code):
    response = bulletins_near(client, **params)
    assert response.status_code == 400, response.body
    assert error_code(response) == code


def test_a_bulletins_place_is_validated(client):
    for location in ({"latitude": 91, "longitude": 0}, {"latitude": 39.9},
                     {"latitude": 39.9, "longitude": 116.4, "address": "x"}, "39.9,116.4"):
        response = client.http.post("/bulletins", body=json.dumps(
            draft("suspect", location=location)), headers=_officer())
        assert response.status_code == 400, (location, response.body)


def _officer() -> dict:
    return {"Content-Type": "application/json", **caller("officer").headers}


def test_the_point_is_never_logged(client, caplog):
    point = "31.123457,101.654321"
    with caplog.at_level(logging.DEBUG):
        assert bulletins_near(client, near=point).status_code == 200
        assert send(client, "get", f"/reports/nearby-bulletins?near={point}",
                    caller()).status_code == 200
    assert "31.123457" not in caplog.text and "101.654321" not in caplog.text


def test_before_filing_a_citizen_sees_the_bulletins_near_the_place(client):
    here, district = somewhere(), unique_district()
    missing = published(client, draft("missing_person", district,
                                      location=place(moved(here, 300, 300))))
    published(client, draft("vehicle", district, location=place(moved(here, 0, 3000))))
    citizen = caller()
    response = send(client, "get", f"/reports/nearby-bulletins?near={near(here)}", citizen)
    assert response.status_code == 200, response.body
    assert [item["id"] for item in response.json_body["items"]] == [missing["id"]]
    assert response.json_body["items"][0]["distance_m"] == pytest.approx(424, abs=3)
    wider = send(client, "get",
                 f"/reports/nearby-bulletins?near={near(here)}&radius_m=5000", citizen)
    assert len(wider.json_body["items"]) == 2
    # The report names the bulletin it is a clue on.
    report = located_report(client, citizen, here, bulletin_id=missing["id"])
    assert report["bulletin_id"] == missing["id"]
    for query in ("", "?near=abc", "?near=39.9,116.4&radius_m=20000", "?radius_m=5"):
        bad = send(client, "get", f"/reports/nearby-bulletins{query}", citizen)
        assert bad.status_code == 400, (query, bad.body)


# --- reports near a report --------------------------------------------------------------


def nearby(client, report_id: str, officer=None, **params):
    query = f"?{urlencode(params)}" if params else ""
    return send(client, "get", f"/admin/reports/{report_id}/nearby{query}",
                officer or caller("officer"))


def test_a_burst_of_ten_reports_of_one_event_each_find_the_other_nine(client):
    here, citizen = somewhere(), None
    ids = []
    for index in range(10):
        citizen = caller()  # ten people, one report each
        angle, reach = index * 36, (index * 11) % 50
        point = moved(here, reach * math.cos(math.radians(angle)),
                      reach * math.sin(math.radians(angle)))
        ids.append(located_report(client, citizen, point)["report_id"])
    far_away = located_report(client, caller(), moved(here, 2000, 0))["report_id"]
    officer = caller("officer")
    for report_id in ids:
        response = nearby(client, report_id, officer)
        assert response.status_code == 200, response.body
        body = response.json_body
        found = [item["report_id"] for item in body["items"]]
        assert sorted(found) == sorted(set(ids) - {report_id})
        assert far_away not in found
        distances = [item["distance_m"] for item in body["items"]]
        assert distances == sorted(distances) and max(distances) <= 100
        assert all(item["category"] == "theft" and item["same_category"]
                   and abs(item["seconds_apart"]) < 60 and item["similarity"] is None
                   for item in body["items"])
    assert body["radius_m"] == 300 and body["days"] == 3 and body["located"] is True
    assert nearby(client, far_away, officer).json_body["items"] == []
    wide = nearby(client, far_away, officer, radius_m=1000)
    assert wide.json_body["items"] == []
    assert len(nearby(client, ids[0], officer, radius_m=1000).json_body["items"]) == 9


def test_a_crowded_place_answers_the_fifty_nearest_read_whole_in_one_batch(client):
    here = somewhere()
    report = located_report(client, caller(), here)["report_id"]
    # 55 neighbours, 5 m apart along a street: the 50 nearest are the first 50.
    street = [located_report(client, caller(), moved(here, 5 * step, 0))["report_id"]
              for step in range(1, 56)]
    with counting_aws_calls() as calls:
        response = nearby(client, report)
    assert response.status_code == 200, response.body
    items = response.json_body["items"]
    assert [item["report_id"] for item in items] == street[:50]
    assert all(item["description"] and item["alias"] for item in items)
    # The cells' Queries read where and when; only the 50 shown are read whole.
    assert calls.operations.count("BatchGetItem") == 1


def test_the_time_window_and_the_radius_bound_the_neighbours(client):
    here, now = somewhere(), datetime.now(UTC)
    report = located_report(client, caller(), here, category="violence")["report_id"]
    earlier = located_report(client, caller(), moved(here, 0, 250),
                             occurred_at=(now - timedelta(days=5)).isoformat())["report_id"]
    beyond = located_report(client, caller(), moved(here, 0, 600))["report_id"]
    officer = caller("officer")

    def found(**params):
        return [item["report_id"] for item in nearby(client, report, officer,
                                                     **params).json_body["items"]]

    assert found() == []
    assert found(days=7) == [earlier]
    [item] = nearby(client, report, officer, days=7).json_body["items"]
    assert item["seconds_apart"] == pytest.approx(-5 * 86400, abs=4000)
    assert item["same_category"] is False and item["category"] == "theft"
    assert found(radius_m=700, days=7) == [earlier, beyond]


def test_a_report_without_coordinates_has_no_neighbours(client):
    report = file_report(client, caller(), location={"address": "Sanlitun, by the bar street"})
    response = nearby(client, report["report_id"])
    assert response.status_code == 200
    assert response.json_body["located"] is False and response.json_body["items"] == []


@pytest.mark.parametrize("query", ["radius_m=0", "radius_m=1001", "days=0", "days=31",
                                   "days=three", "radius_m=400x",
                                   "radius_m=" + "9" * 40])
def test_a_bad_nearby_query_is_a_400(client, query):
    report = located_report(client, caller(), somewhere())["report_id"]
    response = send(client, "get", f"/admin/reports/{report}/nearby?{query}", caller("officer"))
    assert response.status_code == 400, (query, response.body)


def test_nearby_of_a_missing_report_is_404(client):
    for report_id in ("0" * 32, "not-a-report", "x" * 300):
        assert nearby(client, report_id).status_code == 404


# --- photos ----------------------------------------------------------------------------


def add_photo(client, who, report_id: str, content: bytes) -> str:
    ticket = send(client, "post", f"/reports/{report_id}/evidence", who,
                  {"content_type": "image/jpeg", "size": len(content)}).json_body
    upload(ticket["upload"], content, "image/jpeg")
    return ticket["evidence_id"]


def processed_photos(client, who, report_id: str, count: int):
    def ready():
        evidence = send(client, "get", f"/reports/{report_id}", who).json_body["evidence"]
        return len(evidence) == count and all(item["status"] == "ready" for item in evidence)
    assert wait_until(ready), f"report {report_id}'s photos were not processed"


def test_identical_and_similar_photos_are_found_and_different_ones_are_not(client, pump):
    here = somewhere()
    shot = encoded(photo(11), quality=90)
    people = {name: caller() for name in ("first", "same", "resized", "other", "far")}
    points = {"first": here, "same": moved(here, 40, 0), "resized": moved(here, 0, 60),
              "other": moved(here, -50, 0), "far": moved(here, 30_000, 0)}
    photos = {"first": shot, "same": shot, "far": shot,
              "resized": encoded(photo(11).resize((800, 600)), quality=70),
              "other": encoded(photo(12), quality=90)}
    ids = {}
    for name, who in people.items():
        ids[name] = located_report(client, who, points[name])["report_id"]
        add_photo(client, who, ids[name], photos[name])
    for name, who in people.items():
        processed_photos(client, who, ids[name], 1)

    body = nearby(client, ids["first"]).json_body
    items = {item["report_id"]: item for item in body["items"]}
    assert set(items) == {ids["same"], ids["resized"], ids["other"]}
    same, resized, other = items[ids["same"]], items[ids["resized"]], items[ids["other"]]
    assert (same["identical_photo"], same["similar_photo"], same["similarity"]) == \
        (True, True, 1.0)
    assert resized["identical_photo"] is False and resized["similar_photo"] is True
    assert resized["similarity"] >= 0.84
    assert other["identical_photo"] is False and other["similar_photo"] is False
    assert other["similarity"] < resized["similarity"]
    assert all(len(item["thumb_urls"]) == 1 for item in items.values())
    # The exact photo, wherever it was reported: the far report too.
    assert body["same_photo"] == sorted([ids["same"], ids["far"]])


def test_which_reports_carry_this_exact_photo_is_one_query_per_photo(client, pump):
    who, shot = caller(), encoded(photo(21), quality=88)
    report_id = located_report(client, who, somewhere())["report_id"]
    add_photo(client, who, report_id, shot)
    processed_photos(client, who, report_id, 1)
    from chalicelib.reports import nearby as nearby_reports
    from chalicelib.reports.store import find
    report = find(report_id)
    with counting_aws_calls() as calls:
        assert nearby_reports.same_photo(report) == []
    assert [(call.operation, call.table) for call in calls] == [("Query", "media")]

"""The geohash cover of a circle and exact distances (chalicelib/geo.py): every point
within the radius lies in a covered cell, wherever the centre sits in its cell (middle,
edge, corner, the cell's north and south edges), and the number of cells is bounded."""

import math
import random

import pygeohash
import pytest
from pygeohash.bounding_box import get_bounding_box

from chalicelib import clock, deadlines, geo
from chalicelib.bulletins import listing, nearby

CHAOYANG = geo.Point(39.9219, 116.4436)


def moved(point: geo.Point, north_m: float, east_m: float) -> geo.Point:
    latitude = point.latitude + north_m / geo.METRES_PER_DEGREE_LATITUDE
    longitude = point.longitude + east_m / (geo.METRES_PER_DEGREE_LATITUDE
                                            * math.cos(math.radians(point.latitude)))
    return geo.Point(latitude, longitude)


def cell_spots(cell: str) -> dict[str, geo.Point]:
    """Points of one cell: its middle, just inside each edge, and its corners."""
    box = get_bounding_box(cell)
    inset_lat = (box.max_lat - box.min_lat) * 1e-6
    inset_lon = (box.max_lon - box.min_lon) * 1e-6
    middle_lat, middle_lon = (box.min_lat + box.max_lat) / 2, (box.min_lon + box.max_lon) / 2
    return {
        "middle": geo.Point(middle_lat, middle_lon),
        "north edge": geo.Point(box.max_lat - inset_lat, middle_lon),
        "south edge": geo.Point(box.min_lat + inset_lat, middle_lon),
        "east edge": geo.Point(middle_lat, box.max_lon - inset_lon),
        "west edge": geo.Point(middle_lat, box.min_lon + inset_lon),
        "north-east corner": geo.Point(box.max_lat - inset_lat, box.max_lon - inset_lon),
        "south-west corner": geo.Point(box.min_lat + inset_lat, box.min_lon + inset_lon),
    }


def test_distances_are_great_circle_metres():
    assert geo.distance_m(CHAOYANG, CHAOYANG) == 0
    # One degree of latitude is about 111.2 km; Beijing to Shanghai about 1,067 km.
    assert geo.distance_m(geo.Point(0, 0), geo.Point(1, 0)) == pytest.approx(111_195, rel=1e-4)
    shanghai = geo.Point(31.2304, 121.4737)
    assert geo.distance_m(CHAOYANG, shanghai) == pytest.approx(1_067_000, rel=0.01)
    assert geo.distance_m(moved(CHAOYANG, 300, 0), CHAOYANG) == pytest.approx(300, rel=1e-3)


@pytest.mark.parametrize("precision, radius_m", [(6, 300), (6, 1000), (4, 10_000)])
@pytest.mark.parametrize("spot", list(cell_spots("wx4g0b")))
def test_every_point_within_the_radius_is_in_a_covered_cell(precision, radius_m, spot):
    center = cell_spots(pygeohash.encode(CHAOYANG.latitude, CHAOYANG.longitude, precision))[spot]
    cells = set(geo.covering_cells(center, radius_m, precision))
    assert geo.cell(center, precision) in cells
    rng = random.Random(f"{precision}{radius_m}{spot}")
    # Points on the circle itself (the hardest) and inside it, in every direction.
    for _ in range(400):
        bearing, reach = rng.uniform(0, 2 * math.pi), radius_m * rng.choice((1.0, rng.random()))
        point = moved(center, reach * math.cos(bearing) * 0.999, reach * math.sin(bearing) * 0.999)
        assert geo.distance_m(center, point) <= radius_m
        assert geo.cell(point, precision) in cells, (spot, point)


def test_a_point_across_a_cell_edge_is_found_and_the_distance_decides():
    """Two points 20 m apart on either side of a cell's north edge are in different
    cells; each one's cover holds the other's."""
    box = get_bounding_box("wx4g0b")
    south = geo.Point(box.max_lat - 0.00009, (box.min_lon + box.max_lon) / 2)
    north = geo.Point(box.max_lat + 0.00009, south.longitude)
    assert geo.cell(south, 6) != geo.cell(north, 6)
    assert geo.distance_m(south, north) == pytest.approx(20, abs=0.5)
    assert geo.cell(north, 6) in geo.covering_cells(south, 50, 6)
    assert geo.cell(south, 6) in geo.covering_cells(north, 50, 6)


def test_queries_per_lookup_are_bounded_by_the_radius():
    # Beijing's latitude: at most 2 × 2 cells at 300 m, 20 at 1 km, 6 for bulletins at 10 km.
    for spot in cell_spots(geo.cell(CHAOYANG, 6)).values():
        assert len(geo.covering_cells(spot, 300, 6)) <= 4
        assert len(geo.covering_cells(spot, 1000, 6)) <= 20
    for spot in cell_spots(geo.cell(CHAOYANG, 4)).values():
        assert len(geo.covering_cells(spot, 10_000, 4)) <= 6


@pytest.mark.parametrize("point", [geo.Point(89.999, 10), geo.Point(-90, 0),
                                   geo.Point(78.2232, 15.6267)])
def test_a_search_near_the_earths_poles_is_refused_not_unbounded(point):
    with pytest.raises(geo.AreaTooLarge):
        geo.covering_cells(point, 1000, 6)


def test_far_north_a_smaller_radius_is_still_answered():
    longyearbyen = geo.Point(78.2232, 15.6267)
    assert 1 <= len(geo.covering_cells(longyearbyen, 100, 6)) <= geo.MAX_CELLS


@pytest.mark.parametrize("text, point", [
    ("39.9219,116.4436", geo.Point(39.9219, 116.4436)),
    ("-33.8,-70.6", geo.Point(-33.8, -70.6)),
    ("90,180", geo.Point(90, 180)),
    ("90.5,0", None), ("0,180.1", None), ("1e1,2", None), ("39.9", None), ("", None),
    ("39.9, 116.4", None), ("nan,nan", None),
])
def test_points_are_read_from_lat_comma_lon(text, point):
    assert geo.parse_point(text) == point


def test_concurrent_queries_gather_every_cells_items():
    assert sorted(geo.query_concurrently(lambda key: [key, key * 2], list("abcdefghij"))) == \
        sorted([*"abcdefghij", *(c * 2 for c in "abcdefghij")])
    assert geo.query_concurrently(lambda key: [key], []) == []


def test_concurrent_queries_run_within_the_requests_budget():
    """The budget is a contextvar: each Query of the pool sees the caller's, not none."""
    with deadlines.budget(2.5) as budget:
        seen = geo.query_concurrently(lambda key: [(key, deadlines.current())],
                                      list("abcdefgh"))
    assert len(seen) == 8 and all(found is budget for _, found in seen)
    # Outside a budget they get the unlimited default, as the caller would.
    assert all(found.remaining() == math.inf for _, found in geo.query_concurrently(
        lambda key: [(key, deadlines.current())], list("abc")))


def test_a_lookup_with_no_time_left_is_refused_in_every_thread(emulator):
    """Against the emulator: a budget with no time left reaches the pool's threads, so
    their DynamoDB Queries are refused (DeadlineExceeded) as the request's own would be,
    instead of running unbounded. Far north-east of anything, so 4 cells, 4 threads."""
    point = geo.Point(59.5, 29.5)
    assert len(geo.covering_cells(point, 10_000, listing.PLACE_PRECISION)) > 1
    assert nearby.near(point, 10_000, now=clock.now(), limit=10) == []  # the emulator answers
    now = [0.0]
    with deadlines.budget(1.0, clock=lambda: now[0]):
        now[0] = 5.0
        with pytest.raises(deadlines.DeadlineExceeded):
            nearby.near(point, 10_000, now=clock.now(), limit=10)

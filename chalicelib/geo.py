"""Places: geohash cells for the "near here" indexes, and exact distances.

An item with coordinates carries the geohash of its point at a coarse precision as the
partition key of a GSI sorted by time. A lookup "within r metres of P" covers the
circle's bounding box with the cells at that precision (pygeohash enumerates them on
its grid), queries each cell concurrently, and keeps what is really within r by the
haversine distance. So the number of Queries is fixed by the radius, never by how many
items there are, and nothing is scanned.

Precisions (cell sizes: north–south is the same everywhere, east–west shrinks with the
cosine of the latitude; Beijing is at 40° N):

- reports, geohash 6: 0.61 km × 0.94 km in Beijing. A duplicate search (default
  300 m, at most 1 km) touches at most 2 × 2 cells at 300 m and 5 × 4 at 1 km. At
  about 10⁴ reports a day city-wide, central Chaoyang sees some 10 reports per km²
  a day, so a cell holds about 6 a day: a ±3 day window reads ~35 items per cell.
  A cell is written a few times a day, so no partition is ever hot.
- bulletins, geohash 4: 19.5 km × 24 km in Beijing. A 10 km search touches at most
  3 × 2 cells. Bulletins are published a handful an hour, so a cell holds tens to
  hundreds of published ones; finer cells would mean dozens of Queries for 10 km.

Boxes are not wrapped across the antimeridian (pygeohash does not support it): a
search there is cut at ±180°, which no point in China comes near.
"""

import contextvars
import logging
import math
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from msgspec import Struct

EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG)
METRES_PER_DEGREE_LATITUDE = math.pi * EARTH_RADIUS_M / 180
# A lookup never issues more Queries than this. Only far from the equator (past about
# 60°, where cells are narrow) does a search at a route's largest radius need more;
# it is refused rather than made unbounded.
MAX_CELLS = 25
# At most this many Queries are in flight at once for one lookup.
MAX_CONCURRENT_QUERIES = 8

_POINT = re.compile(r"(-?[0-9]{1,2}(?:\.[0-9]{1,10})?),(-?[0-9]{1,3}(?:\.[0-9]{1,10})?)")


# pygeohash logs the boxes and points it works on at DEBUG; the points searched for are
# people's whereabouts, which are never logged.
logging.getLogger("pygeohash").setLevel(logging.WARNING)


class Point(Struct, frozen=True):
    latitude: float
    longitude: float


class AreaTooLarge(ValueError):
    """The circle needs more than MAX_CELLS cells at this precision."""


def parse_point(text: str) -> Point | None:
    """"LAT,LON" in decimal degrees, or None when it is not a place on Earth."""
    match = _POINT.fullmatch(text)
    if match is None:
        return None
    latitude, longitude = float(match[1]), float(match[2])
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return Point(latitude, longitude)


def cell(point: Point, precision: int) -> str:
    import pygeohash  # on first use, as the other libraries a route needs: not at cold start

    return pygeohash.encode(point.latitude, point.longitude, precision)


def distance_m(a: Point, b: Point) -> float:
    """The great-circle (haversine) distance in metres."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    half_chord = (math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2)
                  * math.sin(math.radians(b.longitude - a.longitude) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(half_chord)))


def covering_cells(center: Point, radius_m: float, precision: int) -> list[str]:
    """The cells at `precision` that together hold every point within `radius_m` of
    `center`: those meeting the circle's bounding box."""
    from pygeohash.bounding_box import BoundingBox, geohashes_in_box

    lat_span = radius_m / METRES_PER_DEGREE_LATITUDE
    # Near a pole the box reaches the pole and spans every longitude.
    cos_lat = math.cos(math.radians(center.latitude))
    reaches_pole = abs(center.latitude) + lat_span >= 90 or cos_lat < 1e-9
    lon_span = 180.0 if reaches_pole else min(180.0, lat_span / cos_lat)
    box = BoundingBox(max(-90.0, center.latitude - lat_span),
                      max(-180.0, center.longitude - lon_span),
                      min(90.0, center.latitude + lat_span),
                      min(180.0, center.longitude + lon_span))
    # The grid is uniform at a precision, so the most cells a box of this size can meet
    # follows from its spans alone: the bound is checked before any cell is listed, and
    # depends on the radius and latitude, not on where exactly the point sits in its cell.
    lat_step = 180.0 / (1 << (5 * precision // 2))
    lon_step = 360.0 / (1 << ((5 * precision + 1) // 2))
    at_most = ((math.floor((box.max_lat - box.min_lat) / lat_step) + 2)
               * (math.floor((box.max_lon - box.min_lon) / lon_step) + 2))
    if at_most > MAX_CELLS:
        raise AreaTooLarge(f"{radius_m} m around this point may need {at_most} cells")
    cells = geohashes_in_box(box, precision)
    return cells


def query_concurrently[T](query: Callable[[str], Iterable[T]], keys: list[str]) -> list[T]:
    """`query(key)` for every key (a cell, a digest), at most MAX_CONCURRENT_QUERIES at
    a time; all their items in one list. botocore clients are thread-safe.

    Each Query runs in a copy of the caller's context: the request's budget
    (chalicelib/deadlines.py) is a contextvar, which a pool's threads would not see
    otherwise, and their Queries would run unbounded."""
    if len(keys) <= 1:
        return [item for key in keys for item in query(key)]

    def in_context(key: str, context: contextvars.Context) -> list[T]:
        return context.run(lambda: list(query(key)))

    with ThreadPoolExecutor(max_workers=min(len(keys), MAX_CONCURRENT_QUERIES)) as pool:
        # One copy per task: a Context can be entered by one thread at a time.
        futures = [pool.submit(in_context, key, contextvars.copy_context()) for key in keys]
        return [item for future in futures for item in future.result()]

"""Bulletins near a point, nearest first: what happened near me, and "is my report
about this bulletin?" before filing.

The circle is covered with geohash-4 cells (listing.PLACE_PRECISION), each cell's
partition of the status is one Query, all issued concurrently, and what lies within
the radius is kept by its exact distance. The point is only ever in memory: it is
neither stored nor logged.
"""

from datetime import datetime

from chalicelib import geo
from chalicelib.bulletins.fields import BulletinStatus
from chalicelib.bulletins.listing import PLACE_PRECISION, is_expired, place_partition
from chalicelib.tables import Bulletin

MAX_RADIUS_M = 10_000
# The newest this many of one cell's partition are read. A 24 km cell holding more
# published bulletins than this is far beyond what the city publishes.
PER_CELL = 500


def near(point: geo.Point, radius_m: int, *, now: datetime,
         status: BulletinStatus = BulletinStatus.PUBLISHED,
         category: str | None = None, district: str | None = None,
         include_expired: bool = False, limit: int) -> list[tuple[Bulletin, float]]:
    """Up to `limit` bulletins within `radius_m` of `point` with their distance in
    metres, nearest first. Raises geo.AreaTooLarge for a circle needing too many cells."""
    cells = geo.covering_cells(point, radius_m, PLACE_PRECISION)

    def in_cell(cell: str):
        return Bulletin.by_place.query(place_partition(status, cell), scan_index_forward=False,
                                       limit=PER_CELL, page_size=PER_CELL)

    found = []
    for bulletin in geo.query_concurrently(in_cell, cells):
        place = bulletin.location
        distance = geo.distance_m(point, geo.Point(place["latitude"], place["longitude"]))
        if distance > radius_m or (category and bulletin.category != category):
            continue
        if district and bulletin.district != district:
            continue
        if (status == BulletinStatus.PUBLISHED and not include_expired
                and is_expired(bulletin, now)):
            continue
        found.append((bulletin, distance))
    found.sort(key=lambda pair: (pair[1], pair[0].bulletin_id))
    return found[:limit]

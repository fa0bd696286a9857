"""Possible duplicates: other reports near this one in place and time, and reports
carrying the very same photo wherever they are.

Place and time: the `by-place` index has one partition per geohash-6 cell, sorted by
occurred_at. The circle is covered with cells (at most 4 at the default 300 m, 20 at
1 km in Beijing; chalicelib/geo.py), each cell is one Query bounded to the time window
by its sort key, the Queries run concurrently, and the exact distance decides.

Photos: each evidence summary carries the original's SHA-256 and the perceptual hash
of its picture (chalicelib/media/similarity.py). A nearby report scores by its most
alike pair of photos with this one. "Which reports carry exactly this photo" is one
Query on the media table's `by-sha256` index per distinct photo of this report.
"""

from datetime import timedelta

import msgspec

from chalicelib import geo
from chalicelib.media import MediaStatus, owner_key, similarity
from chalicelib.reports.store import evidence_of
from chalicelib.tables import Media, Report, ReportLocation, ReportsByPlace

PRECISION = 6
DEFAULT_RADIUS_M, MAX_RADIUS_M = 300, 1_000
DEFAULT_DAYS, MAX_DAYS = 3, 30
# What one cell's Query reads at most: far above the ~35 reports a central Chaoyang
# cell holds in a ±3 day window, so only a flood of reports is cut short.
PER_CELL = 500
MAX_RESULTS = 50
# What the cells' Queries read of each report: enough to place it in space and time.
PLACED_ATTRIBUTES = ["report_id", "place_cell", "occurred_at", "location"]
# What the nearest are read with: what the index projects for the view.
SHOWN_ATTRIBUTES = ["report_id", "occurred_at", *ReportsByPlace.Meta.projection.non_key_attributes]


def place_cell(location: ReportLocation) -> str | None:
    """The by-place partition of a report, or None (not indexed) without coordinates."""
    if location.latitude is None:
        return None
    return geo.cell(geo.Point(location.latitude, location.longitude), PRECISION)


class Photo(msgspec.Struct, frozen=True):
    sha256: str | None
    perceptual_hash: str | None


class Match(msgspec.Struct, frozen=True):
    """How alike the photos of two reports are: the best pair decides."""
    similarity: float | None     # 1.0 for identical bytes; None if either has no photo
    identical: bool              # some photo has the same SHA-256
    similar: bool                # some pair within similarity.SIMILAR_BITS


class Nearby(msgspec.Struct, frozen=True):
    report: Report               # with the by-place index's attributes: no notes
    distance_m: float
    seconds_apart: int           # its occurred_at minus this report's
    match: Match


def photos(report: Report) -> list[Photo]:
    return [Photo(item.get("sha256"), item.get("perceptual_hash"))
            for item in evidence_of(report).values() if item.get("status") == MediaStatus.READY]


def match(ours: list[Photo], theirs: list[Photo]) -> Match:
    if not ours or not theirs:
        return Match(None, False, False)
    identical = any(a.sha256 and a.sha256 == b.sha256 for a in ours for b in theirs)
    scores = [similarity.score(a.perceptual_hash, b.perceptual_hash)
              for a in ours for b in theirs if a.perceptual_hash and b.perceptual_hash]
    best = 1.0 if identical else max(scores, default=None)
    similar = identical or any(similarity.differing_bits(a.perceptual_hash, b.perceptual_hash)
                               <= similarity.SIMILAR_BITS for a in ours for b in theirs
                               if a.perceptual_hash and b.perceptual_hash)
    return Match(best, identical, similar)


def nearby(report: Report, radius_m: int = DEFAULT_RADIUS_M,
           days: int = DEFAULT_DAYS) -> list[Nearby]:
    """Other reports within `radius_m` whose occurred_at is within `days` of this one's,
    nearest first; [] for a report without coordinates. Raises geo.AreaTooLarge.

    Two steps: the cells' Queries read only where and when each report is, and only the
    MAX_RESULTS nearest are then read as the view shows them (one BatchGetItem). A
    crowded area (hundreds of reports a cell) so costs small items, not hundreds of
    evidence maps to parse."""
    if report.location.latitude is None:
        return []
    center = geo.Point(report.location.latitude, report.location.longitude)
    window = timedelta(days=days)
    in_window = ReportsByPlace.occurred_at.between(report.occurred_at - window,
                                                   report.occurred_at + window)

    def in_cell(cell: str):
        return Report.by_place.query(cell, range_key_condition=in_window, limit=PER_CELL,
                                     page_size=PER_CELL, attributes_to_get=PLACED_ATTRIBUTES)

    ranked = []
    for other in geo.query_concurrently(in_cell, geo.covering_cells(center, radius_m,
                                                                    PRECISION)):
        if other.report_id == report.report_id:
            continue
        distance = geo.distance_m(center, geo.Point(other.location.latitude,
                                                    other.location.longitude))
        if distance <= radius_m:
            apart = int((other.occurred_at - report.occurred_at).total_seconds())
            ranked.append((distance, abs(apart), other.report_id, apart))
    nearest = sorted(ranked)[:MAX_RESULTS]
    shown = {other.report_id: other for other in Report.batch_get(
        [report_id for _, _, report_id, _ in nearest], attributes_to_get=SHOWN_ATTRIBUTES)}
    ours = photos(report)
    # A report purged between the two reads is left out.
    return [Nearby(shown[report_id], distance, apart, match(ours, photos(shown[report_id])))
            for distance, _, report_id, apart in nearest if report_id in shown]


def same_photo(report: Report) -> list[str]:
    """The other reports (anywhere, any time) holding a photo byte-identical to one of
    this report's: one Query per distinct photo, concurrently."""
    digests = sorted({photo.sha256 for photo in photos(report) if photo.sha256})
    if not digests:
        return []
    owners = geo.query_concurrently(lambda digest: Media.by_sha256.query(digest), digests)
    prefix = owner_key("report", "")
    ids = {media.owner.removeprefix(prefix) for media in owners
           if media.owner.startswith(prefix)}
    return sorted(ids - {report.report_id})

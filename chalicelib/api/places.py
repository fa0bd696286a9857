"""The `near=LAT,LON` query parameter the "near here" routes share, and turning a
search the index cannot bound into a 400."""

import contextlib
from typing import Annotated

import msgspec

from chalicelib import geo
from chalicelib.errors import ErrorCode, ValidationFailed
from chalicelib.patterns import whole

# The ranges are in the pattern (latitude -90 to 90, longitude -180 to 180), so every
# point the document calls valid is a place on Earth.
_FRACTION = r"(?:\.[0-9]{1,10})?"
_LATITUDE = rf"-?(?:[0-8]?[0-9]{_FRACTION}|90(?:\.0{{1,10}})?)"
_LONGITUDE = rf"-?(?:(?:1[0-7][0-9]|[0-9]?[0-9]){_FRACTION}|180(?:\.0{{1,10}})?)"
NEAR_PATTERN = whole(f"{_LATITUDE},{_LONGITUDE}")
# What the near routes refuse that JSON Schema cannot say.
RULES = {ErrorCode.SEARCH_AREA_TOO_LARGE: "far from the equator, a radius_m whose circle "
                                          "needs more geohash cells than a search takes"}

NearPoint = Annotated[str, msgspec.Meta(
    pattern=NEAR_PATTERN,
    description="LAT,LON in decimal degrees (WGS 84), such as 39.9219,116.4436. It is "
                "used for this answer only: never stored, never logged.")]


def point(near: str) -> geo.Point:
    """The point `near` names; the pattern has already checked its form."""
    parsed = geo.parse_point(near)
    if parsed is None:
        raise ValidationFailed("near: latitude -90 to 90, longitude -180 to 180.",
                               code=ErrorCode.INVALID_QUERY, field="near")
    return parsed


@contextlib.contextmanager
def bounded_search():
    """Refuses, with a 400, a circle that would need more Queries than geo.MAX_CELLS
    (only far from the equator, at a route's largest radius)."""
    try:
        yield
    except geo.AreaTooLarge:
        raise ValidationFailed("The search area is too large this far from the equator; "
                               "give a smaller radius_m.", code=ErrorCode.SEARCH_AREA_TOO_LARGE,
                               field="radius_m") from None

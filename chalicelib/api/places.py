"""The `near=LAT,LON` query parameter the "near here" routes share, and turning a
search the index cannot bound into a 400."""

import contextlib
from typing import Annotated

import msgspec

from chalicelib import geo
from chalicelib.errors import ValidationFailed

NearPoint = Annotated[str, msgspec.Meta(
    pattern=r"^-?[0-9]{1,2}(\.[0-9]{1,10})?,-?[0-9]{1,3}(\.[0-9]{1,10})?$",
    description="LAT,LON in decimal degrees (WGS 84), such as 39.9219,116.4436. It is "
                "used for this answer only: never stored, never logged.")]


def point(near: str) -> geo.Point:
    """The point `near` names; the pattern has already checked its form."""
    parsed = geo.parse_point(near)
    if parsed is None:
        raise ValidationFailed("near: latitude -90 to 90, longitude -180 to 180.",
                               code="invalid_query", field="near")
    return parsed


@contextlib.contextmanager
def bounded_search():
    """Refuses, with a 400, a circle that would need more Queries than geo.MAX_CELLS
    (only far from the equator, at a route's largest radius)."""
    try:
        yield
    except geo.AreaTooLarge:
        raise ValidationFailed("The search area is too large this far from the equator; "
                               "give a smaller radius_m.", code="search_area_too_large",
                               field="radius_m") from None

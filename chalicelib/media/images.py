"""Photos: one decode, EXIF orientation, both derivatives, and when and where the
original was taken.

A JPEG decodes in draft mode, at the smallest of 1/1, 1/2, 1/4 or 1/8 scale that is
still at least the large derivative's size, so a 48 MP photo costs a fraction of its
full decode. Decompression bombs and truncated files are refused, never repaired.
"""

from __future__ import annotations

import functools
import logging
import warnings
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, BinaryIO

from chalicelib.media import RejectReason
from chalicelib.media.analysis import (
    DERIVATIVE_SIZES,
    MAX_PIXELS,
    Analysis,
    Rejected,
    capture_time,
    location,
    render_derivatives,
)
from chalicelib.media.sniff import HEIC, FileType

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)

PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP",
                  "image/heic": "HEIF"}
# EXIF tag numbers (PIL.ExifTags has them too, but PIL is not imported at module load).
ORIENTATION = 0x0112
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATE_TIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9003, 0x9011
GPS_LATITUDE_REF, GPS_LATITUDE, GPS_LONGITUDE_REF, GPS_LONGITUDE = 1, 2, 3, 4
# EXIF orientation → the Image.Transpose that turns the stored pixels upright.
UPRIGHT = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
           6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}
SIDEWAYS = {5, 6, 7, 8}  # orientations whose upright picture swaps width and height


def analyze_image(source: BinaryIO, file_type: FileType) -> Analysis:
    from PIL import Image

    if file_type == HEIC:
        _register_heif_opener()
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow only warns between 1× and 2× MAX_IMAGE_PIXELS; refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source, formats=[PILLOW_FORMATS[file_type.content_type]]) as image:
                return _analyze(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise Rejected(RejectReason.DECOMPRESSION_BOMB) from error
    except OSError as error:
        # Pillow has no exception type of its own for this (LOAD_TRUNCATED_IMAGES stays False).
        if "truncated" in str(error).lower():
            raise Rejected(RejectReason.TRUNCATED) from error
        raise


def _analyze(image: Image.Image) -> Analysis:
    from PIL import Image

    exif = image.getexif()
    orientation = exif.get(ORIENTATION)
    upright = UPRIGHT.get(orientation) if isinstance(orientation, int) else None
    width, height = image.size
    if orientation in SIDEWAYS:
        width, height = height, width
    icc_profile = image.info.get("icc_profile")
    largest = max(DERIVATIVE_SIZES.values())
    image.draft("RGB", _fitted(image.size, largest))  # a no-op for all but JPEG
    image.load()
    derivatives = render_derivatives(image, Image.Transpose[upright] if upright else None,
                                     icc_profile)
    captured_at, gps = _capture_metadata(exif)
    return Analysis(width, height, derivatives, captured_at=captured_at, gps=gps)


def _fitted(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """`size` scaled to fit a `longest`-pixel square, never enlarged."""
    scale = min(1.0, longest / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


@functools.cache
def _register_heif_opener() -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()


def _capture_metadata(exif: Image.Exif) -> tuple[str | None, dict | None]:
    """When and where the original was taken (officers alone see these)."""
    try:
        return _taken(exif.get_ifd(EXIF_IFD)), _place(exif.get_ifd(GPS_IFD))
    except Exception:
        # Metadata is a bonus: a malformed block must not cost the photo itself.
        logger.warning("unreadable EXIF metadata ignored", exc_info=True)
        return None, None


def _taken(details: dict) -> str | None:
    value, offset = details.get(DATE_TIME_ORIGINAL), details.get(OFFSET_TIME_ORIGINAL)
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.strptime(value.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:  # cameras without a clock write blanks or zeros
        return None
    # Without a usable offset, the time stays the camera's wall-clock time.
    return capture_time(moment.replace(tzinfo=_zone(offset)))


def _zone(offset) -> tzinfo | None:
    """The zone of an EXIF offset such as "+08:00"."""
    if not isinstance(offset, str):
        return None
    try:
        return datetime.strptime(offset.strip("\x00 "), "%z").tzinfo
    except ValueError:
        return None


def _place(gps: dict) -> dict | None:
    if GPS_LATITUDE not in gps or GPS_LONGITUDE not in gps:
        return None
    return location(_degrees(gps[GPS_LATITUDE], gps.get(GPS_LATITUDE_REF), "S"),
                    _degrees(gps[GPS_LONGITUDE], gps.get(GPS_LONGITUDE_REF), "W"))


def _degrees(degrees_minutes_seconds, reference, negative: str) -> float:
    degrees, minutes, seconds = (float(part) for part in degrees_minutes_seconds)
    value = degrees + minutes / 60 + seconds / 3600
    return -value if isinstance(reference, str) and reference.strip("\x00 ") == negative else value

"""What the evidence worker makes of one original, shared by images and videos.

Pillow is imported inside the functions that use it, as PyAV is in videos.py: the media
libraries (in a layer only the worker's Lambda has) load when a file is first decoded,
not whenever the worker's modules are imported.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalicelib.media import RejectReason
from chalicelib.media.similarity import perceptual_hash

if TYPE_CHECKING:
    from PIL import Image

# Derivatives: the longest side of each, in pixels. Both come from one decode.
DERIVATIVE_SIZES = {"large": 1280, "thumb": 320}
JPEG_QUALITY = 85
# Refuse images (and video frames) with more pixels than this, before decoding.
# 120 MP covers 108 MP phone cameras; a full decode of a PNG that size in RGBA is
# about 480 MB, which the worker's 1024 MB leaves room for. (JPEGs decode at 1/2 to
# 1/8 scale in draft mode and cost far less.)
MAX_PIXELS = 120_000_000


class Rejected(Exception):
    """The file itself is unacceptable. Not transient: the item ends `rejected` with
    this reason and the queue message is consumed, not retried."""

    def __init__(self, reason: RejectReason):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Analysis:
    width: int                      # as displayed, after orientation / rotation
    height: int
    derivatives: dict[str, bytes]   # name ("large", "thumb") → JPEG bytes
    captured_at: str | None = None
    gps: dict | None = None
    duration_seconds: float | None = None
    perceptual_hash: str | None = None  # chalicelib.media.similarity


def render_derivatives(image: Image.Image, upright: Image.Transpose | None,
                       icc_profile: bytes | None) -> tuple[dict[str, bytes], str]:
    """The large and thumb JPEGs of one decoded image, turned upright by `upright`, and
    the perceptual hash of the upright picture (from the thumb, before it is encoded).

    Downscaling comes first, so turning and colour conversion touch only the small
    image. The JPEGs carry no metadata at all (no EXIF, XMP or comment: Pillow would
    copy the source's comment from `info`) except the colour profile, when it still
    describes the derivative's colours.
    """
    if image.mode in ("P", "1"):  # palette and bilevel images only resize by nearest pixel
        image = image.convert("RGBA" if image.mode == "P" else "L")
    largest = max(DERIVATIVE_SIZES.values())
    # The box is square, so downscaling before turning gives the same picture. The first
    # step is short: a JPEG arrives draft-decoded at 1 to 2× the size (a 12 or 48 MP
    # photo at 2000 px, for 1280). There Hamming (a windowed sinc of bilinear's support)
    # costs two thirds of bicubic, Pillow's default, and loses little: bench/media.py
    # shows the SSIM of each method against a Lanczos reference. Larger steps (a PNG or
    # HEIC decoded at full size) reduce by whole factors first (reducing_gap). The
    # thumbnail, from the large derivative, keeps bicubic.
    image.thumbnail((largest, largest), _first_step_filter())
    if upright is not None:
        image = image.transpose(upright)
    image = _flattened(image)
    icc_profile = _profile_for(image.mode, icc_profile)
    derivatives = {}
    for name, size in sorted(DERIVATIVE_SIZES.items(), key=lambda item: -item[1]):
        image.thumbnail((size, size))
        image.info = {}
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, icc_profile=icc_profile)
        derivatives[name] = buffer.getvalue()
    return derivatives, perceptual_hash(image)


def _first_step_filter():
    from PIL import Image

    return Image.Resampling.HAMMING


def _flattened(image: Image.Image) -> Image.Image:
    """RGB or greyscale; transparency over white, as a viewer would show it."""
    from PIL import Image

    if image.mode in ("RGB", "L"):
        return image
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _profile_for(mode: str, icc_profile: bytes | None) -> bytes | None:
    """The source's colour profile if it is one (officers' viewers will parse it) and
    describes colours of this mode; after a CMYK → RGB conversion, say, it does not."""
    from PIL import ImageCms

    if not icc_profile:
        return None
    try:
        colour_space = ImageCms.getOpenProfile(io.BytesIO(icc_profile)).profile.xcolor_space
    except ImageCms.PyCMSError:
        return None
    return icc_profile if colour_space == {"RGB": "RGB ", "L": "GRAY"}[mode] else None


def capture_time(moment: datetime) -> str:
    """ISO 8601: in UTC with a Z when the zone is known; otherwise the camera's own
    wall-clock time, without a zone, because converting it would invent one."""
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def location(latitude: float, longitude: float) -> dict | None:
    """{"lat", "lon"} in decimal degrees, or None for values no place on Earth has."""
    if not (math.isfinite(latitude) and math.isfinite(longitude)
            and -90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return {"lat": round(latitude, 7), "lon": round(longitude, 7)}

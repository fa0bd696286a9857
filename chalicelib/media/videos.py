"""Videos: a poster frame from the first keyframe, turned as the player would show it,
the duration and dimensions, and when and where the clip was recorded.

PyAV reads the downloaded file with the container format forced from the sniffed type,
so FFmpeg never guesses among its many demuxers.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import BinaryIO

from chalicelib.media import RejectReason
from chalicelib.media.analysis import (
    MAX_PIXELS,
    Analysis,
    Rejected,
    capture_time,
    location,
    render_derivatives,
)
from chalicelib.media.sniff import FileType

CONTAINER_FORMATS = {"video/mp4": "mp4", "video/quicktime": "mov"}
# Counter-clockwise display rotation (FFmpeg's display matrix, as PyAV's
# VideoFrame.rotation reports it, modulo 360) → the Image.Transpose that shows it.
UPRIGHT = {90: "ROTATE_90", 180: "ROTATE_180", 270: "ROTATE_270"}
# Recording time and place: Apple's keys first (local time with its offset), then the
# generic ones FFmpeg reads from any MP4/QuickTime file.
CREATION_KEYS = ("com.apple.quicktime.creationdate", "creation_time")
LOCATION_KEYS = ("com.apple.quicktime.location.ISO6709", "location")
# ISO 6709 in decimal degrees, as phones write it: "+39.9075+116.3972+044.000/".
ISO6709 = re.compile(r"([+-]\d{2}(?:\.\d+)?)([+-]\d{3}(?:\.\d+)?)")


def analyze_video(source: BinaryIO, file_type: FileType) -> Analysis:
    import av
    from PIL import Image

    try:
        container = av.open(source, format=CONTAINER_FORMATS[file_type.content_type])
    except av.error.FFmpegError as error:
        raise Rejected(RejectReason.CORRUPT_VIDEO) from error
    with container:
        if not container.streams.video:
            raise Rejected(RejectReason.NO_VIDEO_STREAM)
        stream = container.streams.video[0]
        if stream.width * stream.height > MAX_PIXELS:
            raise Rejected(RejectReason.DECOMPRESSION_BOMB)
        poster, packets = _first_keyframe_and_packet_count(container, stream)
        if poster is None:
            raise Rejected(RejectReason.CORRUPT_VIDEO)
        # A file cut short still opens when its index comes first; its packets run out.
        if stream.frames and packets < stream.frames:
            raise Rejected(RejectReason.TRUNCATED)
        if container.duration is not None:
            duration = container.duration / av.time_base
        elif stream.duration is not None:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = None
        upright = UPRIGHT.get(round(poster.rotation) % 360)
        image = poster.to_image()
        width, height = image.size
        if upright in ("ROTATE_90", "ROTATE_270"):
            width, height = height, width
        derivatives = render_derivatives(image, Image.Transpose[upright] if upright else None,
                                         None)
        metadata = container.metadata
        return Analysis(width, height, derivatives,
                        captured_at=_recorded_at(metadata), gps=_recorded_where(metadata),
                        duration_seconds=None if duration is None else round(duration, 3))


def _first_keyframe_and_packet_count(container, stream):
    """Decodes only the first keyframe, and counts every packet of the stream (reading
    them, not decoding them) to prove the file holds all the frames it announces."""
    poster, packets = None, 0
    for packet in container.demux(stream):
        if packet.size == 0:  # the demuxer's closing empty packet
            continue
        packets += 1
        if poster is None and packet.is_keyframe:
            frames = stream.decode(packet) + stream.decode(None)  # None drains the decoder
            poster = frames[0] if frames else None
    return poster, packets


def _recorded_at(metadata: dict) -> str | None:
    for key in CREATION_KEYS:
        try:
            return capture_time(datetime.fromisoformat(metadata[key]))
        except (KeyError, ValueError):
            continue
    return None


def _recorded_where(metadata: dict) -> dict | None:
    for key in LOCATION_KEYS:
        match = ISO6709.match(metadata.get(key, ""))
        if match:
            return location(float(match.group(1)), float(match.group(2)))
    return None

"""What a file really is, read from its first bytes (magic numbers).

The client's declared content type is a claim; these bytes are what decoders will
actually parse. Only the types uploads accept are recognised; anything else is None.
"""

from dataclasses import dataclass

from chalicelib.media import MediaKind

SNIFF_BYTES = 4096  # enough for any real `ftyp` box and its list of compatible brands


@dataclass(frozen=True)
class FileType:
    content_type: str
    kind: MediaKind


JPEG = FileType("image/jpeg", MediaKind.IMAGE)
PNG = FileType("image/png", MediaKind.IMAGE)
WEBP = FileType("image/webp", MediaKind.IMAGE)
HEIC = FileType("image/heic", MediaKind.IMAGE)
MP4 = FileType("video/mp4", MediaKind.VIDEO)
QUICKTIME = FileType("video/quicktime", MediaKind.VIDEO)

# ISO base media files (HEIF, MP4, QuickTime) open with an `ftyp` box naming a major
# brand and compatible brands. HEIF images coded with HEVC carry one of these; a
# plain `mif1` alone may be AVIF or another codec, which we do not accept.
HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
MP4_BRANDS = frozenset({b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42",
                        b"avc1", b"M4V ", b"mmp4", b"MSNV"})
QUICKTIME_BRAND = b"qt  "


def sniff(head: bytes) -> FileType | None:
    """The accepted type these leading bytes prove, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp":
        return _iso_media_type(head)
    if head[4:8] == b"moov":  # old QuickTime files start with the movie box, no `ftyp`
        return QUICKTIME
    return None


def _iso_media_type(head: bytes) -> FileType | None:
    box_size = int.from_bytes(head[:4], "big")
    if box_size < 16:  # 0 ("to end of file") and 1 (64-bit size) are not real `ftyp` boxes
        return None
    major = head[8:12]
    end = min(box_size, len(head))
    brands = {major} | {head[i:i + 4] for i in range(16, end - 3, 4)}
    if brands & HEIF_BRANDS:
        return HEIC
    if major == QUICKTIME_BRAND:
        return QUICKTIME
    if brands & MP4_BRANDS:
        return MP4
    return None

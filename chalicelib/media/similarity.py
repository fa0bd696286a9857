"""Perceptual hashes of photos and video posters, and how alike two of them are.

The hash is a 64-bit difference hash (dHash): the picture, in grey, shrunk to 9 × 8,
one bit per pair of horizontal neighbours (is the left one brighter?). Shrinking
averages away what re-encoding, resizing and mild recompression change, so a copy
of a photo lands within a few bits of the original, while unrelated pictures differ
in about half of the 64. It is computed from the small derivative the worker has just
rendered (already decoded, upright and flattened), so it costs no decode of its own.

Pillow is imported inside the function: the API function imports this module for the
comparisons and has no media layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

HASH_BITS = 64
# At most this many differing bits counts as "the same picture, re-encoded or resized".
# In tests/test_similarity.py recompressed, resized and trimmed copies differ by 1 or 2
# bits; ten unrelated pictures by 20 to 36.
SIMILAR_BITS = 10


def perceptual_hash(image: Image.Image) -> str:
    """The dHash of `image`, as 16 hexadecimal digits."""
    from PIL import Image

    grey = image.convert("L").resize((9, 8), Image.Resampling.BOX)
    pixels = grey.tobytes()  # mode L: one byte per pixel, row by row
    bits = 0
    for row in range(8):
        for column in range(8):
            left, right = pixels[row * 9 + column], pixels[row * 9 + column + 1]
            bits = bits << 1 | (left > right)
    return f"{bits:016x}"


def differing_bits(a: str, b: str) -> int:
    """The Hamming distance between two hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def score(a: str, b: str) -> float:
    """1.0 for the same hash, about 0.5 for unrelated pictures."""
    return round(1 - differing_bits(a, b) / HASH_BITS, 3)

"""Perceptual hashes from the worker's own decode (chalicelib/media/similarity.py): a
re-encoded or resized copy of a photo scores as similar, another photo does not."""

import io

import pytest
from PIL import Image
from support.media_files import encoded, photo

from chalicelib.media import similarity
from chalicelib.media.images import analyze_image
from chalicelib.media.sniff import sniff


def worker_hash(content: bytes) -> str:
    """The hash the evidence worker records for these bytes."""
    analysis = analyze_image(io.BytesIO(content), sniff(content[:64]))
    assert analysis.perceptual_hash is not None
    return analysis.perceptual_hash


@pytest.fixture(scope="module")
def original() -> bytes:
    return encoded(photo(1), quality=92)


@pytest.mark.parametrize("copy", [
    lambda image: encoded(image, quality=35),                      # recompressed hard
    lambda image: encoded(image.resize((800, 600)), quality=80),   # resized
    lambda image: encoded(image.resize((640, 480)), "PNG"),        # resized, other format
    lambda image: encoded(image.crop((8, 6, 1592, 1194)), quality=85),  # a sliver cropped
], ids=["recompressed", "resized", "png", "trimmed"])
def test_a_copy_of_a_photo_scores_as_similar(original, copy):
    ours, theirs = worker_hash(original), worker_hash(copy(photo(1)))
    assert similarity.differing_bits(ours, theirs) <= similarity.SIMILAR_BITS
    assert similarity.score(ours, theirs) >= 1 - similarity.SIMILAR_BITS / 64


@pytest.mark.parametrize("seed", [2, 3, 4, 5])
def test_a_different_photo_scores_as_not_similar(original, seed):
    ours, theirs = worker_hash(original), worker_hash(encoded(photo(seed), quality=92))
    assert similarity.differing_bits(ours, theirs) > similarity.SIMILAR_BITS


def test_the_hash_is_of_the_upright_picture():
    """A phone's sideways JPEG with its EXIF orientation hashes like the upright copy."""
    upright = photo(7, size=(1200, 1600))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned; displayed rotated 90° clockwise
    sideways = encoded(upright.transpose(Image.Transpose.ROTATE_90), quality=90, exif=exif)
    assert similarity.differing_bits(worker_hash(sideways),
                                     worker_hash(encoded(upright, quality=90))) <= 4


def test_hashes_compare_by_their_bits():
    assert similarity.differing_bits("0" * 16, "f" * 16) == 64
    assert similarity.score("00000000000000ff", "0000000000000000") == 0.875

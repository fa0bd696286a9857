"""Files the worker tests upload, made here so each test shows what the worker was
given: a gradient picture with a red block in its top-left, and an MP4 of it; photos
with structure (for perceptual hashes) and their encodings."""

import io
import random
import tempfile
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFilter

RED = (255, 0, 0)


def gradient(size: tuple[int, int]) -> Image.Image:
    ramp = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                Image.new("L", size, 128)))
    image.paste(RED, (0, 0, size[0] // 10, size[1] // 10))
    return image


def video(seconds: int = 2, fps: int = 10, size=(320, 240), faststart: bool = False) -> bytes:
    """An MP4 of generated frames, recorded 2024-05-01 06:03:22 UTC in Beijing."""
    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    options = {"movflags": "faststart"} if faststart else {}
    with tempfile.TemporaryDirectory() as folder:  # faststart rewrites the file: not a buffer
        path = Path(folder) / "clip.mp4"
        with av.open(str(path), "w", format="mp4", options=options) as container:
            stream = container.add_stream(codec, rate=fps)
            stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
            container.metadata["creation_time"] = "2024-05-01T06:03:22.000000Z"
            container.metadata["location"] = "+39.9075+116.3972/"
            frame = gradient(size)
            for _ in range(seconds * fps):
                for packet in stream.encode(av.VideoFrame.from_image(frame)):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        return path.read_bytes()


def photo(seed: int, size=(1600, 1200)) -> Image.Image:
    """A picture with structure, as a street scene has: shapes of many tones, blurred."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = rng.randrange(50, size[0] // 2), rng.randrange(50, size[1] // 2)
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x, y, x + w, y + h), fill=tuple(rng.randrange(256) for _ in range(3)))
    return image.filter(ImageFilter.GaussianBlur(3))


def encoded(image: Image.Image, kind: str = "JPEG", **options) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()

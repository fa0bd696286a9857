"""The evidence worker on real uploads: presigned POST to the emulator → S3 event →
queue → pump → handler → worker, until the Media record leaves `pending`.

Every file is made here (Pillow, pillow-heif, PyAV), so each test shows exactly what
the worker was given.
"""

import hashlib
import io
import json
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from pathlib import Path

import av
import boto3
import pillow_heif
import pytest
import requests
from chalice.local import LambdaContext
from PIL import ExifTags, Image, ImageCms

from chalicelib.api.evidence_events import process_evidence
from chalicelib.media import owners, worker
from chalicelib.media.s3_events import CreatedObject
from chalicelib.media.uploads import IMAGE_TYPES, VIDEO_TYPES, start_upload
from chalicelib.settings import settings
from chalicelib.tables import Media

ROOT = Path(__file__).resolve().parents[1]
ACCEPTED = {**IMAGE_TYPES, **VIDEO_TYPES}
RED, MARKER = (255, 0, 0), (0, 0, 400, 300)  # a red block in the stored image's top-left
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.fixture
def notified(monkeypatch, pump) -> list[Media]:
    """The records the worker hands to owners.notify (the owners' side is not ours)."""
    calls: list[Media] = []
    monkeypatch.setattr(owners, "notify", calls.append)
    return calls


def upload(content: bytes, content_type: str, declared_size: int | None = None) -> Media:
    """A citizen's upload exactly as the app hands it out: start_upload, then the POST."""
    owner_id = uuid.uuid4().hex
    ticket = start_upload("report", owner_id, content_type, declared_size or len(content),
                          ACCEPTED)
    response = requests.post(ticket["upload"]["url"], data=ticket["upload"]["fields"],
                             files={"file": ("evidence.jpg", content, content_type)}, timeout=10)
    assert response.status_code == 204, response.text
    return Media.get(f"report#{owner_id}", ticket["media_id"], consistent_read=True)


def finished(media: Media, notified: list[Media], timeout: float = 20) -> Media:
    """The record once the worker has finished it and told the owner."""
    deadline = time.monotonic() + timeout
    while not any(m.media_id == media.media_id for m in notified):
        assert time.monotonic() < deadline, f"media {media.media_id} never finished"
        time.sleep(0.05)
    return Media.get(media.owner, media.media_id, consistent_read=True)


def process(content: bytes, content_type: str, notified, declared_size=None) -> Media:
    return finished(upload(content, content_type, declared_size), notified)


def s3_object(key: str) -> bytes:
    return boto3.client("s3").get_object(Bucket=settings().evidence_bucket, Key=key)["Body"].read()


def derivative(media: Media, name: str) -> Image.Image:
    image = Image.open(io.BytesIO(s3_object(media.derivatives[name])))
    image.load()
    return image


def red_at(image: Image.Image, x: int, y: int) -> bool:
    red, green, blue = image.convert("RGB").getpixel((x, y))
    return red > 200 and green < 60 and blue < 60


def versions_under(prefix: str) -> list[str]:
    listing = boto3.client("s3").list_object_versions(Bucket=settings().evidence_bucket,
                                                      Prefix=prefix)
    return sorted(version["Key"] for version in listing.get("Versions", []))


# --- files ---------------------------------------------------------------------------

def gradient(size: tuple[int, int]) -> Image.Image:
    ramp = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                Image.new("L", size, 128)))
    image.paste(RED, (0, 0, size[0] // 10, size[1] // 10))
    return image


def camera_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Masses test camera"
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.DateTimeOriginal] = "2024:05:01 14:03:22"
    details[ExifTags.Base.OffsetTimeOriginal] = "+08:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", (39.0, 54.0, 27.0)
    gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = "W", (116.0, 23.0, 50.0)
    return exif


def encoded(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def phone_photo() -> bytes:
    """12 MP, stored sideways (EXIF orientation 6), with GPS, a comment, XMP and sRGB."""
    return encoded(gradient((4000, 3000)), "JPEG", quality=90, exif=camera_exif(6),
                   icc_profile=SRGB, comment=b"secret comment",
                   xmp=b"<x:xmpmeta>secret xmp</x:xmpmeta>")


def small_jpeg(size=(64, 48)) -> bytes:
    return encoded(gradient(size), "JPEG")


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


def turned_a_quarter_clockwise(mp4: bytes) -> bytes:
    """The same MP4 with its track matrix (tkhd) saying: show it turned 90° clockwise,
    as phones record portrait video."""
    matrix_at = mp4.index(b"tkhd") - 4 + 48  # box header, version/flags, times, ids, volume
    matrix = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    return mp4[:matrix_at] + matrix + mp4[matrix_at + 36:]


def jpeg_claiming(width: int, height: int) -> bytes:
    """A tiny JPEG whose frame header (SOF0) claims width × height."""
    jpeg = bytearray(small_jpeg())
    frame_header = jpeg.index(b"\xff\xc0")
    jpeg[frame_header + 5:frame_header + 9] = struct.pack(">HH", height, width)
    return bytes(jpeg)


def png_claiming(width: int, height: int) -> bytes:
    png = bytearray(encoded(gradient((64, 48)), "PNG"))
    header = struct.pack(">II", width, height) + png[24:29]
    png[16:33] = header + struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return bytes(png)


# --- images --------------------------------------------------------------------------

def test_a_12_megapixel_phone_photo_ends_ready_upright_and_without_metadata(
        phone_photo, notified):
    media = process(phone_photo, "image/jpeg", notified)

    assert media.status == "ready", media.reject_reason
    assert (media.kind, media.size) == ("image", len(phone_photo))
    assert media.sha256 == hashlib.sha256(phone_photo).hexdigest()
    assert (media.width, media.height) == (3000, 4000)  # as displayed: portrait
    assert media.captured_at == "2024-05-01T06:03:22Z"
    assert media.gps == {"lat": 39.9075, "lon": -116.3972222}
    prefix = f"derivatives/report/{media.owner.split('#')[1]}/{media.media_id}/"
    assert media.derivatives.as_dict() == {"large": prefix + "large.jpg",
                                           "thumb": prefix + "thumb.jpg"}
    for name, size in (("large", (960, 1280)), ("thumb", (240, 320))):
        image = derivative(media, name)
        assert (image.format, image.size) == ("JPEG", size)
        # Orientation 6 turns the stored image a quarter clockwise: the red block of its
        # top-left corner shows top right (turned the other way, it would be bottom left).
        assert red_at(image, image.width - 5, 5)
        assert not red_at(image, 5, 5) and not red_at(image, 5, image.height - 5)
        assert not image.getexif()
        assert set(image.info) - {"jfif", "jfif_version", "jfif_unit", "jfif_density"} \
            == {"icc_profile"}, image.info.keys()
        assert image.info["icc_profile"] == SRGB
        assert b"secret" not in s3_object(media.derivatives[name])
    assert s3_object(media.object_key) == phone_photo  # the original is untouched


@pytest.mark.parametrize("content_type", ["image/png", "image/webp", "image/heic"])
def test_png_webp_and_heic_end_ready(content_type, notified):
    image = gradient((800, 600))
    if content_type == "image/png":  # with transparency, which becomes white
        image = image.convert("RGBA")
        image.putpixel((799, 599), (0, 0, 0, 0))
        content = encoded(image, "PNG")
    elif content_type == "image/webp":
        content = encoded(image, "WEBP", exif=camera_exif())
    else:
        pillow_heif.register_heif_opener()
        content = encoded(image, "HEIF", exif=camera_exif(6).tobytes(), quality=60)
    media = process(content, content_type, notified)

    assert media.status == "ready", media.reject_reason
    assert media.sha256 == hashlib.sha256(content).hexdigest()
    large = derivative(media, "large")
    if content_type == "image/heic":  # the EXIF orientation became the HEIF's own rotation
        assert (media.width, media.height, large.size) == (600, 800, (600, 800))
        assert red_at(large, large.width - 5, 5)
    else:
        assert (media.width, media.height, large.size) == (800, 600, (800, 600))
        assert red_at(large, 5, 5)
    assert derivative(media, "thumb").size in ((320, 240), (240, 320))
    assert not large.getexif()
    if content_type != "image/png":
        assert media.gps == {"lat": 39.9075, "lon": -116.3972222}
        assert media.captured_at == "2024-05-01T06:03:22Z"


# --- videos --------------------------------------------------------------------------

@pytest.mark.parametrize("turned", [False, True])
def test_an_mp4_gets_a_poster_frame_duration_and_dimensions(turned, notified):
    content = turned_a_quarter_clockwise(video()) if turned else video()
    media = process(content, "video/mp4", notified)

    assert media.status == "ready", media.reject_reason
    assert (media.kind, media.duration_seconds) == ("video", 2.0)
    assert media.sha256 == hashlib.sha256(content).hexdigest()
    assert media.captured_at == "2024-05-01T06:03:22Z"
    assert media.gps == {"lat": 39.9075, "lon": 116.3972}
    poster = derivative(media, "large")
    expected = (240, 320) if turned else (320, 240)
    assert (media.width, media.height) == poster.size == expected
    # The red block recorded top-left shows top right once turned clockwise.
    assert red_at(poster, poster.width - 5, 5) is turned
    assert red_at(poster, 5, 5) is not turned
    assert derivative(media, "thumb").size == expected  # already under 320 px


# --- rejections ----------------------------------------------------------------------

def half_of(content: bytes) -> bytes:
    return content[:len(content) // 2]


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
       b'<script>alert(1)</script></svg>')


@pytest.mark.parametrize(("content", "content_type", "declared_size", "reason"), [
    pytest.param(half_of(small_jpeg((640, 480))), "image/jpeg", None, "truncated", id="truncated"),
    pytest.param(jpeg_claiming(65000, 65000), "image/jpeg", None, "decompression_bomb",
                 id="jpeg-bomb"),
    pytest.param(png_claiming(65000, 65000), "image/png", None, "decompression_bomb",
                 id="png-bomb"),
    # Between 1× and 2× the limit Pillow only warns: still refused.
    pytest.param(jpeg_claiming(12000, 12000), "image/jpeg", None, "decompression_bomb",
                 id="warning-only-bomb"),
    pytest.param(b"<!doctype html><html><body>hi</body></html>", "image/jpeg", None,
                 "not_an_allowed_type", id="html"),
    pytest.param(SVG, "image/jpeg", None, "not_an_allowed_type", id="svg"),
    pytest.param(b"", "image/jpeg", 100, "empty", id="empty"),
    pytest.param(small_jpeg(), "image/jpeg", 100, "size_mismatch", id="larger-than-declared"),
    pytest.param(half_of(video()), "video/mp4", None, "corrupt_video", id="mp4-cut-in-half"),
    # With its index first, a cut file still opens; its frames run out.
    pytest.param(video(faststart=True)[:-250], "video/mp4", None, "truncated",
                 id="faststart-mp4-cut-short"),
    pytest.param(video(), "image/jpeg", None, "type_mismatch", id="video-declared-a-photo"),
    pytest.param(b"\xff\xd8\xff" + bytes(4000), "image/jpeg", None, "corrupt_image",
                 id="jpeg-magic-then-nothing"),
])
def test_bad_files_end_rejected_with_a_reason(content, content_type, declared_size, reason,
                                              notified):
    media = process(content, content_type, notified, declared_size)

    assert (media.status, media.reject_reason) == ("rejected", reason)
    assert media.derivatives is None and media.processed_at is not None
    assert media.size == len(content)
    if reason in ("truncated", "corrupt_video", "corrupt_image", "decompression_bomb"):
        assert media.sha256 == hashlib.sha256(content).hexdigest()
    assert versions_under(f"derivatives/{media.object_key.removeprefix('uploads/')}") == []


def test_the_worker_goes_on_after_rejections(notified):
    bad = upload(b"<html></html>", "image/jpeg")
    good = upload(small_jpeg(), "image/jpeg")
    assert finished(bad, notified).status == "rejected"
    assert finished(good, notified).status == "ready"


def test_the_cap_applies_to_the_sniffed_type(monkeypatch, notified):
    monkeypatch.setitem(IMAGE_TYPES, "image/png", 100)  # smaller than this real PNG
    content = encoded(gradient((64, 48)), "PNG")
    media = process(content, "image/jpeg", notified)
    assert (media.status, media.reject_reason, media.kind) == ("rejected", "too_large", "image")


def test_a_record_whose_object_is_gone_ends_rejected(notified):
    owner_id = uuid.uuid4().hex
    ticket = start_upload("report", owner_id, "image/jpeg", 10, ACCEPTED)  # never uploaded
    worker.process_object(CreatedObject(settings().evidence_bucket,
                                        ticket["upload"]["fields"]["key"], 10))
    media = Media.get(f"report#{owner_id}", ticket["media_id"], consistent_read=True)
    assert (media.status, media.reject_reason) == ("rejected", "missing")
    assert notified[-1].media_id == media.media_id


# --- objects that are not ours -------------------------------------------------------

@pytest.mark.parametrize("key", [
    "uploads/report/r1/0559c9d00a834562a07a630ca9e2e6c9",  # the layout, but no record
    "uploads/report/r1/../../derivatives/x",           # not the layout
    "uploads/report/r1/abc/def",
    "derivatives/report/r1/x/large.jpg",
    "uploads/report/r1/" + "a" * 32 + "\nforged log line",
])
def test_objects_that_are_not_ours_are_logged_and_ignored(key, emulator, caplog):
    worker.process_object(CreatedObject(settings().evidence_bucket, key, 1))  # no raise
    assert repr(key) in caplog.text
    assert "\nforged" not in caplog.text


def test_an_object_in_another_bucket_is_ignored(emulator, caplog):
    ticket = start_upload("report", uuid.uuid4().hex, "image/jpeg", 10, ACCEPTED)
    worker.process_object(CreatedObject("someone-elses-bucket", ticket["upload"]["fields"]["key"],
                                        10))
    assert "ignored an object in another bucket: 'someone-elses-bucket'" in caplog.text


# --- delivery: twice, racing, failing ------------------------------------------------

def s3_event(media: Media) -> str:
    return json.dumps({"Records": [{
        "eventName": "ObjectCreated:Post",
        "s3": {"bucket": {"name": settings().evidence_bucket},
               "object": {"key": media.object_key, "size": media.size}}}]})


def test_the_same_event_twice_gives_one_set_of_derivatives(client, notified):
    media = process(small_jpeg((1600, 1200)), "image/jpeg", notified)
    assert media.status == "ready"
    event = client.events.generate_sqs_event(message_bodies=[s3_event(media)])
    # The worker's own timeout (chalice's test invoke would give it Lambda's default 3 s,
    # less than one S3 try: the budget would refuse to start it).
    for _ in range(2):
        process_evidence(event, LambdaContext("process_evidence", 1024, max_runtime_ms=120_000))

    folder = f"derivatives/{media.object_key.removeprefix('uploads/')}/"
    assert versions_under(folder) == [folder + "large.jpg", folder + "thumb.jpg"]
    again = Media.get(media.owner, media.media_id, consistent_read=True)
    assert again.processed_at == media.processed_at and again.sha256 == media.sha256
    # Each delivery tells the owner, so a failed notification is retried with it.
    assert [m.status for m in notified if m.media_id == media.media_id] == ["ready"] * 3


def test_a_worker_that_loses_a_race_changes_nothing(monkeypatch, notified):
    media = process(small_jpeg((1600, 1200)), "image/jpeg", notified)
    winner = media.processed_at
    # This worker read the record while it was still pending; the other one finishes
    # while this one is decoding.
    Media(media.owner, media.media_id).update(actions=[Media.status.set("pending")])
    analyze_image = worker.analyze_image

    def slow_analysis(source, file_type):
        analysis = analyze_image(source, file_type)
        Media(media.owner, media.media_id).update(actions=[Media.status.set("ready")])
        return analysis

    monkeypatch.setattr(worker, "analyze_image", slow_analysis)
    worker.process_object(CreatedObject(settings().evidence_bucket, media.object_key, 0))

    folder = f"derivatives/{media.object_key.removeprefix('uploads/')}/"
    assert versions_under(folder) == [folder + "large.jpg", folder + "thumb.jpg"]
    after = Media.get(media.owner, media.media_id, consistent_read=True)
    assert (after.status, after.processed_at) == ("ready", winner)
    assert notified[-1].processed_at == winner


class FlakyS3:
    """The real client, except that the first read of one key fails as S3 throttling."""

    def __init__(self, real, key: str):
        self.real, self.key, self.failures = real, key, 0

    def get_object(self, **kwargs):
        if kwargs["Key"] == self.key and not self.failures:
            self.failures += 1
            raise worker.ClientError({"Error": {"Code": "SlowDown", "Message": "slow"}},
                                     "GetObject")
        return self.real.get_object(**kwargs)

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_a_transient_failure_raises_and_the_retry_finishes_the_job(monkeypatch, notified):
    content = small_jpeg()
    owner_id = uuid.uuid4().hex
    ticket = start_upload("report", owner_id, "image/jpeg", len(content), ACCEPTED)
    key = ticket["upload"]["fields"]["key"]
    flaky = FlakyS3(worker.s3_client(), key)
    monkeypatch.setattr(worker, "s3_client", lambda: flaky)
    media = Media.get(f"report#{owner_id}", ticket["media_id"], consistent_read=True)

    with pytest.raises(worker.ClientError):
        worker.process_object(CreatedObject(settings().evidence_bucket, key, len(content)))
    assert Media.get(media.owner, media.media_id, consistent_read=True).status == "pending"

    # Through the queue: a raise leaves the message there, and the redelivery succeeds.
    flaky.failures = 0
    response = requests.post(ticket["upload"]["url"], data=ticket["upload"]["fields"],
                             files={"file": ("a.jpg", content, "image/jpeg")}, timeout=10)
    assert response.status_code == 204
    assert finished(media, notified).status == "ready"
    assert flaky.failures == 1


def test_the_api_does_not_load_the_media_libraries():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, app; print(sorted({m.split('.')[0] for m in "
         "sys.modules} & {'PIL', 'av', 'pillow_heif'}))"],
        capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert loaded.strip() == "[]"

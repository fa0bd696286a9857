"""The worker's file handling on its own, no emulator: sniffing, EXIF capture metadata,
colour modes and profiles of the derivatives, QuickTime and sound-only files."""

import io

import av
import pillow_heif
import pytest
from PIL import ExifTags, Image, ImageCms, TiffImagePlugin

from chalicelib.media import sniff as sniffing
from chalicelib.media.analysis import Rejected
from chalicelib.media.images import analyze_image
from chalicelib.media.videos import analyze_video


def ftyp(major: bytes, *compatible: bytes, size: int | None = None) -> bytes:
    body = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return (size if size is not None else 8 + len(body)).to_bytes(4, "big") + b"ftyp" + body


def encoded(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


@pytest.mark.parametrize(("head", "expected"), [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", sniffing.JPEG),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", sniffing.PNG),
    (b"RIFF\x10\x00\x00\x00WEBPVP8 ", sniffing.WEBP),
    (ftyp(b"heic", b"mif1", b"heic"), sniffing.HEIC),                 # iPhone photo
    (ftyp(b"mif1", b"mif1", b"heic"), sniffing.HEIC),                 # generic HEIF, HEVC-coded
    (ftyp(b"qt  ", b"qt  "), sniffing.QUICKTIME),                     # iPhone video
    (b"\x00\x00\x00\x08moov", sniffing.QUICKTIME),                    # QuickTime without ftyp
    (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), sniffing.MP4),
    (ftyp(b"mp42", b"isom", b"mp42"), sniffing.MP4),                  # Android camera
    (ftyp(b"avif", b"mif1", b"miaf"), None),                          # AVIF: not accepted
    (ftyp(b"mif1", b"mif1"), None),                                   # HEIF of an unknown codec
    (ftyp(b"M4A ", b"M4A "), None),                                   # audio
    (ftyp(b"isom", b"isom", size=0), None),                           # "to end of file": no
    (ftyp(b"heic", b"heic", size=12), None),                          # shorter than its header
    (b"GIF89a\x01\x00\x01\x00", None),
    (b"BM6\x00\x00\x00", None),
    (b"II*\x00\x08\x00\x00\x00", None),                               # TIFF
    (b"%PDF-1.7\n", None),
    (b"RIFF\x10\x00\x00\x00WAVEfmt ", None),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
    (b"\xff\xd8", None),                                              # too short to be a JPEG
    (b"", None),
])
def test_sniff_recognises_only_the_accepted_types(head, expected):
    assert sniffing.sniff(head) == expected


def test_sniff_reads_a_real_heic_header():
    pillow_heif.register_heif_opener()
    heic = encoded(Image.new("RGB", (64, 48), "blue"), "HEIF")
    assert sniffing.sniff(heic[:sniffing.SNIFF_BYTES]) == sniffing.HEIC


def exif_with(details: dict | None = None, gps: dict | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif).update(details or {})
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(gps or {})
    return exif


def analysed_jpeg(exif: Image.Exif, image: Image.Image | None = None, **options):
    image = image or Image.new("RGB", (64, 48), "green")
    return analyze_image(io.BytesIO(encoded(image, "JPEG", exif=exif, **options)),
                         sniffing.JPEG)


@pytest.mark.parametrize(("details", "captured_at"), [
    ({ExifTags.Base.DateTimeOriginal: "2024:05:01 14:03:22",
      ExifTags.Base.OffsetTimeOriginal: "-05:00"}, "2024-05-01T19:03:22Z"),
    # No offset: the camera's own clock, without inventing a zone.
    ({ExifTags.Base.DateTimeOriginal: "2024:05:01 14:03:22"}, "2024-05-01T14:03:22"),
    ({ExifTags.Base.DateTimeOriginal: "2024:05:01 14:03:22",
      ExifTags.Base.OffsetTimeOriginal: "local"}, "2024-05-01T14:03:22"),
    ({ExifTags.Base.DateTimeOriginal: "0000:00:00 00:00:00"}, None),
    ({ExifTags.Base.DateTimeOriginal: "    :  :     :  :  "}, None),
    ({}, None),
])
def test_capture_time_from_exif(details, captured_at):
    assert analysed_jpeg(exif_with(details)).captured_at == captured_at


def rational(numerator: int, denominator: int):
    return TiffImagePlugin.IFDRational(numerator, denominator)


@pytest.mark.parametrize(("gps", "expected"), [
    ({1: "S", 2: (33.0, 51.0, 36.0), 3: "E", 4: (151.0, 12.0, 36.0)},
     {"lat": -33.86, "lon": 151.21}),
    ({1: "N", 2: (rational(1, 0), 0.0, 0.0), 3: "E", 4: (1.0, 0.0, 0.0)}, None),  # 1/0
    ({1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (1.0, 0.0, 0.0)}, None),            # off the globe
    ({1: "N", 2: (10.0, 0.0, 0.0)}, None),                                          # no longitude
])
def test_gps_from_exif(gps, expected):
    assert analysed_jpeg(exif_with(gps=gps)).gps == expected


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_a_malformed_exif_block_costs_the_metadata_not_the_photo():
    image = Image.new("RGB", (64, 48), "green")
    analysis = analyze_image(io.BytesIO(encoded(image, "JPEG", exif=b"Exif\x00\x00MM\x00*garbage")),
                             sniffing.JPEG)
    assert (analysis.captured_at, analysis.gps) == (None, None)
    assert set(analysis.derivatives) == {"large", "thumb"}


def derivative(analysis, name="large") -> Image.Image:
    image = Image.open(io.BytesIO(analysis.derivatives[name]))
    image.load()
    return image


def test_a_cmyk_jpeg_becomes_rgb_without_its_cmyk_profile():
    cmyk = encoded(Image.new("CMYK", (64, 48), (0, 255, 255, 0)), "JPEG",
                   icc_profile=b"\x00" * 16 + b"CMYK" + b"\x00" * 108)
    large = derivative(analyze_image(io.BytesIO(cmyk), sniffing.JPEG))
    assert large.mode == "RGB" and "icc_profile" not in large.info


@pytest.mark.parametrize("profile", [b"junk", b"\x00" * 16 + b"RGB " + b"\x00" * 108])
def test_a_profile_that_does_not_parse_is_dropped(profile):
    large = derivative(analysed_jpeg(Image.Exif(), icc_profile=profile))
    assert "icc_profile" not in large.info


def test_a_greyscale_photo_keeps_its_grey_profile():
    grey = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()  # any profile
    grey = grey[:16] + b"GRAY" + grey[20:]
    large = derivative(analysed_jpeg(Image.Exif(), Image.new("L", (64, 48), 90),
                                     icc_profile=grey))
    assert large.mode == "L" and large.info["icc_profile"] == grey


def test_a_palette_png_with_transparency_is_shown_over_white():
    image = Image.new("P", (400, 300), 1)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.info["transparency"] = 1
    analysis = analyze_image(io.BytesIO(encoded(image, "PNG", transparency=1)), sniffing.PNG)
    large = derivative(analysis)
    assert large.mode == "RGB" and large.getpixel((10, 10)) == (255, 255, 255)


def test_a_small_image_is_never_enlarged():
    analysis = analysed_jpeg(Image.Exif(), Image.new("RGB", (200, 100), "green"))
    assert derivative(analysis).size == derivative(analysis, "thumb").size == (200, 100)


def test_a_truncated_png_is_refused():
    png = encoded(Image.effect_noise((300, 300), 64).convert("RGB"), "PNG")
    with pytest.raises(Rejected) as refused:
        analyze_image(io.BytesIO(png[:len(png) // 2]), sniffing.PNG)
    assert refused.value.reason == "truncated"


def test_a_quicktime_movie_is_sniffed_and_read_as_quicktime(tmp_path):
    path = tmp_path / "clip.mov"
    with av.open(str(path), "w", format="mov") as container:
        stream = container.add_stream("mpeg4", rate=5)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        container.metadata["creation_time"] = "2024-05-01T06:03:22.000000Z"
        for _ in range(5):
            for packet in stream.encode(av.VideoFrame.from_image(Image.new("RGB", (160, 120),
                                                                           "blue"))):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    movie = path.read_bytes()
    assert sniffing.sniff(movie[:sniffing.SNIFF_BYTES]) == sniffing.QUICKTIME

    with path.open("rb") as source:
        analysis = analyze_video(source, sniffing.QUICKTIME)
    assert (analysis.width, analysis.height, analysis.duration_seconds) == (160, 120, 1.0)
    assert analysis.captured_at == "2024-05-01T06:03:22Z" and analysis.gps is None
    poster = Image.open(io.BytesIO(analysis.derivatives["large"]))
    assert poster.size == (160, 120) and poster.getpixel((80, 60))[2] > 200


def test_a_file_without_a_picture_is_refused(tmp_path):
    path = tmp_path / "sound.mp4"
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=8000)
        frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
        frame.sample_rate = 8000
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with path.open("rb") as source, pytest.raises(Rejected) as refused:
        analyze_video(source, sniffing.MP4)
    assert refused.value.reason == "no_video_stream"

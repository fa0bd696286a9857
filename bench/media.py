"""Derivatives of a phone photo: the evidence worker against naive Pillow.

    .venv/bin/python -m bench.media [--runs 5]

For a 12 MP and a 48 MP JPEG (camera-like texture, EXIF orientation 6), each run
makes both derivatives (1280 px and 320 px JPEGs) in a fresh subprocess and reports
its wall time for that work and the process's peak memory (ru_maxrss). The worker
(chalicelib.media.images.analyze_image: draft-mode decode, one decode for both sizes)
and naive Pillow (open, ImageOps.exif_transpose, then thumbnail and save per size)
run interleaved, so both see the same machine load. "baseline" is a subprocess that
imports the same modules and reads the file but decodes nothing: peak minus baseline
is what the decoding itself cost. Results: a table on stdout, JSON in bench/results/.
Not part of `make test`.
"""

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = {"12 MP": (4000, 3000), "48 MP": (8000, 6000)}
METHODS = ("worker", "naive", "baseline")
SIZES = (1280, 320)


def make_photo(path: Path, size: tuple[int, int]) -> None:
    """Noise upscaled 4×: grain and detail like a photo's, so it compresses like one."""
    from PIL import ExifTags, Image

    bands = [Image.effect_noise((size[0] // 4, size[1] // 4), 60)
             .resize(size, Image.Resampling.BICUBIC) for _ in range(3)]
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    Image.merge("RGB", bands).save(path, "JPEG", quality=90, exif=exif)


def worker(data: bytes) -> None:
    from chalicelib.media.images import analyze_image
    from chalicelib.media.sniff import JPEG

    analyze_image(io.BytesIO(data), JPEG)


def naive(data: bytes) -> None:
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    for size in SIZES:
        derivative = image.copy()
        derivative.thumbnail((size, size))
        derivative.save(io.BytesIO(), "JPEG", quality=85)


def baseline(data: bytes) -> None:
    """Imports what the others import, and nothing more."""
    import PIL.Image  # noqa: F401
    import PIL.ImageOps  # noqa: F401

    import chalicelib.media.images  # noqa: F401


def run_once(method: str, path: str) -> None:
    """In the measuring subprocess: one run, its numbers as JSON on stdout."""
    sys.path.insert(0, str(ROOT))
    data = Path(path).read_bytes()
    started = time.perf_counter()
    {"worker": worker, "naive": naive, "baseline": baseline}[method](data)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024}))


def measure(method: str, path: Path) -> dict:
    output = subprocess.run([sys.executable, "-m", "bench.media", "--run", method, str(path)],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--run", nargs=2, metavar=("METHOD", "PHOTO"), help=argparse.SUPPRESS)
    parser.add_argument("--make", nargs=3, metavar=("WIDTH", "HEIGHT", "PHOTO"),
                        help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.run:
        run_once(*arguments.run)
        return
    if arguments.make:
        width, height, path = arguments.make
        make_photo(Path(path), (int(width), int(height)))
        return

    results: dict[str, dict[str, list[dict]]] = {photo: {m: [] for m in METHODS}
                                                 for photo in PHOTOS}
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for photo, (width, height) in PHOTOS.items():
            paths[photo] = Path(folder) / f"{width}x{height}.jpg"
            # In a subprocess too: Linux carries a parent's peak RSS into its children.
            subprocess.run([sys.executable, "-m", "bench.media", "--make", str(width),
                            str(height), str(paths[photo])], cwd=ROOT, check=True)
        for _ in range(arguments.runs):  # interleaved: every method in every round
            for photo, path in paths.items():
                for method in METHODS:
                    results[photo][method].append(measure(method, path))
        file_sizes = {photo: path.stat().st_size for photo, path in paths.items()}

    print(f"{arguments.runs} runs each, medians; peak = ru_maxrss of a fresh process")
    print(f"{'photo':<7} {'file':>8} {'method':<9} {'time':>9} {'peak':>9} {'decode':>9}")
    summary = {}
    for photo, by_method in results.items():
        base = statistics.median(run["peak_mib"] for run in by_method["baseline"])
        for method in ("worker", "naive"):
            seconds = statistics.median(run["seconds"] for run in by_method[method])
            peak = statistics.median(run["peak_mib"] for run in by_method[method])
            summary[f"{photo} {method}"] = {"seconds": seconds, "peak_mib": peak,
                                            "above_baseline_mib": peak - base}
            print(f"{photo:<7} {file_sizes[photo] / 1e6:>6.1f}MB {method:<9} "
                  f"{seconds * 1000:>7.0f}ms {peak:>7.0f}MB {peak - base:>7.0f}MB")
        print(f"{photo:<7} {'':>8} {'baseline':<9} {'':>9} {base:>7.0f}MB")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "media.json").write_text(json.dumps({"summary": summary, "runs": results}, indent=2))


if __name__ == "__main__":
    main()

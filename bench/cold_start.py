"""Cold start: importing app.py in a fresh process, against the floor every app on this
stack pays (a minimal Chalice app importing chalice, boto3 and pynamodb).

Also checks that the heavy libraries stay out of the import: twilio, PyJWT's crypto,
Pillow and PyAV load on first use, never at cold start.
"""

import json
import os
import sys

from bench.common import Figure, Section, interleaved, median, report, run_python
from local import config

RUNS = 15
TARGET_RATIO = 1.25
MUST_NOT_LOAD = ("twilio", "jwt", "cryptography", "PIL", "av", "pillow_heif")

FLOOR = "import chalice, boto3, pynamodb.models; app = chalice.Chalice(app_name='floor')"
APP = "import app"
TIMED = """
import time, json, sys
start = time.perf_counter()
{code}
print(json.dumps({{"seconds": time.perf_counter() - start, "modules": sorted(sys.modules)}}))
"""


def stage_env() -> dict[str, str]:
    return {**os.environ, **config.stage_environment("http://127.0.0.1:1", "http://127.0.0.1:1")}


def time_import(code: str, env: dict[str, str]) -> tuple[float, list[str]]:
    result = json.loads(run_python(TIMED.format(code=code), env))
    return result["seconds"], result["modules"]


def main() -> Section:
    env = stage_env()
    loaded: list[str] = []

    def app_import() -> float:
        seconds, modules = time_import(APP, env)
        loaded[:] = modules
        return seconds

    samples = interleaved(RUNS, floor=lambda: time_import(FLOOR, env)[0], app=app_import)
    floor, app = median(samples["floor"]), median(samples["app"])
    heavy = sorted({m.split(".")[0] for m in loaded} & set(MUST_NOT_LOAD))
    figures = [
        Figure("import app.py, fresh process", app * 1000, "ms", floor * 1000,
               "floor (chalice+boto3+pynamodb)", f"≤ {TARGET_RATIO}×",
               app / floor <= TARGET_RATIO),
        Figure("heavy modules loaded at import", len(heavy), "count",
               target="0 (" + ", ".join(MUST_NOT_LOAD) + ")", met=not heavy),
    ]
    return Section("cold start", figures, {
        "runs": RUNS, "floor_s": samples["floor"], "app_s": samples["app"],
        "heavy_modules_loaded_at_import": heavy})


if __name__ == "__main__":
    sys.exit(report(main()))

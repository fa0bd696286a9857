"""Cold start: importing app.py in a fresh process, against the floor every app on this
stack pays (a minimal Chalice app importing chalice, boto3 and pynamodb).

Bytecode decides the figure, so the bench sets it rather than inheriting it (this
machine sets PYTHONDONTWRITEBYTECODE, which would compile the app's modules on every
run while the floor's come compiled from site-packages). Both are measured alike, in
two conditions, each through its own PYTHONPYCACHEPREFIX:

    compiled      every module's .pyc made beforehand (build/bench/pycache): a
                  deployment that ships bytecode; the target applies here
    from source   no .pyc anywhere, none written: Lambda running `chalice package`'s
                  deployment.zip, which holds only .py files on a read-only disk, so
                  every cold start compiles boto3, botocore and the app again

Also checks that the heavy libraries stay out of the import: twilio, PyJWT's crypto,
Pillow and PyAV load on first use, never at cold start.
"""

import json
import os
import sys
import tempfile

from bench.common import WORK, Figure, Section, interleaved, median, report, run_python
from local import config

RUNS = 15
SOURCE_RUNS = 3    # each takes seconds; shown for information
TARGET_RATIO = 1.25
MUST_NOT_LOAD = ("twilio", "jwt", "cryptography", "phonenumbers", "PIL", "av", "pillow_heif")

FLOOR = "import chalice, boto3, pynamodb.models; app = chalice.Chalice(app_name='floor')"
APP = "import app"
TIMED = """
import time, json, sys
start, cpu = time.perf_counter(), time.process_time()
{code}
print(json.dumps({{"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu,
                  "modules": sorted(sys.modules)}}))
"""


def stage_env(pycache: str, write_bytecode: bool) -> dict[str, str]:
    env = {**os.environ, **config.stage_environment("http://127.0.0.1:1", "http://127.0.0.1:1"),
           "PYTHONPYCACHEPREFIX": pycache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env if write_bytecode else {**env, "PYTHONDONTWRITEBYTECODE": "1"}


def time_import(code: str, env: dict[str, str]) -> dict:
    return json.loads(run_python(TIMED.format(code=code), env))


def compare(runs: int, env: dict[str, str]) -> tuple[dict[str, list[dict]], list[str]]:
    """Interleaved runs of floor and app; their results, and the modules the app loaded."""
    results: dict[str, list[dict]] = {"floor": [], "app": []}

    def measure(name: str, code: str):
        def run() -> float:
            results[name].append(time_import(code, env))
            return results[name][-1]["seconds"]
        return run

    interleaved(runs, floor=measure("floor", FLOOR), app=measure("app", APP))
    return results, results["app"][-1]["modules"]


def medians(results: dict[str, list[dict]], key: str) -> tuple[float, float]:
    return (median([run[key] for run in results["floor"]]) * 1000,
            median([run[key] for run in results["app"]]) * 1000)


def main() -> Section:
    compiled_env = stage_env(str(WORK / "pycache"), write_bytecode=True)
    time_import(f"{FLOOR}; {APP}", compiled_env)  # writes every module's .pyc
    compiled, loaded = compare(RUNS, compiled_env)
    with tempfile.TemporaryDirectory() as empty:
        from_source, _ = compare(SOURCE_RUNS, stage_env(empty, write_bytecode=False))
    floor, app = medians(compiled, "seconds")
    cpu_floor, cpu_app = medians(compiled, "cpu_seconds")
    source_floor, source_app = medians(from_source, "seconds")
    heavy = sorted({m.split(".")[0] for m in loaded} & set(MUST_NOT_LOAD))
    figures = [
        Figure("import app.py, fresh process (compiled)", app, "ms", floor,
               "floor (chalice+boto3+pynamodb)", f"≤ {TARGET_RATIO}×",
               app <= TARGET_RATIO * floor),
        # CPU time moves less than wall time when other work shares the machine.
        Figure("  the same in CPU time", cpu_app, "ms", cpu_floor, "floor"),
        Figure("import app.py, from source (as deployed)", source_app, "ms", source_floor,
               "floor, from source"),
        Figure("heavy modules loaded at import", len(heavy), "count",
               target="0 (" + ", ".join(MUST_NOT_LOAD) + ")", met=not heavy),
    ]
    return Section("cold start", figures, {
        "runs": RUNS, "source_runs": SOURCE_RUNS,
        "compiled_s": {name: [round(run["seconds"], 4) for run in runs]
                       for name, runs in compiled.items()},
        "from_source_s": {name: [round(run["seconds"], 4) for run in runs]
                          for name, runs in from_source.items()},
        "heavy_modules_loaded_at_import": heavy})


if __name__ == "__main__":
    sys.exit(report(main()))

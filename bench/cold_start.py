"""Cold start: importing app.py in a fresh process, against the floor every app on this
stack pays (a minimal Chalice app importing chalice, boto3 and pynamodb).

Two measurements. From the package (what Lambda runs): `make package`'s api.zip
extracted, then `import app` plus a first GET /health through an API Gateway proxy
event, in a fresh `python3.13 -I -S -B` with only the package and the standard library
on sys.path (as tests/test_lambda_package.py runs it), against
    (a) the same package with every __pycache__ removed: what Chalice ships by itself,
        compiled from source on every cold start because /var/task is read-only;
    (b) the floor packaged the same way: a minimal Chalice app with one /health route,
        with the very chalice, boto3, botocore, pynamodb (and their dependencies) of
        our package, compiled by infra/package.py like ours.
Targets: with bytecode ÷ without ≤ 0.40; ours ÷ floor ≤ 1.15.

In the virtualenv (the earlier figure, kept):

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
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from bench.common import ROOT, WORK, Figure, Section, interleaved, median, report, run_python
from infra import package as packaging
from local import config

RUNS = 31
SOURCE_RUNS = 3    # each takes seconds; shown for information
PACKAGE_RUNS = 31  # the margin to the target is a few ms, on a shared machine
TARGET_RATIO = 1.15
TARGET_BYTECODE_RATIO = 0.40
DEFAULT_PACKAGE = ROOT / "build" / "package-dev"
# The floor's own distributions, taken from our package: what `chalice package` ships for
# an app that requires boto3 and pynamodb (chalice adds its own runtime module).
FLOOR_TOPS = ("chalice", "boto3", "botocore", "pynamodb", "s3transfer", "jmespath", "dateutil",
              "six.py", "urllib3", "typing_extensions.py")
FLOOR_APP = """from chalice import Chalice
import boto3
import pynamodb.models

app = Chalice(app_name="floor")


@app.route("/health")
def health():
    return {"status": "ok"}
"""
# In the measuring process: import the app and answer one GET /health, timed apart.
PACKAGE_TIMED = """
import json, sys, time
sys.path[:0] = [{task!r}]
start, cpu = time.perf_counter(), time.process_time()
import app
imported, imported_cpu = time.perf_counter(), time.process_time()
event = {event!r}
class Context:
    aws_request_id = "bench"; function_name = "bench"; memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    def get_remaining_time_in_millis(self): return 30000
answer = app.app(event, Context())
assert answer["statusCode"] == 200, answer
done, done_cpu = time.perf_counter(), time.process_time()
print(json.dumps({{"import_s": imported - start, "import_cpu_s": imported_cpu - cpu,
                  "first_request_s": done - imported,
                  "first_request_cpu_s": done_cpu - imported_cpu,
                  "seconds": done - start, "cpu_seconds": done_cpu - cpu}}))
"""
HEALTH_EVENT = {
    "resource": "/health", "path": "/health", "httpMethod": "GET",
    "headers": {"Host": "bench.execute-api.us-east-1.amazonaws.com"},
    "multiValueHeaders": {"Host": ["bench.execute-api.us-east-1.amazonaws.com"]},
    "queryStringParameters": None, "multiValueQueryStringParameters": None,
    "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
    "requestContext": {"resourcePath": "/health", "httpMethod": "GET", "stage": "v1",
                       "requestId": "bench", "path": "/v1/health",
                       "identity": {"sourceIp": "203.0.113.9"}}}
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


def per_round_ratios(ours: list[dict], floor: list[dict]) -> list[float]:
    """Each round runs ours and the floor back to back, so a round's ratio is untouched
    by the machine's drift from one round to the next."""
    return [mine["cpu_seconds"] / theirs["cpu_seconds"]
            for mine, theirs in zip(ours, floor, strict=True)]


def spread_figure(ratios: list[float]) -> Figure:
    """How firm the ratio of the medians above it is."""
    quartiles = statistics.quantiles(ratios, n=4)
    return Figure(f"  per-round CPU ratios to the floor: median (quartiles "
                  f"{quartiles[0]:.2f}-{quartiles[2]:.2f})", median(ratios), "×")


def medians(results: dict[str, list[dict]], key: str) -> tuple[float, float]:
    return (median([run[key] for run in results["floor"]]) * 1000,
            median([run[key] for run in results["app"]]) * 1000)


def package_trees(package_dir: Path, work: Path) -> dict[str, Path]:
    """The three trees measured: ours compiled, ours without bytecode, the floor compiled."""
    ours = work / "ours"
    with zipfile.ZipFile(package_dir / "api.zip") as archive:
        archive.extractall(ours)
    from_source = work / "from-source"
    shutil.copytree(ours, from_source, ignore=shutil.ignore_patterns("__pycache__"))
    floor = work / "floor"
    for top in FLOOR_TOPS:
        source = ours / top
        if source.is_dir():
            shutil.copytree(source, floor / top, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            floor.mkdir(exist_ok=True)
            shutil.copy(source, floor / top)
    (floor / "app.py").write_text(FLOOR_APP)
    packaging.compile_tree(floor, packaging.TASK_ROOT)
    return {"ours": ours, "from_source": from_source, "floor": floor}


def lambda_env() -> dict[str, str]:
    """The API function's stage variables (nothing is called: /health touches no AWS)."""
    return {**config.stage_environment("http://127.0.0.1:1", "http://127.0.0.1:1"),
            "MASSES_STAGE": "dev", "AWS_LAMBDA_FUNCTION_NAME": "bench",
            "AWS_REGION": config.REGION, "AWS_DEFAULT_REGION": config.REGION,
            "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}


def time_package(task: Path) -> dict:
    python = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    code = PACKAGE_TIMED.format(task=str(task), event=HEALTH_EVENT)
    result = subprocess.run([str(python), "-I", "-S", "-B", "-c", code], cwd=task,
                            env=lambda_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"the package did not start:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def package_figures(package_dir: Path) -> tuple[list[Figure], dict]:
    if not (package_dir / "api.zip").exists():
        raise FileNotFoundError(f"{package_dir / 'api.zip'} is missing: run `make package`")
    with tempfile.TemporaryDirectory(prefix="bench-package-") as folder:
        trees = package_trees(package_dir, Path(folder))
        for tree in trees.values():
            time_package(tree)  # the files into the page cache, as on a warm host
        results: dict[str, list[dict]] = {name: [] for name in trees}

        def measure(name: str):
            def run() -> float:
                results[name].append(time_package(trees[name]))
                return results[name][-1]["seconds"]
            return run

        interleaved(PACKAGE_RUNS, **{name: measure(name) for name in trees})
    m = {name: {key: median([run[key] for run in runs]) * 1000 for key in runs[0]}
         for name, runs in results.items()}
    ours, source, floor = m["ours"], m["from_source"], m["floor"]
    paired = per_round_ratios(results["ours"], results["floor"])
    # Judged on CPU time: this machine is shared, and wall time stretches with whatever
    # else runs (the import reads ~2,000 files; their stats queue behind other work).
    figures = [
        Figure("package: import app + first GET /health, CPU", ours["cpu_seconds"], "ms",
               source["cpu_seconds"], "same package without bytecode",
               f"≤ {TARGET_BYTECODE_RATIO}×",
               ours["cpu_seconds"] <= TARGET_BYTECODE_RATIO * source["cpu_seconds"]),
        Figure("package: import app + first GET /health, CPU", ours["cpu_seconds"], "ms",
               floor["cpu_seconds"], "floor package (compiled alike)", f"≤ {TARGET_RATIO}×",
               ours["cpu_seconds"] <= TARGET_RATIO * floor["cpu_seconds"]),
        spread_figure(paired),
        Figure("  the same, wall time", ours["seconds"], "ms", floor["seconds"],
               "floor package"),
        Figure("  the same, wall time", ours["seconds"], "ms", source["seconds"],
               "without bytecode"),
        Figure("  of which import app, CPU", ours["import_cpu_s"], "ms", floor["import_cpu_s"],
               "floor package"),
        Figure("  of which first GET /health, CPU", ours["first_request_cpu_s"], "ms",
               floor["first_request_cpu_s"], "floor package"),
    ]
    details = {"package_runs": PACKAGE_RUNS, "package_medians_ms": m,
               "package_cpu_ratios_to_floor": [round(ratio, 4) for ratio in paired],
               "package_s": {name: [round(run["seconds"], 4) for run in runs]
                             for name, runs in results.items()}}
    return figures, details


def main(package_dir: Path = DEFAULT_PACKAGE) -> Section:
    package, package_details = package_figures(package_dir)
    compiled_env = stage_env(str(WORK / "pycache"), write_bytecode=True)
    time_import(f"{FLOOR}; {APP}", compiled_env)  # writes every module's .pyc
    compiled, loaded = compare(RUNS, compiled_env)
    with tempfile.TemporaryDirectory() as empty:
        from_source, _ = compare(SOURCE_RUNS, stage_env(empty, write_bytecode=False))
    floor, app = medians(compiled, "seconds")
    cpu_floor, cpu_app = medians(compiled, "cpu_seconds")
    source_floor, source_app = medians(from_source, "seconds")
    heavy = sorted({m.split(".")[0] for m in loaded} & set(MUST_NOT_LOAD))
    figures = [*package,
        # Judged on CPU time, as the package is: wall time stretches with whatever else
        # shares the machine.
        Figure("in the virtualenv: import app.py, fresh process (compiled), CPU", cpu_app,
               "ms", cpu_floor, "floor (chalice+boto3+pynamodb)", f"≤ {TARGET_RATIO}×",
               cpu_app <= TARGET_RATIO * cpu_floor),
        spread_figure(per_round_ratios(compiled["app"], compiled["floor"])),
        Figure("  the same, wall time", app, "ms", floor, "floor"),
        Figure("in the virtualenv: import app.py, from source", source_app, "ms", source_floor,
               "floor, from source"),
        Figure("heavy modules loaded at import", len(heavy), "count",
               target="0 (" + ", ".join(MUST_NOT_LOAD) + ")", met=not heavy),
    ]
    return Section("cold start", figures, {
        **package_details, "runs": RUNS, "source_runs": SOURCE_RUNS,
        "compiled_s": {name: [round(run["seconds"], 4) for run in runs]
                       for name, runs in compiled.items()},
        "from_source_s": {name: [round(run["seconds"], 4) for run in runs]
                          for name, runs in from_source.items()},
        "heavy_modules_loaded_at_import": heavy})


if __name__ == "__main__":
    sys.exit(report(main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PACKAGE)))

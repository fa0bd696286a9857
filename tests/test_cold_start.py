"""What `import app` does at a cold start (bench/cold_start.py measures how long it takes;
nothing here is timed): the work every route, table and struct adds at import is kept
small, so it stays small as routes are added.

- Libraries only some routes use load on first use; the SnapStart snapshot warms them
  (chalicelib/snapstart.py), so everything it warms must be something the import skips.
  The evidence worker's code loads only where the worker runs, and the first request
  (logged, as every request is) loads no Powertools.
- Value types are msgspec Structs, not dataclasses or named tuples: those compile their
  generated methods with exec() when their class is made (0.2-0.8 ms each at every
  cold start).
- The objects the import made are frozen out of the cyclic collector, which runs again
  afterwards; otherwise its first pass would scan all ~70,000 of them.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib import snapstart
from local import config

ROOT = Path(__file__).resolve().parents[1]
MEDIA_LIBRARIES = ("PIL", "av", "pillow_heif")
PROBE = """
import dataclasses, gc, json, sys
import app
chalicelib = [module for name, module in list(sys.modules.items())
              if name == "app" or name.startswith("chalicelib")]
print(json.dumps({
    "modules": sorted(sys.modules),
    "dataclasses": sorted(f"{module.__name__}.{name}" for module in chalicelib
                          for name, value in vars(module).items()
                          if isinstance(value, type) and value.__module__ == module.__name__
                          and (dataclasses.is_dataclass(value)
                               or issubclass(value, tuple) and hasattr(value, "_fields"))),
    "gc_enabled": gc.isenabled(),
    "young_objects": len(gc.get_objects()),
    "frozen_objects": gc.get_freeze_count()}))
answer = app.app({"resource": "/health", "path": "/health", "httpMethod": "GET",
                  "headers": {}, "multiValueHeaders": {}, "queryStringParameters": None,
                  "multiValueQueryStringParameters": None, "isBase64Encoded": False,
                  "pathParameters": None, "stageVariables": None, "body": None,
                  "requestContext": {"resourcePath": "/health", "httpMethod": "GET",
                                     "requestId": "cold", "identity": {}}}, None)
print(json.dumps({"status": answer["statusCode"], "modules": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def cold_start() -> dict:
    environment = config.stage_environment("http://127.0.0.1:1", "http://127.0.0.1:1")
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=environment,
                            capture_output=True, text=True, check=True)
    imported, first_request = (json.loads(line) for line in result.stdout.splitlines()
                               if line.startswith('{"') and "_aws" not in line
                               and '"level"' not in line)
    return {**imported, "first_request": first_request}


def test_what_the_snapshot_warms_and_the_media_libraries_are_not_imported(cold_start):
    loaded = set(cold_start["modules"])
    first_use = [*snapstart.WARM_IMPORTS, *MEDIA_LIBRARIES, "cryptography"]

    assert [name for name in first_use if name in loaded] == []


def test_no_workers_handler_is_imported(cold_start):
    """On AWS each worker has a function of its own; the API only declares its trigger."""
    handlers = ("chalicelib.media.handler", "chalicelib.exports.handler",
                "chalicelib.push.handler", "chalicelib.retention.handler")
    assert [name for name in handlers if name in cold_start["modules"]] == []


def test_the_first_request_loads_no_powertools(cold_start):
    """Logs and metrics are the standard library's (chalicelib/observability.py);
    Powertools' package loads its Logger, Metrics and Tracer whatever part is used."""
    first_request = cold_start["first_request"]
    assert first_request["status"] == 200
    assert [name for name in first_request["modules"]
            if name.startswith("aws_lambda_powertools")] == []


def test_the_app_defines_no_dataclass_or_named_tuple(cold_start):
    assert cold_start["dataclasses"] == []


def test_the_collector_runs_and_skips_what_the_import_made(cold_start):
    assert cold_start["gc_enabled"]
    assert cold_start["frozen_objects"] > 10_000
    assert cold_start["young_objects"] < 1_000

"""`chalice local` for the local stage on a free port, against the test session's
emulator and SMS sink: real HTTP, as a phone talks to API Gateway (a pytest plugin,
registered in tests/conftest.py)."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from local import config
from local.emulator import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def local_api(emulator, sms_sink):
    """The base URL of `chalice local`, running for the module's tests."""
    port = free_port()
    # Its request log goes to a file: a pipe nobody reads fills up (64 KB, a few long
    # fuzzed URLs) and then blocks the server in the middle of a request.
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [Path(sys.executable).with_name("chalice"), "local", "--stage", config.STAGE,
             "--host", config.HOST, "--port", str(port), "--no-autoreload"],
            cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=log)
        url = f"http://{config.HOST}:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    requests.get(f"{url}/health", timeout=1)
                    break
                except requests.ConnectionError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        log.seek(0)
                        pytest.fail("no chalice local: "
                                    + log.read()[-2000:].decode(errors="replace"))
                    time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=10)

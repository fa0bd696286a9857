"""`chalice local` for the local stage on a free port, against the test session's
emulator and SMS sink: real HTTP, as a phone talks to API Gateway (a pytest plugin,
registered in tests/conftest.py)."""

import os
import subprocess
import sys
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
    server = subprocess.Popen(
        [Path(sys.executable).with_name("chalice"), "local", "--stage", config.STAGE,
         "--host", config.HOST, "--port", str(port), "--no-autoreload"],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://{config.HOST}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/health", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and server.poll() is None, "no chalice local"
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)

"""scripts/smoke_test.py against the real offline stack (`python -m local.dev`, as
`make dev` runs it), and what it says when a stage does not answer."""

import json
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from support.bulletins import draft
from support.dev_stack import answers_health, dev_environment, dev_ports
from support.waiting import wait_until

from local import config
from local.emulator import free_port

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[1]
SMOKE_TEST = ROOT / "scripts" / "smoke_test.py"


def smoke(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SMOKE_TEST), *arguments], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def dev_stack():
    """`make dev` on free ports: the API's URL, and the environment of that stack."""
    ports = dev_ports()
    env = dev_environment(ports)
    dev = subprocess.Popen([sys.executable, "-m", "local.dev"], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    api = f"http://{config.HOST}:{ports['API_PORT']}"
    try:
        assert wait_until(lambda: answers_health(api), timeout=90, interval=0.5), \
            "chalice local never answered"
        yield api, {**env, **config.stage_environment(
            f"http://{config.HOST}:{ports['MOTO_PORT']}",
            f"http://{config.HOST}:{ports['SMS_SINK_PORT']}")}
    finally:
        dev.send_signal(signal.SIGINT)
        dev.wait(timeout=30)


def officer_token(stack_env: dict[str, str]) -> str:
    """An officer's access token signed with that stack's key (it lives in its emulator)."""
    code = ("from chalicelib.tokens import Principal, issue_access_token; "
            "print(issue_access_token(Principal('smoke-test-officer', 'officer')))")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=stack_env, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_the_smoke_test_passes_against_make_dev(dev_stack):
    api, stack_env = dev_stack
    published = requests.post(f"{api}/bulletins", data=json.dumps(draft("missing_person")),
                              headers={"Content-Type": "application/json",
                                       "Authorization": f"Bearer {officer_token(stack_env)}"},
                              timeout=10)
    assert published.status_code == 201, published.text
    phone = f"+86139{uuid.uuid4().int % 10**8:08d}"

    result = smoke(api, "--phone", phone)

    assert result.returncode == 0, result.stdout + result.stderr
    checked = [line.rsplit("  ", 1)[0] for line in result.stdout.splitlines()
               if line.startswith("ok")]
    assert checked == ["ok    GET /health", "ok    GET /bulletins?limit=1",
                       f"ok    GET /bulletins/{published.json()['id']}",
                       "ok    POST /auth/otp {phone}"]
    assert result.stdout.rstrip().endswith("smoke test passed")
    assert phone not in result.stdout
    sink = (f"http://{config.HOST}:{stack_env['SMS_SINK_PORT']}/2010-04-01/Accounts/"
            f"{config.TWILIO_ACCOUNT_SID}/Messages.json")
    texts = requests.get(sink, params={"To": phone}, timeout=5,
                         auth=(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN)).json()
    assert len(texts["messages"]) == 1


def test_the_smoke_test_fails_loudly_when_the_stage_does_not_answer():
    result = smoke(f"http://{config.HOST}:{free_port()}", "--phone", "+8613800000000")
    assert result.returncode == 1
    assert "FAIL  GET /health: no answer" in result.stdout
    assert "smoke test FAILED: 3 check(s) failed" in result.stdout


def test_the_smoke_test_wants_an_http_url():
    result = smoke("ftp://example.com", "--phone", "+8613800000000")
    assert result.returncode != 0
    assert "must be an http(s) URL" in result.stderr

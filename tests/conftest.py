"""Session fixtures: the emulator and the SMS sink on free ports, the stack created in
the emulator from infra/template.yaml, and the local stage's environment.

The environment is set when this module is imported, before any test imports the
app, because table and queue names are read at import time.
"""

import os
import threading

import pytest
from support.districts import TEST_DISTRICTS

from chalicelib.settings import BEIJING_DISTRICTS
from local import config
from local.emulator import free_port, start_emulator

# The shared fixtures and hooks (tests/support/): the contract check on every answer,
# the AWS call counter, and `chalice local` on a free port.
pytest_plugins = ["support.contract", "support.aws_calls", "support.local_api"]

EMULATOR_PORT = free_port()
SMS_SINK_PORT = free_port()
SNS_PORT = free_port()
PUSH_SINK_PORT = free_port()
os.environ.update(config.stage_environment(f"http://{config.HOST}:{EMULATOR_PORT}",
                                           f"http://{config.HOST}:{SMS_SINK_PORT}",
                                           f"http://{config.HOST}:{SNS_PORT}"))
# Beijing's districts, and one of the stage's districts for each bulletin a test
# publishes (tests/support/bulletins.py), so that a listing by district sees only its
# own test's bulletins.
os.environ["MASSES_DISTRICTS"] = ",".join((*BEIJING_DISTRICTS, *TEST_DISTRICTS))


@pytest.fixture(scope="session")
def push_sink():
    """SNS and the push sink (local/push_sink.py), in this process."""
    from local.push_sink import PushSink

    sink = PushSink(config.HOST, SNS_PORT, PUSH_SINK_PORT).start()
    sink.url = f"http://{config.HOST}:{PUSH_SINK_PORT}"
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def emulator(push_sink):
    """The moto server holding the stack, created the way `make dev` creates it."""
    from local.bootstrap import bootstrap

    process = start_emulator(config.HOST, EMULATOR_PORT)
    try:
        bootstrap()
        yield os.environ["AWS_ENDPOINT_URL"]
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def sms_sink():
    from local.sms_sink import SmsSink

    sink = SmsSink(config.HOST, SMS_SINK_PORT, config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN)
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def app(emulator, sms_sink):
    from app import app as chalice_app
    return chalice_app


@pytest.fixture
def client(app):
    from chalice.test import Client

    with Client(app, stage_name=config.STAGE) as test_client:
        yield test_client


def queue_url_of(queue: str) -> str:
    import boto3

    from chalicelib.settings import resource_name
    return boto3.client("sqs").get_queue_url(QueueName=resource_name(queue))["QueueUrl"]


def pumping(queue_url: str, handler):
    """A local SQS pump in a thread, feeding `handler` as its Lambda's trigger does,
    until the fixture using it ends."""
    from local.pump import Pump

    stop = threading.Event()
    thread = threading.Thread(target=Pump(queue_url, handler).run, args=(stop,), daemon=True)
    thread.start()
    yield queue_url
    stop.set()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def evidence_queue_url(emulator):
    return queue_url_of("evidence")


@pytest.fixture(scope="session")
def export_pump(app, emulator):
    """The exports queue's pump, against the export worker's handler."""
    from chalicelib.exports.handler import handler
    yield from pumping(queue_url_of("exports"), handler)


@pytest.fixture(scope="session")
def pump(app, evidence_queue_url):
    """The local S3→SQS pump, against the handler Lambda runs."""
    from chalicelib.media.handler import handler
    yield from pumping(evidence_queue_url, handler)


@pytest.fixture(scope="session")
def push_queue_url(emulator):
    return queue_url_of("push")


@pytest.fixture(scope="session")
def push_pump(app, push_queue_url):
    """The push queue's pump, against the push worker's handler."""
    from chalicelib.push.handler import handler
    yield from pumping(push_queue_url, handler)

"""The offline stack: bootstrap from the template, presigned upload → S3 notification →
queue → pump → the evidence handler, and SMS through the real twilio client."""

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import boto3
import pytest
import requests
from support.dev_stack import answers_health, dev_environment, dev_ports
from support.evidence import queue_is_idle
from support.waiting import wait_until

from chalicelib.errors import ApiError
from chalicelib.media import worker
from chalicelib.media.s3_events import CreatedObject
from chalicelib.media.uploads import IMAGE_TYPES, start_upload
from chalicelib.settings import resource_name, settings
from local import config
from local.bootstrap import bootstrap


@pytest.fixture
def received(monkeypatch, pump, evidence_queue_url):
    """What reaches the worker through the real pump and handler, once what earlier
    tests uploaded has gone through."""
    assert wait_until(lambda: queue_is_idle(evidence_queue_url), timeout=30)
    objects: list[CreatedObject] = []
    monkeypatch.setattr(worker, "process_object", objects.append)
    return objects


def upload(owner_id: str, content: bytes) -> str:
    ticket = start_upload("report", owner_id, "image/jpeg", len(content), IMAGE_TYPES)
    response = requests.post(ticket["upload"]["url"], data=ticket["upload"]["fields"],
                             files={"file": ("photo.jpg", content, "image/jpeg")}, timeout=10)
    assert response.status_code == 204, response.text
    return ticket["upload"]["fields"]["key"]


def test_bootstrap_is_idempotent_and_follows_the_template(emulator):
    bootstrap()
    bootstrap()
    sqs = boto3.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=resource_name("evidence"))["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(resource_name("evidence-dlq"))
    assert int(redrive["maxReceiveCount"]) == 3
    assert attributes["VisibilityTimeout"] == "720"
    notification = boto3.client("s3").get_bucket_notification_configuration(
        Bucket=settings().evidence_bucket)
    [queue_config] = notification["QueueConfigurations"]
    assert queue_config["QueueArn"] == attributes["QueueArn"]
    assert queue_config["Filter"]["Key"]["FilterRules"][0]["Value"] == "uploads/"
    tables = boto3.client("dynamodb").list_tables()["TableNames"]
    assert {resource_name("audit"), resource_name("media")} <= set(tables)


def test_presigned_upload_reaches_the_handler_within_5_seconds(emulator, received):
    content = b"\xff\xd8\xff" + os.urandom(2048)
    key = upload("r-upload", content)
    assert wait_until(lambda: received, timeout=5), "the upload never reached the handler"
    assert received == [CreatedObject(settings().evidence_bucket, key, len(content))]


def test_a_presigned_post_pins_key_content_type_and_size(emulator):
    # The emulator does not enforce POST policies, so read the signed policy S3 enforces.
    ticket = start_upload("report", "r-pinned", "image/png", 100, IMAGE_TYPES)
    fields = ticket["upload"]["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert {"key": fields["key"]} in policy["conditions"]
    assert {"Content-Type": "image/png"} in policy["conditions"]
    assert ["content-length-range", 1, 100] in policy["conditions"]
    assert fields["key"].startswith("uploads/report/r-pinned/")


@pytest.mark.parametrize(("content_type", "size", "code"), [
    ("text/html", 10, "unsupported_media_type"),
    ("image/jpeg", 0, "invalid_size"),
    ("image/jpeg", 25 * 1024 * 1024 + 1, "file_too_large"),
])
def test_uploads_refuse_unaccepted_types_and_sizes(emulator, content_type, size, code):
    with pytest.raises(ApiError) as refused:
        start_upload("report", "r-refused", content_type, size, IMAGE_TYPES)
    assert refused.value.code == code


def test_the_pump_dead_letters_bad_messages_and_goes_on(emulator, evidence_queue_url, received):
    sqs = boto3.client("sqs")
    for body in ("not json", json.dumps({"Records": "nope"}), json.dumps([1, 2])):
        sqs.send_message(QueueUrl=evidence_queue_url, MessageBody=body)
    key = upload("r-after-garbage", b"\xff\xd8\xff" + b"0" * 64)
    assert wait_until(lambda: [o for o in received if o.key == key], timeout=5)

    dlq_url = sqs.get_queue_url(QueueName=resource_name("evidence-dlq"))["QueueUrl"]
    dead: list[str] = []

    def all_dead_lettered():
        for message in sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=1).get("Messages", []):
            dead.append(message["Body"])
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
        return len(dead) >= 3

    assert wait_until(all_dead_lettered, timeout=20), dead
    assert sorted(dead) == sorted(["not json", '{"Records": "nope"}', "[1, 2]"])


def test_sms_sent_with_the_real_twilio_client_reads_back_from_the_sink(emulator, sms_sink):
    from chalicelib.sms import send_sms

    sid = send_sms("+8613912345678", "Masses 验证码 123456")
    listing = requests.get(
        f"{sms_sink.base_url}/2010-04-01/Accounts/{config.TWILIO_ACCOUNT_SID}/Messages.json",
        params={"To": "+8613912345678"},
        auth=(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN), timeout=5).json()
    assert [(m["sid"], m["body"]) for m in listing["messages"]] == [(sid, "Masses 验证码 123456")]


@pytest.mark.stack
def test_make_dev_runs_all_nine_parts_and_ctrl_c_stops_them(tmp_path):
    ports = dev_ports()
    dev = subprocess.Popen([sys.executable, "-m", "local.dev"], text=True,
                           env=dev_environment(ports, reload=True),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(dev.stdout), daemon=True)
    reader.start()
    try:
        api = f"http://127.0.0.1:{ports['API_PORT']}"
        assert wait_until(lambda: answers_health(api), timeout=90, interval=0.5), \
            "chalice local never answered"
        assert wait_until(lambda: any("Masses runs on loopback" in line for line in lines),
                          timeout=10), "make dev never said what runs where"
        sink = requests.get(f"http://127.0.0.1:{ports['SMS_SINK_PORT']}/2010-04-01/Accounts/"
                            f"{config.TWILIO_ACCOUNT_SID}/Messages.json",
                            auth=(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN), timeout=5)
        assert sink.status_code == 200
        pushes = requests.get(f"http://127.0.0.1:{ports['PUSH_SINK_PORT']}/pushes",
                              params={"token": "nobody"}, timeout=5)
        assert pushes.json() == {"pushes": []}
        site = requests.get(f"http://127.0.0.1:{ports['ADMIN_PORT']}/config.js", timeout=5)
        assert site.text == f'export const API_BASE = "{api}";\n'
        children = subprocess.run(["pgrep", "-P", str(dev.pid)], capture_output=True,
                                  text=True).stdout.split()
        # The emulator, the push sink (SNS), the SMS sink, chalice local, three pumps, the
        # retention schedule, the site.
        assert len(children) == 9, children
        # The retention schedule runs once at start, then every few minutes.
        assert wait_until(lambda: any("purge INFO purged" in line for line in lines),
                          timeout=30), "the retention schedule never ran"
    finally:
        dev.send_signal(signal.SIGINT)
        dev.wait(timeout=30)
        reader.join(timeout=10)
    assert dev.returncode == 0, "".join(lines)
    for pid in children:
        assert not os.path.exists(f"/proc/{pid}") or _is_zombie(pid), f"child {pid} survived"


def _is_zombie(pid: str) -> bool:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] == "Z"


def start_dev(ports: dict[str, int], code: str = "from local.dev import main"):
    return subprocess.Popen([sys.executable, "-c", f"import sys; {code}; sys.exit(main())"],
                            env=dev_environment(ports), text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.stack
def test_make_dev_exits_1_with_the_traceback_when_the_bootstrap_fails():
    ports = dev_ports()
    failing_bootstrap = ("import local.bootstrap\n"
                         "def bootstrap():\n"
                         "    raise RuntimeError('the emulator refused the evidence table')\n"
                         "local.bootstrap.bootstrap = bootstrap\n"
                         "from local.dev import main")
    dev = start_dev(ports, failing_bootstrap)
    try:
        _, stderr = dev.communicate(timeout=60)
    finally:
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGKILL)
    assert dev.returncode == 1, stderr
    assert "Traceback" in stderr
    assert "RuntimeError: the emulator refused the evidence table" in stderr
    assert ("make dev: creating the stack in the emulator (local/bootstrap.py) failed; "
            "stopping the stack") in stderr
    assert not listening(ports["MOTO_PORT"]), "the emulator outlived make dev"


@pytest.mark.stack
def test_make_dev_exits_1_naming_the_part_that_died():
    ports = dev_ports()
    dev = start_dev(ports)
    try:
        api = f"http://127.0.0.1:{ports['API_PORT']}"
        assert wait_until(lambda: answers_health(api), timeout=90, interval=0.5), \
            "chalice local never answered"
        children = subprocess.run(["pgrep", "-P", str(dev.pid)], capture_output=True,
                                  text=True).stdout.split()
        [pump] = [pid for pid in children
                  if Path(f"/proc/{pid}/cmdline").read_text().split("\0")[2:] == ["local.pump", ""]]
        os.kill(int(pump), signal.SIGKILL)
        _, stderr = dev.communicate(timeout=60)
    finally:
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGKILL)
    assert dev.returncode == 1, stderr
    assert (f"make dev: evidence pump (pid {pump}) exited by itself with -9; "
            "stopping the stack") in stderr
    for pid in children:
        assert not os.path.exists(f"/proc/{pid}") or _is_zombie(pid), f"child {pid} survived"

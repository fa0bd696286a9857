"""`make redrive`: an upload whose job dead-lettered during an outage is processed, once,
after the redrive; and on AWS the script drives SQS's own message move task."""

import io
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from PIL import Image
from support.api import caller, file_report, send
from support.evidence import upload
from support.waiting import wait_until

from chalicelib.media import worker
from chalicelib.settings import resource_name
from chalicelib.tables import Media
from scripts import redrive

ROOT = Path(__file__).resolve().parents[1]


def small_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def dead_letter_bodies(sqs) -> list[str]:
    """What waits in the dead-letter queue, read without taking it (visibility 0)."""
    url = sqs.get_queue_url(QueueName=resource_name("evidence-dlq"))["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                   WaitTimeSeconds=1).get("Messages", [])
    return [message["Body"] for message in messages]


def outage(created):
    raise RuntimeError("DynamoDB is unavailable")


def test_a_dead_lettered_upload_is_processed_once_after_the_redrive(client, pump, monkeypatch):
    sqs = boto3.client("sqs")
    real = worker.process_object
    monkeypatch.setattr(worker, "process_object", outage)
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    content = small_jpeg()
    ticket = send(client, "post", f"/reports/{report_id}/evidence", citizen,
                  {"content_type": "image/jpeg", "size": len(content)}).json_body
    key = ticket["upload"]["fields"]["key"]
    media_id = key.rsplit("/", 1)[1]  # S3 URL-encodes the key's slashes in notifications
    upload(ticket["upload"], content, "image/jpeg")

    # Three failed tries (the queue's maxReceiveCount), then the dead-letter queue.
    dead = wait_until(lambda: [b for b in dead_letter_bodies(sqs) if media_id in b], timeout=30)
    assert dead, "the failing upload never reached the dead-letter queue"
    [media] = Media.query(f"report#{report_id}")
    assert media.status == "pending"

    processed: list[str] = []

    def counted(created):
        processed.append(created.key)
        real(created)

    monkeypatch.setattr(worker, "process_object", counted)
    assert redrive.redrive(sqs, "local") >= 1
    assert not [b for b in dead_letter_bodies(sqs) if media_id in b]

    def evidence():
        items = send(client, "get", f"/reports/{report_id}", citizen).json_body["evidence"]
        return items if items and items[0]["status"] != "pending" else None

    [item] = wait_until(evidence)
    assert item["status"] == "ready", item
    assert processed.count(key) == 1
    finished = Media.get(media.owner, media.media_id, consistent_read=True)

    # SQS may deliver the redriven job again: the second delivery changes nothing.
    queue_url = sqs.get_queue_url(QueueName=resource_name("evidence"))["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody=dead[0])
    assert wait_until(lambda: processed.count(key) == 2)
    again = Media.get(media.owner, media.media_id, consistent_read=True)
    assert (again.status, again.processed_at, again.derivatives.as_dict()) == (
        "ready", finished.processed_at, finished.derivatives.as_dict())
    assert len(send(client, "get", f"/reports/{report_id}", citizen).json_body["evidence"]) == 1


def test_make_redrive_local_reports_what_it_moved(emulator):
    result = subprocess.run([sys.executable, "-m", "scripts.redrive", "local"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "back to masses-local-evidence" in result.stdout


def test_on_aws_the_script_starts_a_move_task_and_waits_for_it():
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url="https://sqs.example",
                       aws_access_key_id="x", aws_secret_access_key="x")
    account = "arn:aws:sqs:us-east-1:111122223333"
    urls = {name: f"https://sqs.example/111122223333/{name}"
            for name in ("masses-prod-evidence", "masses-prod-evidence-dlq")}
    with Stubber(sqs) as stub:
        for name in urls:
            stub.add_response("get_queue_url", {"QueueUrl": urls[name]}, {"QueueName": name})
        for name in reversed(list(urls)):
            stub.add_response("get_queue_attributes",
                              {"Attributes": {"QueueArn": f"{account}:{name}"}},
                              {"QueueUrl": urls[name], "AttributeNames": ["QueueArn"]})
        stub.add_response("start_message_move_task", {"TaskHandle": "handle"},
                          {"SourceArn": f"{account}:masses-prod-evidence-dlq",
                           "DestinationArn": f"{account}:masses-prod-evidence"})
        for status, moved in (("RUNNING", 2), ("COMPLETED", 5)):
            stub.add_response("list_message_move_tasks", {"Results": [
                {"Status": status, "ApproximateNumberOfMessagesMoved": moved,
                 "ApproximateNumberOfMessagesToMove": 5}]},
                {"SourceArn": f"{account}:masses-prod-evidence-dlq", "MaxResults": 1})
        waits: list[float] = []
        assert redrive.redrive(sqs, "prod", poll_seconds=3, sleep=waits.append) == 5
        stub.assert_no_pending_responses()
    assert waits == [3]


def test_a_failed_move_task_is_an_error_naming_its_reason():
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url="https://sqs.example",
                       aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(sqs) as stub:
        stub.add_response("start_message_move_task", {"TaskHandle": "handle"})
        stub.add_response("list_message_move_tasks", {"Results": [
            {"Status": "FAILED", "ApproximateNumberOfMessagesMoved": 1,
             "FailureReason": "AccessDenied"}]})
        with pytest.raises(RuntimeError, match="FAILED after 1 messages: AccessDenied"):
            redrive._move_task(sqs, "arn:dlq", "arn:queue", 1, lambda _: None)


def test_the_script_names_the_templates_queues():
    from local.bootstrap import Resolver, load_template, resources_of_type

    template = load_template()
    resolve = Resolver(template, "prod", "us-east-1")
    names = {resolve(q["Properties"]["QueueName"]) for q in
             resources_of_type(template, "AWS::SQS::Queue").values()}
    assert {name for worker in redrive.WORKERS
            for name in redrive.queue_names("prod", worker)} == names

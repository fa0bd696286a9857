"""Moves the jobs waiting in a stage's dead-letter queue back to their queue, so the
worker tries them again: `make redrive STAGE=prod` (evidence jobs), or
`python -m scripts.redrive prod --worker exports` (CSV exports).

On AWS this is SQS's own message move task (StartMessageMoveTask, what the console's
"Start DLQ redrive" does); the script starts it and waits until it ends. The local
emulator (moto) has no move task, so for STAGE=local the script moves the messages
itself, receive → send → delete. Either way a message may arrive twice (SQS is
at-least-once); the worker is idempotent, so a job is processed once.
"""

import argparse
import os
import sys
import time
from collections.abc import Callable

import boto3

MOVE_TASK_ENDED = {"COMPLETED", "CANCELLED", "FAILED"}


WORKERS = ("evidence", "exports")


def queue_names(stage: str, worker: str = "evidence") -> tuple[str, str]:
    """A worker's queue and its dead-letter queue, as infra/template.yaml names them."""
    return f"masses-{stage}-{worker}", f"masses-{stage}-{worker}-dlq"


def redrive(sqs, stage: str, *, worker: str = "evidence", poll_seconds: float = 5,
            sleep: Callable[[float], None] = time.sleep) -> int:
    """Move every message of the worker's dead-letter queue back; how many moved."""
    source_name, dead_letter_name = queue_names(stage, worker)
    source_url = sqs.get_queue_url(QueueName=source_name)["QueueUrl"]
    dead_letter_url = sqs.get_queue_url(QueueName=dead_letter_name)["QueueUrl"]
    if stage == "local":
        return _move_one_by_one(sqs, dead_letter_url, source_url)
    return _move_task(sqs, _arn(sqs, dead_letter_url), _arn(sqs, source_url), poll_seconds, sleep)


def _arn(sqs, queue_url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=queue_url,
                                    AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _move_task(sqs, dead_letter_arn: str, source_arn: str, poll_seconds: float,
               sleep: Callable[[float], None]) -> int:
    sqs.start_message_move_task(SourceArn=dead_letter_arn, DestinationArn=source_arn)
    while True:
        # The newest task on the queue comes first: the one just started.
        [task] = sqs.list_message_move_tasks(SourceArn=dead_letter_arn,
                                             MaxResults=1)["Results"]
        moved = task.get("ApproximateNumberOfMessagesMoved", 0)
        if task["Status"] in MOVE_TASK_ENDED:
            if task["Status"] != "COMPLETED":
                raise RuntimeError(f"the move task ended {task['Status']} after {moved} "
                                   f"messages: {task.get('FailureReason', 'no reason given')}")
            return moved
        print(f"moving: {moved} of about {task.get('ApproximateNumberOfMessagesToMove', '?')}",
              flush=True)
        sleep(poll_seconds)


def _move_one_by_one(sqs, dead_letter_url: str, source_url: str) -> int:
    moved = 0
    while True:
        messages = sqs.receive_message(QueueUrl=dead_letter_url, MaxNumberOfMessages=10,
                                       MessageAttributeNames=["All"],
                                       WaitTimeSeconds=1).get("Messages", [])
        if not messages:
            return moved
        for message in messages:
            # Sent before it is deleted: a crash in between duplicates, never loses.
            extra = ({"MessageAttributes": message["MessageAttributes"]}
                     if message.get("MessageAttributes") else {})
            sqs.send_message(QueueUrl=source_url, MessageBody=message["Body"], **extra)
            sqs.delete_message(QueueUrl=dead_letter_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1


def sqs_client(stage: str):
    """The stage's SQS. For `local`, the emulator `make dev` runs (unless the
    environment already names one), with the emulator's dummy credentials."""
    if stage != "local":
        return boto3.client("sqs")
    from local import config

    endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"http://{config.HOST}:{config.EMULATOR_PORT}"
    return boto3.client("sqs", endpoint_url=endpoint, region_name=config.REGION,
                        aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stage", choices=["local", "dev", "prod"])
    parser.add_argument("--worker", choices=WORKERS, default="evidence")
    arguments = parser.parse_args(argv)
    stage, worker = arguments.stage, arguments.worker
    moved = redrive(sqs_client(stage), stage, worker=worker)
    source, dead_letter = queue_names(stage, worker)
    print(f"moved {moved} message(s) from {dead_letter} back to {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The push queue's jobs: what the API (and the worker itself) asks the worker to do.

Each job is one JSON message, tagged by `kind`. The API sends its jobs after its own
write succeeded; a job that cannot be sent is logged and counted (PushFailures,
reason=enqueue) and the API still answers: the change is made, only its push is lost.
"""

import functools
import logging

import msgspec

from chalicelib import deadlines, observability
from chalicelib.settings import resource_name

logger = logging.getLogger(__name__)
QUEUE = "push"
# SendMessageBatch takes at most ten messages.
BATCH = 10


class _Job(msgspec.Struct, tag_field="kind", forbid_unknown_fields=True):
    pass


class SyncDevice(_Job, tag="sync_device"):
    """Make or mend the device's SNS endpoint, then its alert audiences."""
    user_id: str
    installation_id: str


class SyncUser(_Job, tag="sync_user"):
    """Delete these endpoints (their devices are gone), then bring the user's alert
    audiences in line with their devices and choices."""
    user_id: str
    delete_endpoints: list[str] = []


class ReportUpdate(_Job, tag="report_update"):
    """Tell the reporter's devices that their report has news (never what it is)."""
    event_id: str
    user_id: str
    report_id: str


class AlertPage(_Job, tag="alert_page"):
    """Push an alert (or its outcome) to one page of one shard of its audience."""
    event_id: str
    bulletin_id: str
    category: str
    district: str
    title: str
    outcome: str | None          # set when the alerted bulletin was resolved or retracted
    shard: int
    cursor: dict | None = None   # the page's exclusive start key; None for the first


Job = SyncDevice | SyncUser | ReportUpdate | AlertPage
_decoder = msgspec.json.Decoder(Job)


def decode(body: str | bytes) -> Job:
    """The job in a message body; msgspec.ValidationError / DecodeError when it is not one."""
    return _decoder.decode(body)


@functools.cache
def _queue_url() -> str:
    return _sqs().get_queue_url(QueueName=resource_name(QUEUE))["QueueUrl"]


@functools.cache
def _sqs():
    # One client per process: making one costs more than the call (and boto3's default
    # session is not safe to make clients from in several threads at once).
    return deadlines.aws_client("sqs")


def send(*jobs: Job) -> None:
    """Put jobs on the push queue; raises when SQS does not take them (the worker, whose
    job is then retried)."""
    for start in range(0, len(jobs), BATCH):
        batch = jobs[start:start + BATCH]
        answer = _sqs().send_message_batch(QueueUrl=_queue_url(), Entries=[
            {"Id": str(number), "MessageBody": msgspec.json.encode(job).decode()}
            for number, job in enumerate(batch)])
        if answer.get("Failed"):
            raise RuntimeError(f"SQS refused {len(answer['Failed'])} push jobs: "
                               f"{answer['Failed'][0].get('Code')}")


def send_after_change(*jobs: Job) -> None:
    """Put jobs on the queue after the API's change is written: a failure is logged and
    counted, never raised, so the answer says what was done."""
    try:
        send(*jobs)
    except Exception:
        logger.exception("push jobs not queued", extra={"kinds": [type(job).__name__
                                                                 for job in jobs]})
        observability.count(observability.Metric.PUSH_FAILURES)

"""Feeds a worker locally, the way Lambda's SQS event source does on AWS: the evidence
worker (`python -m local.pump`), the push worker (`python -m local.pump push`) or the CSV
export worker (`python -m local.pump exports`).

It long-polls the worker's queue and hands each message, wrapped in Lambda's SQS event
shape, to the very handler Lambda calls. A message whose handling raises is left on
the queue and comes back; after the queue's maxReceiveCount the emulator moves it to
the dead-letter queue. The pump itself never stops for a bad message.
"""

import contextlib
import logging
import sys
import threading

import boto3

logger = logging.getLogger(__name__)


class Pump:
    def __init__(self, queue_url: str, handler, retry_delay_seconds: int = 1):
        self.sqs = boto3.client("sqs")
        self.queue_url = queue_url
        self.queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.handler = handler
        # Lambda waits out the visibility timeout before a retry; locally a short delay
        # keeps a failing message from pinning the queue for minutes.
        self.retry_delay_seconds = retry_delay_seconds

    def run(self, stop: threading.Event, wait_seconds: int = 1) -> None:
        while not stop.is_set():
            self.poll_once(wait_seconds)

    def poll_once(self, wait_seconds: int) -> int:
        """Receive and handle one batch; the number of messages received."""
        try:
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds,
                AttributeNames=["All"]).get("Messages", [])
        except Exception:
            logger.exception("could not receive from %s", self.queue_url)
            return 0
        for message in messages:
            self.handle(message)
        return len(messages)

    def handle(self, message: dict) -> None:
        try:
            self.handler(self.lambda_event(message), None)
        except Exception:
            logger.exception("handler failed on message %s of %s; it will be retried, "
                             "then dead-lettered", message["MessageId"], self.queue_url)
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=self.retry_delay_seconds)
            return
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def lambda_event(self, message: dict) -> dict:
        return {"Records": [{
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.sqs.meta.region_name,
        }]}


# The queue each worker reads, and its Lambda handler.
WORKERS = {"evidence": ("evidence", "chalicelib.media.handler"),
           "push": ("push", "chalicelib.push.handler"),
           "exports": ("exports", "chalicelib.exports.handler")}


def main() -> None:
    """Run the pump in the foreground (make dev starts each with the local environment)."""
    import importlib

    from chalicelib.settings import resource_name

    queue, module = WORKERS[sys.argv[1] if len(sys.argv) > 1 else "evidence"]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s pump %(levelname)s %(message)s")
    queue_url = boto3.client("sqs").get_queue_url(QueueName=resource_name(queue))["QueueUrl"]
    logger.info("pumping %s into %s.handler", queue_url, module)
    with contextlib.suppress(KeyboardInterrupt):
        Pump(queue_url, importlib.import_module(module).handler).run(threading.Event())


if __name__ == "__main__":
    main()

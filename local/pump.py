"""Feeds the workers locally, the way Lambda's SQS event source does on AWS: the
evidence worker from the evidence queue, the CSV export worker from the exports queue.

Each pump long-polls its queue and hands each message, wrapped in Lambda's SQS event
shape, to the very handler Lambda calls. A message whose handling raises is left on
the queue and comes back; after the queue's maxReceiveCount the emulator moves it to
the dead-letter queue. The pump itself never stops for a bad message.
"""

import contextlib
import logging
import threading

import boto3

logger = logging.getLogger("masses.pump")


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


def pumps() -> list[Pump]:
    """A pump per worker queue, each into the handler its Lambda runs."""
    from chalicelib.exports.handler import handler as export_handler
    from chalicelib.media.handler import handler as evidence_handler
    from chalicelib.settings import resource_name

    sqs = boto3.client("sqs")
    return [Pump(sqs.get_queue_url(QueueName=resource_name(queue))["QueueUrl"], handler)
            for queue, handler in (("evidence", evidence_handler),
                                   ("exports", export_handler))]


def main() -> None:
    """Run the pumps in the foreground (make dev starts them with the local environment)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s pump %(levelname)s %(message)s")
    stop = threading.Event()
    threads = [threading.Thread(target=pump.run, args=(stop,), daemon=True)
               for pump in pumps()]
    for thread in threads:
        thread.start()
    logger.info("pumping the evidence and exports queues into their handlers")
    with contextlib.suppress(KeyboardInterrupt):
        while any(thread.is_alive() for thread in threads):
            threads[0].join(timeout=1)
    stop.set()


if __name__ == "__main__":
    main()

"""The push worker's Lambda entry point: `chalicelib.push.handler.handler`.

A plain `handler(event, context)` over Lambda's SQS event, like the evidence worker's
(chalicelib/media/handler.py): the SendPushes function's zip holds only what this
imports (infra/package.py), and chalicelib/api/push_events.py declares the trigger for
`chalice package`, `chalice local` and the tests. The local pump calls it directly.

A body that is not a job (corrupt, hostile, from an older release) is logged and
consumed: trying it again could not make it one. Anything else that fails raises, SQS
delivers the job again and after maxReceiveCount it waits in the dead-letter queue.
"""

import logging

import msgspec

from chalicelib import deadlines, observability
from chalicelib.push import jobs, worker
from chalicelib.settings import settings

logger = logging.getLogger(__name__)


def handler(event: dict, context) -> None:
    for record in event["Records"]:
        with (observability.context(request_id=observability.request_id_of(None, context),
                                    message_id=record.get("messageId")),
              deadlines.budget(settings().worker_budget_seconds, context)):
            try:
                job = jobs.decode(record["body"])
            except (msgspec.DecodeError, msgspec.ValidationError) as error:
                logger.warning("ignored a message that is not a push job: %s", error)
                observability.count(observability.Metric.PUSH_FAILURES)
                continue
            worker.run(job)

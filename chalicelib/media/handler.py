"""The evidence worker's Lambda entry point: `chalicelib.media.handler.handler`.

A plain `handler(event, context)` over Lambda's raw SQS event, with no Chalice in it,
so the worker's cold start loads only what processing needs (boto3, PynamoDB, the
worker's own modules; Pillow, PyAV and pillow-heif from the media layer on first use)
and none of the API's blueprints. `make package` (infra/package.py) points the
ProcessEvidence function here and gives it a code zip without what only the API uses.

chalicelib/api/evidence_events.py still declares the `@on_sqs_message` trigger, so that
`chalice package` emits the function, its event source mapping and its role; under
`chalice local` and `chalice.test.Client` that declaration calls this same function.
The local pump (local/pump.py) calls it directly, as Lambda does.

Batch size 1, so one bad upload never drags batch mates into retries; a failure
raises (a dependency out of time too: the job has a budget below the function's
timeout, chalicelib/deadlines.py), SQS redelivers, and after the queue's
maxReceiveCount the message waits in the dead-letter queue for ops.
"""

# Imported for what importing them does: each owner of media registers with
# chalicelib.media.owners, which the worker tells of every finished item.
from chalicelib import bulletins, deadlines, observability, reports  # noqa: F401
from chalicelib.media.s3_events import created_objects
from chalicelib.settings import settings


def handler(event: dict, context) -> None:
    # Imported here, not at module load: the API function's Chalice adapter imports
    # this module too, and never runs the worker.
    from chalicelib.media import worker

    for record in event["Records"]:
        # A job out of time raises (DeadlineExceeded): SQS delivers it again, and after
        # maxReceiveCount it waits in the dead-letter queue. Never lost.
        with (observability.evidence_job(record.get("messageId"), context),
              deadlines.budget(settings().worker_budget_seconds, context)):
            for created in created_objects(record["body"]):
                worker.process_object(created)

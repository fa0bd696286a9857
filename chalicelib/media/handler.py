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

Batch size 1: one bad upload never drags batch mates into retries. A failure raises,
SQS redelivers, and after the queue's maxReceiveCount the message waits in the
dead-letter queue for ops.
"""

from chalicelib import observability
from chalicelib.media.s3_events import created_objects


def handler(event: dict, context) -> None:
    # Imported here, not at module load: the API function's Chalice adapter imports
    # this module too, and never runs the worker.
    from chalicelib.media import worker

    for record in event["Records"]:
        with observability.evidence_job(record.get("messageId"), context):
            for created in created_objects(record["body"]):
                worker.process_object(created)

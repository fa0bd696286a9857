"""The evidence worker's trigger: S3 ObjectCreated → SQS → this Lambda.

Batch size 1, so one bad upload never drags batch mates into retries; a failure
raises (a dependency out of time too: the job has a budget below the function's
timeout, chalicelib/deadlines.py), SQS redelivers, and after the queue's
maxReceiveCount the message waits in the dead-letter queue for ops.
"""

from chalice import Blueprint

# Imported for what importing them does: each owner of media registers with
# chalicelib.media.owners, which the worker tells of every finished item.
from chalicelib import bulletins, deadlines, observability, reports  # noqa: F401
from chalicelib.media.s3_events import created_objects
from chalicelib.settings import resource_name, settings

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=resource_name("evidence"), batch_size=1)
def process_evidence(event):
    # Imported here: the API function loads this module too but never runs the worker.
    from chalicelib.media import worker

    for record in event:
        # A job out of time raises (DeadlineExceeded): SQS delivers it again, and after
        # maxReceiveCount it waits in the dead-letter queue. Never lost.
        with (observability.evidence_job(record.to_dict().get("messageId"), event.context),
              deadlines.budget(settings().worker_budget_seconds, event.context)):
            for created in created_objects(record.body):
                worker.process_object(created)

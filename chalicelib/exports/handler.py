"""The export worker's Lambda entry point: `chalicelib.exports.handler.handler`.

A plain handler over Lambda's SQS event, like the evidence worker's, so its zip and
cold start carry none of the API (infra/package.py). chalicelib/api/export_events.py
declares the `@on_sqs_message` trigger for `chalice package`, `chalice local` and the
test client; the local pump calls this function directly.

Batch size 1. A message that is not an export of ours (not JSON, no such job) is
logged and dropped: delivering it again could never succeed. A job already ready is
not written again (SQS delivers at least once). A failure on the way raises, so SQS
delivers the message again; after maxReceiveCount it waits in the dead-letter queue,
and the job stays `running` until a try succeeds.
"""

import json
import logging

import msgspec
from pynamodb.exceptions import UpdateError

from chalicelib import clock, deadlines, observability
from chalicelib.exports import ExportStatus, jobs, writer
from chalicelib.settings import settings
from chalicelib.storage import condition_failed, s3_client
from chalicelib.tables import ExportJob

logger = logging.getLogger(__name__)


def handler(event: dict, context) -> None:
    for record in event["Records"]:
        with (observability.context(message_id=record.get("messageId")),
              deadlines.budget(settings().export_budget_seconds, context)):
            job = _job_of(record.get("body"))
            if job is not None:
                run(job)


def _job_of(body) -> ExportJob | None:
    try:
        export_id = json.loads(body)["export_id"]
    except (TypeError, ValueError, KeyError):
        logger.warning("dropped a message that is not an export job")
        return None
    job = jobs.find(export_id) if isinstance(export_id, str) else None
    if job is None:
        logger.warning("dropped a message naming no export job")
    elif job.status == ExportStatus.READY:
        logger.info("export already written", extra={"export_id": job.export_id})
        return None
    return job


def run(job: ExportJob) -> None:
    job.update(actions=[ExportJob.status.set(ExportStatus.RUNNING)])
    filters = msgspec.convert(job.filters, jobs.ExportFilters)
    rows = 0

    def counted():
        nonlocal rows
        for report in writer.reports(filters):
            rows += 1
            yield writer.row(report)

    key = jobs.object_key(job.export_id)
    writer.upload(s3_client(), settings().evidence_bucket, key, writer.chunks(counted()))
    try:
        job.update(actions=[ExportJob.status.set(ExportStatus.READY), ExportJob.rows.set(rows),
                            ExportJob.object_key.set(key),
                            ExportJob.finished_at.set(clock.now())],
                   condition=ExportJob.status != ExportStatus.READY)
    except UpdateError as error:
        if not condition_failed(error):
            raise
    logger.info("export written", extra={"export_id": job.export_id, "rows": rows})

"""Asking for an export, and seeing it: the job item (table `exports`) and its message
on the `exports` queue."""

import functools
import json
from datetime import date, timedelta
from typing import Annotated

import msgspec
from msgspec import Meta

from chalicelib import audit, clock, deadlines
from chalicelib.audit import AuditAction
from chalicelib.bulletins.fields import District
from chalicelib.errors import ErrorCode, NotFound, ValidationFailed
from chalicelib.exports import ExportStatus
from chalicelib.reports.bodies import ReportCategory, ReportStatus
from chalicelib.reports.evidence import VIEW_URL_SECONDS, presigned_get
from chalicelib.roles import Role
from chalicelib.settings import resource_name
from chalicelib.storage import is_id, new_id
from chalicelib.tables import ExportJob, write_transaction
from chalicelib.tokens import Principal

# The lifecycle rule on exports/ (infra/template.yaml) deletes the CSV after a day.
KEEP = timedelta(hours=24)
QUEUE = "exports"
PREFIX = "exports/"


class ExportFilters(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    status: ReportStatus | None = None
    category: ReportCategory | None = None
    district: District | None = None
    from_: Annotated[date, Meta(description="First UTC day of filing")] | None = msgspec.field(
        name="from", default=None)
    to: Annotated[date, Meta(description="Last UTC day of filing")] | None = None

    def __post_init__(self):
        if self.from_ is not None and self.to is not None and self.from_ > self.to:
            raise ValueError("from is after to")


def start(officer: Principal, filters: ExportFilters) -> ExportJob:
    """The job item and its audit event in one transaction, then the message: a job
    whose message was lost stays queued, visible as such, and is asked for again."""
    if filters.from_ is not None and filters.to is not None and filters.from_ > filters.to:
        raise ValidationFailed("from is after to.", code=ErrorCode.INVALID_PERIOD, field="from")
    now = clock.now()
    job = ExportJob(new_id(), requested_by=officer.user_id,
                    filters=msgspec.to_builtins(filters), status=ExportStatus.QUEUED,
                    created_at=now, expires_at=now + KEEP,
                    ttl=int((now + KEEP).timestamp()))
    with write_transaction() as transaction:
        transaction.save(job, condition=ExportJob.export_id.does_not_exist())
        transaction.save(audit.event(officer, AuditAction.REPORTS_EXPORTED,
                                     f"export#{job.export_id}", job.filters),
                         condition=audit.APPEND_ONLY)
    _sqs().send_message(QueueUrl=_queue_url(), MessageBody=json.dumps(
        {"export_id": job.export_id}))
    return job


def visible(caller: Principal, export_id: str) -> ExportJob:
    """The job, to the officer who asked for it or to an admin; to anyone else, the 404
    a missing one gets."""
    job = find(export_id)
    if job is None or (job.requested_by != caller.user_id and caller.role != Role.ADMIN):
        raise NotFound("No such export.", code=ErrorCode.EXPORT_NOT_FOUND)
    return job


def find(export_id: str) -> ExportJob | None:
    if not is_id(export_id):
        return None
    try:
        return ExportJob.get(export_id, consistent_read=True)
    except ExportJob.DoesNotExist:
        return None


def object_key(export_id: str) -> str:
    return f"{PREFIX}{export_id}.csv"


def view(job: ExportJob) -> dict:
    ready = job.status == ExportStatus.READY
    return {
        "export_id": job.export_id, "status": job.status, "filters": job.filters,
        "created_at": clock.iso(job.created_at), "finished_at": clock.iso(job.finished_at),
        "rows": int(job.rows) if job.rows is not None else None,
        "url": (presigned_get(job.object_key, download_as=f"reports-{job.export_id}.csv")
                if ready else None),
        "url_expires_in": VIEW_URL_SECONDS if ready else None,
        "expires_at": clock.iso(job.expires_at),
    }


@functools.cache
def _sqs():
    return deadlines.aws_client("sqs")


@functools.cache
def _queue_url() -> str:
    return _sqs().get_queue_url(QueueName=resource_name(QUEUE))["QueueUrl"]

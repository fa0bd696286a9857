"""Legal holds: an admin keeps a report past its retention (a court case, a complaint).

A held report is never purged: placing the hold takes it out of the purge-due index in
the same transaction as its audit event and count, and the purge's own mark refuses a
held report. Its originals get an S3 Object Lock legal hold too, so that no one deletes
them by mistake, not even an operator with S3 rights (only s3:PutObjectLegalHold lifts
it). Releasing the hold lifts the locks first, then restarts the report's retention
clock: a closed report falls due its rule's period after the release.
"""

from pynamodb.exceptions import TransactWriteError

from chalicelib import audit, clock
from chalicelib.audit import AuditAction
from chalicelib.clock import iso
from chalicelib.errors import Conflict, ErrorCode
from chalicelib.media import UPLOAD_PREFIX
from chalicelib.reports.evidence import OWNER_TYPE
from chalicelib.reports.store import audit_target, existing
from chalicelib.retention.reports import schedule
from chalicelib.settings import settings
from chalicelib.storage import API_S3, s3_client
from chalicelib.tables import Report, write_transaction
from chalicelib.tokens import Principal
from chalicelib.transparency import Act, count


def place(admin: Principal, report_id: str, reason: str):
    """Holds the report (answers it, held). Placing it again changes nothing but locks
    the originals once more (a first try may have failed after the hold was written)."""
    report = existing(report_id)
    if report.hold is None:
        hold = {"reason": reason, "placed_at": iso(clock.now())}
        _commit(report, [Report.hold.set(hold), Report.purge_queue.remove(),
                         Report.purge_after.remove()],
                Report.hold.does_not_exist() & Report.purging_at.does_not_exist(),
                audit.event(admin, AuditAction.REPORT_HOLD_PLACED, audit_target(report_id),
                            {"reason": reason}), Act.HOLD_PLACED)
        report.hold = hold
    _lock_originals(report_id, "ON")
    return report


def release(admin: Principal, report_id: str):
    """Lifts the hold (answers the report); a report not held is answered as it is."""
    report = existing(report_id)
    if report.hold is None:
        return report
    _lock_originals(report_id, "OFF")
    now = clock.now()
    _commit(report, [Report.hold.remove(), Report.hold_released_at.set(now),
                     *schedule(report.status, now)],
            Report.hold.exists() & Report.purging_at.does_not_exist(),
            audit.event(admin, AuditAction.REPORT_HOLD_RELEASED, audit_target(report_id)),
            Act.HOLD_RELEASED)
    report.hold, report.hold_released_at = None, now
    return report


def _commit(report: Report, actions: list, condition, event, act: Act) -> None:
    try:
        with write_transaction() as transaction:
            transaction.update(report, actions=actions, condition=condition)
            transaction.save(event, condition=audit.APPEND_ONLY)
            count(transaction, act)
    except TransactWriteError as error:
        if not error.cancellation_reasons:
            raise
        raise Conflict("The report's hold changed at the same moment; reload it.",
                       code=ErrorCode.REPORT_CHANGED) from None


def _lock_originals(report_id: str, status: str) -> None:
    """Sets every stored version of the report's originals to legal hold `status` (ON
    or OFF): one ListObjectVersions page per 1,000, one PutObjectLegalHold per version."""
    client, bucket = s3_client(API_S3), settings().evidence_bucket
    for page in client.get_paginator("list_object_versions").paginate(
            Bucket=bucket, Prefix=f"{UPLOAD_PREFIX}{OWNER_TYPE}/{report_id}/"):
        for version in page.get("Versions", ()):
            client.put_object_legal_hold(Bucket=bucket, Key=version["Key"],
                                         VersionId=version["VersionId"],
                                         LegalHold={"Status": status})

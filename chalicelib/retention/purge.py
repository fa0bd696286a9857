"""The retention schedule: purge what has fallen due (chalicelib/retention/).

A run Queries each table's sparse `purge-due` index for what is due by now (never the whole table),
reads each item again and decides from the item itself, then purges it:

1. the report is marked `purging_at` and loses every listing key in one conditional
   UpdateItem (not held, not changed since it was read): from then on it is in no list
   (the citizen's, the officers' queue and inbox, a bulletin's clues, nearby) and opens
   as a missing report, though its parts are still being deleted;
2. every version of its originals and derivatives, and every delete marker, is
   deleted from S3 (ListObjectVersions of the report's two prefixes, DeleteObjects);
3. its Media records, then its messages, are deleted;
4. the report item is deleted in one transaction with its audit event and its count.

Each step is idempotent and the report stays in the index until step 4, so a run that
fails midway (an S3 error, a timeout) leaves the report marked and hidden, and the next
run finishes it. A report under legal hold is never marked: the mark's condition says
so, and a held original's version cannot be deleted anyway (Object Lock). Rejected
evidence and unused tickets are purged alone the same way: S3 first, then the record
(and the report's summary of it) with its audit event.
"""

import logging
from datetime import datetime

from botocore.exceptions import ClientError
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from chalicelib import audit, clock, retention
from chalicelib.audit import AuditAction
from chalicelib.media import DERIVATIVE_PREFIX, UPLOAD_PREFIX, owner_key
from chalicelib.reports.evidence import OWNER_TYPE
from chalicelib.reports.store import audit_target
from chalicelib.retention import Rule
from chalicelib.retention.reports import report_due, report_rule
from chalicelib.roles import ActorRole
from chalicelib.settings import settings
from chalicelib.storage import condition_failed, s3_client
from chalicelib.tables import Media, Message, Report, write_transaction
from chalicelib.tokens import Principal
from chalicelib.transparency import Act, count

logger = logging.getLogger(__name__)

# The audit trail's actor for what the schedule does.
SCHEDULE = Principal(user_id="retention-schedule", role=ActorRole.SYSTEM)
# Items per index per run; the schedule runs again soon (infra/template.yaml).
BATCH = 100
# The keys a report is listed by: removed when its purge starts.
LISTING_KEYS = ("reporter_id", "queue_key", "bulletin_id", "inbox", "waiting_since",
                "place_cell")


class PurgeIncomplete(Exception):
    """Some items could not be purged in this run; the next run goes on with them."""


def run(now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Purges what is due by `now`; answers how many reports and evidence items went.
    Raises PurgeIncomplete (after trying every item) if any failed, so the failure is
    seen (the function's errors alarm) and the next run resumes it."""
    now = now or clock.now()
    failed = 0
    done = {"reports": 0, "evidence": 0}
    for key in Report.purge_due.query(retention.DUE, Report.purge_after <= now, limit=batch):
        try:
            done["reports"] += purge_report(key.report_id, now)
        except Exception:
            logger.exception("purging report %s failed; the next run resumes it",
                             key.report_id)
            failed += 1
    for key in Media.purge_due.query(retention.DUE, Media.purge_after <= now, limit=batch):
        try:
            done["evidence"] += purge_media(key.owner, key.media_id, now)
        except Exception:
            logger.exception("purging media %s failed; the next run resumes it", key.media_id)
            failed += 1
    logger.info("retention run", extra={**done, "failed": failed})
    if failed:
        raise PurgeIncomplete(f"{failed} items were not purged; the next run resumes them")
    return done


# --- reports -----------------------------------------------------------------------------

def purge_report(report_id: str, now: datetime) -> bool:
    """Purges one report if it is due; True if it was purged by this call."""
    try:
        report = Report.get(report_id, consistent_read=True)
    except DoesNotExist:
        return False
    if report.purging_at is None and not _mark(report, now):
        return False
    rule = Rule(report.purge_rule)
    _delete_versions(f"{UPLOAD_PREFIX}{OWNER_TYPE}/{report_id}/",
                     f"{DERIVATIVE_PREFIX}{OWNER_TYPE}/{report_id}/")
    with Media.batch_write() as batch:
        for media in Media.query(owner_key(OWNER_TYPE, report_id)):
            batch.delete(media)
    with Message.batch_write() as batch:
        for message in Message.query(report_id):
            batch.delete(message)
    try:
        with write_transaction() as transaction:
            transaction.delete(report, condition=Report.purging_at.exists())
            transaction.save(_purged_event(AuditAction.REPORT_PURGED, audit_target(report_id),
                                           rule, {"category": report.category}),
                             condition=audit.APPEND_ONLY)
            count(transaction, Act.REPORT_PURGED)
    except TransactWriteError:
        if Report.count(report_id, consistent_read=True):
            raise
        return False  # another run finished it meanwhile
    logger.info("report purged", extra={"report_id": report_id, "rule": rule})
    return True


def _mark(report: Report, now: datetime) -> bool:
    """Starts the purge of a due report: hidden from every list, with the rule it goes
    by. False (and the index put right) if it is not due after all."""
    rule = report_rule(report.status)
    due = report_due(report)
    unchanged = (Report.updated_at == report.updated_at) & (Report.status == report.status) \
        & Report.hold.does_not_exist() & Report.purging_at.does_not_exist()
    unchanged &= (Report.last_message_at == report.last_message_at
                  if report.last_message_at else Report.last_message_at.does_not_exist())
    if report.hold is not None or rule is None or due > now:
        # Held (the hold should have taken it out), reopened, or changed since: a new
        # date, or out of the index.
        actions = ([Report.purge_after.set(due)] if rule and report.hold is None
                   else [Report.purge_queue.remove(), Report.purge_after.remove()])
        _update_if(report, actions, unchanged | Report.hold.exists())
        return False
    marked = _update_if(report, [Report.purging_at.set(now), Report.purge_rule.set(rule),
                                 *(getattr(Report, key).remove() for key in LISTING_KEYS)],
                        unchanged)
    if marked:
        report.purge_rule = rule
    return marked


def _update_if(item, actions: list, condition) -> bool:
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False  # it changed meanwhile; the next run reads it again
    return True


# --- evidence on its own -----------------------------------------------------------------

def purge_media(owner: str, media_id: str, now: datetime) -> bool:
    """Purges one rejected item or unused ticket if it is due; True if it was purged."""
    try:
        media = Media.get(owner, media_id, consistent_read=True)
    except DoesNotExist:
        return False
    owner_type, _, owner_id = owner.partition("#")
    due = retention.evidence_due(media)
    held = owner_type == OWNER_TYPE and _held(owner_id)
    if due is None or held or due > now:
        actions = ([Media.purge_after.set(due)] if due and not held
                   else [Media.purge_queue.remove(), Media.purge_after.remove()])
        _update_if(media, actions, Media.status == media.status)
        return False
    # Derivatives mirror the original's key (chalicelib/media/worker.py); a rejected
    # item has none, but a late delivery may have written some.
    _delete_versions(media.object_key, DERIVATIVE_PREFIX
                     + media.object_key.removeprefix(UPLOAD_PREFIX) + "/")
    try:
        with write_transaction() as transaction:
            transaction.delete(media, condition=Media.status == media.status)
            if owner_type == OWNER_TYPE:
                transaction.update(Report(owner_id),
                                   actions=[Report.evidence[media_id].remove()],
                                   condition=Report.report_id.exists())
            transaction.save(_purged_event(AuditAction.EVIDENCE_PURGED, f"{owner_type}#{owner_id}",
                                           Rule.FAILED_EVIDENCE,
                                           {"media_id": media_id, "status": media.status}),
                             condition=audit.APPEND_ONLY)
            count(transaction, Act.EVIDENCE_PURGED)
    except TransactWriteError:
        if Media.count(owner, Media.media_id == media_id, consistent_read=True):
            raise  # changed meanwhile (processed late): the next run reads it again
        return False
    return True


def _held(report_id: str) -> bool:
    try:
        return Report.get(report_id, consistent_read=True, attributes_to_get=["hold"]) \
            .hold is not None
    except DoesNotExist:
        return False


# --- shared ------------------------------------------------------------------------------

def _purged_event(action: AuditAction, target: str, rule: Rule, details: dict):
    return audit.event(SCHEDULE, action, target,
                       {"rule": rule.value, "days": retention.days(rule), **details})


def _delete_versions(*prefixes: str) -> None:
    """Deletes every version and delete marker under each prefix: one ListObjectVersions
    page and one DeleteObjects call per 1,000. Raises if S3 refused any (a version
    under legal hold is refused), so the item is not deleted before its objects."""
    client, bucket = s3_client(), settings().evidence_bucket
    for prefix in prefixes:
        for page in client.get_paginator("list_object_versions").paginate(
                Bucket=bucket, Prefix=prefix):
            versions = [{"Key": item["Key"], "VersionId": item["VersionId"]}
                        for item in (*page.get("Versions", ()), *page.get("DeleteMarkers", ()))]
            if not versions:
                continue
            answer = client.delete_objects(Bucket=bucket,
                                           Delete={"Objects": versions, "Quiet": True})
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise ClientError({"Error": {"Code": first.get("Code"),
                                             "Message": first.get("Message")}},
                                  "DeleteObjects")

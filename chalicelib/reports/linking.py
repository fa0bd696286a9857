"""Duplicates: several reports of one event, worked once.

An officer links a report (the duplicate) to another (the primary). Both sides record
it: the duplicate's `duplicate_of`, the primary's `duplicates` set. The duplicate
leaves the triage queue (its queue key is no status's) and takes the primary's status;
from then on every status move of the primary moves its duplicates in the same
transaction (status_moves), and its reporter's view shows the notes the primary's
reporter gets (views.citizen_view). Each reporter keeps their own report and alias and
sees only "handled together with another report": never the other report, its id, or
its reporter.

Links are one level deep: a primary is never a duplicate, and a duplicate never has
duplicates, so a status move reaches every linked report in one transaction. Linking,
unlinking and status moves are transactions conditional on what was read, so two
concurrent links of one report, or a link racing a status move, cannot both win; the
primary's `links` counter changes with every link and unlink, and a status move
conditions on it.
"""

from datetime import datetime

from pynamodb.expressions.condition import Condition

from chalicelib import audit, clock, stats
from chalicelib.audit import AuditAction
from chalicelib.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from chalicelib.reports.bodies import ReportStatus
from chalicelib.reports.evidence import OPEN_STATUSES
from chalicelib.reports.store import audit_target, existing, find, queue_key, update_with_audit
from chalicelib.retention import reports as retention_dates
from chalicelib.tables import Report
from chalicelib.tokens import Principal

# A status move writes the primary, each duplicate and one audit event in one
# transaction, which takes at most 100 items.
MAX_DUPLICATES = 25
# The queue partition of a linked duplicate: no triage page ever reads it.
LINKED = "duplicate"


def duplicates_of(report: Report) -> list[str]:
    return sorted(report.duplicates or ())


def reporters_of_duplicates(primary: Report) -> list[tuple[str, str]]:
    """(report id, reporter id) of each duplicate linked to `primary`: one BatchGetItem,
    none when it has no duplicates."""
    return sorted((duplicate.report_id, duplicate.reporter_id) for duplicate in Report.batch_get(
        duplicates_of(primary), attributes_to_get=["report_id", "reporter_id"]))


def links_unchanged(report: Report) -> Condition:
    if report.links is None:
        return Report.links.does_not_exist()
    return Report.links == report.links


def status_moves(primary: Report, status: str, now: datetime, *,
                 final: bool = False) -> list[tuple]:
    """The updates that move the primary's duplicates to `status` with it; a final
    status closes their conversations too (closed_at), as it does the primary's."""
    actions = [Report.status.set(status), Report.updated_at.set(now)]
    if final:
        actions += [Report.closed_at.set(now), *retention_dates.schedule(status, now)]
    return [(Report(duplicate_id), actions, Report.duplicate_of == primary.report_id)
            for duplicate_id in duplicates_of(primary)]


def primary_of(report: Report) -> Report | None:
    """The primary a duplicate is handled with (for its reporter's view of the notes)."""
    return find(report.duplicate_of) if report.duplicate_of else None


# What JSON Schema cannot say of POST .../duplicate-of (the route declares it).
RULES = {ErrorCode.CANNOT_LINK_TO_SELF: "report_id names another report than the path's"}


def link(officer: Principal, report_id: str, primary_id: str) -> Report:
    """Link report_id to primary_id; answers the duplicate. Linking it again to the same
    primary changes nothing."""
    if report_id == primary_id:
        raise ValidationFailed("A report cannot duplicate itself.",
                               code=ErrorCode.CANNOT_LINK_TO_SELF, field="report_id")
    duplicate = existing(report_id)
    primary = find(primary_id)
    if primary is None:
        raise NotFound("No report has this report_id.", code=ErrorCode.PRIMARY_NOT_FOUND)
    if duplicate.duplicate_of == primary_id:
        return duplicate
    _check_can_link(duplicate, primary)
    now = clock.now()
    duplicate_actions = [
        Report.duplicate_of.set(primary_id), Report.status_before_link.set(duplicate.status),
        Report.status.set(primary.status),
        Report.queue_key.set(queue_key(LINKED, duplicate.category)),
        Report.updated_at.set(now)]
    if primary.closed_at is not None:  # a closed primary's duplicates close with it
        duplicate_actions.append(Report.closed_at.set(now))
    duplicate_condition = (Report.duplicate_of.does_not_exist()
                           & Report.duplicates.does_not_exist()
                           & (Report.status == duplicate.status))
    primary_actions = [Report.duplicates.add({report_id}), Report.links.add(1),
                       Report.updated_at.set(now)]
    # The primary's status as read is what the duplicate takes: a status move meanwhile
    # fails this link rather than leave the duplicate behind.
    primary_condition = (Report.duplicate_of.does_not_exist()
                         & (Report.status == primary.status) & links_unchanged(primary))
    event = audit.event(officer, AuditAction.REPORT_LINKED_AS_DUPLICATE, audit_target(report_id),
                        {"primary_id": primary_id})
    update_with_audit(duplicate, duplicate_actions, duplicate_condition, [event],
                      [(primary, primary_actions, primary_condition)],
                      counting=lambda transaction: stats.count_queue_move(
                          transaction, duplicate.category, duplicate.status, None))
    duplicate.duplicate_of, duplicate.status_before_link = primary_id, duplicate.status
    duplicate.status, duplicate.updated_at = primary.status, now
    if primary.closed_at is not None:
        duplicate.closed_at = now
    duplicate.queue_key = queue_key(LINKED, duplicate.category)
    return duplicate


def unlink(officer: Principal, report_id: str) -> Report:
    """The duplicate goes back to the queue with the status it had before it was
    linked; answers it. Unlinking a report that is not linked changes nothing."""
    duplicate = existing(report_id)
    primary_id = duplicate.duplicate_of
    if primary_id is None:
        return duplicate
    restored = duplicate.status_before_link or ReportStatus.SUBMITTED
    now = clock.now()
    duplicate_actions = [
        Report.duplicate_of.remove(), Report.status_before_link.remove(),
        Report.status.set(restored), Report.queue_key.set(queue_key(restored,
                                                                    duplicate.category)),
        Report.updated_at.set(now)]
    # Back to the status it had: its conversation is open again unless that was final.
    reopened = duplicate.closed_at is not None and restored in OPEN_STATUSES
    if reopened:
        duplicate_actions.append(Report.closed_at.remove())
    primary_actions = [Report.duplicates.delete({report_id}), Report.links.add(1),
                       Report.updated_at.set(now)]
    event = audit.event(officer, AuditAction.REPORT_UNLINKED, audit_target(report_id),
                        {"primary_id": primary_id})
    update_with_audit(duplicate, duplicate_actions, Report.duplicate_of == primary_id, [event],
                      [(Report(primary_id), primary_actions,
                        Report.duplicates.contains(report_id))],
                      counting=lambda transaction: stats.count_queue_move(
                          transaction, duplicate.category, None, restored))
    duplicate.duplicate_of = duplicate.status_before_link = None
    duplicate.status, duplicate.updated_at = restored, now
    if reopened:
        duplicate.closed_at = None
    duplicate.queue_key = queue_key(restored, duplicate.category)
    return duplicate


def _check_can_link(duplicate: Report, primary: Report) -> None:
    if duplicate.duplicate_of is not None:
        raise Conflict("This report is already linked to another; unlink it first.",
                       code=ErrorCode.ALREADY_LINKED)
    if duplicate.duplicates:
        raise Conflict("Other reports are linked to this one; link them to the primary "
                       "instead.", code=ErrorCode.REPORT_HAS_DUPLICATES)
    if primary.duplicate_of is not None:
        raise Conflict("That report is itself a duplicate; link to its primary.",
                       code=ErrorCode.PRIMARY_IS_DUPLICATE)
    if len(primary.duplicates or ()) >= MAX_DUPLICATES:
        raise Conflict(f"A report takes at most {MAX_DUPLICATES} duplicates.",
                       code=ErrorCode.TOO_MANY_DUPLICATES)

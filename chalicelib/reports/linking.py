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

from datetime import UTC, datetime

from pynamodb.expressions.condition import Condition

from chalicelib import audit
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.reports.store import audit_target, existing, find, queue_key, update_with_audit
from chalicelib.tables import Report
from chalicelib.tokens import Principal

# A status move writes the primary, each duplicate and one audit event in one
# transaction, which takes at most 100 items.
MAX_DUPLICATES = 25
# The queue partition of a linked duplicate: no triage page ever reads it.
LINKED = "duplicate"


def duplicates_of(report: Report) -> list[str]:
    return sorted(report.duplicates or ())


def links_unchanged(report: Report) -> Condition:
    if report.links is None:
        return Report.links.does_not_exist()
    return Report.links == report.links


def status_moves(primary: Report, status: str, now: datetime) -> list[tuple]:
    """The updates that move the primary's duplicates to `status` with it."""
    return [(Report(duplicate_id), [Report.status.set(status), Report.updated_at.set(now)],
             Report.duplicate_of == primary.report_id)
            for duplicate_id in duplicates_of(primary)]


def primary_of(report: Report) -> Report | None:
    """The primary a duplicate is handled with (for its reporter's view of the notes)."""
    return find(report.duplicate_of) if report.duplicate_of else None


def link(officer: Principal, report_id: str, primary_id: str) -> Report:
    """Link report_id to primary_id; answers the duplicate. Linking it again to the same
    primary changes nothing."""
    if report_id == primary_id:
        raise ValidationFailed("A report cannot duplicate itself.", code="cannot_link_to_self",
                               field="report_id")
    duplicate = existing(report_id)
    primary = find(primary_id)
    if primary is None:
        raise NotFound("No report has this report_id.", code="primary_not_found")
    if duplicate.duplicate_of == primary_id:
        return duplicate
    _check_can_link(duplicate, primary)
    now = datetime.now(UTC)
    duplicate_actions = [
        Report.duplicate_of.set(primary_id), Report.status_before_link.set(duplicate.status),
        Report.status.set(primary.status),
        Report.queue_key.set(queue_key(LINKED, duplicate.category)),
        Report.updated_at.set(now)]
    duplicate_condition = (Report.duplicate_of.does_not_exist()
                           & Report.duplicates.does_not_exist()
                           & (Report.status == duplicate.status))
    primary_actions = [Report.duplicates.add({report_id}), Report.links.add(1),
                       Report.updated_at.set(now)]
    # The primary's status as read is what the duplicate takes: a status move meanwhile
    # fails this link rather than leave the duplicate behind.
    primary_condition = (Report.duplicate_of.does_not_exist()
                         & (Report.status == primary.status) & links_unchanged(primary))
    event = audit.event(officer, "report.linked_as_duplicate", audit_target(report_id),
                        {"primary_id": primary_id})
    update_with_audit(duplicate, duplicate_actions, duplicate_condition, [event],
                      [(primary, primary_actions, primary_condition)])
    duplicate.duplicate_of, duplicate.status_before_link = primary_id, duplicate.status
    duplicate.status, duplicate.updated_at = primary.status, now
    duplicate.queue_key = queue_key(LINKED, duplicate.category)
    return duplicate


def unlink(officer: Principal, report_id: str) -> Report:
    """The duplicate goes back to the queue with the status it had before it was
    linked; answers it. Unlinking a report that is not linked changes nothing."""
    duplicate = existing(report_id)
    primary_id = duplicate.duplicate_of
    if primary_id is None:
        return duplicate
    restored = duplicate.status_before_link or "submitted"
    now = datetime.now(UTC)
    duplicate_actions = [
        Report.duplicate_of.remove(), Report.status_before_link.remove(),
        Report.status.set(restored), Report.queue_key.set(queue_key(restored,
                                                                    duplicate.category)),
        Report.updated_at.set(now)]
    primary_actions = [Report.duplicates.delete({report_id}), Report.links.add(1),
                       Report.updated_at.set(now)]
    event = audit.event(officer, "report.unlinked", audit_target(report_id),
                        {"primary_id": primary_id})
    update_with_audit(duplicate, duplicate_actions, Report.duplicate_of == primary_id, [event],
                      [(Report(primary_id), primary_actions,
                        Report.duplicates.contains(report_id))])
    duplicate.duplicate_of = duplicate.status_before_link = None
    duplicate.status, duplicate.updated_at = restored, now
    duplicate.queue_key = queue_key(restored, duplicate.category)
    return duplicate


def _check_can_link(duplicate: Report, primary: Report) -> None:
    if duplicate.duplicate_of is not None:
        raise Conflict("This report is already linked to another; unlink it first.",
                       code="already_linked")
    if duplicate.duplicates:
        raise Conflict("Other reports are linked to this one; link them to the primary "
                       "instead.", code="report_has_duplicates")
    if primary.duplicate_of is not None:
        raise Conflict("That report is itself a duplicate; link to its primary.",
                       code="primary_is_duplicate")
    if len(primary.duplicates or ()) >= MAX_DUPLICATES:
        raise Conflict(f"A report takes at most {MAX_DUPLICATES} duplicates.",
                       code="too_many_duplicates")

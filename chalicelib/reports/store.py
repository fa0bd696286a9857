"""The few helpers every side of reports shares: finding a report item, its queue
partition and its evidence summaries."""

from collections.abc import Callable

from pynamodb.attributes import MapAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib import audit
from chalicelib.errors import Conflict, ErrorCode, NotFound
from chalicelib.storage import TRANSACTION_CONDITION_FAILED, is_id
from chalicelib.tables import AuditEvent, Report, run_transaction


def find(report_id: str) -> Report | None:
    if not is_id(report_id):
        return None
    try:
        return Report.get(report_id, consistent_read=True)
    except DoesNotExist:
        return None


def existing(report_id: str) -> Report:
    found = find(report_id)
    if found is None:
        raise NotFound("No such report.", code=ErrorCode.REPORT_NOT_FOUND)
    return found


def queue_key(status: str, category: str) -> str:
    """The triage queue partition a report sits in."""
    return f"{status}#{category}"


def audit_target(report_id: str) -> str:
    return f"report#{report_id}"


def evidence_of(report: Report) -> dict[str, dict]:
    """Evidence id → summary. A report read from DynamoDB holds a MapAttribute, a new
    one the plain dict it was made with."""
    evidence = report.evidence
    return evidence.as_dict() if isinstance(evidence, MapAttribute) else dict(evidence)


def update_with_audit(item: Report, actions: list, condition: Condition,
                       events: list[AuditEvent],
                       also: list[tuple[Report, list, Condition]] = (),
                       counting: Callable[[TransactWrite], None] | None = None) -> None:
    """One transaction: the change (and `also`, more reports' updates) happens with its
    audit events and the counters `counting` adds (chalicelib/stats.py), or none of it
    does."""
    def build(transaction: TransactWrite) -> None:
        transaction.update(item, actions=actions, condition=condition)
        for other, other_actions, other_condition in also:
            transaction.update(other, actions=other_actions, condition=other_condition)
        for event in events:
            transaction.save(event, condition=audit.APPEND_ONLY)
        if counting is not None:
            counting(transaction)

    try:
        run_transaction(build)
    except TransactWriteError as error:
        reasons = {reason.code for reason in error.cancellation_reasons if reason}
        if reasons & {TRANSACTION_CONDITION_FAILED, "TransactionConflict"}:
            raise Conflict("The report changed while you worked on it; reload it and try "
                           "again.", code=ErrorCode.REPORT_CHANGED) from None
        raise

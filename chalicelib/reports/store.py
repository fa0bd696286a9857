"""The few helpers every side of reports shares: finding a report item, its queue
partition, its evidence summaries, and telling a failed condition from other errors."""

import re
from datetime import UTC, datetime

from pynamodb.attributes import MapAttribute
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition

from chalicelib import audit
from chalicelib.errors import Conflict, NotFound
from chalicelib.tables import AuditEvent, Report, write_transaction

# Report ids are uuid4 hex; anything else is answered 404 without a DynamoDB call (and
# can never reach DynamoDB's key limits as a 500).
_REPORT_ID = re.compile(r"[0-9a-f]{32}")


def find(report_id: str) -> Report | None:
    if not _REPORT_ID.fullmatch(report_id):
        return None
    try:
        return Report.get(report_id, consistent_read=True)
    except DoesNotExist:
        return None


def existing(report_id: str) -> Report:
    found = find(report_id)
    if found is None:
        raise NotFound("No such report.", code="report_not_found")
    return found


def iso(moment: datetime) -> str:
    """ISO 8601 UTC, as every time in the API is written."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


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


def condition_failed(error: PynamoDBException) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


def update_with_audit(item: Report, actions: list, condition: Condition,
                       events: list[AuditEvent],
                       also: list[tuple[Report, list, Condition]] = ()) -> None:
    """One transaction: the change (and `also`, more reports' updates) happens with its
    audit events, or none of it does."""
    try:
        with write_transaction() as transaction:
            transaction.update(item, actions=actions, condition=condition)
            for other, other_actions, other_condition in also:
                transaction.update(other, actions=other_actions, condition=other_condition)
            for event in events:
                transaction.save(event, condition=audit.APPEND_ONLY)
    except TransactWriteError as error:
        reasons = {reason.code for reason in error.cancellation_reasons if reason}
        if reasons & {"ConditionalCheckFailed", "TransactionConflict"}:
            raise Conflict("The report changed while you worked on it; reload it and try "
                           "again.", code="report_changed") from None
        raise

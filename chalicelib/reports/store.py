"""The few helpers every side of reports shares: finding a report item, its queue
partition, its evidence summaries, and telling a failed condition from other errors."""

import re
from datetime import UTC, datetime

from pynamodb.attributes import MapAttribute
from pynamodb.exceptions import DoesNotExist, PynamoDBException

from chalicelib.tables import Report

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

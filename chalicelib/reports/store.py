"""The few helpers every side of reports shares: finding a report item, its queue
partition and its evidence summaries."""

from pynamodb.attributes import MapAttribute
from pynamodb.exceptions import DoesNotExist

from chalicelib.storage import is_id
from chalicelib.tables import Report


def find(report_id: str) -> Report | None:
    if not is_id(report_id):
        return None
    try:
        return Report.get(report_id, consistent_read=True)
    except DoesNotExist:
        return None


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

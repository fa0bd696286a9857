"""Retention: what is kept how long, and when each item falls due (README, "Retention").

The rules, with the stage's periods (chalicelib/settings.py, `Retention`):
- a dismissed report, its evidence and its conversation: `dismissed_days` after it was
  dismissed;
- an actioned report, the same: `actioned_days` after its last change (a note, a status,
  a message);
- rejected evidence, and upload tickets never used: `failed_evidence_days` after that;
- the audit trail: `audit_days` (DynamoDB TTL on each event); never with a report;
- a deleted account: its reports stay, unlinked (nothing here).

A report under legal hold is never purged; releasing the hold restarts its clock.
Report dates are in chalicelib/retention/reports.py (media, which imports this module,
cannot import reports). Each item with a purge date sits in its table's sparse
`purge-due` index; the schedule (chalicelib/retention/purge.py) queries what is due and
decides again from the item itself, so a date written early (a message since) only
costs a look.
"""

from datetime import datetime, timedelta
from enum import StrEnum

from chalicelib.media import MediaStatus
from chalicelib.settings import settings

# The one partition of each purge-due index (read at call time, so that each test can
# keep its items in a partition of its own).
DUE = "due"


class Rule(StrEnum):
    """Why something was purged, as the audit trail names it."""

    DISMISSED = "dismissed"
    ACTIONED = "actioned"
    FAILED_EVIDENCE = "failed_evidence"


def days(rule: Rule) -> int:
    retention = settings().retention
    return {Rule.DISMISSED: retention.dismissed_days, Rule.ACTIONED: retention.actioned_days,
            Rule.FAILED_EVIDENCE: retention.failed_evidence_days}[rule]


def failed_evidence_due(since: datetime) -> datetime:
    """When rejected evidence (since: processed) or an unused ticket (since: expired)
    falls due."""
    return since + timedelta(days=days(Rule.FAILED_EVIDENCE))


def evidence_due(media) -> datetime | None:
    """When a media item falls due on its own, from the item itself; ready media go
    with their owner (None)."""
    if media.status == MediaStatus.READY:
        return None
    if media.status == MediaStatus.REJECTED:
        return failed_evidence_due(media.processed_at or media.created_at)
    return failed_evidence_due(media.upload_expires_at or media.created_at)

"""When a report falls due: its rule, its purge date, and the actions that set it."""

from datetime import datetime, timedelta

from chalicelib import retention
from chalicelib.reports.bodies import ReportStatus
from chalicelib.retention import Rule, days
from chalicelib.tables import Report


def report_rule(status: str) -> Rule | None:
    """The rule a report in this status falls under; None while it is open."""
    return {ReportStatus.DISMISSED: Rule.DISMISSED,
            ReportStatus.ACTIONED: Rule.ACTIONED}.get(status)


def report_due(report) -> datetime | None:
    """When a report falls due, from the report itself: its rule's period after the
    clock started (dismissal, the last change, or a hold's release, whichever is last)."""
    rule = report_rule(report.status)
    if rule is None:
        return None
    start = report.closed_at or report.updated_at
    if rule is Rule.ACTIONED:
        start = max(report.updated_at, report.last_message_at or report.updated_at)
    if report.hold_released_at is not None:
        start = max(start, report.hold_released_at)
    return start + timedelta(days=days(rule))


def schedule(status: str, now: datetime) -> list:
    """The update actions that give a report closed now (as `status`) its purge date;
    none for a status that is not final."""
    rule = report_rule(status)
    if rule is None:
        return []
    return [Report.purge_queue.set(retention.DUE),
            Report.purge_after.set(now + timedelta(days=days(rule)))]

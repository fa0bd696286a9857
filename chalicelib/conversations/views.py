"""What each side sees of a conversation. Built field by field: the reporter sees
"police" and the unit name, never which officer wrote; officers see the report's
alias, never the reporter's user id or phone."""

from datetime import datetime

from chalicelib.clock import iso
from chalicelib.conversations.bodies import MessageAuthor
from chalicelib.settings import settings
from chalicelib.tables import Message, Report


def message(item: Message, evidence: dict[str, dict], alias: str) -> dict:
    """`evidence`: the reader's views of the report's evidence, by id
    (chalicelib.reports.views.evidence_views), for the attachments."""
    author = ({"author": MessageAuthor.POLICE, "unit": settings().police_unit}
              if item.author == MessageAuthor.POLICE
              else {"author": MessageAuthor.REPORTER, "alias": alias})
    return {"message_id": item.message_id, **author, "body": item.body,
            "attachments": [evidence[evidence_id] for evidence_id in item.attachments
                            if evidence_id in evidence],
            "created_at": iso(item.created_at)}


def inbox_row(report: Report, now: datetime) -> dict:
    """From the inbox index's projection: only the attributes it includes are here."""
    return {"report_id": report.report_id, "alias": report.alias,
            "category": report.category, "status": report.status,
            "waiting_since": iso(report.waiting_since),
            "waiting_seconds": max(0, int((now - report.waiting_since).total_seconds())),
            "last_message_at": iso(report.last_message_at),
            "unread_messages": unread_for_officers(report)}


def unread_for_reporter(report: Report) -> int:
    return (report.officer_messages or 0) - (report.reporter_read or 0)


def unread_for_officers(report: Report) -> int:
    return (report.reporter_messages or 0) - (report.officers_read or 0)

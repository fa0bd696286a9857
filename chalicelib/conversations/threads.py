"""Sending and reading the conversation about a report, and the officers' inbox.

A send is one TransactWriteItems: the message, the report's counters and inbox keys,
the sender's rate window, and (officers) the audit event or (reporters) a check that
the account still exists. Nothing is written outside it, so a send refused or retried
leaves no trace, and concurrent sends from both sides each count exactly once.
"""

import logging
import math
from datetime import datetime, timedelta

import msgspec
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib import audit, clock, deadlines
from chalicelib.audit import AuditAction
from chalicelib.clock import iso
from chalicelib.conversations import views
from chalicelib.conversations.bodies import MessageAuthor, OfficerMessage, ReporterMessage
from chalicelib.errors import (
    Conflict,
    ErrorCode,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from chalicelib.pagination import query_page
from chalicelib.push.reports import tell_reporters
from chalicelib.reports.evidence import OPEN_STATUSES
from chalicelib.reports.filing import own_report
from chalicelib.reports.store import audit_target, evidence_of
from chalicelib.reports.triage import report as report_for_officers
from chalicelib.reports.views import evidence_views
from chalicelib.settings import settings
from chalicelib.storage import TRANSACTION_CONDITION_FAILED, condition_failed, new_id
from chalicelib.tables import (
    TRANSACTION_CALLS,
    AuditEvent,
    Message,
    RateWindow,
    Report,
    User,
    write_transaction,
)
from chalicelib.tokens import Principal

logger = logging.getLogger(__name__)

WAITING = "waiting"  # the inbox partition
# Two writers touching one report at once make DynamoDB cancel one transaction with
# TransactionConflict. It is tried again after a short random pause (deadlines.retry),
# up to CONFLICT_ATTEMPTS tries in all while the request's budget fits another whole
# try, then answered 503 conversation_busy.
CONFLICT_ATTEMPTS = 8
CONFLICT_CALLS = msgspec.structs.replace(TRANSACTION_CALLS, attempts=CONFLICT_ATTEMPTS)
CONFLICT_BACKOFF = deadlines.Backoff(base=0.05, cap=0.8)
TRANSACTION_CONFLICT = "TransactionConflict"
BUSY_RETRY_AFTER_SECONDS = 1


# --- sending -----------------------------------------------------------------------------

def send_as_reporter(reporter: Principal, report_id: str, body: ReporterMessage,
                     now: datetime | None = None) -> dict:
    now = now or clock.now()
    report = own_report(reporter, report_id)
    _check_reporter_may_write(report, now)
    evidence = evidence_of(report)
    unknown = [evidence_id for evidence_id in body.attachments if evidence_id not in evidence]
    if unknown:
        raise ValidationFailed("Attach evidence uploaded to this report "
                               f"(POST /reports/{report_id}/evidence); unknown: "
                               f"{', '.join(unknown)}.", code=ErrorCode.ATTACHMENT_NOT_FOUND,
                               field="attachments")
    message = _new_message(report_id, MessageAuthor.REPORTER, body.body, body.attachments, now)
    # The wait starts with the first unanswered message and is kept by later ones.
    actions = [Report.reporter_messages.add(1), Report.last_message_at.set(now),
               Report.inbox.set(WAITING), Report.waiting_since.set(Report.waiting_since | now)]
    cutoff = now - timedelta(days=settings().conversation_days_after_close)
    # The same rule as _check_reporter_may_write, again at write time: the report may
    # have been closed since it was read.
    still_open = (Report.status.is_in(*OPEN_STATUSES) | (Report.closed_at > cutoff)
                  | (Report.closed_at.does_not_exist() & (Report.updated_at > cutoff)))
    window = _RateWindow("reporter-messages", report_id,
                         settings().reporter_messages_per_report_hour, now)
    failed = _commit(message, actions, (Report.reporter_id == reporter.user_id) & still_open,
                     window, account=reporter.user_id)
    if "account" in failed:
        raise Unauthorized("This account has been deleted.", code=ErrorCode.ACCOUNT_DELETED)
    if "report" in failed:
        _check_reporter_may_write(own_report(reporter, report_id), now)
    if "rate" in failed:
        raise window.refusal("messages on a report")
    _refuse_if_any(failed)
    return _sent(report, message, for_officers=False)


def send_as_officer(officer: Principal, report_id: str, body: OfficerMessage,
                    now: datetime | None = None) -> dict:
    """Officers may always write, whatever the report's status. Sending answers the
    reporter, so the report leaves the inbox."""
    now = now or clock.now()
    report = report_for_officers(report_id)
    message = _new_message(report_id, MessageAuthor.POLICE, body.body, [], now)
    actions = [Report.officer_messages.add(1), Report.last_message_at.set(now),
               Report.inbox.remove(), Report.waiting_since.remove()]
    window = _RateWindow("officer-messages", officer.user_id,
                         settings().officer_messages_per_hour, now)
    # Who wrote it lives here only: the message itself says "police".
    event = audit.event(officer, AuditAction.REPORT_MESSAGE_SENT, audit_target(report_id),
                        {"message_id": message.message_id})
    failed = _commit(message, actions, Report.report_id.exists(), window, event=event)
    if "report" in failed:
        raise NotFound("No such report.", code=ErrorCode.REPORT_NOT_FOUND)
    if "rate" in failed:
        raise window.refusal("messages")
    _refuse_if_any(failed)
    tell_reporters((report_id, report.reporter_id))
    return _sent(report, message, for_officers=True)


def reporter_may_write_until(report: Report) -> datetime | None:
    """When the reporter's side of the thread closes; None while the report is open."""
    if report.status in OPEN_STATUSES:
        return None
    closed_at = report.closed_at or report.updated_at  # reports closed before closed_at
    return closed_at + timedelta(days=settings().conversation_days_after_close)


def _check_reporter_may_write(report: Report, now: datetime) -> None:
    until = reporter_may_write_until(report)
    if until is not None and now >= until:
        raise Conflict(f"The report is {report.status} and its conversation closed on "
                       f"{until.date().isoformat()}.", code=ErrorCode.CONVERSATION_CLOSED)


def _sent(report: Report, message: Message, *, for_officers: bool) -> dict:
    # Ids and the author only: the text is the sender's words and never logged.
    logger.info("message sent", extra={"report_id": report.report_id,
                                       "message_id": message.message_id,
                                       "author": message.author})
    return views.message(message, evidence_views(report, for_officers=for_officers),
                         report.alias)


def _refuse_if_any(failed: set[str]) -> None:
    """A condition failed that the caller has no more precise answer for (the report
    reopened or changed between the write and the read that explains it)."""
    if failed:
        raise Conflict("The report changed meanwhile; send again.",
                       code=ErrorCode.REPORT_CHANGED)


def _new_message(report_id: str, author: MessageAuthor, text: str, attachments: list[str],
                 now: datetime) -> Message:
    """The id begins with the send time (MESSAGE_ID_PATTERN), so ids sort in time order."""
    message_id = f"{now:%Y%m%dT%H%M%S%f}Z-{new_id()[:8]}"
    return Message(report_id, message_id, author=author, body=text,
                   attachments=list(attachments), created_at=now)


class _RateWindow(msgspec.Struct, frozen=True):
    """One clock hour's count of messages by one sender (or on one report)."""
    scope: str
    subject: str
    limit: int
    now: datetime

    @property
    def end(self) -> datetime:
        return self.now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)

    @property
    def key(self) -> str:
        return f"{self.scope}#{self.subject}#{(self.end - timedelta(hours=1)).isoformat()}"

    def refusal(self, what: str) -> TooManyRequests:
        return TooManyRequests(f"At most {self.limit} {what} an hour; try again later.",
                               retry_after=math.ceil((self.end - self.now).total_seconds()),
                               code=ErrorCode.MESSAGE_RATE_LIMITED)


def _commit(message: Message, actions: list[Action], condition: Condition,
            window: _RateWindow, *, account: str | None = None,
            event: AuditEvent | None = None) -> set[str]:
    """Write one send; answers which conditions failed ("account", "report", "rate"),
    empty when it was written. PynamoDB sends condition checks, then puts, then
    updates, and DynamoDB's cancellation reasons follow that order."""
    parts = ((["account"] if account else []) + ["message"] + (["audit"] if event else [])
             + ["report", "rate"])

    def attempt() -> set[str]:
        try:
            with write_transaction() as transaction:
                if account:
                    transaction.condition_check(User, account, condition=User.user_id.exists())
                transaction.save(message, condition=Message.message_id.does_not_exist())
                if event:
                    transaction.save(event, condition=audit.APPEND_ONLY)
                transaction.update(Report(message.report_id), actions=actions,
                                   condition=condition)
                transaction.update(
                    RateWindow(window.key),
                    actions=[RateWindow.count.add(1),
                             RateWindow.ttl.set(int(window.end.timestamp()) + 3600)],
                    condition=RateWindow.count.does_not_exist() | (RateWindow.count
                                                                   < window.limit))
        except TransactWriteError as error:
            failed = {part for part, code in zip(parts, _reason_codes(error), strict=False)
                      if code == TRANSACTION_CONDITION_FAILED}
            if failed:
                return failed
            raise  # throttling among them: chalicelib/api/faults.py makes it a 503
        return set()

    try:
        return deadlines.retry(attempt, dependency="dynamodb", limits=CONFLICT_CALLS,
                               retryable=_conflicted, no_answer=(), backoff=CONFLICT_BACKOFF)
    except TransactWriteError as error:
        if not _conflicted(error):
            raise
    raise ServiceUnavailable("The conversation is busy; send again in a moment.",
                             code=ErrorCode.CONVERSATION_BUSY,
                             headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)})


def _reason_codes(error: TransactWriteError) -> list[str | None]:
    return [reason.code if reason else None for reason in error.cancellation_reasons or []]


def _conflicted(error: Exception) -> bool:
    """Cancelled only because another transaction held an item: worth another try."""
    return (isinstance(error, TransactWriteError)
            and TRANSACTION_CONFLICT in _reason_codes(error)
            and TRANSACTION_CONDITION_FAILED not in _reason_codes(error))


# --- reading -----------------------------------------------------------------------------

def reporter_thread(reporter: Principal, report_id: str, *, limit: int, cursor: str | None,
                    after: str | None) -> dict:
    report = own_report(reporter, report_id)
    page = _messages(report, limit=limit, cursor=cursor, after=after)
    _mark_read(report, Report.reporter_read, report.officer_messages)
    until = reporter_may_write_until(report)
    evidence = evidence_views(report, for_officers=False)
    return {"items": [views.message(message, evidence, report.alias) for message in page.items],
            "next_cursor": page.next_cursor,
            "alias": report.alias,
            "open": until is None or clock.now() < until,
            "open_until": iso(until) if until else None}


def officer_thread(report_id: str, *, limit: int, cursor: str | None,
                   after: str | None) -> dict:
    report = report_for_officers(report_id)
    page = _messages(report, limit=limit, cursor=cursor, after=after)
    _mark_read(report, Report.officers_read, report.reporter_messages)
    evidence = evidence_views(report, for_officers=True)
    return {"items": [views.message(message, evidence, report.alias) for message in page.items],
            "next_cursor": page.next_cursor,
            "alias": report.alias,
            # Deletion removes the User; the thread stays, under the alias.
            "account_deleted": not _account_exists(report.reporter_id)}


def _messages(report: Report, *, limit: int, cursor: str | None, after: str | None):
    return query_page(Message, report.report_id, limit=limit, cursor=cursor,
                      newest_first=False,
                      range_key_condition=Message.message_id > after if after else None)


def _mark_read(report: Report, read_attribute, seen: int) -> None:
    """Mark read what the report item (read with a consistent GetItem before the
    messages were queried) counted: a message arriving after that stays unread. Only
    ever forward, so two readers at once cannot move it back."""
    if (getattr(report, read_attribute.attr_name) or 0) >= seen:
        return
    try:
        report.update(actions=[read_attribute.set(seen)],
                      condition=read_attribute.does_not_exist() | (read_attribute < seen))
    except UpdateError as error:
        if not condition_failed(error):
            raise


def _account_exists(user_id: str) -> bool:
    try:
        User.get(user_id, attributes_to_get=["user_id"])
    except DoesNotExist:
        return False
    return True


# --- the inbox ---------------------------------------------------------------------------

def inbox(*, limit: int, cursor: str | None, now: datetime | None = None) -> dict:
    """Reports awaiting an answer, oldest wait first: one Query of the sparse index."""
    now = now or clock.now()
    page = query_page(Report.awaiting_answer, WAITING, limit=limit, cursor=cursor,
                      newest_first=False)
    return {"items": [views.inbox_row(report, now) for report in page.items],
            "next_cursor": page.next_cursor}

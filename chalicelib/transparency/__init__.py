"""The public transparency report: what was done with reports, identities and evidence,
month by month (GET /transparency).

Every act is counted when it happens (chalicelib/counters.py, series "transparency",
period "YYYY-MM", UTC): in the act's own transaction (`count`), or with its audit event
(`record`) where the act is an audit write, or alone (`count_alone`) for what a worker
does outside a transaction. Nothing is counted at read time, and no figure from 1 to 4
is ever shown: it could point at a person (chalicelib/transparency/published.py reads
the counts and shows them so).
"""

from datetime import datetime
from enum import StrEnum

from pynamodb.transactions import TransactWrite

from chalicelib import audit, clock, counters
from chalicelib.audit import AuditAction
from chalicelib.tables import write_transaction
from chalicelib.tokens import Principal

SERIES = "transparency"
MONTH_FORMAT = "%Y-%m"


class Act(StrEnum):
    """What the report counts; the value is the counter's name (and the field's)."""

    REPORT_FILED = "reports_filed"               # per category: "reports_filed.theft"
    REPORT_ACTIONED = "reports_actioned"
    REPORT_DISMISSED = "reports_dismissed"
    IDENTITY_REVEALED = "identity_reveals"
    ORIGINAL_DOWNLOADED = "original_downloads"
    HOLD_PLACED = "holds_placed"
    HOLD_RELEASED = "holds_released"
    REPORT_PURGED = "reports_purged"
    EVIDENCE_PURGED = "evidence_purged"          # rejected evidence, unused tickets
    ACCOUNT_DELETED = "accounts_deleted"
    BULLETIN_PUBLISHED = "bulletins_published"
    ALERT_PUBLISHED = "alerts_published"        # push alerts on bulletins, not their outcomes


def month_of(moment: datetime) -> str:
    return moment.strftime(MONTH_FORMAT)


def name_of(act: Act, detail: str | None) -> str:
    return f"{act.value}.{detail}" if detail else act.value


def count(transaction: TransactWrite, act: Act, detail: str | None = None,
          amount: int = 1) -> None:
    """Counts the act in this month, as part of the act's own transaction."""
    counters.add_to(transaction, SERIES, month_of(clock.now()), name_of(act, detail), amount)


def count_alone(act: Act, detail: str | None = None, amount: int = 1) -> None:
    """Counts an act a worker did outside any transaction (ADD is atomic)."""
    counters.add(SERIES, month_of(clock.now()), name_of(act, detail), amount)


def record(act: Act, actor: Principal, action: AuditAction, target: str,
           details: dict | None = None) -> None:
    """An act that is an audit write (a reveal, a download): the event and its count in
    one transaction, so neither is kept without the other."""
    with write_transaction() as transaction:
        transaction.save(audit.event(actor, action, target, details),
                         condition=audit.APPEND_ONLY)
        count(transaction, act)

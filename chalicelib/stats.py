"""The statistics dashboard's figures, kept at write time (chalicelib/counters.py).

Every report is counted in the day it was filed (UTC): "filed", its category, its
district, and its status now ("status=…", moved -1/+1 when the status changes). The
time from filing to in_review, and to a final status, is added to a fixed-bucket
histogram of that same day when the move happens. So the figures of a period are
those of the reports filed in it, and a period's counters are one Query (series
"stats", periods "YYYY-MM-DD"); nothing counts reports when the figures are read.

The queue's sizes ("<status>#<category>", series "stats#queue") are gauges: +1 when a
report enters a queue partition, -1 when it leaves.

Each act calls one function here inside its own transaction (`count_filing`,
`count_status_change`, `count_queue_move`), so a figure moves exactly when the act
happens.
"""

from datetime import UTC, date, datetime, timedelta

from pynamodb.transactions import TransactWrite

from chalicelib import clock, counters
from chalicelib.errors import ErrorCode, ValidationFailed
from chalicelib.reports import queue
from chalicelib.reports.bodies import ReportCategory, ReportStatus
from chalicelib.tables import Report

SERIES = "stats"
MAX_DAYS = 366
DEFAULT_DAYS = 30
FINAL_STATUSES = (ReportStatus.ACTIONED, ReportStatus.DISMISSED)
# The histograms' upper bounds in seconds (5 min … 30 days), then the open bucket.
BUCKETS = (300, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400, 172_800, 345_600, 604_800,
           1_209_600, 2_592_000)
OPEN_BUCKET = "inf"
HISTOGRAMS = ("to_in_review", "to_final")


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def _bucket(seconds: float) -> str:
    return str(next((bound for bound in BUCKETS if seconds <= bound), OPEN_BUCKET))


def count_filing(transaction: TransactWrite, report: Report) -> None:
    day = _day(report.created_at)
    for name in ("filed", f"status={report.status}", f"category={report.category}",
                 f"district={report.district or ''}"):
        counters.add_to(transaction, SERIES, day, name)
    count_queue_move(transaction, report.category, None, report.status)


def count_status_change(transaction: TransactWrite, report: Report, status: str,
                        now: datetime) -> None:
    """`report` as read, moving to `status` at `now`."""
    day = _day(report.created_at)
    counters.add_to(transaction, SERIES, day, f"status={report.status}", -1)
    counters.add_to(transaction, SERIES, day, f"status={status}")
    waited = (now - report.created_at).total_seconds()
    if status == ReportStatus.IN_REVIEW:
        counters.add_to(transaction, SERIES, day, f"to_in_review:{_bucket(waited)}")
    if status in FINAL_STATUSES:
        counters.add_to(transaction, SERIES, day, f"to_final:{_bucket(waited)}")
    count_queue_move(transaction, report.category, report.status, status)


def count_queue_move(transaction: TransactWrite, category: str, source: str | None,
                     destination: str | None) -> None:
    """A report of `category` leaves the `source` queue partition (None: it was in
    none) for `destination` (None: it leaves the queue, as a linked duplicate)."""
    if source is not None:
        counters.add_to(transaction, queue.COUNTS_SERIES, queue.COUNTS_PERIOD,
                        f"{source}#{category}", -1)
    if destination is not None:
        counters.add_to(transaction, queue.COUNTS_SERIES, queue.COUNTS_PERIOD,
                        f"{destination}#{category}")


# --- reading ----------------------------------------------------------------------------

def period(first: date | None, last: date | None) -> tuple[date, date]:
    last = last or clock.now().date()
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValidationFailed("from is after to.", code=ErrorCode.INVALID_PERIOD, field="from")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed(f"A period spans at most {MAX_DAYS} days.",
                               code=ErrorCode.INVALID_PERIOD, field="from")
    return first, last


def summary(first: date, last: date, now: datetime | None = None) -> dict:
    now = now or clock.now()
    totals: dict[str, int] = {}
    for names in counters.read(SERIES, first.isoformat(), last.isoformat()).values():
        for name, count in names.items():
            totals[name] = totals.get(name, 0) + count

    def prefixed(prefix: str) -> dict[str, int]:
        return {name.removeprefix(prefix): count for name, count in totals.items()
                if name.startswith(prefix)}

    by_status, by_category = prefixed("status="), prefixed("category=")
    oldest = queue.page(None, queue.Filters(status=ReportStatus.SUBMITTED), limit=1,
                        cursor=None).items
    return {
        "from": first.isoformat(), "to": last.isoformat(), "filed": totals.get("filed", 0),
        "by_status": {status: by_status.get(status, 0) for status in ReportStatus},
        "by_category": {category: by_category.get(category, 0) for category in ReportCategory},
        "by_district": {district: count for district, count in prefixed("district=").items()
                        if count},
        **{histogram: durations(prefixed(f"{histogram}:")) for histogram in HISTOGRAMS},
        "oldest_waiting": ({"report_id": oldest[0].report_id, "category": oldest[0].category,
                            "created_at": clock.iso(oldest[0].created_at),
                            "waiting_seconds": int((now - oldest[0].created_at).total_seconds())}
                           if oldest else None),
        "awaiting_answer": _awaiting_answer(),
    }


def durations(counts: dict[str, int]) -> dict:
    """The histogram of bucket → count, with its median and 90th percentile (the upper
    bound of the bucket each falls in)."""
    bounds = [*BUCKETS, None]
    buckets = [{"up_to_seconds": bound,
                "count": counts.get(str(bound) if bound else OPEN_BUCKET, 0)} for bound in bounds]
    total = sum(bucket["count"] for bucket in buckets)

    def percentile(share: float) -> int | None:
        if not total:
            return None
        running = 0
        for bucket in buckets:
            running += bucket["count"]
            if running >= share * total:
                return bucket["up_to_seconds"]
        return None

    return {"count": total, "median_seconds": percentile(0.5), "p90_seconds": percentile(0.9),
            "buckets": buckets}


def _awaiting_answer() -> dict:
    """The inbox index is sparse: counting it reads only the conversations waiting."""
    # Imported here: the conversations import the triage, which counts through this module.
    from chalicelib.conversations.threads import WAITING

    oldest = list(Report.awaiting_answer.query(WAITING, limit=1, page_size=1))
    return {"count": Report.awaiting_answer.count(WAITING),
            "oldest_since": clock.iso(oldest[0].waiting_since) if oldest else None}

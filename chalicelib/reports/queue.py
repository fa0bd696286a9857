"""The officers' queue across categories.

Key design: the `queue` index keeps one partition per status and category
("submitted#theft"), so new reports spread their writes over eight partitions and no
partition is hot. A page of one status reads every category's partition, one Query
each (at most 8, issued concurrently, each at most `limit` items; 1 Query when a
category is chosen), and merges them by filing time. The cursor keeps, per category,
the last item the listing has consumed (or that the category is done), signed like
every cursor, so paging on while new reports arrive neither repeats nor skips a
report that was there when paging began.

An item may be merged into a page only if no category can still hold an earlier one:
only items up to the earliest "read up to here" of the categories that have more
(their last item read) are taken. The category that set that horizon has all of its
items consumed, so every page advances by at least `limit` reads or ends.

District, assignee and urgency filter what the Queries read (in code, not with a
FilterExpression, so the listing knows what it read and consumed): a filtered page
may hold fewer than `limit` items, with a next_cursor to go on.
"""

import heapq
from dataclasses import dataclass
from enum import StrEnum

from chalicelib import counters
from chalicelib.geo import query_concurrently
from chalicelib.pagination import Page, decode_cursor, encode_cursor
from chalicelib.reports.bodies import ReportCategory, ReportStatus
from chalicelib.reports.store import queue_key
from chalicelib.tables import Report
from chalicelib.tokens import Principal

# Gauges of each queue partition's size, kept at write time by chalicelib/stats.py.
COUNTS_SERIES = "stats#queue"
COUNTS_PERIOD = "open"
DONE = 0   # a category's position once every item in it was consumed


class Order(StrEnum):
    OLDEST_FIRST = "oldest_first"
    NEWEST_FIRST = "newest_first"


def default_order(status: str) -> Order:
    """Submitted reports wait: the longest wait first. Elsewhere the latest first."""
    return Order.OLDEST_FIRST if status == ReportStatus.SUBMITTED else Order.NEWEST_FIRST


@dataclass(frozen=True)
class Filters:
    status: str
    category: str | None = None
    district: str | None = None
    assigned: str | None = None      # "me", "none" or an officer's user id
    urgent: bool | None = None
    order: Order = Order.OLDEST_FIRST

    def listing(self) -> str:
        """What this listing's cursors are bound to."""
        return "queue:" + repr((self.status, self.category, self.district, self.assigned,
                                self.urgent, str(self.order)))

    def admits(self, report: Report, caller: Principal | None) -> bool:
        if self.district is not None and report.district != self.district:
            return False
        if self.urgent is not None and bool(report.urgent) != self.urgent:
            return False
        if self.assigned == "none":
            return report.assignee_id is None
        if self.assigned == "me":
            return caller is not None and report.assignee_id == caller.user_id
        return self.assigned is None or report.assignee_id == self.assigned


@dataclass
class _Read:
    category: str
    items: list[Report]
    more: bool                       # the partition holds more after the last item


def page(caller: Principal | None, filters: Filters, *, limit: int,
         cursor: str | None) -> Page:
    categories = [filters.category] if filters.category else list(ReportCategory)
    positions = (dict(zip(categories, decode_cursor(filters.listing(), cursor), strict=True))
                 if cursor else {category: None for category in categories})
    newest_first = filters.order == Order.NEWEST_FIRST
    open_categories = [category for category in categories if positions[category] != DONE]

    def read(category: str) -> list[_Read]:
        results = Report.queue.query(
            queue_key(filters.status, category), limit=limit, page_size=limit,
            scan_index_forward=not newest_first,
            last_evaluated_key=_start_key(filters.status, category, positions[category]))
        items = list(results)
        return [_Read(category, items, results.last_evaluated_key is not None)]

    reads = query_concurrently(read, open_categories)
    horizons = [read.items[-1].created_at for read in reads if read.more and read.items]
    horizon = (max if newest_first else min)(horizons) if horizons else None
    merged = heapq.merge(*([(report.created_at, read.category, report) for report in read.items]
                           for read in reads),
                         key=lambda entry: entry[0], reverse=newest_first)
    taken, consumed = [], {}
    for created_at, category, report in merged:
        if horizon is not None and (created_at < horizon if newest_first else created_at > horizon):
            break
        consumed[category] = report
        if filters.admits(report, caller):
            taken.append(report)
            if len(taken) == limit:
                break
    for read in reads:
        last = consumed.get(read.category)
        if last is not None:
            finished = not read.more and last is read.items[-1]
            positions[read.category] = DONE if finished else [
                last.report_id, Report.created_at.serialize(last.created_at)]
        elif not read.items and not read.more:
            positions[read.category] = DONE
    if all(position == DONE for position in positions.values()):
        return Page(taken, None)
    return Page(taken, encode_cursor(filters.listing(),
                                     [positions[category] for category in categories]))


def _start_key(status: str, category: str, position: list | None) -> dict | None:
    if position is None:
        return None
    report_id, created_at = position
    return {"report_id": {"S": report_id}, "queue_key": {"S": queue_key(status, category)},
            "created_at": {"S": created_at}}


def category_counts(status: str) -> dict[str, int]:
    """How many reports each category holds in `status` now: one Query of the gauges."""
    counts = counters.read(COUNTS_SERIES, COUNTS_PERIOD, COUNTS_PERIOD).get(COUNTS_PERIOD, {})
    return {category: counts.get(f"{status}#{category}", 0) for category in ReportCategory}

"""GET /admin/stats: the figures kept at write time match the acts done, concurrently.

The acts are dated on a past day of their own (the domain functions take `now`), so the
day's counters hold these reports alone, whatever other tests file meanwhile."""

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from support.api import caller, error_code, report_body, send

from chalicelib.reports import filing, triage
from chalicelib.reports.bodies import NewReport, ReportChange


def test_the_figures_match_the_acts_done_concurrently(client):
    rng = random.Random(5)
    day = datetime(1900 + rng.randrange(100), 3, 14, 9, tzinfo=UTC)
    plan = [(rng.choice(("theft", "fraud", "drugs")), rng.choice(("朝阳区", "海淀区", None)))
            for _ in range(40)]

    def file(category_district):
        category, district = category_district
        body = msgspec.convert(report_body(category=category, district=district,
                                           occurred_at=(day - timedelta(hours=2)).isoformat()),
                               NewReport)
        return filing.file_report(caller().principal, body, now=day)

    with ThreadPoolExecutor(8) as pool:
        reports = list(pool.map(file, plan))
    officer = caller("officer").principal
    reviewed, actioned, dismissed = reports[:24], reports[:10], reports[10:15]

    def move(report, status, after):
        triage.change(officer, report.report_id, ReportChange(status=status), now=day + after)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda report: move(report, "in_review", timedelta(minutes=10)), reviewed))
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda report: move(report, "actioned", timedelta(hours=2)), actioned))
        list(pool.map(lambda report: move(report, "dismissed", timedelta(days=3)), dismissed))

    stats = send(client, "get", f"/admin/stats?from={day.date()}&to={day.date()}",
                 caller("officer")).json_body
    assert stats["filed"] == 40
    assert stats["by_status"] == {"submitted": 16, "in_review": 9, "actioned": 10,
                                  "dismissed": 5}
    assert stats["by_category"] == {category: sum(1 for c, _ in plan if c == category)
                                    for category in stats["by_category"]}
    districts = {district or "": sum(1 for _, d in plan if d == district)
                 for _, district in plan}
    assert stats["by_district"] == districts
    assert (stats["to_in_review"]["count"], stats["to_in_review"]["median_seconds"],
            stats["to_in_review"]["p90_seconds"]) == (24, 900, 900)
    # 10 final after 2 h (the 7,200 s bucket), 5 after 3 days (the 345,600 s one).
    assert (stats["to_final"]["count"], stats["to_final"]["median_seconds"],
            stats["to_final"]["p90_seconds"]) == (15, 7200, 345_600)
    assert sum(bucket["count"] for bucket in stats["to_final"]["buckets"]) == 15
    # The day before and after hold none of it.
    empty = send(client, "get", f"/admin/stats?from={(day + timedelta(days=1)).date()}"
                                f"&to={(day + timedelta(days=9)).date()}",
                 caller("officer")).json_body
    assert empty["filed"] == 0 and empty["to_final"]["median_seconds"] is None


def test_the_dashboard_shows_the_queue_and_the_inbox_as_they_are_now(client):
    stats = send(client, "get", "/admin/stats", caller("officer")).json_body
    today = datetime.now(UTC).date()
    assert (stats["to"], stats["from"]) == (str(today), str(today - timedelta(days=29)))
    oldest = stats["oldest_waiting"]
    assert oldest is None or oldest["waiting_seconds"] >= 0
    assert stats["awaiting_answer"]["count"] >= 0


@pytest.mark.parametrize(("query", "code"), [
    ("from=2026-02-01&to=2026-01-01", "invalid_period"),
    ("from=2024-01-01&to=2026-01-01", "invalid_period"),
    ("from=yesterday", "invalid_query"),
    ("to=2026-13-01", "invalid_query"),
])
def test_bad_periods_are_400(client, query, code):
    refused = send(client, "get", f"/admin/stats?{query}", caller("officer"))
    assert refused.status_code == 400 and error_code(refused) == code


def test_a_filing_cancelled_by_a_conflict_on_a_counter_is_tried_again(client, monkeypatch):
    """DynamoDB cancels a transaction that touches an item another one holds (two
    filings on one counter shard); moto never does, so one such cancellation is made."""
    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError
    from pynamodb.transactions import TransactWrite

    from chalicelib.tables import Report

    commit, cancelled = TransactWrite._commit, []

    def conflict_once(self):
        if not cancelled:
            cancelled.append(True)
            cause = VerboseClientError(
                {"Error": {"Code": "TransactionCanceledException", "Message": "conflict"}},
                "TransactWriteItems", cancellation_reasons=[
                    None, CancellationReason(code="TransactionConflict", message="held")])
            raise TransactWriteError("cancelled", cause=cause)
        return commit(self)

    monkeypatch.setattr(TransactWrite, "_commit", conflict_once)
    filed = send(client, "post", "/reports", caller(), report_body())
    assert filed.status_code == 201 and cancelled
    assert Report.get(filed.json_body["report_id"]).status == "submitted"

"""The officers' shift: the all-categories queue page next to today's one-category
page, and a CSV export of 10⁵ reports (time and peak memory against the worker's
limits).

    .venv/bin/python -m bench.shift

The queue: 2,000 submitted reports over the 8 categories are written straight into
the emulator's table, then GET /admin/reports?limit=20 (every category: 8 Queries,
issued concurrently) and GET /admin/reports?category=theft&limit=20 (one Query) are
timed in process through the Chalice test client, interleaved, and their Queries
counted. The emulator answers an index Query by walking the whole table, so its wall
clock is mostly the emulator's; the ratio of the two, measured side by side, is the
figure that carries over.

The export: 10⁵ reports more are written, then the export worker's own function runs
in a fresh interpreter (so the peak RSS is the export's, not this process's), as
Lambda runs it, reading the emulator and writing the CSV to its S3 by multipart upload.
The rows are counted in the CSV it wrote.
"""

import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from bench.common import Figure, Section, interleaved, median, report, run_python
from bench.stack import app_log_in_file
from bench.world import expect, send, shared

QUEUE_REPORTS = 2_000
EXPORT_REPORTS = 100_000
RUNS = 15
PAGE = 20
# The export worker's limits (.chalice/config.json, chalicelib/settings.py).
WORKER_MEMORY_MB = 512
WORKER_BUDGET_SECONDS = 840


def populate(count: int, district: str, seed: int) -> None:
    from chalicelib.reports.bodies import CATEGORIES, ReportStatus
    from chalicelib.reports.filing import new_alias
    from chalicelib.reports.store import queue_key
    from chalicelib.tables import Report, ReportLocation

    rng, now = random.Random(seed), datetime.now(UTC)
    with Report.batch_write() as batch:
        for number in range(count):
            at = now - timedelta(seconds=rng.uniform(0, 30 * 86400))
            category = CATEGORIES[number % len(CATEGORIES)]
            status = rng.choice(list(ReportStatus))
            batch.save(Report(
                uuid.uuid4().hex, reporter_id=uuid.uuid4().hex, alias=new_alias(),
                category=category, district=district,
                description="有人在地铁站出口撬锁偷走了我的自行车, near exit B.",
                location=ReportLocation(latitude=39.92 + rng.uniform(-0.02, 0.02),
                                        longitude=116.44 + rng.uniform(-0.02, 0.02),
                                        accuracy_m=15.0, address="朝阳公园南门"),
                occurred_at=at, created_at=at, updated_at=at, status=status,
                queue_key=queue_key(status, category), notes=[], evidence={},
                evidence_count=0, urgent=rng.random() < 0.1))


def queries_of(call) -> int:
    from pynamodb.signals import pre_dynamodb_send

    operations = []

    def count(_connection, operation_name, table_name, **_):
        operations.append(operation_name)

    with pre_dynamodb_send.connected_to(count):
        call()
    return operations.count("Query")


EXPORT_RUN = """
import json, resource, sys, time
from chalicelib.exports import handler
from chalicelib.tables import ExportJob
before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
job = ExportJob.get(sys.argv[1] if len(sys.argv) > 1 else {export_id!r})
started = time.perf_counter()
handler.run(job)
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "rows": int(ExportJob.get(job.export_id).rows),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rss_before_mb": before_kb / 1024}}))
"""


def csv_rows(export_id: str) -> int:
    """The data rows in the CSV the worker wrote, read back streamed."""
    from chalicelib.exports import jobs
    from chalicelib.settings import settings
    from chalicelib.storage import s3_client

    body = s3_client().get_object(Bucket=settings().evidence_bucket,
                                  Key=jobs.object_key(export_id))["Body"]
    lines = sum(chunk.count(b"\r\n") for chunk in body.iter_chunks(1024 * 1024))
    return lines - 1  # the header row


def main(runs: int = RUNS) -> Section:
    client, world, _ = shared()
    figures, failures, details = [], [], {"queue_reports": QUEUE_REPORTS, "runs": runs,
                                          "page": PAGE}
    started = time.monotonic()
    populate(QUEUE_REPORTS, "bench-queue", seed=17)
    details["queue_populate_seconds"] = round(time.monotonic() - started, 1)
    every = f"/admin/reports?limit={PAGE}"
    one = f"/admin/reports?category=theft&limit={PAGE}"
    with app_log_in_file():
        counts = {path: queries_of(lambda path=path: expect(
            send(client, "GET", path, world.officer), 200)) for path in (every, one)}

        def timed(path):
            def measure() -> float:
                at = time.perf_counter()
                response = send(client, "GET", path, world.officer)
                elapsed = time.perf_counter() - at
                assert response.status_code == 200, response.body
                return elapsed
            return measure

        samples = interleaved(runs, every=timed(every), one=timed(one))
    ours, baseline = (median(samples[name]) * 1000 for name in ("every", "one"))
    figures += [
        Figure(f"queue page, all 8 categories, {PAGE} items, median", ours, "ms", baseline,
               "one category's page (today's)"),
        Figure("  Queries per all-categories page (8 + the counts)", counts[every], "count"),
        Figure("  Queries per one-category page (1 + the counts)", counts[one], "count")]
    if counts[every] > 9 or counts[one] > 2:
        failures.append(f"a queue page took more Queries than stated: {counts}")
    details.update({"every_ms": [round(v * 1000, 1) for v in samples["every"]],
                    "one_ms": [round(v * 1000, 1) for v in samples["one"]],
                    "queries": counts})

    district = f"bench-export-{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    populate(EXPORT_REPORTS, district, seed=23)
    details["export_populate_seconds"] = round(time.monotonic() - started, 1)
    export_id = expect(send(client, "POST", "/admin/exports", world.officer,
                            {"district": district}), 202)["export_id"]
    measured = json.loads(run_python(EXPORT_RUN.format(export_id=export_id),
                                     env=dict(os.environ)).strip().splitlines()[-1])
    rows = csv_rows(export_id)
    if rows != EXPORT_REPORTS or measured["rows"] != EXPORT_REPORTS:
        failures.append(f"the export holds {rows} rows (job says {measured['rows']}), "
                        f"not {EXPORT_REPORTS}")
    figures += [
        Figure("CSV export of 10⁵ reports, worker run", measured["seconds"], "s",
               target=f"≤ {WORKER_BUDGET_SECONDS} s (the job's budget)",
               met=measured["seconds"] <= WORKER_BUDGET_SECONDS),
        Figure("  peak RSS of the worker process", measured["peak_rss_mb"], "MB",
               target=f"≤ {WORKER_MEMORY_MB} MB (the function's memory)",
               met=measured["peak_rss_mb"] <= WORKER_MEMORY_MB),
        Figure("  RSS once imported, before the export", measured["rss_before_mb"], "MB")]
    details["export"] = {**measured, "csv_rows": rows}
    return Section("shift", figures, details, failures)


if __name__ == "__main__":
    sys.exit(report(main()))

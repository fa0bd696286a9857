"""The export's CSV, streamed: rows are written as the queue partitions are read, and
sent to S3 as multipart parts of PART_BYTES, so memory holds one part, never the file.

UTF-8 with a byte-order mark (so Excel reads Chinese) and CRLF line ends. The reporter
is their report's alias: nothing in the file identifies them. A cell a spreadsheet
would take for a formula (=, +, -, @, tab, CR) is prefixed with an apostrophe.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time

from chalicelib.clock import iso
from chalicelib.exports.jobs import ExportFilters
from chalicelib.reports.bodies import ReportCategory, ReportStatus
from chalicelib.reports.linking import LINKED
from chalicelib.reports.store import evidence_of, queue_key
from chalicelib.tables import Report

# S3's smallest part (but the last) is 5 MiB.
PART_BYTES = 8 * 1024 * 1024
BOM = "\ufeff".encode()
COLUMNS = ("report_id", "alias", "category", "status", "district", "urgent", "assignee",
           "created_at", "occurred_at", "updated_at", "closed_at", "description", "address",
           "latitude", "longitude", "evidence_count", "duplicate_of", "bulletin_id")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Items per Query page: about DynamoDB's own 1 MB page of report items (most are under
# 1 KB; DynamoDB ends a page at 1 MB whatever the limit), so memory holds one page.
READ_PAGE = 1000


def reports(filters: ExportFilters) -> Iterator[Report]:
    """The reports the filters choose: one queue partition after another (each status and
    category, and their linked duplicates), the period as a key condition."""
    statuses = [filters.status] if filters.status else list(ReportStatus)
    categories = [filters.category] if filters.category else list(ReportCategory)
    period = Report.created_at.between(
        datetime.combine(filters.from_ or date.min, time.min, tzinfo=UTC),
        datetime.combine(filters.to or date.max, time.max, tzinfo=UTC))
    partitions = [(status, category) for status in [*statuses, LINKED]
                  for category in categories]
    for status, category in partitions:
        for report in Report.queue.query(queue_key(status, category), range_key_condition=period,
                                         page_size=READ_PAGE):
            # A linked duplicate takes its primary's status; its partition holds every status.
            if status == LINKED and report.status not in statuses:
                continue
            if filters.district is not None and report.district != filters.district:
                continue
            yield report


def row(report: Report) -> list[str]:
    location = report.location
    values = (report.report_id, report.alias, report.category, report.status, report.district,
              "yes" if report.urgent else "no", report.assignee_name or report.assignee_id,
              iso(report.created_at), iso(report.occurred_at), iso(report.updated_at),
              iso(report.closed_at), report.description, location.address, location.latitude,
              location.longitude, len(evidence_of(report)), report.duplicate_of,
              report.bulletin_id)
    return [_cell(value) for value in values]


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def chunks(rows: Iterable[list[str]], part_bytes: int = PART_BYTES) -> Iterator[bytes]:
    """The CSV's bytes, BOM and header first, in chunks of at least `part_bytes` (the
    last may be smaller)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    buffer = bytearray(BOM)
    writer.writerow(COLUMNS)
    # Rows are encoded a batch at a time: one encode per row would cost more than csv.
    batch_characters = min(64 * 1024, part_bytes)
    for values in rows:
        writer.writerow(values)
        if text.tell() >= batch_characters:
            buffer += text.getvalue().encode()
            text.seek(0)
            text.truncate()
            if len(buffer) >= part_bytes:
                yield bytes(buffer)
                buffer.clear()
    buffer += text.getvalue().encode()
    yield bytes(buffer)


def upload(s3, bucket: str, key: str, parts: Iterable[bytes]) -> None:
    """A multipart upload of `parts` to `key`, aborted if anything fails on the way."""
    upload_id = s3.create_multipart_upload(
        Bucket=bucket, Key=key, ContentType="text/csv; charset=utf-8")["UploadId"]
    try:
        done = [{"PartNumber": number,
                 "ETag": s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id,
                                        PartNumber=number, Body=part)["ETag"]}
                for number, part in enumerate(parts, start=1)]
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                     MultipartUpload={"Parts": done})
    except BaseException:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        raise

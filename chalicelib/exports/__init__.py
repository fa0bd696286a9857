"""CSV exports of reports: an officer asks (POST /admin/exports), the export worker
(chalicelib/exports/handler.py, its own Lambda behind the `exports` queue) writes the
CSV to the evidence bucket's exports/ prefix, streamed as an S3 multipart upload, and
GET /admin/exports/{id} hands out a presigned URL once it is ready. A lifecycle rule
deletes exports/ objects a day after they were written; the job item's `ttl` follows.

Modules: jobs (the request, the job item, who sees it), writer (the CSV, streamed),
handler (the worker's entry point)."""

from enum import StrEnum


class ExportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"

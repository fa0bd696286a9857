"""The officers' report routes: the triage queue, the full view, status and notes,
original downloads; and the admin-only reveal of a sealed reporter identity."""

from typing import Annotated, Literal

from msgspec import Meta

from chalicelib.api import responses as r
from chalicelib.api.routes import ADMINS, STAFF, Blueprint, Paging
from chalicelib.bulletins.fields import District
from chalicelib.errors import ErrorCode, ValidationFailed
from chalicelib.patterns import whole
from chalicelib.reports import custody, queue, triage, views
from chalicelib.reports.bodies import (
    ForeignId,
    ReportCategory,
    ReportChange,
    ReportStatus,
    RevealRequest,
)
from chalicelib.storage import ID_PATTERN

bp = Blueprint(__name__)


class QueueQuery(Paging, kw_only=True):
    # The enumerations' values, not the enums: query parameters are documented inline.
    status: Literal[tuple(status.value for status in ReportStatus)] | None = None
    category: Literal[tuple(category.value for category in ReportCategory)] | None = None
    district: District | None = None
    assigned: Annotated[str, Meta(
        pattern=whole(f"me|none|{ID_PATTERN}"),
        description="me, none (nobody has taken it), or an officer's user id")] | None = None
    urgent: bool | None = None
    order: Literal[tuple(order.value for order in queue.Order)] | None = None
    bulletin_id: ForeignId | None = None


# How the parameters combine, which OpenAPI cannot say of query parameters.
QUEUE_RULES = {ErrorCode.CLUES_ALONE: "bulletin_id comes alone, without the queue's filters "
                                      "or order"}


@bp.route("/admin/reports", methods=["GET"], allow=STAFF, query=QueueQuery,
          answer=r.OfficerReportPage, rules=QUEUE_RULES,
          summary="The triage queue (officers)")
def triage_queue(request):
    """The queue of one status (default submitted), across every category or of one
    `category`, filtered by `district`, `assigned` and `urgent`; `order` oldest_first
    (the default for submitted) or newest_first (the default otherwise). Or
    `?bulletin_id=` alone for the clues on a bulletin, newest first.

    A page costs at most one Query per category (8, issued concurrently; 1 with
    `category`), each reading at most `limit` items. The filters other than category
    are applied to what those Queries read, so a filtered page may hold fewer than
    `limit` items while `next_cursor` is still given: follow it to the end.
    `category_counts` gives each category's count in the status, from counters kept
    at write time (one more Query)."""
    query = request.query
    paging = {"limit": query.limit, "cursor": query.cursor}
    if query.bulletin_id is not None:
        filters = (query.status, query.category, query.district, query.assigned,
                   query.urgent, query.order)
        if any(value is not None for value in filters):
            raise ValidationFailed("bulletin_id lists every clue on a bulletin; it does not "
                                   "combine with the queue's filters or order.",
                                   code=ErrorCode.CLUES_ALONE, field="bulletin_id")
        page = triage.clues(query.bulletin_id, **paging)
        counts = None
    else:
        status = query.status or ReportStatus.SUBMITTED
        page = queue.page(request.caller, queue.Filters(
            status=status, category=query.category, district=query.district,
            assigned=query.assigned, urgent=query.urgent,
            order=query.order or queue.default_order(status)), **paging)
        counts = queue.category_counts(status)
    return {"items": [views.officer_summary(report) for report in page.items],
            "next_cursor": page.next_cursor,
            "category_counts": counts}


@bp.route("/admin/reports/{report_id}", methods=["GET"], allow=STAFF,
          answer=r.OfficerReport, summary="A report, full view (officers)")
def get_report_for_triage(request, report_id):
    return views.officer_view(triage.report(report_id))


@bp.route("/admin/reports/{report_id}", methods=["PATCH"], allow=STAFF, body=ReportChange,
          answer=r.OfficerReport, errors=(403, 409), idempotent=True,
          rules={ErrorCode.REPORT_TAKEN: "assignee: another officer holds the report (an "
                                         "admin may send force: true)",
                 ErrorCode.FORCE_ADMINS_ONLY: "force: true is an admin's"},
          summary="Change status, add a note, take or give back, mark urgent (officers)")
def change_report(request, report_id):
    return views.officer_view(triage.change(request.caller, report_id, request.body))


@bp.route("/admin/reports/{report_id}/reveal", methods=["POST"], allow=ADMINS,
          body=RevealRequest, answer=r.RevealedIdentity,
          summary="Reveal the reporter (admins; audited)")
def reveal_reporter(request, report_id):
    return triage.reveal(request.caller, report_id, request.body.reason)


@bp.route("/admin/reports/{report_id}/evidence/{evidence_id}/original", methods=["GET"],
          allow=STAFF, answer=r.OriginalDownload, errors=(409,),
          summary="Download an original (officers; audited)")
def download_original(request, report_id, evidence_id):
    return triage.original_download(request.caller, report_id, evidence_id)


@bp.route("/admin/reports/{report_id}/custody", methods=["GET"], allow=STAFF,
          answer=r.CustodyRecord, summary="Chain-of-custody record (officers; audited)")
def custody_record(request, report_id):
    """Every evidence item with its SHA-256, S3 version, size, sniffed type, upload and
    processing times and the worker's verdict; every access to an original and every
    opening of this record (who, when). Opening it is audited."""
    return custody.record(request.caller, report_id)

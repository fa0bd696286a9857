"""The officers' report routes: the triage queue, the full view, status and notes,
original downloads; and the admin-only reveal of a sealed reporter identity and legal
holds."""

from typing import Literal

from chalicelib.api import responses as r
from chalicelib.api.routes import ADMINS, STAFF, Blueprint, Paging
from chalicelib.errors import ErrorCode, ValidationFailed
from chalicelib.reports import custody, triage, views
from chalicelib.reports.bodies import (
    ForeignId,
    HoldRequest,
    ReportCategory,
    ReportChange,
    ReportStatus,
    RevealRequest,
)
from chalicelib.retention import holds

bp = Blueprint(__name__)


class QueueQuery(Paging, kw_only=True):
    # The enumerations' values, not the enums: query parameters are documented inline.
    status: Literal[tuple(status.value for status in ReportStatus)] | None = None
    category: Literal[tuple(category.value for category in ReportCategory)] | None = None
    bulletin_id: ForeignId | None = None


# How the parameters combine, which OpenAPI cannot say of query parameters.
QUEUE_RULES = {ErrorCode.CATEGORY_REQUIRED: "category is required, unless bulletin_id is given",
               ErrorCode.CLUES_ALONE: "bulletin_id comes alone, without status or category"}


@bp.route("/admin/reports", methods=["GET"], allow=STAFF, query=QueueQuery,
          answer=r.OfficerReportPage, rules=QUEUE_RULES,
          summary="The triage queue (officers)")
def triage_queue(request):
    """`?status=&category=` (status defaults to submitted), or `?bulletin_id=` for the
    clues on a bulletin; newest first."""
    query = request.query
    paging = {"limit": query.limit, "cursor": query.cursor}
    if query.bulletin_id is not None:
        if query.status is not None or query.category is not None:
            raise ValidationFailed("bulletin_id lists every clue on a bulletin; it does not "
                                   "combine with status or category.",
                                   code=ErrorCode.CLUES_ALONE, field="bulletin_id")
        page = triage.clues(query.bulletin_id, **paging)
    elif query.category is None:
        raise ValidationFailed(f"category is required: one of {', '.join(ReportCategory)}.",
                               code=ErrorCode.CATEGORY_REQUIRED, field="category")
    else:
        page = triage.queue(query.status or ReportStatus.SUBMITTED, query.category, **paging)
    return {"items": [views.officer_summary(report) for report in page.items],
            "next_cursor": page.next_cursor}


@bp.route("/admin/reports/{report_id}", methods=["GET"], allow=STAFF,
          answer=r.OfficerReport, summary="A report, full view (officers)")
def get_report_for_triage(request, report_id):
    return views.officer_view(triage.report(report_id))


@bp.route("/admin/reports/{report_id}", methods=["PATCH"], allow=STAFF, body=ReportChange,
          answer=r.OfficerReport, errors=(409,), idempotent=True,
          summary="Change status, add a note (officers)")
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


@bp.route("/admin/reports/{report_id}/hold", methods=["PUT"], allow=ADMINS, body=HoldRequest,
          answer=r.OfficerReport, errors=(409,), summary="Place a legal hold (admins; audited)")
def place_hold(request, report_id):
    """The report is kept past its retention until the hold is released, and its
    originals get an S3 Object Lock legal hold. Placing it on a held report changes
    nothing (the first reason stays) but locks the originals again."""
    return views.officer_view(holds.place(request.caller, report_id, request.body.reason))


@bp.route("/admin/reports/{report_id}/hold", methods=["DELETE"], allow=ADMINS,
          answer=r.OfficerReport, errors=(409,),
          summary="Release a legal hold (admins; audited)")
def release_hold(request, report_id):
    """Lifts the originals' Object Lock legal hold and restarts the report's retention
    clock: a closed report is purged its rule's period after the release. Releasing a
    report that is not held changes nothing."""
    return views.officer_view(holds.release(request.caller, report_id))

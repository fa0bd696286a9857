"""The officers' report routes: the triage queue, the full view, status and notes,
original downloads; and the admin-only reveal of a sealed reporter identity."""

import re

from chalice import Blueprint

from chalicelib.api.authz import authorize
from chalicelib.api.bodies import parse_body
from chalicelib.errors import ErrorCode, ValidationFailed
from chalicelib.pagination import parse_limit
from chalicelib.reports import triage, views
from chalicelib.reports.bodies import (
    CATEGORIES,
    FOREIGN_ID_PATTERN,
    STATUSES,
    ReportChange,
    RevealRequest,
)
from chalicelib.roles import STAFF, Role

bp = Blueprint(__name__)


@bp.route("/admin/reports", methods=["GET"])
def queue():
    """`?status=&category=` (status defaults to submitted), or `?bulletin_id=` for the
    clues on a bulletin; newest first."""
    authorize(bp.current_request, *STAFF)
    params = bp.current_request.query_params or {}
    paging = {"limit": parse_limit(params), "cursor": params.get("cursor")}
    if "bulletin_id" in params:
        if "status" in params or "category" in params:
            raise ValidationFailed("bulletin_id lists every clue on a bulletin; it does not "
                                   "combine with status or category.", field="bulletin_id")
        if not re.fullmatch(FOREIGN_ID_PATTERN, params["bulletin_id"]):
            raise ValidationFailed("bulletin_id is not a bulletin id.", field="bulletin_id")
        page = triage.clues(params["bulletin_id"], **paging)
    else:
        page = triage.queue(_one_of(params, "status", STATUSES, default="submitted"),
                            _one_of(params, "category", CATEGORIES,
                                    missing=ErrorCode.CATEGORY_REQUIRED), **paging)
    return {"items": [views.officer_summary(report) for report in page.items],
            "next_cursor": page.next_cursor}


def _one_of(params: dict, name: str, allowed: tuple[str, ...], default: str | None = None,
            *, missing: ErrorCode | None = None):
    value = params.get(name, default)
    if value is None:
        raise ValidationFailed(f"{name} is required: one of {', '.join(allowed)}.",
                               code=missing, field=name)
    if value not in allowed:
        raise ValidationFailed(f"{name} must be one of {', '.join(allowed)}.", field=name)
    return value


@bp.route("/admin/reports/{report_id}", methods=["GET"])
def get_report(report_id):
    authorize(bp.current_request, *STAFF)
    return views.officer_view(triage.report(report_id))


@bp.route("/admin/reports/{report_id}", methods=["PATCH"])
def change_report(report_id):
    officer = authorize(bp.current_request, *STAFF)
    body = parse_body(bp.current_request, ReportChange)
    return views.officer_view(triage.change(officer, report_id, body))


@bp.route("/admin/reports/{report_id}/reveal", methods=["POST"])
def reveal_reporter(report_id):
    admin = authorize(bp.current_request, Role.ADMIN)
    body = parse_body(bp.current_request, RevealRequest)
    return triage.reveal(admin, report_id, body.reason)


@bp.route("/admin/reports/{report_id}/evidence/{evidence_id}/original", methods=["GET"])
def download_original(report_id, evidence_id):
    officer = authorize(bp.current_request, *STAFF)
    return triage.original_download(officer, report_id, evidence_id)

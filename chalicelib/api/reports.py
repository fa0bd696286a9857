"""A reporter's own reports: file one, list them, open one, add evidence.

Someone else's report answers 404, exactly as a missing one does.
"""

from chalice import Blueprint, Response

from chalicelib.api.authz import authorize
from chalicelib.api.bodies import parse_body
from chalicelib.pagination import parse_limit
from chalicelib.reports import filing, views
from chalicelib.reports.bodies import EvidenceRequest, NewReport

bp = Blueprint(__name__)


@bp.route("/reports", methods=["POST"])
def file_report():
    reporter = authorize(bp.current_request)
    report = filing.file_report(reporter, parse_body(bp.current_request, NewReport))
    return Response(body=views.citizen_view(report), status_code=201,
                    headers={"Location": f"/reports/{report.report_id}"})


@bp.route("/reports", methods=["GET"])
def list_reports():
    reporter = authorize(bp.current_request)
    params = bp.current_request.query_params or {}
    page = filing.own_reports(reporter, limit=parse_limit(params), cursor=params.get("cursor"))
    return {"items": [views.citizen_summary(report) for report in page.items],
            "next_cursor": page.next_cursor}


@bp.route("/reports/{report_id}", methods=["GET"])
def get_report(report_id):
    reporter = authorize(bp.current_request)
    return views.citizen_view(filing.own_report(reporter, report_id))


@bp.route("/reports/{report_id}/evidence", methods=["POST"])
def add_evidence(report_id):
    reporter = authorize(bp.current_request)
    ticket = filing.add_evidence(reporter, report_id,
                                 parse_body(bp.current_request, EvidenceRequest))
    return Response(body=ticket, status_code=201)

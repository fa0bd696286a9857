"""A reporter's own reports: file one, list them, open one, add evidence.

Someone else's report answers 404, exactly as a missing one does.
"""

from chalice import Response

from chalicelib.api import responses as r
from chalicelib.api.routes import SIGNED_IN, Blueprint, Paging
from chalicelib.reports import filing, views
from chalicelib.reports.bodies import EvidenceRequest, NewReport

bp = Blueprint(__name__)


@bp.route("/reports", methods=["POST"], allow=SIGNED_IN, body=NewReport, ok=201,
          answer=r.CitizenReport, headers={201: ("Location",)}, errors=(429,),
          summary="File a report")
def file_report(request):
    report = filing.file_report(request.caller, request.body)
    return Response(body=views.citizen_view(report), status_code=201,
                    headers={"Location": f"/reports/{report.report_id}"})


@bp.route("/reports", methods=["GET"], allow=SIGNED_IN, query=Paging, answer=r.ReportPage,
          summary="Your reports")
def list_own_reports(request):
    page = filing.own_reports(request.caller, limit=request.query.limit,
                              cursor=request.query.cursor)
    return {"items": [views.citizen_summary(report) for report in page.items],
            "next_cursor": page.next_cursor}


@bp.route("/reports/{report_id}", methods=["GET"], allow=SIGNED_IN, answer=r.CitizenReport,
          summary="One of your reports")
def get_own_report(request, report_id):
    return views.citizen_view(filing.own_report(request.caller, report_id))


@bp.route("/reports/{report_id}/evidence", methods=["POST"], allow=SIGNED_IN,
          body=EvidenceRequest, ok=201, answer=r.EvidenceTicket, errors=(409,),
          summary="Upload evidence to your report")
def add_evidence(request, report_id):
    return filing.add_evidence(request.caller, report_id, request.body)

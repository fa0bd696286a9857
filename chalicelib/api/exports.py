"""CSV exports of reports for spreadsheets: asked for here, written by a queued job
(chalicelib/exports/), fetched by a presigned URL once ready."""

from chalice import Response

from chalicelib.api import responses as r
from chalicelib.api.routes import STAFF, Blueprint
from chalicelib.errors import ErrorCode
from chalicelib.exports import jobs
from chalicelib.exports.jobs import ExportFilters

bp = Blueprint(__name__)


@bp.route("/admin/exports", methods=["POST"], allow=STAFF, body=ExportFilters, ok=202,
          answer=r.ExportJob, headers={202: ("Location",)}, idempotent=True,
          rules={ErrorCode.INVALID_PERIOD: "from is not after to"},
          summary="Export reports as CSV (officers; audited)")
def request_export(request):
    """Queues an export of the reports the filters choose (every field optional; `from`
    and `to` are UTC days of filing, both included). Answers 202 at once; GET the
    export until it is ready. The CSV is UTF-8 with a byte-order mark and CRLF line
    ends; it holds reports' aliases, never who filed them; it is deleted 24 hours after
    the request."""
    job = jobs.start(request.caller, request.body)
    return Response(body=jobs.view(job), status_code=202,
                    headers={"Location": f"/admin/exports/{job.export_id}"})


@bp.route("/admin/exports/{export_id}", methods=["GET"], allow=STAFF, answer=r.ExportJob,
          summary="An export's status and, once ready, its URL (officers)")
def get_export(request, export_id):
    """The officer who asked for it, or an admin, sees it; anyone else gets the 404 a
    missing export gets."""
    return jobs.view(jobs.visible(request.caller, export_id))

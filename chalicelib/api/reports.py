"""A reporter's own reports: file one, list them, open one, add evidence.

Someone else's report answers 404, exactly as a missing one does.
"""

from typing import Annotated

import msgspec
from chalice import Response

from chalicelib import clock
from chalicelib.api import places
from chalicelib.api import responses as r
from chalicelib.api.bulletins import near_views
from chalicelib.api.routes import SIGNED_IN, Blueprint, Paging
from chalicelib.bulletins import nearby
from chalicelib.reports import evidence, filing, linking, views
from chalicelib.reports.bodies import CompleteUpload, EvidenceRequest, NewReport

bp = Blueprint(__name__)


@bp.route("/reports", methods=["POST"], allow=SIGNED_IN, body=NewReport, ok=201,
          answer=r.CitizenReport, headers={201: ("Location",)}, errors=(429,),
          rules=filing.RULES, idempotent=True, summary="File a report")
def file_report(request):
    report = filing.file_report(request.caller, request.body)
    return Response(body=views.citizen_view(report), status_code=201,
                    headers={"Location": f"/reports/{report.report_id}"})


class NearbyBulletinsQuery(msgspec.Struct, kw_only=True):
    near: places.NearPoint
    radius_m: Annotated[int, msgspec.Meta(ge=1, le=nearby.MAX_RADIUS_M, description=(
        f"Metres around the point, at most {nearby.MAX_RADIUS_M}"))] = 1_000


# Enough for an app to offer a choice before filing; more would not be read.
NEARBY_BULLETINS = 10


@bp.route("/reports/nearby-bulletins", methods=["GET"], allow=SIGNED_IN,
          query=NearbyBulletinsQuery, answer=r.NearbyBulletins, rules=places.RULES,
          summary="Bulletins near where you are reporting")
def bulletins_near_a_report(request):
    """Before filing, the app asks which published bulletins are near the place, nearest
    first (at most 10), to suggest "is this about this bulletin?" (then `bulletin_id`
    on the report). The point is neither stored nor logged."""
    with places.bounded_search():
        found = nearby.near(places.point(request.query.near), request.query.radius_m,
                            now=clock.now(), limit=NEARBY_BULLETINS)
    return {"items": near_views(found)}


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
    report = filing.own_report(request.caller, report_id)
    return views.citizen_view(report, linking.primary_of(report))


@bp.route("/reports/{report_id}/evidence", methods=["POST"], allow=SIGNED_IN,
          body=EvidenceRequest, ok=201, answer=r.EvidenceTicket, errors=(409,),
          idempotent=True, summary="Upload evidence to your report")
def add_evidence(request, report_id):
    return filing.add_evidence(request.caller, report_id, request.body)


UPLOAD = "/reports/{report_id}/evidence/{evidence_id}"


@bp.route(f"{UPLOAD}/upload", methods=["GET"], allow=SIGNED_IN, answer=r.ResumePlan,
          errors=(409,), summary="Resume a multipart upload")
def resume_upload(request, report_id, evidence_id):
    """The parts S3 already holds and fresh URLs for the others: an app that lost the
    network carries on from here."""
    return evidence.resume_plan(filing.own_report(request.caller, report_id), evidence_id)


@bp.route(f"{UPLOAD}/complete", methods=["POST"], allow=SIGNED_IN, body=CompleteUpload,
          answer=r.UploadCompleted, errors=(409,), idempotent=True,
          summary="Complete a multipart upload")
def complete_upload(request, report_id, evidence_id):
    """Refused when the parts hold more than the declared size (at most the type's
    limit). The worker then processes the file as any upload."""
    parts = [(part.part_number, part.etag) for part in request.body.parts]
    return evidence.complete(filing.own_report(request.caller, report_id), evidence_id, parts)


@bp.route(f"{UPLOAD}/complete", methods=["DELETE"], allow=SIGNED_IN, ok=204, errors=(409,),
          summary="Abort a multipart upload")
def abort_upload(request, report_id, evidence_id):
    """S3 drops the parts and the item's slot on the report is free again."""
    evidence.abort(filing.own_report(request.caller, report_id), evidence_id)

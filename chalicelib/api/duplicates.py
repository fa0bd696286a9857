"""Possible duplicates of a report and linking them, for officers: reports near it in
place and time (with photo similarity), and the link that makes one case of several
reports (chalicelib/reports/nearby.py and linking.py)."""

from typing import Annotated

import msgspec

from chalicelib.api import places
from chalicelib.api import responses as r
from chalicelib.api.routes import STAFF, Blueprint
from chalicelib.patterns import whole
from chalicelib.reports import linking, nearby, triage, views
from chalicelib.reports.bodies import FOREIGN_ID_PATTERN

bp = Blueprint(__name__)


class NearbyQuery(msgspec.Struct, kw_only=True):
    radius_m: Annotated[int, msgspec.Meta(ge=1, le=nearby.MAX_RADIUS_M, description=(
        f"Metres around the report, at most {nearby.MAX_RADIUS_M}"))] = nearby.DEFAULT_RADIUS_M
    days: Annotated[int, msgspec.Meta(ge=1, le=nearby.MAX_DAYS, description=(
        "Days either side of when it happened"))] = nearby.DEFAULT_DAYS


class DuplicateOf(msgspec.Struct, forbid_unknown_fields=True):
    report_id: Annotated[str, msgspec.Meta(pattern=whole(FOREIGN_ID_PATTERN),
                                           description="The primary report")]


@bp.route("/admin/reports/{report_id}/nearby", methods=["GET"], allow=STAFF,
          query=NearbyQuery, answer=r.NearbyReports, rules=places.RULES,
          summary="Possible duplicates: reports near in place and time (officers)")
def nearby_reports(request, report_id):
    """Other reports within `radius_m` (default 300 m) whose time is within `days`
    (default 3) of this one's, nearest first, each with its distance, time difference,
    category and photo similarity; and, wherever they are, the reports holding a
    byte-identical photo."""
    report, query = triage.report(report_id), request.query
    with places.bounded_search():
        found = nearby.nearby(report, query.radius_m, query.days)
    return views.nearby_view(report, found, nearby.same_photo(report),
                             radius_m=query.radius_m, days=query.days)


@bp.route("/admin/reports/{report_id}/duplicate-of", methods=["POST"], allow=STAFF,
          body=DuplicateOf, answer=r.OfficerReport, errors=(409,), rules=linking.RULES,
          summary="Link as a duplicate of another report (officers; audited)")
def link_duplicate(request, report_id):
    """The report leaves the queue and is handled with the primary: it takes the
    primary's status and moves with it, and its reporter gets the primary's notes to
    reporters, learning nothing of the other report."""
    return views.officer_view(linking.link(request.caller, report_id,
                                           request.body.report_id))


@bp.route("/admin/reports/{report_id}/duplicate-of", methods=["DELETE"], allow=STAFF,
          answer=r.OfficerReport, errors=(409,),
          summary="Unlink a duplicate (officers; audited)")
def unlink_duplicate(request, report_id):
    """The report goes back to the queue with the status it had when it was linked."""
    return views.officer_view(linking.unlink(request.caller, report_id))

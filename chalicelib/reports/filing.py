"""The citizen's side: filing a report (at most N an hour), reading one's own reports,
and asking to add evidence. Any signed-in role may file; a report is only ever shown
through these functions to the person who filed it."""

import logging
import math
import secrets
from datetime import UTC, datetime, timedelta

import msgspec
from pynamodb.exceptions import UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import clock, observability, stats, transparency
from chalicelib.bulletins.fields import BulletinStatus
from chalicelib.bulletins.store import read as read_bulletin
from chalicelib.errors import ErrorCode, NotFound, TooManyRequests, ValidationFailed
from chalicelib.pagination import Page, query_page
from chalicelib.push import alerts
from chalicelib.reports import evidence, nearby
from chalicelib.reports.bodies import EvidenceRequest, NewReport, ReportStatus
from chalicelib.reports.store import find, queue_key
from chalicelib.settings import settings
from chalicelib.storage import condition_failed, new_id
from chalicelib.tables import Report, ReportLocation, ReportQuota, run_transaction
from chalicelib.tokens import Principal
from chalicelib.transparency import Act

# Phones' clocks drift; a report of something "just now" must not be refused.
CLOCK_SKEW = timedelta(minutes=5)
# What JSON Schema cannot say of a new report (the route declares it).
RULES = {ErrorCode.OCCURRED_IN_FUTURE: "occurred_at is at most 5 minutes ahead of the server's "
                                       "clock",
         ErrorCode.UNKNOWN_BULLETIN: "bulletin_id, when given, names a bulletin that exists "
                                     "and was not retracted",
         ErrorCode.UNKNOWN_DISTRICT: "district, when given, is one of the stage's districts "
                                     "(GET /districts)"}
# No 0/O or 1/I, so an officer can read an alias aloud.
ALIAS_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

logger = logging.getLogger(__name__)


def file_report(reporter: Principal, body: NewReport, now: datetime | None = None) -> Report:
    now = now or clock.now()
    if body.occurred_at > now + CLOCK_SKEW:
        raise ValidationFailed("occurred_at is in the future.", code=ErrorCode.OCCURRED_IN_FUTURE,
                               field="occurred_at")
    if body.district is not None:  # the queue, statistics and exports filter on it
        alerts.check_district(body.district)
    if body.bulletin_id is not None:
        _check_bulletin(body.bulletin_id)
    _take_quota(reporter.user_id, now)
    report = Report(
        new_id(), reporter_id=reporter.user_id, alias=new_alias(),
        category=body.category, description=body.description,
        location=(location := ReportLocation(**stored_location(body.location))),
        occurred_at=body.occurred_at.astimezone(UTC), created_at=now, updated_at=now,
        status=ReportStatus.SUBMITTED,
        queue_key=queue_key(ReportStatus.SUBMITTED, body.category),
        bulletin_id=body.bulletin_id, district=body.district, notes=[], evidence={},
        evidence_count=0, place_cell=nearby.place_cell(location))

    def build(transaction: TransactWrite) -> None:
        transaction.save(report, condition=Report.report_id.does_not_exist())
        stats.count_filing(transaction, report)
        transparency.count(transaction, Act.REPORT_FILED, report.category)

    run_transaction(build)
    # Ids and the category only: the description and place are the reporter's words.
    logger.info("report filed", extra={"report_id": report.report_id,
                                       "category": report.category})
    observability.count(observability.Metric.REPORTS_FILED)
    return report


def stored_location(location) -> dict:
    """The location as DynamoDB can hold it: it refuses numbers of a magnitude below
    1e-130, which a float may have (5e-324). Coordinates are kept to 7 decimals (about
    a centimetre); the accuracy is rounded up to the centimetre, so the stored radius is
    never tighter than the phone's."""
    fields = msgspec.structs.asdict(location)
    for name in ("latitude", "longitude"):
        if fields[name] is not None:
            fields[name] = round(fields[name], 7)
    if fields["accuracy_m"] is not None:
        centimetres = math.ceil(round(fields["accuracy_m"] * 100, 6))  # 1.1 stays 1.1
        fields["accuracy_m"] = max(centimetres, 1) / 100
    return fields


def _check_bulletin(bulletin_id: str) -> None:
    """A clue names a bulletin that exists and was not retracted (resolved and expired
    ones still take clues: a case may reopen). One GetItem."""
    try:
        takes_clues = read_bulletin(bulletin_id).status != BulletinStatus.RETRACTED
    except NotFound:
        takes_clues = False
    if not takes_clues:
        raise ValidationFailed("bulletin_id names no bulletin that takes clues.",
                               code=ErrorCode.UNKNOWN_BULLETIN, field="bulletin_id")


def new_alias() -> str:
    """Random per report: nothing about the reporter can be worked out from it."""
    return "Reporter-" + "".join(secrets.choice(ALIAS_ALPHABET) for _ in range(4))


def _take_quota(user_id: str, now: datetime) -> None:
    """Count one report in the user's current clock hour, or refuse with 429.

    A fixed window keyed by its hour: an expired window is never read again, because
    the next hour has a different key; `ttl` only tidies old windows away.
    """
    limit = settings().reports_per_hour
    hour = now.replace(minute=0, second=0, microsecond=0)
    window_end = hour + timedelta(hours=1)
    try:
        ReportQuota(f"{user_id}#{hour.isoformat()}").update(
            actions=[ReportQuota.filed.add(1),
                     ReportQuota.ttl.set(int(window_end.timestamp()) + 3600)],
            condition=ReportQuota.filed.does_not_exist() | (ReportQuota.filed < limit))
    except UpdateError as error:
        if not condition_failed(error):
            raise
        raise TooManyRequests(f"At most {limit} reports an hour; try again later.",
                              retry_after=math.ceil((window_end - now).total_seconds()),
                              code=ErrorCode.REPORT_RATE_LIMITED) from None


def own_reports(reporter: Principal, *, limit: int, cursor: str | None) -> Page:
    return query_page(Report.by_reporter, reporter.user_id, limit=limit, cursor=cursor)


def own_report(reporter: Principal, report_id: str) -> Report:
    """The reporter's report; someone else's is answered exactly like a missing one."""
    report = find(report_id)
    if report is None or report.reporter_id != reporter.user_id:
        raise NotFound("No such report.", code=ErrorCode.REPORT_NOT_FOUND)
    return report


def add_evidence(reporter: Principal, report_id: str, request: EvidenceRequest) -> dict:
    return evidence.start(own_report(reporter, report_id), request)

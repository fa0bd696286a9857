"""The response bodies of the API as msgspec structs: the other half of the contract
(the request structs live with their domain, in chalicelib/reports/bodies.py and
chalicelib/bulletins/fields.py, or beside their routes). Every enumeration here is the
domain's own (roles, statuses, categories, error codes), never a copy. Handlers build
plain dicts; the OpenAPI
document (chalicelib/api/openapi.py) is generated from these structs, and
tests/test_openapi.py checks every JSON answer the test suite receives against it.

Structs list what a client may rely on; an answer may carry more fields (a bulletin's
category fields are described by its draft struct).
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct, defstruct, field

from chalicelib.audit import AuditAction
from chalicelib.bulletins.fields import BulletinCategory, BulletinStatus, Outcome
from chalicelib.conversations.bodies import MessageAuthor
from chalicelib.errors import ErrorCode
from chalicelib.exports import ExportStatus
from chalicelib.media import MediaKind, MediaStatus, RejectReason
from chalicelib.reports.bodies import NoteVisibility, ReportCategory, ReportStatus
from chalicelib.roles import ActorRole, Role
from chalicelib.transparency import Act


class ErrorDetail(Struct):
    code: ErrorCode
    message: str
    field: str | None = None


class ErrorBody(Struct):
    error: ErrorDetail


class Health(Struct):
    status: Literal["ok"]


class SessionUser(Struct):
    id: str
    phone: str
    role: Role


class SessionBody(Struct):
    access_token: str
    refresh_token: str
    expires_in: int
    user: SessionUser


class Profile(Struct):
    id: str
    phone: str
    role: Role
    created_at: datetime


class OfficerGrant(Struct):
    phone: str
    user_id: str
    role: Role
    display_name: str | None = None   # how other officers see this one
    badge: str | None = None


class OfficerRow(Struct, kw_only=True):
    user_id: str
    phone: str
    role: Role
    display_name: str | None
    badge: str | None
    granted_at: datetime | None       # when the officer role was granted (or admin made)


class OfficerPage(Struct):
    items: list[OfficerRow]
    next_cursor: str | None


class AuditActor(Struct):
    id: str
    role: ActorRole
    display_name: str | None = None   # an officer's or admin's profile name, shown to staff


class AuditEventView(Struct):
    id: str
    at: datetime
    actor: AuditActor
    action: AuditAction
    target: str
    details: dict[str, Any]


class AuditPage(Struct):
    items: list[AuditEventView]
    next_cursor: str | None


class UploadForm(Struct, tag_field="type", tag="post"):
    """A presigned POST: send `fields` and then the file as multipart/form-data to `url`."""
    url: str
    fields: dict[str, str]


class PartUrl(Struct):
    part_number: int
    url: str


class MultipartPlan(Struct, tag_field="type", tag="multipart"):
    """An S3 multipart upload (files above 32 MiB): PUT bytes
    [(n-1)·part_size, n·part_size) of the file to part n's URL, keep each answer's ETag,
    then POST them to .../complete. GET .../upload lists what S3 holds, with fresh URLs."""
    upload_id: str
    part_size: int
    parts: list[PartUrl]
    urls_expire_in: int


class UploadedPart(Struct):
    part_number: int
    etag: str
    size: int


class ResumePlan(Struct):
    evidence_id: str
    upload: MultipartPlan
    uploaded_parts: list[UploadedPart]
    expires_in: int


class UploadCompleted(Struct):
    evidence_id: str
    status: Literal["uploaded"]


class ImageStatus(Struct):
    """One upload of a bulletin image as the evidence worker left it."""
    media_id: str
    status: MediaStatus
    reject_reason: Annotated[RejectReason | None, Meta(description=(
        "Why the worker refused the file, when status is rejected"))]
    processed_at: datetime | None
    content_type: str
    created_at: datetime


class ImageUploadPage(Struct):
    items: list[ImageStatus]
    next_cursor: str | None


class ImageTicket(Struct):
    media_id: str
    upload: UploadForm
    expires_in: int


class EvidenceTicket(Struct):
    evidence_id: str
    upload: UploadForm | MultipartPlan
    expires_in: int                 # seconds left to upload (multipart: to complete)


class Place(Struct):
    latitude: float
    longitude: float


class BulletinImage(Struct):
    media_id: str
    width: int | None
    height: int | None
    thumb_url: str
    large_url: str


class BulletinSummary(Struct, kw_only=True):
    id: str
    status: BulletinStatus
    category: BulletinCategory
    title: str
    district: str
    contact: str
    expires_at: datetime | None
    outcome: Outcome | None
    note: str | None
    reason: str | None
    published_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    location: Place | None = None
    thumb_url: str | None = None
    distance_m: int | None = None  # in answers near a point: metres from it


class Bulletin(BulletinSummary, kw_only=True):
    body: str
    images: list[BulletinImage]


class BulletinPage(Struct):
    items: list[BulletinSummary]
    next_cursor: str | None


class NearbyBulletins(Struct):
    items: list[BulletinSummary]


class LocationView(Struct):
    latitude: float | None
    longitude: float | None
    accuracy_m: float | None
    address: str | None


class EvidenceView(Struct, kw_only=True):
    evidence_id: str
    # expired: the upload URLs expired with nothing uploaded; the item no longer counts
    # toward the report's 10. aborted: the uploader abandoned a multipart upload.
    status: MediaStatus
    content_type: str
    created_at: datetime
    kind: MediaKind | None = None
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    reject_reason: RejectReason | None = None
    # Once ready: the derivatives. A video's are its poster frame (the first keyframe).
    thumb_url: str | None = None
    large_url: str | None = None


class ReportSummary(Struct, kw_only=True):
    report_id: str
    category: ReportCategory
    status: ReportStatus
    description: str
    occurred_at: datetime
    created_at: datetime
    updated_at: datetime
    bulletin_id: str | None
    evidence_count: int
    unread_messages: int  # the other side's messages this reader has not yet read


class ReporterNote(Struct):
    text: str
    created_at: datetime


class CitizenReportSummary(ReportSummary, kw_only=True):
    handled_together: bool  # linked to another report of the same event, worked with it


class CitizenReport(CitizenReportSummary, kw_only=True):
    location: LocationView
    notes: list[ReporterNote]
    evidence: list[EvidenceView]
    evidence_urls_expire_in: int


class ReportPage(Struct):
    items: list[CitizenReportSummary]
    next_cursor: str | None


class Assignee(Struct):
    id: str
    display_name: str | None     # the officer's profile name (null: no profile yet)


class OfficerReportSummary(ReportSummary, kw_only=True):
    alias: str
    location: LocationView
    duplicate_of: str | None  # the primary this report is linked to as a duplicate
    district: str | None
    urgent: bool
    assignee: Assignee | None  # the officer who took the report


class OfficerNote(Struct):
    note_id: str
    text: str
    visibility: NoteVisibility
    author_id: str
    created_at: datetime


class LegalHold(Struct):
    """A legal hold (admins place it): the report is kept past its retention, and its
    originals are locked in S3 (Object Lock legal hold)."""
    reason: str
    placed_at: datetime


class OfficerReport(OfficerReportSummary, kw_only=True):
    notes: list[OfficerNote]
    evidence: list[EvidenceView]
    evidence_urls_expire_in: int
    duplicates: list[str]  # the reports linked to this one as its duplicates
    hold: LegalHold | None
    # When the retention schedule purges the report (report, evidence, conversation);
    # null while it is open or held.
    purge_after: datetime | None


class NearbyReport(Struct, kw_only=True):
    report_id: str
    alias: str
    category: ReportCategory
    same_category: bool
    status: ReportStatus
    description: str
    occurred_at: datetime
    distance_m: int
    seconds_apart: int          # its occurred_at minus this report's
    similarity: float | None    # of the most alike pair of photos; null without photos
    identical_photo: bool       # a photo with the same SHA-256
    similar_photo: bool         # a pair of photos a few bits of perceptual hash apart
    duplicate_of: str | None
    thumb_urls: list[str]


class NearbyReports(Struct, kw_only=True):
    report_id: str
    located: bool               # false: the report has no coordinates, so no neighbours
    radius_m: int
    days: int
    items: list[NearbyReport]
    same_photo: list[str]       # other reports, anywhere, holding an identical photo


class OfficerReportPage(Struct, kw_only=True):
    items: list[OfficerReportSummary]
    next_cursor: str | None
    # The queue's status: how many reports each category holds in it now (kept at write
    # time); null for a bulletin's clues.
    category_counts: dict[ReportCategory, int] | None = None


class LocalizedTitle(Struct):
    zh_cn: str = field(name="zh-CN")
    en: str


class ReplyTemplateView(Struct):
    id: str
    title: LocalizedTitle
    text: LocalizedTitle


class ReplyTemplates(Struct):
    version: int                 # send it back with PUT; 0 before the first save
    replies: list[ReplyTemplateView]
    updated_at: datetime | None
    updated_by: AuditActor | None


class DurationBucket(Struct):
    up_to_seconds: int | None    # null: the open last bucket
    count: int


class Durations(Struct, kw_only=True):
    """A fixed-bucket histogram of seconds and the percentiles read from it: each
    percentile is the upper bound of the bucket it falls in (null: no report yet, or
    beyond the last bound)."""
    count: int
    median_seconds: int | None
    p90_seconds: int | None
    buckets: list[DurationBucket]


class WaitingReport(Struct):
    report_id: str
    category: ReportCategory
    created_at: datetime
    waiting_seconds: int


class AwaitingAnswer(Struct):
    count: int
    oldest_since: datetime | None


class Stats(Struct, kw_only=True):
    """Of the reports filed from `from` to `to` (UTC days, inclusive): how many, where
    they stand now, and how long they took; with the queue and the inbox as they are."""
    from_: date = field(name="from")
    to: date
    filed: int
    by_status: dict[ReportStatus, int]
    by_category: dict[ReportCategory, int]
    by_district: dict[str, int]  # "" holds the reports filed without a district
    to_in_review: Durations
    to_final: Durations
    oldest_waiting: WaitingReport | None   # the oldest submitted report, any category
    awaiting_answer: AwaitingAnswer        # conversations whose reporter awaits an answer


class ExportJob(Struct, kw_only=True):
    export_id: str
    status: ExportStatus
    filters: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None
    rows: int | None             # once ready
    url: str | None              # once ready: the CSV, presigned
    url_expires_in: int | None
    expires_at: datetime         # the CSV is deleted then (24 h after the request)


class ThreadMessage(Struct, kw_only=True):
    """A message of a report's conversation. The police's carry the unit's name, the
    reporter's the report's alias: never an officer, a phone number or a user id."""
    message_id: str
    author: MessageAuthor
    unit: str | None = None      # author police
    alias: str | None = None     # author reporter
    body: str
    attachments: list[EvidenceView]
    created_at: datetime


class ReporterThread(Struct):
    items: list[ThreadMessage]
    next_cursor: str | None
    alias: str
    open: bool                   # the reporter may write
    open_until: datetime | None  # when it closes, once the report is actioned or dismissed


class OfficerThread(Struct):
    items: list[ThreadMessage]
    next_cursor: str | None
    alias: str
    account_deleted: bool        # the reporter deleted their account: no more replies


class InboxRow(Struct):
    report_id: str
    alias: str
    category: ReportCategory
    status: ReportStatus
    waiting_since: datetime      # the first unanswered message
    waiting_seconds: int
    last_message_at: datetime
    unread_messages: int


class InboxPage(Struct):
    items: list[InboxRow]
    next_cursor: str | None


class RevealedIdentity(Struct):
    report_id: str
    user_id: str | None
    phone: str | None
    account_deleted: bool


class OriginalDownload(Struct):
    url: str
    expires_in: int


class CustodyItem(Struct, kw_only=True):
    evidence_id: str
    # pending: nothing processed yet; expired: the ticket's URLs expired unused.
    verdict: MediaStatus
    reject_reason: RejectReason | None
    on_report: bool
    declared_content_type: str
    declared_size: int
    ticket_issued_at: datetime
    ticket_expires_at: datetime | None
    object_key: str
    version_id: str | None          # the S3 version hashed; downloads serve this one
    uploaded_at: datetime | None    # that version's S3 LastModified
    size: int | None
    sha256: str | None
    sniffed_kind: MediaKind | None
    sniffed_type: str | None
    processed_at: datetime | None


class CustodyAccess(Struct, kw_only=True):
    event_id: str
    at: datetime
    actor: AuditActor
    evidence_id: str | None = None


class CustodyRecord(Struct, kw_only=True):
    report_id: str
    alias: str
    category: ReportCategory
    status: ReportStatus
    filed_at: datetime
    generated_at: datetime
    generated_by: AuditActor
    evidence: list[CustodyItem]
    original_accesses: list[CustodyAccess]
    record_openings: list[CustodyAccess]


class PublishedCount(Struct, kw_only=True):
    """A count as the transparency report publishes it: exact (0, or 5 and more), or,
    from 1 to 4, only that it is fewer than 5 (a small number could point at a person):
    then `count` is null and `fewer_than` is 5."""
    count: int | None
    fewer_than: Literal[5] | None


# The acts one month counts, besides reports filed (per category).
_COUNTED = {act.value: PublishedCount for act in Act if act is not Act.REPORT_FILED}
TransparencyMonth = defstruct(
    "TransparencyMonth",
    [("month", str), ("reports_filed", defstruct(
        "ReportsFiled", [(category.value, PublishedCount) for category in ReportCategory],
        kw_only=True)), *_COUNTED.items()],
    kw_only=True)


class TransparencyReport(Struct, kw_only=True):
    """Months oldest first. What each figure counts: reports filed (per category),
    actioned and dismissed; identity reveals; original downloads; legal holds placed and
    released; reports purged by retention, and rejected or unused evidence purged alone;
    accounts deleted by their owners; bulletins published and push alerts sent on them."""
    months: list[TransparencyMonth]


class RetentionDays(Struct, kw_only=True):
    dismissed: int          # after a report is dismissed
    actioned: int           # after an actioned report's last change
    failed_evidence: int    # rejected evidence, uploads never made
    audit: int              # the audit trail, never purged with a report


class PolicyTexts(Struct, kw_only=True):
    retention: str          # how long a report and its evidence are kept
    identity: str           # who can see the reporter's identity
    audit: str              # what the audit trail keeps, and for how long


PrivacyPolicy = defstruct("PrivacyPolicy", [
    ("retention_days", RetentionDays),
    ("texts", defstruct("PolicyLanguages", [("en", PolicyTexts), ("zh_CN", PolicyTexts)],
                        kw_only=True, rename={"zh_CN": "zh-CN"}))], kw_only=True)
class Device(Struct):
    """An installation registered for pushes. `registered` turns true once the push
    worker has its SNS endpoint (moments after the first PUT)."""
    installation_id: str
    platform: Literal["fcm", "apns"]
    locale: Literal["zh-CN", "en"]
    registered: bool
    updated_at: datetime


class AlertSubscription(Struct):
    category: BulletinCategory
    district: str


class Districts(Struct):
    districts: list[str]


class AlertSubscriptions(Struct):
    subscriptions: list[AlertSubscription]


class AlertAudience(Struct):
    """How many devices an alert of this category in this district reaches now."""
    category: BulletinCategory
    district: str
    devices: int

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

from datetime import datetime
from typing import Any, Literal

from msgspec import Struct

from chalicelib.audit import AuditAction
from chalicelib.bulletins.fields import BulletinCategory, BulletinStatus, Outcome
from chalicelib.errors import ErrorCode
from chalicelib.media import MediaKind, MediaStatus, RejectReason
from chalicelib.reports.bodies import NoteVisibility, ReportCategory, ReportStatus
from chalicelib.roles import ActorRole, Role


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


class AuditActor(Struct):
    id: str
    role: ActorRole


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


class UploadForm(Struct):
    """A presigned POST: send `fields` and then the file as multipart/form-data to `url`."""
    url: str
    fields: dict[str, str]


class ImageTicket(Struct):
    media_id: str
    upload: UploadForm
    expires_in: int


class EvidenceTicket(Struct):
    evidence_id: str
    upload: UploadForm
    expires_in: int


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
    thumb_url: str | None = None


class Bulletin(BulletinSummary, kw_only=True):
    body: str
    images: list[BulletinImage]


class BulletinPage(Struct):
    items: list[BulletinSummary]
    next_cursor: str | None


class LocationView(Struct):
    latitude: float | None
    longitude: float | None
    accuracy_m: float | None
    address: str | None


class EvidenceView(Struct, kw_only=True):
    evidence_id: str
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


class ReporterNote(Struct):
    text: str
    created_at: datetime


class CitizenReport(ReportSummary, kw_only=True):
    location: LocationView
    notes: list[ReporterNote]
    evidence: list[EvidenceView]
    evidence_urls_expire_in: int


class ReportPage(Struct):
    items: list[ReportSummary]
    next_cursor: str | None


class OfficerReportSummary(ReportSummary, kw_only=True):
    alias: str
    location: LocationView


class OfficerNote(Struct):
    note_id: str
    text: str
    visibility: NoteVisibility
    author_id: str
    created_at: datetime


class OfficerReport(OfficerReportSummary, kw_only=True):
    notes: list[OfficerNote]
    evidence: list[EvidenceView]
    evidence_urls_expire_in: int


class OfficerReportPage(Struct):
    items: list[OfficerReportSummary]
    next_cursor: str | None


class RevealedIdentity(Struct):
    report_id: str
    user_id: str | None
    phone: str | None
    account_deleted: bool


class OriginalDownload(Struct):
    url: str
    expires_in: int

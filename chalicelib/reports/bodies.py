"""The request bodies of the report routes: the contract mobile clients and the admin
site build against. msgspec enforces types, ranges and unknown fields; parse_body turns
its errors into 400s naming the field."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

import msgspec
from msgspec import Meta

from chalicelib.bulletins.fields import District
from chalicelib.patterns import whole


class ReportCategory(StrEnum):
    THEFT = "theft"
    VIOLENCE = "violence"
    DRUGS = "drugs"
    FRAUD = "fraud"
    TRAFFIC = "traffic"
    SUSPICIOUS_ACTIVITY = "suspicious_activity"
    MISSING_OR_TRAFFICKED_PERSON = "missing_or_trafficked_person"
    OTHER = "other"


class ReportStatus(StrEnum):
    """Where a report stands; triage.NEXT_STATUSES says which moves are allowed."""

    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    ACTIONED = "actioned"
    DISMISSED = "dismissed"


class NoteVisibility(StrEnum):
    INTERNAL = "internal"    # officers only
    REPORTER = "reporter"    # shown to the reporter too


CATEGORIES: tuple[str, ...] = tuple(ReportCategory)
STATUSES: tuple[str, ...] = tuple(ReportStatus)
COORDINATES = ("latitude", "longitude", "accuracy_m")
# Ids other modules hand out (bulletins): bounded, so a key never reaches DynamoDB's limits.
FOREIGN_ID_PATTERN = r"[A-Za-z0-9_-]{1,64}"
ForeignId = Annotated[str, Meta(pattern=whole(FOREIGN_ID_PATTERN))]


def nonblank(min_length: int, max_length: int) -> type[str]:
    """A string of min–max characters that is not all whitespace."""
    return Annotated[str, Meta(min_length=min_length, max_length=max_length, pattern=r"\S")]


class Location(msgspec.Struct, forbid_unknown_fields=True):
    # __post_init__'s two rules in JSON Schema (msgspec's schemas cannot say them; the
    # OpenAPI document adds this to the struct's): the coordinates and their accuracy
    # come all together or not at all, and coordinates or an address are given.
    CROSS_FIELD_SCHEMA: ClassVar[dict] = {"allOf": [
        {"anyOf": [
            {"properties": {name: {"type": "number"} for name in COORDINATES},
             "required": list(COORDINATES)},
            {"properties": {name: {"type": "null"} for name in COORDINATES}},
        ]},
        {"anyOf": [
            {"properties": {"latitude": {"type": "number"}}, "required": ["latitude"]},
            {"properties": {"address": {"type": "string"}}, "required": ["address"]},
        ]},
    ]}

    latitude: Annotated[float, Meta(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Meta(ge=-180, le=180)] | None = None
    accuracy_m: Annotated[float, Meta(gt=0, le=100_000)] | None = None
    address: nonblank(1, 500) | None = None

    def __post_init__(self):
        coordinates = (self.latitude, self.longitude, self.accuracy_m)
        if any(value is not None for value in coordinates) and None in coordinates:
            raise ValueError("latitude, longitude and accuracy_m come together")
        if self.latitude is None and self.address is None:
            raise ValueError("give coordinates (latitude, longitude, accuracy_m), an address, "
                             "or both")


class NewReport(msgspec.Struct, forbid_unknown_fields=True):
    category: ReportCategory
    description: nonblank(10, 5000)
    location: Location
    occurred_at: Annotated[datetime, Meta(tz=True)]
    bulletin_id: ForeignId | None = None
    district: District | None = None   # the officers' queue and statistics filter on it


class EvidenceRequest(msgspec.Struct, forbid_unknown_fields=True):
    content_type: Annotated[str, Meta(max_length=100)]
    size: int


class CompletedPart(msgspec.Struct, forbid_unknown_fields=True):
    part_number: Annotated[int, Meta(ge=1, le=10_000)]
    etag: Annotated[str, Meta(min_length=1, max_length=200)]


class CompleteUpload(msgspec.Struct, forbid_unknown_fields=True):
    """The parts as S3 answered each UploadPart (its ETag header), ascending."""
    parts: Annotated[list[CompletedPart], Meta(min_length=1, max_length=10_000)]


class NoteInput(msgspec.Struct, forbid_unknown_fields=True):
    text: nonblank(1, 2000)
    visibility: NoteVisibility


class ReportChange(msgspec.Struct, forbid_unknown_fields=True):
    """Any of: a status move, a note, the assignee, the urgency. `assignee` is "me" (take
    the report) or null (give it back); absent leaves it as it is. Taking or giving back
    a report another officer holds is a 409 report_taken, unless an admin sends
    `"force": true`."""
    status: ReportStatus | None = None
    note: NoteInput | None = None
    assignee: Literal["me"] | None | msgspec.UnsetType = msgspec.UNSET
    urgent: bool | msgspec.UnsetType = msgspec.UNSET
    force: bool = False
    # What __post_init__ checks, as JSON Schema: at least one change.
    CROSS_FIELD_SCHEMA: ClassVar[dict] = {"anyOf": [
        *({"properties": {name: {"type": kind}}, "required": [name]}
          for name, kind in (("status", "string"), ("note", "object"), ("urgent", "boolean"))),
        {"required": ["assignee"]}]}

    def __post_init__(self):
        if (self.status is None and self.note is None and self.assignee is msgspec.UNSET
                and self.urgent is msgspec.UNSET):
            raise ValueError("give a status, a note, an assignee or the urgency")


class RevealRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: nonblank(10, 500)

"""What an officer sends to publish or change a bulletin: one typed struct per category.

The JSON is flat: the common fields (title, body, district, contact, expires_at) sit
beside the category's own fields, and `category` says which struct applies (a msgspec
tagged union). Unknown fields are refused and every string has a length limit and a
character rule, so a typo or an oversized field is a 400 naming it, never stored.
Lengths count characters, not bytes, so Chinese text gets the same room as English.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from msgspec import Meta, Struct

from chalicelib.patterns import whole

# One visible line: no control characters, no blank start or end.
LINE_PATTERN = whole(r"[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?")
# Free text: tabs and line breaks allowed, other control characters not; not all blank.
TEXT_PATTERN = whole(r"(?=[\s\S]*\S)[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*")


def line(max_length: int):
    return Annotated[str, Meta(min_length=1, max_length=max_length, pattern=LINE_PATTERN)]


def text(max_length: int):
    return Annotated[str, Meta(min_length=1, max_length=max_length, pattern=TEXT_PATTERN)]


UtcTime = Annotated[datetime, Meta(tz=True)]
District = line(64)


class BulletinStatus(StrEnum):
    PUBLISHED = "published"
    RESOLVED = "resolved"    # with an outcome
    RETRACTED = "retracted"  # with a public reason


class Outcome(StrEnum):
    """How a resolved bulletin ended."""

    FOUND = "found"
    ARRESTED = "arrested"
    RECOVERED = "recovered"
    RETURNED = "returned"
    CLOSED = "closed"


COMMON_FIELDS = ("title", "body", "district", "contact", "expires_at", "location")
# Asked of a publish or an edit, never stored: push it as a district alert.
ALERT_FIELD = "alert"


class Place(Struct, forbid_unknown_fields=True):
    """A point the bulletin is about, such as where a person was last seen: it makes the
    bulletin show up near that point (GET /bulletins?near=)."""
    latitude: Annotated[float, Meta(ge=-90, le=90)]
    longitude: Annotated[float, Meta(ge=-180, le=180)]


class BulletinDraftBase(Struct, kw_only=True, forbid_unknown_fields=True, tag_field="category"):
    title: line(120)
    body: text(5000)
    district: District
    contact: line(200)
    expires_at: UtcTime | None = None
    location: Place | None = None
    # ALERT_FIELD: true pushes the bulletin to the subscribers of its category and
    # district (chalicelib/push/alerts.py), within the district's alerts of the day.
    alert: bool = False


class KeyCase(BulletinDraftBase, kw_only=True, tag="key_case"):
    case_number: line(64)
    summary: text(1000)
    occurred_at: UtcTime
    appeal: text(2000)


class MissingPerson(BulletinDraftBase, kw_only=True, tag="missing_person"):
    # At least one of age and date_of_birth: checked in chalicelib.bulletins.lifecycle,
    # said in JSON Schema here (msgspec's schemas cannot say it; the OpenAPI document
    # adds it to this struct's).
    CROSS_FIELD_SCHEMA: ClassVar[dict] = {"anyOf": [
        {"properties": {"age": {"type": "integer"}}, "required": ["age"]},
        {"properties": {"date_of_birth": {"type": "string"}}, "required": ["date_of_birth"]},
    ]}

    name: line(100)
    sex: Literal["male", "female", "unknown"]
    age: Annotated[int, Meta(ge=0, le=130)] | None = None
    date_of_birth: date | None = None
    height_cm: Annotated[int, Meta(ge=30, le=250)] | None = None
    build: line(100) | None = None
    clothing: text(500) | None = None
    last_seen_place: line(200)
    last_seen_at: UtcTime
    circumstances: text(2000) | None = None
    at_risk: bool = False


class LostAndFound(BulletinDraftBase, kw_only=True, tag="lost_and_found"):
    lost_or_found: Literal["lost", "found"]
    item_type: line(100)
    description: text(2000)
    place: line(200)
    occurred_on: date
    claim_at: line(300)


class Suspect(BulletinDraftBase, kw_only=True, tag="suspect"):
    name: line(100) | None = None
    aliases: Annotated[list[line(100)], Meta(max_length=10)] = []
    description: text(2000)
    wanted_for: line(300)
    caution: line(300) | None = None
    reward: line(300) | None = None


class Vehicle(BulletinDraftBase, kw_only=True, tag="vehicle"):
    plate: line(20)
    make: line(50) | None = None
    model: line(50) | None = None
    colour: line(30) | None = None
    year: Annotated[int, Meta(ge=1886, le=2100)] | None = None
    sought_for: Literal["stolen", "hit_and_run", "used_in_crime", "abandoned", "other"]


BulletinDraft = KeyCase | MissingPerson | LostAndFound | Suspect | Vehicle
# The categories are the drafts' tags: defined there, once.
CATEGORIES: tuple[str, ...] = tuple(kind.__struct_config__.tag for kind in BulletinDraft.__args__)
BulletinCategory = Literal[CATEGORIES]


class Resolve(Struct, kw_only=True, forbid_unknown_fields=True, tag_field="status",
              tag=BulletinStatus.RESOLVED.value):
    outcome: Outcome
    note: text(1000) | None = None


class Retract(Struct, kw_only=True, forbid_unknown_fields=True, tag_field="status",
              tag=BulletinStatus.RETRACTED.value):
    reason: text(1000)


# PATCH bodies that carry `status` are one of these; the rest are edits.
LifecycleMove = Resolve | Retract


class ImageUploadRequest(Struct, forbid_unknown_fields=True):
    content_type: line(100)
    size: int

"""The request bodies and queries of the conversation routes, and who can author a
message. Message text follows the character rules of every body
(chalicelib/api/bodies.py) and the length rule of reports' text; it is stored and
returned exactly as sent, and shown as text, never as HTML."""

from enum import StrEnum
from typing import Annotated, ClassVar

import msgspec
from msgspec import Meta

from chalicelib.patterns import whole
from chalicelib.reports.bodies import nonblank
from chalicelib.reports.evidence import MAX_EVIDENCE
from chalicelib.storage import ID_PATTERN


class MessageAuthor(StrEnum):
    """Which side wrote a message; never which officer (that is in the audit trail)."""

    POLICE = "police"        # an officer, shown to the reporter as the stage's unit
    REPORTER = "reporter"    # the report's reporter, shown to officers as its alias


MAX_BODY_CHARACTERS = 2000
MessageText = nonblank(1, MAX_BODY_CHARACTERS)
# "20261201T184114123456Z-1a2b3c4d": the UTC time it was sent, then a random part.
MESSAGE_ID_PATTERN = r"[0-9]{8}T[0-9]{12}Z-[0-9a-f]{8}"
MessageId = Annotated[str, Meta(pattern=whole(MESSAGE_ID_PATTERN))]
EvidenceId = Annotated[str, Meta(pattern=whole(ID_PATTERN))]


class ReporterMessage(msgspec.Struct, forbid_unknown_fields=True):
    # __post_init__'s rule in JSON Schema, for the OpenAPI document (msgspec cannot say it).
    CROSS_FIELD_SCHEMA: ClassVar[dict] = {"properties": {"attachments": {"uniqueItems": True}}}

    body: MessageText
    # Evidence already uploaded to the report (POST /reports/{id}/evidence).
    attachments: Annotated[list[EvidenceId], Meta(max_length=MAX_EVIDENCE)] = []

    def __post_init__(self):
        if len(set(self.attachments)) != len(self.attachments):
            raise ValueError("each attachment once")


class OfficerMessage(msgspec.Struct, forbid_unknown_fields=True):
    """No attachments: officers send no media to a citizen's phone."""
    body: MessageText

"""The request bodies and queries of the conversation routes. Message text follows the
character rules of every body (chalicelib/api/bodies.py) and the length rule of
reports' text; it is stored and returned exactly as sent, and shown as text, never
as HTML."""

from typing import Annotated

import msgspec
from msgspec import Meta

from chalicelib.reports.bodies import FOREIGN_ID_PATTERN, nonblank
from chalicelib.reports.evidence import MAX_EVIDENCE

MAX_BODY_CHARACTERS = 2000
MessageText = nonblank(1, MAX_BODY_CHARACTERS)
# "20261201T184114123456Z-1a2b3c4d": the UTC time it was sent, then a random part.
MESSAGE_ID_PATTERN = r"^[0-9]{8}T[0-9]{12}Z-[0-9a-f]{8}$"


class ReporterMessage(msgspec.Struct, forbid_unknown_fields=True):
    body: MessageText
    # Evidence already uploaded to the report (POST /reports/{id}/evidence).
    attachments: Annotated[list[Annotated[str, Meta(pattern=f"^{FOREIGN_ID_PATTERN}$")]],
                           Meta(max_length=MAX_EVIDENCE)] = []

    def __post_init__(self):
        if len(set(self.attachments)) != len(self.attachments):
            raise ValueError("each attachment once")


class OfficerMessage(msgspec.Struct, forbid_unknown_fields=True):
    """No attachments: officers send no media to a citizen's phone."""
    body: MessageText

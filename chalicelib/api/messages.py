"""The reporter's side of the conversation about their report: read it, write to the
police. Someone else's report answers 404, exactly as a missing one does."""

from typing import Annotated

import msgspec

from chalicelib.api import responses as r
from chalicelib.api.routes import SIGNED_IN, Blueprint, Paging
from chalicelib.conversations import threads
from chalicelib.conversations.bodies import MessageId, ReporterMessage

bp = Blueprint(__name__)


class ThreadQuery(Paging, kw_only=True):
    """Oldest first; `after` gives only what arrived after that message."""
    after: Annotated[MessageId, msgspec.Meta(description=(
        "a message_id: only the messages after it"))] | None = None


@bp.route("/reports/{report_id}/messages", methods=["GET"], allow=SIGNED_IN,
          query=ThreadQuery, answer=r.ReporterThread,
          summary="The conversation about your report")
def read_own_conversation(request, report_id):
    """Oldest first. Reading marks the police's messages read."""
    query = request.query
    return threads.reporter_thread(request.caller, report_id, limit=query.limit,
                                   cursor=query.cursor, after=query.after)


@bp.route("/reports/{report_id}/messages", methods=["POST"], allow=SIGNED_IN,
          body=ReporterMessage, ok=201, answer=r.ThreadMessage, errors=(409, 429),
          idempotent=True, summary="Write to the police about your report")
def write_to_police(request, report_id):
    """Attachments are evidence ids of this report (POST /reports/{id}/evidence). Open
    while the report is submitted or in review, and for some days after it is
    actioned or dismissed; then 409 conversation_closed."""
    return threads.send_as_reporter(request.caller, report_id, request.body)

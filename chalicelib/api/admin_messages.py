"""Officers' side of the conversations: a report's thread, answering the reporter as
"the police", and the inbox of reports awaiting an answer."""

from chalicelib.api import responses as r
from chalicelib.api.messages import ThreadQuery
from chalicelib.api.routes import STAFF, Blueprint, Paging
from chalicelib.conversations import threads
from chalicelib.conversations.bodies import OfficerMessage

bp = Blueprint(__name__)


@bp.route("/admin/reports/{report_id}/messages", methods=["GET"], allow=STAFF,
          query=ThreadQuery, answer=r.OfficerThread,
          summary="The conversation with a reporter (officers)")
def read_conversation_with_reporter(request, report_id):
    """Oldest first. Reading marks the reporter's messages read for every officer."""
    query = request.query
    return threads.officer_thread(report_id, limit=query.limit, cursor=query.cursor,
                                  after=query.after)


@bp.route("/admin/reports/{report_id}/messages", methods=["POST"], allow=STAFF,
          body=OfficerMessage, ok=201, answer=r.ThreadMessage, errors=(429,),
          idempotent=True, summary="Write to a reporter as the police (officers; audited)")
def write_to_reporter(request, report_id):
    """The reporter sees the unit's name, never the officer's; the audit trail records
    who. Text only: officers send no attachments."""
    return threads.send_as_officer(request.caller, report_id, request.body)


@bp.route("/admin/inbox", methods=["GET"], allow=STAFF, query=Paging, answer=r.InboxPage,
          summary="Reports awaiting an answer (officers)")
def awaiting_answer(request):
    """Reports whose latest message is the reporter's, oldest wait first."""
    return threads.inbox(limit=request.query.limit, cursor=request.query.cursor)

"""The unit's reply templates: ready-made texts, in zh-CN and en, that officers put into
a note or a message."""

from chalicelib import replies
from chalicelib.api import responses as r
from chalicelib.api.routes import ADMINS, STAFF, Blueprint
from chalicelib.errors import ErrorCode

bp = Blueprint(__name__)


@bp.route("/admin/replies", methods=["GET"], allow=STAFF, answer=r.ReplyTemplates,
          summary="The reply templates (officers)")
def get_replies(request):
    return replies.view(replies.current())


@bp.route("/admin/replies", methods=["PUT"], allow=ADMINS, body=replies.ReplyTemplatesChange,
          answer=r.ReplyTemplates, errors=(409,),
          rules={ErrorCode.EDIT_CONFLICT: "version is the version last read (0 before the "
                                          "first save): another admin saved meanwhile",
                 ErrorCode.DUPLICATE_REPLY_ID: "every template's id differs"},
          summary="Replace the reply templates (admins; audited)")
def put_replies(request):
    """The whole list, at most 50 templates; `version` as last read, so two admins'
    edits never silently overwrite each other (409 edit_conflict: read again). Sending
    the list just saved again changes nothing and answers the same version."""
    return replies.view(replies.replace(request.caller, request.body))

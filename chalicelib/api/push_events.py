"""The push worker's trigger as Chalice sees it: the push queue → Lambda.

It makes `chalice package` emit the SendPushes function, its SQS event source mapping
and its role; on AWS the function's Handler is chalicelib/push/handler.py's plain
handler (infra/package.py), so the worker never loads the API's blueprints.
"""

from chalice import Blueprint

from chalicelib.settings import resource_name

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=resource_name("push"), batch_size=1)
def send_pushes(event):
    # Imported here: the API function never runs this (on AWS the worker's own function
    # does), so its cold start does not load the worker's modules.
    from chalicelib.push import handler

    return handler.handler(event.to_dict(), event.context)

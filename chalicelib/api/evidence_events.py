"""The evidence worker's trigger as Chalice sees it: S3 ObjectCreated → SQS → Lambda.

This declaration is what makes `chalice package` emit the ProcessEvidence function, its
SQS event source mapping (batch size 1) and its role, and what `chalice local` and
`chalice.test.Client` invoke. The work itself is in chalicelib/media/handler.py, a plain
Lambda handler without Chalice: on AWS the function's Handler points there (set by
infra/package.py), so the worker never loads the API's blueprints.
"""

from chalice import Blueprint

from chalicelib.settings import resource_name

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=resource_name("evidence"), batch_size=1)
def process_evidence(event):
    # Imported here: the API function never runs this (on AWS the worker's own function
    # does), so its cold start does not load the worker's modules.
    from chalicelib.media import handler

    return handler.handler(event.to_dict(), event.context)

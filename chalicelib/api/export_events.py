"""The export worker's trigger as Chalice sees it: the `exports` queue → Lambda.

This declaration makes `chalice package` emit the ExportReports function, its event
source mapping (batch size 1) and its role, and is what `chalice local` and
`chalice.test.Client` invoke. The work is in chalicelib/exports/handler.py, which the
function's Handler points at on AWS (infra/package.py).
"""

from chalice import Blueprint

from chalicelib.settings import resource_name

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=resource_name("exports"), batch_size=1)
def export_reports(event):
    # Imported here: the API function never runs this (on AWS the worker's own function
    # does), so its cold start does not load the worker's modules.
    from chalicelib.exports import handler

    return handler.handler(event.to_dict(), event.context)

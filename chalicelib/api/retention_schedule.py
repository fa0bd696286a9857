"""The retention schedule as Chalice sees it: a rule that runs the purge every hour.

This declaration makes `chalice package` emit the PurgeDue function and its schedule,
and is what `chalice local` would invoke. The work is in chalicelib/retention/handler.py,
a plain Lambda handler: on AWS the function's Handler points there (infra/package.py),
with a zip of its own that holds none of the API. Offline, `make dev` runs it every
few minutes and `make purge` runs it now (local/purge.py).
"""

from chalice import Blueprint, Rate

bp = Blueprint(__name__)


@bp.schedule(Rate(1, unit=Rate.HOURS))
def purge_due(event):
    # Imported here: the API function never runs this (on AWS the worker's own function
    # does), so its cold start does not load the worker's modules.
    from chalicelib.retention import handler

    return handler.handler(event.to_dict(), event.context)

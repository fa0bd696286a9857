"""The retention schedule's Lambda entry point: `chalicelib.retention.handler.handler`.

A plain handler with no Chalice in it (chalicelib/api/retention_schedule.py declares
the schedule), run within a budget below the function's timeout: what a run leaves
undone (out of time, an S3 error) the next run resumes (chalicelib/retention/purge.py).
"""

from chalicelib import deadlines, observability
from chalicelib.settings import settings


def handler(event: dict, context) -> dict:
    from chalicelib.retention import purge

    with (observability.context(request_id=observability.request_id_of(None, context)),
          deadlines.budget(settings().worker_budget_seconds, context)):
        return purge.run()

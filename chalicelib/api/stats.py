"""GET /admin/stats: how the unit is doing, from counters kept at write time."""

from datetime import date
from typing import Annotated

import msgspec
from msgspec import Meta

from chalicelib import stats
from chalicelib.api import responses as r
from chalicelib.api.routes import STAFF, Blueprint
from chalicelib.errors import ErrorCode

bp = Blueprint(__name__)


class StatsQuery(msgspec.Struct, kw_only=True):
    from_: Annotated[date, Meta(description="First UTC day, YYYY-MM-DD (default: 29 days "
                                            "before to)")] | None = msgspec.field(
        name="from", default=None)
    to: Annotated[date, Meta(description="Last UTC day, YYYY-MM-DD (default: today)")] | None = None


@bp.route("/admin/stats", methods=["GET"], allow=STAFF, query=StatsQuery, answer=r.Stats,
          rules={ErrorCode.INVALID_PERIOD: f"from is not after to, and they span at most "
                                           f"{stats.MAX_DAYS} days"},
          summary="Statistics of the reports filed in a period (officers)")
def get_stats(request):
    """Of the reports filed from `from` to `to` (UTC days, both included): how many, by
    where they stand now, by category and by district; how long they took from filing to
    in_review and to a final status (median and 90th percentile, from fixed buckets);
    and, as they are now, the oldest report waiting in the queue and the conversations
    awaiting an answer.

    Three Queries: the day counters of the period (one Query for every figure kept at
    write time), the oldest waiting report (one Query per category on the queue, at
    most one item each, concurrently) and the inbox count (one Query of the sparse
    inbox index, counting only what waits there)."""
    period = stats.period(request.query.from_, request.query.to)
    return stats.summary(*period)

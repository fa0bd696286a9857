"""The public transparency report and the privacy policy in force: no sign-in, no
personal data, cacheable (an ETag of the answer, and Cache-Control)."""

from typing import Annotated

import msgspec

from chalicelib import clock
from chalicelib.api import responses as r
from chalicelib.api.caching import CACHED, CONDITIONAL, cached, etag_of
from chalicelib.api.routes import ANYONE, Blueprint
from chalicelib.transparency import month_of
from chalicelib.transparency.policy import policy
from chalicelib.transparency.published import months, months_before

bp = Blueprint(__name__)

MAX_MONTHS = 12
# The current month still changes; a past one only if an act was counted at its very end.
CURRENT_MAX_AGE_SECONDS = 300
PAST_MAX_AGE_SECONDS = 3600


class TransparencyQuery(msgspec.Struct, kw_only=True):
    month: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description=(
        "The month, YYYY-MM (UTC); by default the current one"))] | None = None
    months: Annotated[int, msgspec.Meta(ge=1, le=MAX_MONTHS, description=(
        f"How many months, ending with `month`: 1 to {MAX_MONTHS}"))] = 1


@bp.route("/transparency", methods=["GET"], allow=ANYONE, query=TransparencyQuery,
          request_headers=CONDITIONAL, answer=r.TransparencyReport, more={304: None},
          headers=CACHED, summary="The public transparency report, per month")
def transparency_report(request):
    """Counts kept when each act happened, per calendar month (UTC), oldest first. A
    count from 1 to 4 is published only as "fewer than 5"."""
    current = month_of(clock.now())
    last = request.query.month or current
    body = {"months": months(months_before(last, request.query.months - 1), last)}
    max_age = CURRENT_MAX_AGE_SECONDS if last >= current else PAST_MAX_AGE_SECONDS
    return cached(request, etag_of(body), lambda: body, f"public, max-age={max_age}")


@bp.route("/transparency/policy", methods=["GET"], allow=ANYONE, request_headers=CONDITIONAL,
          answer=r.PrivacyPolicy, more={304: None}, headers=CACHED,
          summary="The retention periods in force, and who sees a reporter's identity")
def privacy_policy(request):
    body = policy()
    return cached(request, etag_of(body), lambda: body,
                  f"public, max-age={PAST_MAX_AGE_SECONDS}")

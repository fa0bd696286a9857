"""District alerts: what a citizen subscribes to, and the one place an alert is sent.

An alert is pushed to the devices subscribed to its bulletin's (category, district):
a paged fan-out over the audience's shards (audience.py). `send` queues one job per
shard; each job Queries a page of 500 rows, queues the next page, and publishes to
each row's endpoint (one SNS Publish per device; Publish takes one target).

A million devices in one district: 8 shards of 125,000 rows, 250 pages each. SNS
allows 30,000 Publish calls a second in us-east-1 (9,000 in us-west-2 and eu-west-1,
1,500 elsewhere; a quota AWS raises on request). A page is 500 × (one conditional
PutItem + one Publish, about 20 ms) spread over 16 threads: about 0.7 s, so one job
publishes about 700 a second and the 8 shards' chains about 5,600 a second: a
million in about 3 minutes, with the worker's SQS MaximumConcurrency at 8 or more.
Past the quota more concurrency buys nothing; raise the shards and the concurrency
together only once the quota is raised (at 30,000/s: 48 shards, about 35 s).
"""

import math
from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

from chalicelib import audit, clock, transparency
from chalicelib.audit import AuditAction
from chalicelib.errors import ErrorCode, TooManyRequests, ValidationFailed
from chalicelib.push import audience, jobs
from chalicelib.settings import settings
from chalicelib.storage import condition_failed, new_id
from chalicelib.tables import AlertChoices, Bulletin, RateWindow
from chalicelib.tokens import Principal
from chalicelib.transparency import Act

MAX_SUBSCRIPTIONS = 20
RULES = {ErrorCode.UNKNOWN_DISTRICT: "district is one of the stage's districts "
                                     "(GET /districts; Beijing's 16 by default)"}
LIMIT_RULES = {ErrorCode.ALERT_RATE_LIMITED: "at most the stage's number of alerts per "
                                             "district per UTC day (10 by default)"}


def check_district(district: str, field: str = "district") -> None:
    known = settings().districts
    if district not in known:
        examples = "、".join(known[:3])
        raise ValidationFailed(f"{field} is not one of the stage's {len(known)} districts "
                               f"(such as {examples}).", code=ErrorCode.UNKNOWN_DISTRICT,
                               field=field)


def subscriptions_of(user_id: str) -> list[dict]:
    return audience.choices_of(user_id)


def subscribe(user_id: str, subscriptions: list[dict]) -> list[dict]:
    """Replace the user's choices (deduplicated, in the order given); the worker then
    brings their devices' audience rows in line."""
    for number, choice in enumerate(subscriptions):
        check_district(choice["district"], f"subscriptions[{number}].district")
    unique = list({(c["category"], c["district"]): c for c in subscriptions}.values())
    if unique != subscriptions_of(user_id):
        AlertChoices(user_id, subscriptions=unique, updated_at=clock.now()).save()
        jobs.send_after_change(jobs.SyncUser(user_id))
    return unique


def forget(user_id: str) -> None:
    """Drop the user's choices (their account is going); removing their devices then
    empties their audience rows."""
    AlertChoices(user_id).delete()


def reserve(district: str, now: datetime | None = None) -> None:
    """Take one of the district's alerts of the day, or refuse (429) before anything
    is published."""
    now = now or clock.now()
    day = now.date().isoformat()
    limit = settings().alerts_per_district_day
    ends = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo)
    try:
        RateWindow(f"alerts#{district}#{day}").update(
            actions=[RateWindow.count.add(1), RateWindow.ttl.set(int(ends.timestamp()) + 86_400)],
            condition=RateWindow.count.does_not_exist() | (RateWindow.count < limit))
    except UpdateError as error:
        if not condition_failed(error):
            raise
        raise TooManyRequests(f"At most {limit} alerts a day in {district}; the next can go "
                              "out tomorrow (UTC).", code=ErrorCode.ALERT_RATE_LIMITED,
                              retry_after=math.ceil((ends - now).total_seconds())) from None


def send(officer: Principal, bulletin: Bulletin, outcome: str | None = None) -> None:
    """Push the bulletin to its audience: as an alert (taken from the day's limit by
    `reserve` first), or, with `outcome`, how an alerted bulletin ended. The one place
    an alert goes out: audited, then queued."""
    event_id = new_id()
    target = f"bulletin#{bulletin.bulletin_id}"
    details = {"event_id": event_id, "category": bulletin.category,
               "district": bulletin.district, "outcome": outcome,
               "audience": audience.size(bulletin.category, bulletin.district)}
    if outcome is None:  # the transparency report counts alerts, not their outcomes
        transparency.record(Act.ALERT_PUBLISHED, officer, AuditAction.BULLETIN_ALERT,
                            target, details)
    else:
        audit.record(officer, AuditAction.BULLETIN_ALERT, target, details)
    if outcome is None:
        bulletin.update(actions=[Bulletin.alerted_at.set(clock.now())])
    jobs.send_after_change(*(
        jobs.AlertPage(event_id, bulletin.bulletin_id, bulletin.category, bulletin.district,
                       bulletin.title, outcome, shard) for shard in range(audience.SHARDS)))

"""The push worker: every SNS call Masses makes, one job at a time (jobs.py).

A job that fails for a passing reason (SNS or DynamoDB out of time, throttled) raises:
SQS delivers it again, and after the queue's maxReceiveCount it waits in the
dead-letter queue. A push claimed but not sent (refused, or the connection never
made) gives its claim back first, so the retry sends it; a push sent is never sent
again for the same event (PushReceipt). A Publish whose answer was lost may have been
delivered: it keeps its claim, so it is never pushed twice (and, if SNS never got
it, not at all: counted and logged as a failure).
An endpoint SNS calls disabled or does not know removes the device it was made for.
"""

import concurrent.futures
import functools
import logging
import re
import time

from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError
from pynamodb.exceptions import DeleteError, PutError, UpdateError

from chalicelib import deadlines, observability
from chalicelib.push import audience, jobs, texts
from chalicelib.settings import settings
from chalicelib.storage import condition_failed
from chalicelib.tables import AlertAudience, Device, PushReceipt

logger = logging.getLogger(__name__)
PAGE = 500
THREADS = 16
RECEIPT_DAYS = 14          # longer than SQS keeps a message (and its DLQ's 14 days)
GONE = ("EndpointDisabled", "NotFound")
# CreatePlatformEndpoint for a token SNS knows with other attributes names that endpoint.
EXISTING_ENDPOINT = re.compile(r"Endpoint (arn:[^ ]+) already exists")


def run(job: jobs.Job) -> None:
    match job:
        case jobs.SyncDevice():
            sync_device(job.user_id, job.installation_id)
        case jobs.SyncUser():
            for arn in job.delete_endpoints:
                _sns().delete_endpoint(EndpointArn=arn)
            audience.sync(job.user_id)
        case jobs.ReportUpdate():
            report_update(job)
        case jobs.AlertPage():
            alert_page(job)


@functools.cache
def _sns():
    # One client per process, shared by the page's threads (botocore clients are).
    return deadlines.aws_client("sns")


# ---- devices -------------------------------------------------------------------------

def sync_device(user_id: str, installation_id: str) -> None:
    """AWS's pseudo-code for mobile token management: create the endpoint once; when
    it is gone, create it again; when its token differs or SNS disabled it, update it."""
    device = _device(user_id, installation_id)
    if device is None:
        return
    arn = device.endpoint_arn
    if arn is not None:
        try:
            attributes = _sns().get_endpoint_attributes(EndpointArn=arn)["Attributes"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "NotFound":
                raise
            arn = None
        else:
            if attributes.get("Token") != device.token or \
                    str(attributes.get("Enabled")).lower() != "true":
                _sns().set_endpoint_attributes(EndpointArn=arn, Attributes={
                    "Token": device.token, "Enabled": "true"})
    if arn is None:
        arn = _create_endpoint(device)
    if arn != device.endpoint_arn and not _keep_endpoint(device, arn):
        return
    audience.sync(user_id)


def _device(user_id: str, installation_id: str) -> Device | None:
    try:
        return Device.get(user_id, installation_id, consistent_read=True)
    except Device.DoesNotExist:
        return None


def _create_endpoint(device: Device) -> str:
    application = settings().push_applications[device.platform]
    try:
        return _sns().create_platform_endpoint(PlatformApplicationArn=application,
                                               Token=device.token)["EndpointArn"]
    except ClientError as error:
        found = EXISTING_ENDPOINT.search(error.response["Error"].get("Message", ""))
        if error.response["Error"]["Code"] != "InvalidParameter" or found is None:
            raise
    arn = found[1]
    _sns().set_endpoint_attributes(EndpointArn=arn, Attributes={"Token": device.token,
                                                                "Enabled": "true"})
    return arn


def _keep_endpoint(device: Device, arn: str) -> bool:
    """Store the endpoint on the device if the device is still as read; else (removed
    or re-registered meanwhile) the endpoint is not ours to keep."""
    try:
        device.update(actions=[Device.endpoint_arn.set(arn)],
                      condition=(Device.token == device.token)
                      & (Device.platform == device.platform))
    except UpdateError as error:
        if not condition_failed(error):
            raise
        if _device(device.user_id, device.installation_id) is None:
            _sns().delete_endpoint(EndpointArn=arn)
        return False
    return True


def _forget(user_id: str, installation_id: str, arn: str) -> None:
    """SNS disabled or lost this endpoint: remove the device it was made for (the app
    registers again on its next launch) and the endpoint."""
    try:
        Device(user_id, installation_id).delete(condition=Device.endpoint_arn == arn)
    except DeleteError as error:
        if not condition_failed(error):
            raise
    _sns().delete_endpoint(EndpointArn=arn)
    audience.sync(user_id)
    logger.info("device removed: its endpoint is disabled or gone",
                extra={"installation_id": installation_id})


# ---- pushes --------------------------------------------------------------------------

def report_update(job: jobs.ReportUpdate) -> None:
    for device in Device.query(job.user_id, consistent_read=True):
        if device.endpoint_arn:
            _push_once(job.event_id, job.user_id, device.installation_id, device.endpoint_arn,
                       texts.report_update(device.locale, job.report_id))


def alert_page(job: jobs.AlertPage) -> None:
    """One page of one shard; the next page is queued before this one is pushed, so
    the shard's pages go out one after another."""
    rows = AlertAudience.query(audience.shard_key(job.category, job.district, job.shard),
                               limit=PAGE, last_evaluated_key=job.cursor)
    page = list(rows)
    if rows.last_evaluated_key is not None:
        jobs.send(jobs.AlertPage(job.event_id, job.bulletin_id, job.category, job.district,
                                 job.title, job.outcome, job.shard, rows.last_evaluated_key))
    budget = deadlines.current()

    def push(row: AlertAudience) -> None:
        with deadlines.budget(budget.remaining()):
            user_id, _, installation_id = row.member.partition("#")
            push_text = texts.alert(row.locale, bulletin_id=job.bulletin_id,
                                    category=job.category, district=job.district,
                                    title=job.title, outcome=job.outcome)
            _push_once(job.event_id, user_id, installation_id, row.endpoint_arn, push_text)

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(push, page))  # raises the first failure, once every push was tried
    logger.info("alert page pushed", extra={"event_id": job.event_id, "shard": job.shard,
                                            "devices": len(page)})


def _push_once(event_id: str, user_id: str, installation_id: str, arn: str,
               push: dict) -> None:
    """Publish `push` to the endpoint unless this event already reached this device.
    An endpoint disabled or gone removes the device."""
    receipt = PushReceipt(f"{event_id}#{user_id}#{installation_id}",
                          ttl=int(time.time()) + RECEIPT_DAYS * 86_400)
    try:
        receipt.save(condition=PushReceipt.key.does_not_exist())
    except PutError as error:
        if condition_failed(error):
            return  # pushed already, by an earlier delivery of this job
        raise
    try:
        _sns().publish(TargetArn=arn, MessageStructure="json",
                       Message=texts.sns_message(push))
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code in GONE:
            _forget(user_id, installation_id, arn)
            return
        _failed(receipt, code, may_have_sent=False)
        raise
    except Exception as error:
        _failed(receipt, type(error).__name__, may_have_sent=_answer_lost(error))
        raise


def _answer_lost(error: Exception) -> bool:
    """The Publish reached SNS, or may have: its answer timed out or the connection
    dropped after the request was sent (deadlines.py raises DeadlineExceeded from it)."""
    cause = error.__cause__ if isinstance(error, deadlines.DeadlineExceeded) else error
    return isinstance(cause, ReadTimeoutError | ConnectionClosedError)


def _failed(receipt: PushReceipt, reason: str, *, may_have_sent: bool) -> None:
    """Not sent: give the claim back, so the job's retry sends it. Perhaps sent: keep
    it, so no device gets the push twice."""
    logger.warning("push not sent: %s%s", reason,
                   "; it may have been delivered, so it is not sent again"
                   if may_have_sent else "")
    observability.count(observability.Metric.PUSH_FAILURES)
    if not may_have_sent:
        receipt.delete()

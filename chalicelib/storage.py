"""What every module that keeps data in DynamoDB or S3 shares: the ids it makes, how a
failed condition is told from other errors, and the S3 client."""

import functools
import re
import uuid

from pynamodb.exceptions import PynamoDBException

from chalicelib import deadlines

# Every id the app makes (users, reports, bulletins, media, sessions) is a uuid4 in hex.
ID_PATTERN = "[0-9a-f]{32}"
_ID = re.compile(ID_PATTERN)
CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailedException"
# The same failure, as a cancelled transaction names it among its reasons.
TRANSACTION_CONDITION_FAILED = "ConditionalCheckFailed"


def new_id() -> str:
    return uuid.uuid4().hex


def is_id(text: str) -> bool:
    """Whether `text` can be an id of ours. Anything else is answered 404 without a
    DynamoDB call, so it can never reach DynamoDB's key limits as a 500."""
    return _ID.fullmatch(text) is not None


def condition_failed(error: PynamoDBException) -> bool:
    """A write refused because its condition did not hold (not an outage, not a bug)."""
    return error.cause_response_code == CONDITIONAL_CHECK_FAILED


# The limits of the API's S3 calls (chalicelib/settings.py); the worker's are "s3".
API_S3 = "s3-api"


@functools.cache
def s3_client(limits: str = "s3"):
    """The S3 client, with the timeouts and tries of `limits`: "s3" (the worker's long
    reads and writes, within the job's budget) or API_S3 (the API's multipart calls,
    within a request's). Signature V4: presigned POSTs and GETs need it in every region.
    Presigning makes no call."""
    return deadlines.aws_client("s3", limits=limits, signature_version="s3v4")

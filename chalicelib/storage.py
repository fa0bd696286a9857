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


@functools.cache
def s3_client():
    # Signature V4: presigned POSTs and GETs need it in every region. Presigning makes
    # no call; the worker's reads and writes keep to the job's budget.
    return deadlines.aws_client("s3", signature_version="s3v4")

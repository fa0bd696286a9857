"""Failures turned into answers a client can act on, at the edge of each view.

The domain raises plain ApiErrors (chalicelib/errors.py). A dependency that did not
answer within the request's budget is a 503 `dependency_timeout` with Retry-After
(chalicelib/deadlines.py). DynamoDB throttling (a hot partition, a burst beyond
on-demand capacity) is temporary: the client should retry shortly, so it is a 503 with
Retry-After, not a 500. Chalice turns any exception a view raises into its own 500
before middleware sees it, so the translation wraps each view function; whatever else
escapes stays Chalice's 500 (logged with its traceback).
"""

import functools

from chalice import Chalice

from chalicelib.api.errors import to_response
from chalicelib.deadlines import DeadlineExceeded
from chalicelib.errors import ApiError, ErrorCode, ServiceUnavailable

THROTTLING_CODES = {"ProvisionedThroughputExceededException", "ThrottlingException",
                    "RequestLimitExceeded", "ThrottlingError"}
RETRY_AFTER_SECONDS = 2
# A dependency that hung may need longer than a throttled one to come back.
TIMEOUT_RETRY_AFTER_SECONDS = 5


def is_throttling(error: Exception) -> bool:
    """A PynamoDB error caused by throttling, or a transaction cancelled by it."""
    if getattr(error, "cause_response_code", None) in THROTTLING_CODES:
        return True
    reasons = getattr(error, "cancellation_reasons", None) or []
    return any(reason is not None and reason.code in THROTTLING_CODES for reason in reasons)


def dependency_timeout(error: DeadlineExceeded) -> ServiceUnavailable:
    """The answer when the request's budget ran out (chalicelib/deadlines.py). Until
    requests carry idempotency keys, a write that may have happened says so: the client
    must look before sending it again."""
    if error.may_have_written:
        message = ("A service behind the API did not answer in time. Your change may or "
                   "may not have been saved: check (for example, reload the list) before "
                   "sending it again.")
    else:
        message = ("A service behind the API did not answer in time. Nothing was changed; "
                   "try again in a moment.")
    return ServiceUnavailable(message, code=ErrorCode.DEPENDENCY_TIMEOUT,
                              headers={"Retry-After": str(TIMEOUT_RETRY_AFTER_SECONDS)})


def translate_faults(app: Chalice) -> None:
    for methods in app.routes.values():
        for entry in methods.values():
            entry.view_function = _translating(entry.view_function)


def _translating(view):
    @functools.wraps(view)
    def translated(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except ApiError as error:
            return to_response(error)
        except DeadlineExceeded as error:
            return to_response(dependency_timeout(error))
        except Exception as error:
            if is_throttling(error):
                return to_response(ServiceUnavailable(
                    "The service is busy; try again in a moment.", code=ErrorCode.THROTTLED,
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)}))
            raise

    return translated

"""Deadlines: every request answers within its budget, whatever its dependencies do.

Each API request and each worker job runs inside a `Budget`: a few seconds from a
stage setting (chalicelib/settings.py), cut shorter when the Lambda context has less
time left. Every outbound call (DynamoDB, S3, SSM, SNS, Twilio) has its own connect
and read timeouts, so one try costs at most `connect + read` seconds, and a try is
only started when the remaining budget can fit all of it. Between tries there is a
jittered, growing wait; the retries stop when the policy's tries are used up or the
budget cannot fit the wait plus another whole try. A write whose answer was lost is
not sent again (it could apply twice), except a transaction, which DynamoDB makes
idempotent.

When a dependency did not answer (timeouts, a dropped or refused connection) and no
try is left, `DeadlineExceeded` is raised; the API answers it with 503
`dependency_timeout` and Retry-After (chalicelib/api/faults.py), the worker lets it
escape so SQS delivers the message again. It says whether a write may have reached
the dependency during this request, because then the client must check before
repeating the request. Each one is counted (metric DependencyTimeouts, by dependency).

The botocore clients get this by `bound(client, dependency)`: it replaces botocore's
retry handler with `BudgetedRetries` (botocore still decides what is retryable) and
checks the budget before every try. `retry()` is the same loop for plain callables
(Twilio). Outside any budget (scripts, `make dev`'s bootstrap) only the tries limit.
"""

import contextlib
import contextvars
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from chalicelib.settings import CallLimits

Clock = Callable[[], float]

# A dependency that did not answer: it timed out, dropped or refused the connection.
BOTOCORE_NO_ANSWER = (ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError,
                      ConnectionClosedError)
# The reads the app makes (PynamoDB may describe a table first); any other operation
# may have written once it was sent.
READ_OPERATIONS = frozenset({
    "GetItem", "Query", "TransactGetItems", "DescribeTable",
    "GetObject", "HeadObject", "ListParts", "GetParameter", "GetQueueUrl",
})
# Writes that are safe to send twice: DynamoDB applies a TransactWriteItems with the
# same ClientRequestToken (botocore sets one per call) once.
IDEMPOTENT_WRITES = frozenset({"TransactWriteItems"})
# Time kept back from the Lambda context's remaining time, to answer and log.
LAMBDA_MARGIN_SECONDS = 1.0


class DeadlineExceeded(Exception):
    """`dependency` did not answer within the budget (or within its tries)."""

    def __init__(self, dependency: str, *, may_have_written: bool):
        self.dependency = dependency
        self.may_have_written = may_have_written
        written = "may have" if may_have_written else "had not"
        super().__init__(f"{dependency} did not answer in time; this request {written} "
                         "written")


class Budget:
    """The time one request or job may still spend, from an injectable clock."""

    def __init__(self, seconds: float, *, lambda_context=None, clock: Clock = time.monotonic):
        limit = seconds
        remaining_ms = getattr(lambda_context, "get_remaining_time_in_millis", None)
        if remaining_ms is not None:
            limit = min(limit, remaining_ms() / 1000 - LAMBDA_MARGIN_SECONDS)
        self.clock = clock
        self.seconds = max(0.0, limit)
        self.deadline = clock() + self.seconds
        self.wrote = False          # a write was attempted within this budget

    def remaining(self) -> float:
        return max(0.0, self.deadline - self.clock())

    def fits(self, seconds: float) -> bool:
        return self.remaining() >= seconds


_current: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("budget", default=None)


def current() -> Budget:
    """The budget of the request or job in hand; outside one, an unlimited one."""
    return _current.get() or Budget(math.inf)


@contextlib.contextmanager
def budget(seconds: float, lambda_context=None, clock: Clock = time.monotonic
           ) -> Iterator[Budget]:
    """Run the block within `seconds` (or the Lambda context's remaining time)."""
    token = _current.set(Budget(seconds, lambda_context=lambda_context, clock=clock))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def timed_out(dependency: str, spent: Budget | None = None) -> DeadlineExceeded:
    """The exception for `dependency`, counted in the DependencyTimeouts metric."""
    from chalicelib import observability

    spent = spent or current()
    observability.count(observability.Metric.DEPENDENCY_TIMEOUTS, dependency=dependency)
    return DeadlineExceeded(dependency, may_have_written=spent.wrote)


# ---- the retry loop ------------------------------------------------------------------

@dataclass(frozen=True)
class Backoff:
    """Full jitter: a wait drawn between 0 and base·2^(try-1), at most `cap` seconds."""

    base: float = 0.05
    cap: float = 1.0

    def wait(self, tries_done: int, rng: Callable[[], float] = random.random) -> float:
        return rng() * min(self.cap, self.base * 2 ** (tries_done - 1))


def next_wait(limits: CallLimits, tries_done: int, spent: Budget, backoff: Backoff = Backoff(),
              rng: Callable[[], float] = random.random) -> float | None:
    """The wait before another try, or None: the tries are used up, or the remaining
    budget cannot fit the wait plus one whole try (connect + read)."""
    if tries_done >= limits.attempts:
        return None
    wait = backoff.wait(tries_done, rng)
    if not spent.fits(wait + limits.attempt_seconds):
        return None
    return wait


def retry[T](call: Callable[[], T], *, dependency: str, limits: CallLimits,
          retryable: Callable[[Exception], bool], no_answer: tuple[type[Exception], ...],
          spent: Budget | None = None, sleep: Callable[[float], None] = time.sleep,
          rng: Callable[[], float] = random.random, backoff: Backoff = Backoff()) -> T:
    """`call()`, tried again on a `retryable` error while tries and budget allow.

    A try is started only when the budget fits it whole. When none is left after an
    error in `no_answer`, DeadlineExceeded is raised from it; other errors (the last
    `retryable` one among them) are raised as they are.
    """
    spent = spent or current()
    tries_done = 0
    while True:
        if not spent.fits(limits.attempt_seconds):
            raise timed_out(dependency, spent)
        tries_done += 1
        try:
            return call()
        except Exception as error:
            wait = (next_wait(limits, tries_done, spent, backoff, rng)
                    if retryable(error) else None)
            if wait is None:
                if isinstance(error, no_answer):
                    raise timed_out(dependency, spent) from error
                raise
            sleep(wait)


# ---- botocore clients ----------------------------------------------------------------

class BudgetedRetries:
    """botocore's needs-retry and before-send handlers for one client: the loop above,
    with botocore's standard conditions deciding what is retryable (throttling,
    transient errors, 5xx, timeouts)."""

    def __init__(self, dependency: str, limits: CallLimits):
        from botocore.retries.standard import RetryEventAdapter, StandardRetryConditions

        self.dependency = dependency
        self.limits = limits
        self._adapter = RetryEventAdapter()
        self._conditions = StandardRetryConditions(max_attempts=limits.attempts)

    def before_call(self, model, **_) -> None:
        """Once per call, before its first try: a write from here on may have happened."""
        if model.name not in READ_OPERATIONS:
            current().wrote = True

    def before_send(self, **_) -> None:
        spent = current()
        if not spent.fits(self.limits.attempt_seconds):
            raise timed_out(self.dependency, spent)

    def needs_retry(self, **kwargs) -> float | None:
        error = kwargs.get("caught_exception")
        if isinstance(error, DeadlineExceeded):
            return None
        context = self._adapter.create_retry_context(**kwargs)
        wait = None
        if self._conditions.is_retryable(context) and not self._may_repeat_a_write(
                kwargs["operation"].name, error):
            wait = next_wait(self.limits, kwargs["attempts"], current())
        if wait is None and isinstance(error, BOTOCORE_NO_ANSWER):
            raise timed_out(self.dependency) from error
        return wait

    @staticmethod
    def _may_repeat_a_write(operation: str, error: Exception | None) -> bool:
        """A write was sent and its answer lost: trying again could apply it twice (an
        ADD to a counter). TransactWriteItems carries botocore's ClientRequestToken,
        so DynamoDB applies its retries once; anything else is not tried again."""
        sent = isinstance(error, (ReadTimeoutError, ConnectionClosedError))
        return sent and operation not in READ_OPERATIONS | IDEMPOTENT_WRITES


def bound(client, dependency: str, limits: CallLimits):
    """`client` with its retries run by the budget (idempotent; returns the client)."""
    if getattr(client, "_masses_budgeted", False):
        return client
    events = client.meta.events
    service = client.meta.service_model.service_id.hyphenize()
    handler = BudgetedRetries(dependency, limits)
    events.unregister(f"needs-retry.{service}", unique_id=f"retry-config-{service}")
    events.register(f"needs-retry.{service}", handler.needs_retry,
                    unique_id=f"retry-config-{service}")
    events.register(f"before-call.{service}", handler.before_call,
                    unique_id=f"masses-writes-{service}")
    # Before every try, retries included.
    events.register(f"before-send.{service}", handler.before_send,
                    unique_id=f"masses-budget-{service}")
    client._masses_budgeted = True
    return client


def botocore_config(limits: CallLimits, **options):
    """A botocore Config with the call's timeouts and tries."""
    from botocore.config import Config

    return Config(connect_timeout=limits.connect, read_timeout=limits.read,
                  retries={"total_max_attempts": limits.attempts, "mode": "standard"},
                  **options)


def aws_client(service: str, dependency: str | None = None, *, limits: str | None = None,
               **options):
    """A boto3 client whose timeouts and tries are the stage's for `limits` (by default
    `dependency`'s; chalicelib/settings.py), bound to the budget and counted under
    `dependency`. The notification worker's SNS client is meant to come from here:
    aws_client("sns")."""
    import boto3

    from chalicelib.settings import call_limits

    limits = call_limits(limits or dependency or service)
    return bound(boto3.client(service, config=botocore_config(limits, **options)),
                 dependency or service, limits)

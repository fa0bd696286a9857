"""Structured logs and metrics for both functions: one module, one call per event.

Logs. Every `chalicelib.*` logger writes one JSON object per line to stdout (the Logger
of Powertools for AWS Lambda), carrying the stage's service name and the request in
hand: the request id and route of an API call, or the message id of an evidence job.
Personal data stays out. Callers log ids, never a phone number, code, token or report
text, and `mask_phone()` when a number must be recognisable; as a second line of
defence every line is scrubbed before it is written: phone numbers anywhere in it are
masked (`+86138****8000`) and anything shaped like a JWT is replaced.

Metrics. `count(Metric.REPORTS_FILED)` writes one line in CloudWatch's embedded metric
format (EMF); CloudWatch makes it a metric in the `Masses` namespace with the
dimension service=masses-<stage>, which the alarms and the dashboard of
infra/template.yaml read. Each line is written at once, so a crash later in the
request loses nothing.

Powertools is imported on first use (the first request or job), not with the app:
it costs 10-20 ms, and the import-time budget (bench/cold_start.py) has no room for it.
"""

import contextlib
import functools
import json
import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from enum import StrEnum

from chalicelib.settings import settings

NAMESPACE = "Masses"
APP_LOGGER = "chalicelib"  # every module logs under it: logging.getLogger(__name__)
# Chalice's own logger, named after the app (app.py): it writes the traceback of any
# exception a route lets escape ("Caught exception for path …"), in plain text unless
# given our handler.
CHALICE_LOGGER = "masses"

logger = logging.getLogger(__name__)


class Metric(StrEnum):
    CODES_SENT = "CodesSent"
    CODES_VERIFIED = "CodesVerified"
    SIGN_INS = "SignIns"
    REPORTS_FILED = "ReportsFiled"
    EVIDENCE_READY = "EvidenceReady"
    EVIDENCE_REJECTED = "EvidenceRejected"  # with a `reason` dimension
    BULLETINS_PUBLISHED = "BulletinsPublished"
    WORKER_DURATION = "WorkerDuration"      # milliseconds per evidence job
    DEPENDENCY_TIMEOUTS = "DependencyTimeouts"  # with a `dependency` dimension (deadlines)
    PUSH_FAILURES = "PushFailures"          # not queued, or not sent (chalicelib/push; logged why)


def service() -> str:
    return f"masses-{settings().stage}"


def count(metric: Metric, **dimensions: str) -> None:
    """One occurrence of `metric`, e.g. count(Metric.EVIDENCE_REJECTED, reason="empty")."""
    _emit(metric, 1, "Count", dimensions)


def _emit(metric: Metric, value: float, unit: str, dimensions: dict[str, str]) -> None:
    from aws_lambda_powertools.metrics import single_metric

    # Printed to stdout, where Lambda's log capture hands EMF lines to CloudWatch. The
    # request id rides along (not a dimension), so a metric line leads to its request.
    request = _logger().thread_safe_get_current_keys().get("request_id")
    with single_metric(name=metric.value, unit=unit, value=value, namespace=NAMESPACE,
                       default_dimensions={"service": service(), **dimensions}) as line:
        if request:
            line.add_metadata("request_id", request)


# ---- logs ----------------------------------------------------------------------------

# E.164 (+, or %2B in a URL, then 8 to 15 digits), and a Chinese mobile written without
# the + or without any country code.
_PHONE = re.compile(r"(?<!\w)(?P<plus>\+|%2[Bb])?"
                    r"(?P<digits>(?(plus)\d{8,15}|(?:86)?1[3-9]\d{9}))(?!\w)")
_JWT = re.compile(r"eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*")


def mask_phone(phone: str) -> str:
    """`+8613812348000` → `+86138****8000`: the country, the carrier block and the last
    four digits, never fewer than four digits hidden."""
    plus = "+" if phone.startswith("+") else ""
    digits = phone.removeprefix("+")
    shown_head = max(0, min(5, len(digits) - 8))
    return f"{plus}{digits[:shown_head]}****{digits[-4:]}"


def scrub(text: str) -> str:
    """`text` with every phone number masked and every JWT replaced."""
    def masked(match: re.Match) -> str:
        return (match["plus"] or "") + mask_phone(match["digits"]).removeprefix("+")

    return _JWT.sub("[jwt]", _PHONE.sub(masked, text))


class _Stdout:
    """Writes to whatever sys.stdout is now. Lambda's never changes, but a test's
    capture does, and the handler outlives any one test."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


# functools.cache alone does not stop two threads from both making the Logger on first
# use (tests and the local pump run requests in threads), and two half-made Loggers
# race on their keys.
_LOGGER_LOCK = threading.Lock()


def _logger():
    with _LOGGER_LOCK:
        return _made_logger()


@functools.cache
def _made_logger():
    """The Powertools Logger that formats every `chalicelib.*` line, made once.

    Named after the package, so its handler takes its modules' records; Powertools
    stops those records at the root's other handlers (Lambda's own plain-text one),
    so each line is written once, as JSON. Chalice's logger gets the same handler.
    """
    from aws_lambda_powertools import Logger

    powertools = Logger(service=APP_LOGGER, logger_handler=logging.StreamHandler(_Stdout()),
                        json_serializer=_scrubbed_json, utc=True, use_rfc3339=True)
    powertools.append_keys(service=service())
    logging.getLogger(CHALICE_LOGGER).handlers = [powertools.registered_handler]
    return powertools


def _scrubbed_json(record: dict) -> str:
    return scrub(json.dumps(record, default=str, ensure_ascii=False, separators=(",", ":")))


@contextlib.contextmanager
def context(**keys: str | None) -> Iterator[None]:
    """Every line logged inside the block (in this thread) carries `keys`."""
    powertools = _logger()
    powertools.thread_safe_append_keys(**{k: v for k, v in keys.items() if v is not None})
    try:
        yield
    finally:
        powertools.thread_safe_clear_keys()


def request_id_of(api_gateway_request_id: str | None, lambda_context) -> str:
    """API Gateway's id (the x-amzn-RequestId a client sees) if any, else the Lambda
    invocation's, else a new one (the local pump has no Lambda context)."""
    return (api_gateway_request_id or getattr(lambda_context, "aws_request_id", None)
            or uuid.uuid4().hex)


@contextlib.contextmanager
def api_request(request_id: str, method: str, route: str | None) -> Iterator[dict]:
    """One API request: its lines carry its id and route, and it ends with one line
    saying how it was answered (set `answer["status"]` inside the block)."""
    answer: dict = {"status": None}
    started = time.perf_counter()
    with context(request_id=request_id, method=method, route=route):
        try:
            yield answer
        finally:
            logger.info("request answered", extra={
                "status": answer["status"],
                "duration_ms": round((time.perf_counter() - started) * 1000, 1)})


@contextlib.contextmanager
def evidence_job(message_id: str | None, lambda_context) -> Iterator[None]:
    """One evidence job: its lines carry the message id, and its duration is a metric
    (failed jobs too: slow failures are what the timeout alarm is about)."""
    started = time.perf_counter()
    with context(request_id=request_id_of(None, lambda_context), message_id=message_id):
        try:
            yield
        finally:
            _emit(Metric.WORKER_DURATION, round((time.perf_counter() - started) * 1000, 1),
                  "Milliseconds", {})

"""Structured logs and metrics for both functions: one module, one call per event.

Logs. Every `chalicelib.*` logger writes one JSON object per line to stdout, carrying
the stage's service name and the request in hand: the request id and route of an API
call, or the message id of an evidence job.
Personal data stays out. Callers log ids, never a phone number, code, token or report
text, and `mask_phone()` when a number must be recognisable; as a second line of
defence every line is scrubbed before it is written: phone numbers anywhere in it are
masked (`+86138****8000`) and anything shaped like a JWT is replaced.

Metrics. `count(Metric.REPORTS_FILED)` writes one line in CloudWatch's embedded metric
format (EMF); CloudWatch makes it a metric in the `Masses` namespace with the
dimension service=masses-<stage>, which the alarms and the dashboard of
infra/template.yaml read. Each line is written at once, so a crash later in the
request loses nothing.

Both are written with the standard library alone. Powertools' Logger and metrics would
do the same, but importing any part of Powertools loads its Logger, Metrics and Tracer
(about 40 modules, 6-10 ms of CPU), and the cold-start budget (bench/cold_start.py) has
no room for that on the first request. Powertools stays for idempotency, which loads it
on the first request that carries an Idempotency-Key.
"""

import contextlib
import contextvars
import datetime
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from enum import StrEnum
from types import MappingProxyType

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
    dimensions = {"service": service(), **dimensions}
    line = {"_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [{
        "Namespace": NAMESPACE, "Dimensions": [list(dimensions)],
        "Metrics": [{"Name": metric.value, "Unit": unit}]}]},
        **dimensions, metric.value: value}
    # The request id rides along (not a dimension), so a metric line leads to its request.
    if request := _keys.get().get("request_id"):
        line["request_id"] = request
    # To stdout, where Lambda's log capture hands EMF lines to CloudWatch; one write per
    # line, so lines written by parallel threads never interleave.
    sys.stdout.write(_json(line) + "\n")


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


# The keys every line logged in this context carries. Replaced, never changed in place,
# so a context's keys end with it, and a thread starts with none.
_keys: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "log_keys", default=MappingProxyType({}))
# What every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _json(value: dict) -> str:
    return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


class JsonLines(logging.Formatter):
    """One JSON object per record: level, location, message, time, service, the
    context's keys, the record's extras and any exception, scrubbed."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"level": record.levelname, "location": f"{record.funcName}:{record.lineno}",
                "message": record.getMessage(),
                "timestamp": datetime.datetime.fromtimestamp(record.created, datetime.UTC)
                .isoformat(timespec="milliseconds"),
                "service": service(), **_keys.get(),
                **{k: v for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES}}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
            line["exception_name"] = record.exc_info[0].__name__
        if record.stack_info:
            line["stack_trace"] = self.formatStack(record.stack_info)
        return scrub(_json(line))


class _Stdout:
    """Writes to whatever sys.stdout is now. Lambda's never changes, but a test's
    capture does, and the handler outlives any one test."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def _not_ours(record: logging.LogRecord) -> bool:
    return record.name not in (APP_LOGGER, CHALICE_LOGGER) \
        and not record.name.startswith(APP_LOGGER + ".")


def _install() -> None:
    """Our handler takes every `chalicelib.*` record, and Chalice's (which, finding a
    handler there, leaves its logger alone). The records still propagate to the root,
    where a test's capture listens, but the root's handlers of now skip them: on Lambda
    that is the runtime's plain-text one, so each line is written once, as JSON."""
    handler = logging.StreamHandler(_Stdout())
    handler.setFormatter(JsonLines())
    ours = logging.getLogger(APP_LOGGER)
    ours.setLevel(logging.INFO)
    ours.addHandler(handler)
    logging.getLogger(CHALICE_LOGGER).handlers = [handler]
    for root_handler in logging.getLogger().handlers:
        root_handler.addFilter(_not_ours)


_install()


@contextlib.contextmanager
def context(**keys: str | None) -> Iterator[None]:
    """Every line logged inside the block (in this thread) carries `keys`."""
    token = _keys.set({**_keys.get(), **{k: v for k, v in keys.items() if v is not None}})
    try:
        yield
    finally:
        _keys.reset(token)


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

"""Stage configuration, read once from the environment the stage sets.

Every stage (local, dev, prod) sets the same variables in `.chalice/config.json`
(resource names come from the merged CloudFormation template on AWS). Secrets never
live in the environment: they are SSM SecureString parameters under the stage's
prefix, read on first use and cached for the life of the Lambda container. The
local stack keeps them in the emulator's SSM, so the code path is the same.
"""

import functools
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class CallLimits:
    """One kind of outbound call: seconds to connect, seconds to wait for the answer
    (per socket read), and how many tries in all (1 = no retry)."""

    connect: float
    read: float
    attempts: int

    @property
    def attempt_seconds(self) -> float:
        """The longest one try can take; a try starts only if the budget fits it."""
        return self.connect + self.read


# Deadlines (chalicelib/deadlines.py; README, "Deadlines"): the defaults, in one place.
# A stage overrides a call with MASSES_CALL_<NAME>="connect,read,attempts" and a budget
# with MASSES_API_BUDGET_SECONDS / MASSES_WORKER_BUDGET_SECONDS.
API_BUDGET_SECONDS = 8.0        # per API request; API Gateway gives up at 29 s
WORKER_BUDGET_SECONDS = 90.0    # per evidence job; the worker's timeout is 120 s
EXPORT_BUDGET_SECONDS = 840.0   # per export job; the export worker's timeout is 900 s
CALL_LIMITS = {
    # GetItem, PutItem, UpdateItem, one Query page (at most 1 MB): single-digit ms in
    # the region, so 2 s is far out in the tail; 3 tries fit one request's budget.
    "dynamodb": CallLimits(connect=1, read=2, attempts=3),
    # TransactWriteItems / TransactGetItems (ours hold 2 to 5 items): a few tens of ms,
    # two tries. Sign-in keeps one try of it in reserve while Twilio is called.
    "dynamodb-transaction": CallLimits(connect=1, read=2, attempts=2),
    # GetParameter (a secret), once per container: cached afterwards.
    "ssm": CallLimits(connect=1, read=2, attempts=3),
    # The worker's GetObject (streamed; the read timeout is per socket read, not for the
    # whole 500 MB) and PutObject of derivatives. A presign makes no call at all.
    "s3": CallLimits(connect=2, read=10, attempts=3),
    # The API's own S3 calls (multipart uploads: create, list parts, complete, abort;
    # HeadObject): small answers, so a try is short enough that two fit a request's
    # budget. Counted as s3 (storage.s3_client(API_S3)).
    "s3-api": CallLimits(connect=1, read=3, attempts=2),
    # SendMessage of an export job, GetQueueUrl once per container.
    "sqs": CallLimits(connect=1, read=2, attempts=2),
    # Publish (the notification worker, once it exists: deadlines.aws_client("sns")).
    "sns": CallLimits(connect=1, read=2, attempts=3),
    # Twilio's Messages API: a second try only when the connection was never made (a
    # second send would text twice). The read wait is MASSES_SMS_TIMEOUT_SECONDS, cut
    # to what the request's budget has left after a take-back transaction's try.
    "twilio": CallLimits(connect=2, read=5, attempts=2),
}


@functools.cache
def call_limits(name: str) -> CallLimits:
    """The stage's limits for one kind of call. Read from the environment only (table
    classes read it at import time, before the rest of the stage is known)."""
    default = CALL_LIMITS[name]
    value = os.environ.get(f"MASSES_CALL_{name.upper().replace('-', '_')}")
    if not value:
        return default
    connect, read, attempts = (part.strip() for part in value.split(","))
    return CallLimits(float(connect), float(read), int(attempts))


@dataclass(frozen=True)
class Settings:
    stage: str
    evidence_bucket: str
    ssm_prefix: str
    twilio_account_sid: str
    twilio_from: str
    twilio_messaging_service_sid: str
    twilio_api_base: str | None
    sms_timeout_seconds: float            # Twilio's read timeout (CALL_LIMITS["twilio"])
    api_budget_seconds: float
    worker_budget_seconds: float
    export_budget_seconds: float          # the export worker's, below its function's timeout
    reports_per_hour: int
    # Sign-in (chalicelib/auth/): who may receive codes, how often, and the first admin.
    bootstrap_admin: str                  # E.164; becomes admin at sign-in; "" for none
    sms_allowed_regions: frozenset[str]   # ISO 3166 region codes, e.g. {"CN"}
    otp_cooldown_seconds: int             # wait after the day's first send; doubles each send
    otp_max_per_number_15min: int
    otp_max_per_number_day: int
    otp_max_per_ip_hour: int
    otp_max_per_prefix_hour: int          # prefix: the number without its last 4 digits
    # Origins whose pages may call the API from a browser (CORS): the admin site's.
    admin_origins: frozenset[str]
    # Conversations (chalicelib/conversations/): who the reporter talks to, and how much.
    police_unit: str                      # what the reporter sees as the author, e.g. 朝阳分局
    reporter_messages_per_report_hour: int
    officer_messages_per_hour: int        # one officer, across every report
    conversation_days_after_close: int    # the reporter may still write after actioned/dismissed


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"missing setting {name}: set it in .chalice/config.json")
    return value


def resource_name(short_name: str) -> str:
    """`masses-<stage>-<short name>`: the name infra/template.yaml gives a table or queue.

    Read at import time (table classes, the queue trigger), so it is the one setting
    `chalice package` needs; everything else waits for first use.
    """
    return f"{_env('MASSES_RESOURCE_PREFIX')}-{short_name}"


@functools.cache
def settings() -> Settings:
    return Settings(
        stage=_env("MASSES_STAGE"),
        evidence_bucket=_env("MASSES_EVIDENCE_BUCKET"),
        ssm_prefix=_env("MASSES_SSM_PREFIX"),
        twilio_account_sid=_env("MASSES_TWILIO_ACCOUNT_SID", ""),
        twilio_from=_env("MASSES_TWILIO_FROM", ""),
        twilio_messaging_service_sid=_env("MASSES_TWILIO_MESSAGING_SERVICE_SID", ""),
        twilio_api_base=os.environ.get("MASSES_TWILIO_API_BASE") or None,
        sms_timeout_seconds=float(_env("MASSES_SMS_TIMEOUT_SECONDS",
                                       str(CALL_LIMITS["twilio"].read))),
        api_budget_seconds=float(_env("MASSES_API_BUDGET_SECONDS", str(API_BUDGET_SECONDS))),
        worker_budget_seconds=float(_env("MASSES_WORKER_BUDGET_SECONDS",
                                         str(WORKER_BUDGET_SECONDS))),
        export_budget_seconds=float(_env("MASSES_EXPORT_BUDGET_SECONDS",
                                         str(EXPORT_BUDGET_SECONDS))),
        reports_per_hour=int(_env("MASSES_REPORTS_PER_HOUR", "10")),
        bootstrap_admin=_env("MASSES_BOOTSTRAP_ADMIN", ""),
        sms_allowed_regions=frozenset(
            region.strip().upper() for region in _env("MASSES_SMS_ALLOWED_REGIONS", "CN").split(",")
            if region.strip()),
        otp_cooldown_seconds=int(_env("MASSES_OTP_COOLDOWN_SECONDS", "60")),
        otp_max_per_number_15min=int(_env("MASSES_OTP_MAX_PER_NUMBER_15MIN", "3")),
        otp_max_per_number_day=int(_env("MASSES_OTP_MAX_PER_NUMBER_DAY", "5")),
        otp_max_per_ip_hour=int(_env("MASSES_OTP_MAX_PER_IP_HOUR", "10")),
        otp_max_per_prefix_hour=int(_env("MASSES_OTP_MAX_PER_PREFIX_HOUR", "30")),
        admin_origins=frozenset(origin.strip().rstrip("/") for origin
                                in _env("MASSES_ADMIN_ORIGINS", "").split(",") if origin.strip()),
        police_unit=_env("MASSES_POLICE_UNIT"),
        reporter_messages_per_report_hour=int(
            _env("MASSES_REPORTER_MESSAGES_PER_REPORT_HOUR", "20")),
        officer_messages_per_hour=int(_env("MASSES_OFFICER_MESSAGES_PER_HOUR", "60")),
        conversation_days_after_close=int(_env("MASSES_CONVERSATION_DAYS_AFTER_CLOSE", "30")),
    )


@functools.cache
def secret(name: str) -> str:
    """A SecureString from SSM, e.g. secret("jwt-signing-key"), within the budget."""
    from chalicelib import deadlines

    response = deadlines.aws_client("ssm").get_parameter(
        Name=f"{settings().ssm_prefix}/{name}", WithDecryption=True
    )
    return response["Parameter"]["Value"]

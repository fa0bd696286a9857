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

import boto3


@dataclass(frozen=True)
class Settings:
    stage: str
    evidence_bucket: str
    ssm_prefix: str
    twilio_account_sid: str
    twilio_from: str
    twilio_messaging_service_sid: str
    twilio_api_base: str | None
    sms_timeout_seconds: float
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
        sms_timeout_seconds=float(_env("MASSES_SMS_TIMEOUT_SECONDS", "10")),
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
    """A SecureString from SSM, e.g. secret("jwt-signing-key")."""
    response = boto3.client("ssm").get_parameter(
        Name=f"{settings().ssm_prefix}/{name}", WithDecryption=True
    )
    return response["Parameter"]["Value"]

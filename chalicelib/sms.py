"""Sending SMS through Twilio's Messages API.

Every stage runs the same code: only configuration differs. When `twilio_api_base` is
set (the local stage), the real Twilio client talks to that origin instead of
api.twilio.com, i.e. to the SMS sink in local/sms_sink.py.

`twilio` is imported on first use, not with this module: it adds about 150 ms to
every cold start, and most requests send no SMS.
"""

import functools
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from chalicelib import deadlines
from chalicelib.settings import CallLimits, call_limits, secret, settings

if TYPE_CHECKING:
    from twilio.rest import Client

logger = logging.getLogger(__name__)
# Less than this left for Twilio's answer, and the send is not even tried.
MIN_READ_SECONDS = 0.5
# The take-back's try is kept in reserve only while Twilio still gets this long.
RESERVED_READ_SECONDS = 2.0


class SmsDeliveryError(Exception):
    """Twilio did not take the message; the reason is short and safe to log or show."""


def send_sms(to: str, body: str) -> str:
    """Send `body` to `to` (E.164) and return the Twilio message SID.

    Raises SmsDeliveryError when Twilio refuses, times out or cannot be reached.
    The body is never logged: it holds one-time codes.
    """
    import requests
    from twilio.base.exceptions import TwilioRestException, TwilioServiceException

    stage = settings()
    if stage.twilio_messaging_service_sid:
        sender = {"messaging_service_sid": stage.twilio_messaging_service_sid}
    else:
        sender = {"from_": stage.twilio_from}
    client = twilio_client()   # its first use reads the auth token from SSM
    connect, read = twilio_timeouts(stage.sms_timeout_seconds)
    if read < min(MIN_READ_SECONDS, stage.sms_timeout_seconds):
        raise SmsDeliveryError("no time was left to call Twilio")
    try:
        # Tried again only if the connection was never made: nothing was sent then.
        message = deadlines.retry(
            lambda: client.messages.create(to=to, body=body, **sender),
            dependency="twilio", limits=CallLimits(connect, read, call_limits("twilio").attempts),
            retryable=lambda error: isinstance(error, requests.ConnectTimeout),
            no_answer=(requests.Timeout,))
    except (TwilioRestException, TwilioServiceException) as error:
        raise SmsDeliveryError(
            f"Twilio refused the message (HTTP {error.status}, code {error.code})"
        ) from error
    except deadlines.DeadlineExceeded as error:
        raise SmsDeliveryError("Twilio did not answer in time") from error
    except requests.RequestException as error:
        raise SmsDeliveryError("Twilio could not be reached") from error
    logger.info("SMS queued as %s", message.sid)
    return message.sid


def twilio_timeouts(read_seconds: float) -> tuple[float, float]:
    """(connect, read) seconds for a Twilio call now: the configured read wait, cut so
    that the request's budget keeps one try of a DynamoDB transaction after it (the
    sign-in code is taken back when the SMS fails). When that would leave Twilio less
    than RESERVED_READ_SECONDS, the SMS goes first and the take-back gets what is left
    (when nothing is, the code stays: see auth/codes.py)."""
    connect = call_limits("twilio").connect
    # Less a moment, so the retry loop's check (a try must fit) passes a moment later.
    remaining = deadlines.current().remaining() - connect - 0.1
    reserved = remaining - call_limits("dynamodb-transaction").attempt_seconds
    room = reserved if reserved >= RESERVED_READ_SECONDS else remaining
    return connect, max(0.0, min(read_seconds, room))


def twilio_client() -> "Client":
    """The stage's Twilio REST client, created once per process."""
    stage = settings()
    return _client(
        stage.twilio_account_sid,
        secret("twilio-auth-token"),
        stage.twilio_api_base,
        stage.sms_timeout_seconds,
    )


# Keyed by its configuration, so a changed setting (in tests) gets a fresh client.
@functools.lru_cache(maxsize=1)
def _client(account_sid: str, auth_token: str, api_base: str | None, timeout: float) -> "Client":
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    # Defined here because subclassing needs twilio imported.
    class RedirectingHttpClient(TwilioHttpClient):
        """Sends every request to `api_base` when set; twilio has no base-URL setting.
        Its timeout is read for every request: (connect, read) within the budget."""

        @property
        def timeout(self):
            connect, read = twilio_timeouts(self._read_timeout)
            return connect, max(read, min(MIN_READ_SECONDS, self._read_timeout))

        @timeout.setter
        def timeout(self, value):
            self._read_timeout = value

        def request(self, method, url, *args, **kwargs):
            if api_base:
                url = _with_origin(url, api_base)
            return super().request(method, url, *args, **kwargs)

    # TwilioHttpClient waits forever by default; a Lambda must not (see `timeout` above).
    http_client = RedirectingHttpClient(timeout=timeout)
    return Client(account_sid, auth_token, http_client=http_client)


def _with_origin(url: str, origin: str) -> str:
    """`url` with its scheme and host taken from `origin` (covers Twilio's edge hosts)."""
    target = urlsplit(origin)
    return urlunsplit(urlsplit(url)._replace(scheme=target.scheme, netloc=target.netloc))

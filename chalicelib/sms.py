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

from chalicelib.settings import secret, settings

if TYPE_CHECKING:
    from twilio.rest import Client

logger = logging.getLogger(__name__)


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
    try:
        message = twilio_client().messages.create(to=to, body=body, **sender)
    except (TwilioRestException, TwilioServiceException) as error:
        raise SmsDeliveryError(
            f"Twilio refused the message (HTTP {error.status}, code {error.code})"
        ) from error
    except requests.Timeout as error:
        raise SmsDeliveryError("Twilio did not answer in time") from error
    except requests.RequestException as error:
        raise SmsDeliveryError("Twilio could not be reached") from error
    logger.info("SMS queued as %s", message.sid)
    return message.sid


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
        """Sends every request to `api_base` when set; twilio has no base-URL setting."""

        def request(self, method, url, *args, **kwargs):
            if api_base:
                url = _with_origin(url, api_base)
            return super().request(method, url, *args, **kwargs)

    # TwilioHttpClient waits forever by default; a Lambda must not.
    http_client = RedirectingHttpClient(timeout=timeout)
    return Client(account_sid, auth_token, http_client=http_client)


def _with_origin(url: str, origin: str) -> str:
    """`url` with its scheme and host taken from `origin` (covers Twilio's edge hosts)."""
    target = urlsplit(origin)
    return urlunsplit(urlsplit(url)._replace(scheme=target.scheme, netloc=target.netloc))

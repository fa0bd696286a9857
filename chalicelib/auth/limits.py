"""How often a code may be sent: the defences against SMS pumping and code flooding.

Per number, from the send times kept on the number's OtpCode item (sliding windows,
so the Retry-After is exact):
- a resend cooldown: `otp_cooldown_seconds` after the day's first send, doubling with
  each further send (60 s, 120 s, 240 s, … by default);
- at most `otp_max_per_number_15min` sends in any 15 minutes and
  `otp_max_per_number_day` in any 24 hours.

Per client IP and per number prefix (the number without its last 4 digits), fixed
one-hour windows in the RateWindow table, incremented in the same transaction that
stores the code, each on condition of being under its cap. IPs and prefixes are keyed
by their HMAC, so the table never holds them in the clear.

Every cap is a stage setting; going over one is a 429 with Retry-After.
"""

import hashlib
import hmac
import math

import msgspec

from chalicelib.errors import ErrorCode, TooManyRequests
from chalicelib.settings import secret, settings
from chalicelib.tables import RateWindow

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
# Expired windows are tidied a little after they close (TTL deletes late anyway).
WINDOW_TTL_SLACK = 5 * MINUTE


def recent_sends(sent_at: list[float], now: float) -> list[float]:
    """The send times that still count: those of the last 24 hours, oldest first."""
    return sorted(t for t in sent_at if t > now - DAY)


def check_number(recent: list[float], now: float) -> None:
    """Raise 429 if the number may not be sent another code yet."""
    stage = settings()
    waits = []
    if recent:
        cooldown = stage.otp_cooldown_seconds * 2 ** (len(recent) - 1)
        waits.append((recent[-1] + cooldown - now, ErrorCode.OTP_COOLDOWN,
                      "A code was sent moments ago; wait before asking for another."))
    for window, cap in ((15 * MINUTE, stage.otp_max_per_number_15min),
                        (DAY, stage.otp_max_per_number_day)):
        in_window = [t for t in recent if t > now - window]
        if len(in_window) >= cap:
            # Free again when the send that filled the cap leaves the window.
            waits.append((in_window[-cap] + window - now, ErrorCode.OTP_NUMBER_LIMIT,
                          "Too many codes were sent to this number; try again later."))
    wait, code, message = max(waits, default=(0, "", ""))
    if wait > 0:
        raise TooManyRequests(message, code=code, retry_after=math.ceil(wait))


# What a full window of each scope is called, to the person refused and in the code.
REFUSALS = {"ip": ("this network", ErrorCode.OTP_IP_LIMIT),
            "prefix": ("this range of numbers", ErrorCode.OTP_PREFIX_LIMIT)}


class Window(msgspec.Struct, frozen=True):
    """One fixed-window counter a send must fit under."""

    scope: str            # "ip" | "prefix"
    key: str
    cap: int
    closes_at: int        # epoch seconds

    def refusal(self, now: float) -> TooManyRequests:
        subject, code = REFUSALS[self.scope]
        return TooManyRequests(f"Too many codes were requested from {subject}; try again "
                               "later.", code=code,
                               retry_after=math.ceil(self.closes_at - now))

    def increment(self, transaction) -> None:
        """Count one send, on condition that the window is under its cap."""
        transaction.update(
            RateWindow(self.key),
            [RateWindow.count.add(1), RateWindow.ttl.set(self.closes_at + WINDOW_TTL_SLACK)],
            condition=RateWindow.count.does_not_exist() | (RateWindow.count < self.cap))

    def decrement(self, transaction) -> None:
        """Give back a send that never happened (Twilio failed)."""
        transaction.update(RateWindow(self.key), [RateWindow.count.add(-1)],
                           condition=RateWindow.count > 0)


def windows(phone_prefix: str, client_ip: str, now: float) -> list[Window]:
    stage = settings()
    opened = int(now // HOUR * HOUR)
    return [Window(scope, f"{scope}#{_pseudonym(subject)}#{opened}", cap, opened + HOUR)
            for scope, subject, cap in (("ip", client_ip, stage.otp_max_per_ip_hour),
                                        ("prefix", phone_prefix, stage.otp_max_per_prefix_hour))]


def _pseudonym(subject: str) -> str:
    key = secret("otp-hmac-key").encode()
    return hmac.new(key, f"rate-window|{subject}".encode(), hashlib.sha256).hexdigest()[:32]

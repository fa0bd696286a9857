"""One-time sign-in codes sent by SMS.

A code is 6 digits from `secrets`, stored only as an HMAC-SHA256 under the stage's
`otp-hmac-key`, bound to the number. It expires after 5 minutes (checked here; the
TTL only tidies up), is used once, and dies after 5 wrong tries. A new code replaces
the old one.

Sending is one read and one transaction: the number's item is read (its recent sends
decide the cooldown and the per-number limits), then the new code and the IP and
prefix counters are written together, on condition that nobody sent in between. If
Twilio then fails, a second transaction puts back what was there and returns the
counters, so the user is left with no code nobody received and no limit spent.

Verifying spends an attempt first (a conditional decrement) and only then compares:
however many guesses arrive at once, at most 5 are ever compared with a code. The
right code is then used up by a second conditional update, which only one request
can win.
"""

import hashlib
import hmac
import logging
import secrets

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition

from chalicelib import clock, deadlines, observability
from chalicelib.auth import limits, phones
from chalicelib.errors import ErrorCode, ServiceUnavailable, TooManyRequests, Unauthorized
from chalicelib.settings import secret
from chalicelib.sms import SmsDeliveryError, send_sms
from chalicelib.storage import TRANSACTION_CONDITION_FAILED, condition_failed, new_id
from chalicelib.tables import OtpCode, write_transaction

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_SECONDS = 5 * 60
MAX_ATTEMPTS = 5
MESSAGES = {
    "zh": "【朝阳群众】验证码 {code}，5分钟内有效。请勿告诉他人。",
    "en": "Masses: your sign-in code is {code}. It expires in 5 minutes. Never share it.",
}


def send_code(phone: str, client_ip: str, locale: str = "zh") -> None:
    """Send a new code to `phone` (E.164), within the limits, or raise 429 / 503."""
    now = clock.epoch()
    try:
        previous = OtpCode.get(phone, consistent_read=True)
    except DoesNotExist:
        previous = None
    recent = limits.recent_sends(previous.sent_at if previous else [], now)
    limits.check_number(recent, now)

    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    expires_at = now + CODE_SECONDS
    sent_at = [*recent, now]
    new = OtpCode(phone, send_id=new_id(), code_hmac=_code_hmac(phone, code),
                  expires_at=expires_at, attempts_left=MAX_ATTEMPTS, sent_at=sent_at,
                  ttl=int(max(expires_at, sent_at[0] + limits.DAY)) + 1)
    windows = limits.windows(phones.prefix(phone), client_ip, now)
    try:
        with write_transaction() as transaction:
            transaction.save(new, condition=_unchanged_since(previous))
            for window in windows:
                window.increment(transaction)
    except TransactWriteError as error:
        # Items in order: the code (a put), then the windows (updates).
        reasons = error.cancellation_reasons
        if not reasons:
            raise
        if any(reason and reason.code != TRANSACTION_CONDITION_FAILED for reason in reasons):
            # A transaction conflict: a hot counter (one IP, one prefix) was written by
            # another send at the same moment.
            raise TooManyRequests("Too many requests at the same moment; try again.",
                                  code=ErrorCode.TRY_AGAIN, retry_after=1) from None
        for window, reason in zip(windows, reasons[1:], strict=True):
            if reason is not None:
                raise window.refusal(now) from None
        raise TooManyRequests("A code was sent moments ago; wait before asking for another.",
                              code=ErrorCode.OTP_COOLDOWN, retry_after=limits.MINUTE) from None

    try:
        send_sms(phone, MESSAGES[locale].format(code=code))
    except SmsDeliveryError as error:
        logger.warning("sign-in code not delivered: %s", error)
        _take_back(new, previous, windows)
        raise ServiceUnavailable("The SMS could not be sent; try again in a moment.",
                                 code=ErrorCode.SMS_UNAVAILABLE) from None
    logger.info("sign-in code sent", extra={"phone": observability.mask_phone(phone)})
    observability.count(observability.Metric.CODES_SENT)


def _unchanged_since(previous: OtpCode | None) -> Condition:
    if previous is None:
        return OtpCode.phone.does_not_exist()
    return OtpCode.send_id == previous.send_id


def _take_back(new: OtpCode, previous: OtpCode | None, windows: list[limits.Window]) -> None:
    """Undo a send Twilio did not take: the previous code (and its send times) return,
    and the windows give back their count."""
    ours = OtpCode.send_id == new.send_id
    try:
        with write_transaction() as transaction:
            if previous is None:
                transaction.delete(new, condition=ours)
            else:
                transaction.save(previous, condition=ours)
            for window in windows:
                window.decrement(transaction)
    except (TransactWriteError, deadlines.DeadlineExceeded):
        # The code nobody received stays unusable (nobody knows it); only the counts
        # stay spent until their window closes. (Out of time: Twilio took the budget.)
        logger.exception("could not take back an undelivered code")


def use_code(phone: str, code: str) -> None:
    """Check `code` for `phone` and use it up, or raise 401.

    Two conditional updates: spending an attempt decides how many guesses are ever
    compared (5), and using the code up decides which of several requests with the
    right code wins (one).
    """
    item = OtpCode(phone)
    try:
        item.update([OtpCode.attempts_left.add(-1)], condition=OtpCode.attempts_left > 0)
    except UpdateError as error:
        if not condition_failed(error):
            raise
        raise _not_active() from None
    if clock.epoch() >= item.expires_at:
        raise Unauthorized("The code has expired; ask for a new one.", code=ErrorCode.CODE_EXPIRED)
    expected = _code_hmac(phone, code)
    if not hmac.compare_digest(expected, item.code_hmac or ""):
        if item.attempts_left == 0:
            raise Unauthorized("Wrong code, and that was the last try; ask for a new one.",
                               code=ErrorCode.CODE_ATTEMPTS_EXHAUSTED, field="code")
        raise Unauthorized(f"Wrong code; {item.attempts_left} tries left.",
                           code=ErrorCode.CODE_INCORRECT, field="code")
    try:
        # The send times stay: the per-number limits are counted on them.
        item.update([OtpCode.code_hmac.remove(), OtpCode.attempts_left.set(0)],
                    condition=(OtpCode.send_id == item.send_id) & (OtpCode.code_hmac == expected))
    except UpdateError as error:
        if not condition_failed(error):
            raise
        raise _not_active() from None
    observability.count(observability.Metric.CODES_VERIFIED)


def _not_active() -> Unauthorized:
    return Unauthorized("There is no code to check for this number: it was used, died after "
                        "too many wrong tries, or was never sent. Ask for a new one.",
                        code=ErrorCode.CODE_NOT_ACTIVE)


def _code_hmac(phone: str, code: str) -> str:
    key = secret("otp-hmac-key").encode()
    return hmac.new(key, f"sign-in|{phone}|{code}".encode(), hashlib.sha256).hexdigest()

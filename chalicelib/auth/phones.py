"""Phone numbers: what a client types, turned into E.164 or refused with a clear code.

Only numbers that can receive an SMS code are accepted: mobiles, and numbers whose
numbering plan cannot tell mobile from fixed line (the US, for one). Landlines,
premium-rate, shared-cost, toll-free and VoIP numbers are refused, and so is every
country outside the stage's allow-list (SMS pumping goes to expensive destinations).

`phonenumbers` (the lite package: metadata without carriers or geocoding) is imported
on first use, not at cold start.
"""

import re
import unicodedata

from chalicelib.errors import ErrorCode, ValidationFailed
from chalicelib.settings import settings

DEFAULT_REGION = "CN"
MAX_INPUT_CHARS = 32
MAX_E164_DIGITS = 15
# Digits with the separators people type; letters are refused although libphonenumber
# would read them as a keypad ("1-800-FLOWERS").
_TYPED_NUMBER = re.compile(r"\+?[0-9 ().\-]*")
# What JSON Schema cannot say of a phone field: the numbering plan and the stage's
# countries. The route declarations list them (chalicelib/api/routes.py, rules).
RULES = {code: "phone is a mobile number in use, of a country this stage allows (China by "
               "default), as +E.164 or as a Chinese number would be dialled"
         for code in (ErrorCode.PHONE_REQUIRED, ErrorCode.PHONE_TOO_LONG,
                      ErrorCode.PHONE_TOO_SHORT, ErrorCode.PHONE_INVALID,
                      ErrorCode.PHONE_COUNTRY_NOT_ALLOWED, ErrorCode.PHONE_NOT_MOBILE)}


def normalise(raw: str) -> str:
    """The E.164 form of `raw` ("138 0013-8000" → "+8613800138000"), or a 400."""
    import phonenumbers
    from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

    # NFKC turns full-width digits (typed with a Chinese input method) into ASCII.
    typed = unicodedata.normalize("NFKC", raw).strip()
    if not typed:
        raise _refused(ErrorCode.PHONE_REQUIRED, "Enter a mobile number.")
    if len(typed) > MAX_INPUT_CHARS or sum(c.isdigit() for c in typed) > MAX_E164_DIGITS:
        raise _refused(ErrorCode.PHONE_TOO_LONG, "The number has too many digits.")
    if not _TYPED_NUMBER.fullmatch(typed):
        raise _refused(ErrorCode.PHONE_INVALID, "A phone number has only digits, spaces, dashes, "
                                        "dots, brackets and a leading +.")
    try:
        number = phonenumbers.parse(typed, DEFAULT_REGION)
    except NumberParseException as error:
        if error.error_type == NumberParseException.TOO_LONG:
            raise _refused(ErrorCode.PHONE_TOO_LONG, "The number has too many digits.") from None
        if error.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            raise _refused(ErrorCode.PHONE_INVALID,
                           "The country code is not one that exists.") from None
        # NOT_A_NUMBER here means digits were typed, but too few ("+86" alone).
        raise _refused(ErrorCode.PHONE_TOO_SHORT, "The number has too few digits.") from None

    if not phonenumbers.is_valid_number(number):
        length = phonenumbers.is_possible_number_for_type_with_reason(
            number, PhoneNumberType.MOBILE)
        if length == ValidationResult.TOO_SHORT:
            raise _refused(ErrorCode.PHONE_TOO_SHORT, "The number has too few digits for a mobile.")
        if length == ValidationResult.TOO_LONG:
            raise _refused(ErrorCode.PHONE_TOO_LONG, "The number has too many digits for a mobile.")
        raise _refused(ErrorCode.PHONE_INVALID, "This is not a number in use.")
    if phonenumbers.region_code_for_number(number) not in settings().sms_allowed_regions:
        raise _refused(ErrorCode.PHONE_COUNTRY_NOT_ALLOWED,
                       "Numbers from this country cannot sign in here.")
    if phonenumbers.number_type(number) not in (PhoneNumberType.MOBILE,
                                                PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise _refused(ErrorCode.PHONE_NOT_MOBILE,
                       "Codes are sent by SMS: enter a mobile number, not a landline or "
                       "service number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def prefix(phone: str) -> str:
    """The number without its last four digits: a block of 10,000 numbers, the unit
    in which SMS pumping walks through a range."""
    return phone[:-4]


def _refused(code: ErrorCode, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, field="phone")

"""Phone numbers: every bad number is a 400 with its own code, before anything is sent
or stored; good ones are normalised to E.164."""

import json

import pytest
from support.auth import error_code, new_phone, post, request_code

from chalicelib.auth import phones
from chalicelib.errors import ValidationFailed


@pytest.mark.parametrize(("typed", "code"), [
    ("", "phone_required"),
    ("   ", "phone_required"),
    ("abc", "phone_invalid"),
    ("138abcd1234", "phone_invalid"),          # a keypad "vanity" number
    ("1-800-FLOWERS", "phone_invalid"),
    ("+86 139 1234 567a", "phone_invalid"),
    ("139+12345678", "phone_invalid"),          # + only in front
    ("1380013", "phone_too_short"),
    ("+86", "phone_too_short"),
    ("+86 ", "phone_too_short"),
    ("+86 1", "phone_too_short"),
    ("+86 1390000000", "phone_too_short"),      # a mobile has 11 digits
    ("+86139000000001", "phone_too_long"),
    ("+86 1234567890123456", "phone_too_long"),
    ("1" * 40, "phone_too_long"),
    ("+999 123 4567", "phone_invalid"),         # no such country code
    ("12345678901", "phone_invalid"),           # the right length, no such range
    ("+86 10 6552 9988", "phone_not_mobile"),   # a Beijing landline
    ("010-6552 9988", "phone_not_mobile"),
    ("+86 168 1234 5", "phone_not_mobile"),     # premium rate
    ("+86 400 810 8888", "phone_not_mobile"),   # shared cost
    ("+86 800 123 4567", "phone_not_mobile"),   # toll free
    ("+1 201 555 0123", "phone_country_not_allowed"),
    ("+44 7911 123456", "phone_country_not_allowed"),
])
def test_bad_numbers_get_a_400_naming_the_problem(client, typed, code):
    response = request_code(client, typed)

    assert response.status_code == 400
    error = json.loads(response.body)["error"]
    assert (error["code"], error["field"]) == (code, "phone")
    assert error["message"]


@pytest.mark.parametrize(("typed", "e164"), [
    ("139 1234-5678", "+8613912345678"),
    ("+86 (139) 1234.5678", "+8613912345678"),
    ("+86 0139 1234 5678", "+8613912345678"),
    ("0086 139 1234 5678", "+8613912345678"),
    ("１３９ １２３４ ５６７８", "+8613912345678"),  # full-width, from a Chinese IME
    ("  13912345678  ", "+8613912345678"),
])
def test_numbers_as_people_type_them_are_normalised(emulator, typed, e164):
    assert phones.normalise(typed) == e164


def test_a_number_with_spaces_and_dashes_receives_its_code_at_the_e164_number(
        client, sms_sink):
    e164 = new_phone()
    typed = f"{e164[3:6]} {e164[6:10]}-{e164[10:]}"

    assert request_code(client, typed).status_code == 202

    assert len(sms_sink.messages(to=e164)) == 1


def test_fixed_line_or_mobile_numbers_pass_where_the_country_is_allowed(emulator, stage_settings):
    stage_settings(sms_allowed_regions=frozenset({"CN", "US"}))

    assert phones.normalise("+1 201 555 0123") == "+12015550123"
    with pytest.raises(ValidationFailed) as refused:
        phones.normalise("+1 900 555 0123")    # US premium rate
    assert refused.value.code == "phone_not_mobile"


def test_the_allow_list_is_the_stages(emulator, stage_settings):
    stage_settings(sms_allowed_regions=frozenset({"US"}))

    with pytest.raises(ValidationFailed) as refused:
        phones.normalise("+86 139 1234 5678")
    assert refused.value.code == "phone_country_not_allowed"


@pytest.mark.parametrize("body", [
    {"phone": 13912345678},
    {"phone": None},
    {"phone": ["+8613912345678"]},
])
def test_a_phone_that_is_not_a_string_is_a_400(client, body):
    response = post(client, "/auth/otp", body)

    assert response.status_code == 400
    assert json.loads(response.body)["error"]["field"] == "phone"
    assert error_code(response) == "validation_error"

"""Sessions: sign-up → refresh → logout, refresh-token rotation and reuse detection,
and access tokens that are forged, expired or tampered with."""

import base64
import hashlib
import json
import time

import jwt
import pytest
from support.auth import bearer, error_code, in_parallel, new_phone, post, sign_in

from chalicelib.api.bodies import MAX_BODY_BYTES
from chalicelib.settings import secret
from chalicelib.tables import RefreshToken, SessionFamily
from chalicelib.tokens import ACCESS_TOKEN_SECONDS, Principal, issue_access_token


def refresh(client, refresh_token: str):
    return post(client, "/auth/refresh", {"refresh_token": refresh_token})


def me(client, access_token: str):
    return client.http.get("/me", headers=bearer(access_token))


def test_sign_up_refresh_and_logout(client, sms_sink):
    phone = new_phone()

    signed_in = sign_in(client, sms_sink, phone)
    assert signed_in.keys() == {"access_token", "refresh_token", "expires_in", "user"}
    assert signed_in["expires_in"] == ACCESS_TOKEN_SECONDS == 900
    assert signed_in["user"] == {"id": signed_in["user"]["id"], "phone": phone,
                                 "role": "citizen"}
    assert json.loads(me(client, signed_in["access_token"]).body)["phone"] == phone

    refreshed = refresh(client, signed_in["refresh_token"])
    assert refreshed.status_code == 200
    rotated = json.loads(refreshed.body)
    assert rotated["refresh_token"] != signed_in["refresh_token"]
    assert rotated["user"] == signed_in["user"]
    assert me(client, rotated["access_token"]).status_code == 200

    logout = post(client, "/auth/logout", {"refresh_token": rotated["refresh_token"]},
                  token=rotated["access_token"])
    assert (logout.status_code, logout.body) == (204, b"")
    after_logout = refresh(client, rotated["refresh_token"])
    assert after_logout.status_code == 401
    assert error_code(after_logout) == "session_revoked"


def test_signing_in_again_keeps_the_account(client, sms_sink, frozen_clock):
    phone = new_phone()
    first = sign_in(client, sms_sink, phone)
    frozen_clock.advance(60)

    second = sign_in(client, sms_sink, phone)

    assert second["user"]["id"] == first["user"]["id"]
    assert second["refresh_token"] != first["refresh_token"]
    assert refresh(client, first["refresh_token"]).status_code == 200, "two devices, two sessions"


def test_refresh_tokens_are_256_bits_and_stored_hashed(client, sms_sink):
    refresh_token = sign_in(client, sms_sink)["refresh_token"]

    assert len(base64.urlsafe_b64decode(refresh_token + "=")) == 32
    stored = RefreshToken.get(hashlib.sha256(refresh_token.encode()).hexdigest())
    assert refresh_token not in json.dumps(stored.attribute_values, default=str)


def test_a_reused_refresh_token_revokes_its_whole_family(client, sms_sink):
    first = sign_in(client, sms_sink)["refresh_token"]
    second = json.loads(refresh(client, first).body)["refresh_token"]

    reuse = refresh(client, first)

    assert reuse.status_code == 401
    assert error_code(reuse) == "refresh_token_reused"
    revoked = refresh(client, second)
    assert revoked.status_code == 401
    assert error_code(revoked) == "session_revoked"


def test_parallel_refreshes_with_one_token_have_one_winner_and_revoke_the_family(
        client, sms_sink, environ_kept):
    token = sign_in(client, sms_sink)["refresh_token"]

    responses = in_parallel([lambda: refresh(client, token)] * 10)

    assert sorted(r.status_code for r in responses) == [200] + [401] * 9
    assert {error_code(r) for r in responses if r.status_code == 401} == {"refresh_token_reused"}
    winner = json.loads(next(r for r in responses if r.status_code == 200).body)
    assert error_code(refresh(client, winner["refresh_token"])) == "session_revoked"


def test_a_refresh_token_lasts_30_days_unused(client, sms_sink, frozen_clock):
    token = sign_in(client, sms_sink)["refresh_token"]
    frozen_clock.advance(29 * 24 * 3600)
    token = json.loads(refresh(client, token).body)["refresh_token"]
    frozen_clock.advance(30 * 24 * 3600)

    expired = refresh(client, token)

    assert expired.status_code == 401
    assert error_code(expired) == "refresh_token_expired"


def test_a_session_ends_after_90_days_however_often_it_is_refreshed(client, sms_sink,
                                                                   frozen_clock):
    token = sign_in(client, sms_sink)["refresh_token"]
    for _ in range(4):
        frozen_clock.advance(25 * 24 * 3600)
        response = refresh(client, token)
        if response.status_code != 200:
            break
        token = json.loads(response.body)["refresh_token"]

    assert error_code(response) == "refresh_token_expired"


@pytest.mark.parametrize("token", ["x", "A" * 43, "not a token at all"])
def test_unknown_refresh_tokens_are_a_401(client, token):
    response = refresh(client, token)

    assert response.status_code == 401
    assert error_code(response) == "refresh_token_invalid"


def test_logout_needs_a_signed_in_caller(client, sms_sink):
    session = sign_in(client, sms_sink)

    response = post(client, "/auth/logout", {"refresh_token": session["refresh_token"]})

    assert response.status_code == 401
    assert refresh(client, session["refresh_token"]).status_code == 200


def test_logout_ends_only_the_callers_own_sessions(client, sms_sink):
    mine, theirs = sign_in(client, sms_sink), sign_in(client, sms_sink)

    response = post(client, "/auth/logout", {"refresh_token": theirs["refresh_token"]},
                    token=mine["access_token"])

    assert response.status_code == 204
    assert refresh(client, theirs["refresh_token"]).status_code == 200


def test_logout_twice_and_with_an_unknown_token_is_fine(client, sms_sink):
    session = sign_in(client, sms_sink)
    for token in (session["refresh_token"], session["refresh_token"], "A" * 43):
        response = post(client, "/auth/logout", {"refresh_token": token},
                        token=session["access_token"])
        assert response.status_code == 204
    family = RefreshToken.get(
        hashlib.sha256(session["refresh_token"].encode()).hexdigest()).family_id
    assert SessionFamily.get(family).revoked_reason == "logout"


@pytest.mark.parametrize(("path", "body", "status", "code"), [
    ("/auth/refresh", "{not json", 400, "malformed_json"),
    ("/auth/refresh", "{}", 400, "validation_error"),
    ("/auth/refresh", '{"refresh_token": ""}', 400, "validation_error"),
    ("/auth/refresh", '{"refresh_token": 5}', 400, "validation_error"),
    ("/auth/refresh", '{"refresh_token": "' + "a" * 257 + '"}', 400, "validation_error"),
    ("/auth/refresh", '{"refresh_token": "' + "a" * MAX_BODY_BYTES + '"}', 413,
     "payload_too_large"),
])
def test_malformed_refresh_bodies_get_the_error_shape(client, path, body, status, code):
    response = post(client, path, body)

    assert response.status_code == status
    assert error_code(response) == code


@pytest.mark.parametrize(("body", "status"), [
    ("{not json", 400), ("[]", 400), ('{"refresh_token": null}', 400),
    ('{"refresh_token": "' + "a" * MAX_BODY_BYTES + '"}', 413),
])
def test_malformed_logout_bodies_get_the_error_shape(client, sms_sink, body, status):
    session = sign_in(client, sms_sink)

    response = post(client, "/auth/logout", body, token=session["access_token"])

    assert response.status_code == status
    assert "error" in json.loads(response.body)


# --- access tokens -----------------------------------------------------------------------

def citizen_token(**changes) -> str:
    claims = {"sub": "u-" + new_phone(), "role": "citizen", "iss": "masses",
              "iat": int(time.time()), "exp": int(time.time()) + 900, **changes}
    return jwt.encode(claims, secret("jwt-signing-key"), algorithm="HS256")


def unsigned(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def with_claims(token: str, **changes) -> str:
    """`token` with its claims changed and its signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    changed = base64.urlsafe_b64encode(json.dumps({**claims, **changes}).encode())
    return f"{header}.{changed.rstrip(b'=').decode()}.{signature}"


@pytest.mark.parametrize("forge", [
    pytest.param(lambda: issue_access_token(Principal("u1", "citizen"), now=time.time() - 901),
                 id="expired"),
    pytest.param(lambda: jwt.encode({"sub": "u1", "role": "admin", "iss": "masses",
                                     "iat": int(time.time()), "exp": int(time.time()) + 900},
                                    "not-the-signing-key-" * 3, algorithm="HS256"),
                 id="bad-signature"),
    pytest.param(lambda: unsigned({"sub": "u1", "role": "admin", "iss": "masses",
                                   "iat": int(time.time()), "exp": int(time.time()) + 900}),
                 id="alg-none"),
    pytest.param(lambda: with_claims(citizen_token(), role="admin"), id="tampered-role"),
    pytest.param(lambda: citizen_token(role="superuser"), id="unknown-role"),
    pytest.param(lambda: citizen_token(iss="someone-else"), id="other-issuer"),
    pytest.param(lambda: "not.a.jwt", id="garbage"),
])
def test_forged_expired_or_tampered_access_tokens_get_401(client, emulator, forge):
    token = forge()

    for response in (client.http.get("/me", headers=bearer(token)),
                     client.http.get("/admin/audit", headers=bearer(token))):
        assert response.status_code == 401
        assert error_code(response) == "invalid_token"


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "token"])
def test_a_missing_bearer_token_is_a_401(client, header):
    response = client.http.get("/me", headers={"Authorization": header} if header else {})

    assert response.status_code == 401
    assert error_code(response) == "unauthorized"

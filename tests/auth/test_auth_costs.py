"""What sign-in costs: AWS calls per request (the `aws_calls` fixture of
tests/support/aws_calls.py: every call of every client the app uses) and what importing
the app loads."""

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from support.auth import bearer, last_code, new_phone, post, request_code, sign_in

from chalicelib.api.authz import authorize
from chalicelib.settings import secret
from chalicelib.tokens import Principal, issue_access_token
from local import config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def secrets_already_read(app):
    """A container reads each secret from SSM once (settings.secret caches it); what a
    request costs is counted after that, whichever test of the process runs first."""
    for name in ("otp-hmac-key", "jwt-signing-key", "twilio-auth-token"):
        secret(name)


def test_sending_a_code_is_one_read_and_one_transaction(client, sms_sink, aws_calls):
    assert request_code(client, new_phone()).status_code == 202

    assert aws_calls.operations == ["GetItem", "TransactWriteItems"]


def test_signing_in_is_two_conditional_updates_one_read_and_one_transaction(
        client, sms_sink, aws_calls, frozen_clock):
    phone = new_phone()
    for registered in (False, True):
        request_code(client, phone)
        aws_calls.clear()

        code = last_code(sms_sink, phone)
        response = post(client, "/auth/verify", {"phone": phone, "code": code})

        assert response.status_code == 200
        assert aws_calls.operations == ["UpdateItem", "UpdateItem", "GetItem",
                                             "TransactWriteItems"], registered
        frozen_clock.advance(60)


def test_me_is_one_get_item_and_authorizing_costs_nothing(client, sms_sink, aws_calls):
    token = sign_in(client, sms_sink)["access_token"]
    aws_calls.clear()

    principal = authorize(SimpleNamespace(headers={"authorization": f"Bearer {token}"}))
    assert aws_calls.operations == []
    response = client.http.get("/me", headers=bearer(token))

    assert response.status_code == 200
    assert aws_calls.operations == ["GetItem"]
    assert json.loads(response.body)["id"] == principal.user_id


def test_refreshing_is_one_update_one_transactional_read_and_one_put(client, sms_sink,
                                                                     aws_calls):
    refresh_token = sign_in(client, sms_sink)["refresh_token"]
    aws_calls.clear()

    response = post(client, "/auth/refresh", {"refresh_token": refresh_token})

    assert response.status_code == 200
    assert aws_calls.operations == ["UpdateItem", "TransactGetItems", "PutItem"]


def test_admin_routes_authorize_without_dynamodb(client, aws_calls):
    token = issue_access_token(Principal("a-citizen", "citizen"))

    assert client.http.get("/admin/audit", headers=bearer(token)).status_code == 403
    assert aws_calls.operations == []


def test_importing_the_app_loads_no_phone_metadata_jwt_twilio_or_geohash():
    probe = ("import sys, app; print(sorted({m.split('.')[0] for m in sys.modules} & "
             "{'phonenumbers', 'jwt', 'cryptography', 'twilio', 'pygeohash'}))")
    environment = config.stage_environment("http://127.0.0.1:1", "http://127.0.0.1:1")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=environment,
                            capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"

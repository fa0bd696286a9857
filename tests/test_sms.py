"""The SMS sender (chalicelib/sms.py) against the local SMS sink (local/sms_sink.py).

The sender uses the real twilio client, so these tests also prove the sink speaks
Twilio's API; its bodies are validated against Twilio's own OpenAPI spec.
"""

import json
import socket
import subprocess
import sys
import time
from email.utils import parsedate_to_datetime
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from urllib.parse import quote

import pytest
import requests
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from chalicelib import settings as settings_module
from chalicelib import sms
from local import config
from local.sms_sink import SmsSink, num_segments

PROJECT_ROOT = Path(__file__).parents[1]
SPEC_PATH = Path(__file__).parents[2] / "shared/specs/twilio_api_v2010.json"
SPEC_URI = "urn:twilio-api-v2010"

SID = config.TWILIO_ACCOUNT_SID
TOKEN = config.TWILIO_AUTH_TOKEN
MESSAGES_URL_PATH = f"/2010-04-01/Accounts/{SID}/Messages.json"
SENDER = "+15005550006"

# The spec has no schema for errors; this is the shape Twilio's API answers with.
ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message", "more_info", "status"],
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "more_info": {"type": "string", "pattern": r"^https://www\.twilio\.com/docs/errors/\d+$"},
        "status": {"type": "integer"},
    },
}


# --- fixtures ---------------------------------------------------------------------------

@pytest.fixture
def sink():
    with SmsSink(config.HOST, 0, SID, TOKEN) as running:
        yield running


@pytest.fixture
def use_twilio_at(monkeypatch):
    """Configure the app's stage to send SMS to `api_base`; returns the configurer."""

    def configure(api_base: str, *, auth_token: str = TOKEN, timeout: float = 2.0, **env):
        variables = {
            "MASSES_STAGE": "local",
            "MASSES_RESOURCE_PREFIX": "masses-test",
            "MASSES_EVIDENCE_BUCKET": "x",
            "MASSES_SSM_PREFIX": "/masses/test",
            "MASSES_TWILIO_ACCOUNT_SID": SID,
            "MASSES_TWILIO_FROM": SENDER,
            "MASSES_TWILIO_API_BASE": api_base,
            "MASSES_SMS_TIMEOUT_SECONDS": str(timeout),
            **env,
        }
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        # No SSM here: the auth token is the one secret the sender reads.
        monkeypatch.setattr(sms, "secret", {"twilio-auth-token": auth_token}.__getitem__)
        settings_module.settings.cache_clear()

    monkeypatch.delenv("MASSES_TWILIO_MESSAGING_SERVICE_SID", raising=False)
    settings_module.secret.cache_clear()
    yield configure
    settings_module.settings.cache_clear()


@pytest.fixture
def app_sends_to_sink(sink, use_twilio_at):
    use_twilio_at(sink.base_url)
    return sink


@pytest.fixture(scope="session")
def spec_registry():
    """Twilio's spec as a JSON Schema resource (OpenAPI 3.0 `nullable` made a type union)."""
    spec = _nullable_to_type_union(json.loads(SPEC_PATH.read_text()))
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    return Registry().with_resource(SPEC_URI, resource)


def _nullable_to_type_union(node):
    if isinstance(node, list):
        return [_nullable_to_type_union(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable_to_type_union(value) for key, value in node.items()}
    # `is True`: a property may itself be *named* "nullable".
    if node.get("nullable") is True:
        del node["nullable"]
        if "type" in node:
            node["type"] = [node["type"], "null"]
        if "enum" in node:
            node["enum"] = [*node["enum"], None]
    return node


def _spec_ref(*segments: str) -> str:
    """A `$ref` into the spec from JSON-pointer segments (escaped, then URL-quoted)."""
    escaped = (segment.replace("~", "~0").replace("/", "~1") for segment in segments)
    return f"{SPEC_URI}#/" + "/".join(quote(segment, safe="") for segment in escaped)


MESSAGE_SCHEMA = _spec_ref("components", "schemas", "api.v2010.account.message")
LIST_OPERATION = ("paths", "/2010-04-01/Accounts/{AccountSid}/Messages.json", "get")
LIST_SCHEMA = _spec_ref(*LIST_OPERATION, "responses", "200", "content", "application/json",
                        "schema")
CREATE_EXAMPLE = _spec_ref("paths", "/2010-04-01/Accounts/{AccountSid}/Messages.json", "post",
                           "responses", "201", "content", "application/json", "examples",
                           "create", "value")

# Only the spec's own custom format is checked; its relative "uri"s are not absolute URIs.
RFC_2822 = FormatChecker(formats=())
RFC_2822.checks("date-time-rfc-2822", raises=(TypeError, ValueError))(parsedate_to_datetime)


def assert_valid(registry, ref: str, instance) -> None:
    validator = Draft202012Validator({"$ref": ref}, registry=registry, format_checker=RFC_2822)
    validator.validate(instance)


def post_message(sink: SmsSink, auth=(SID, TOKEN), path=MESSAGES_URL_PATH, **form):
    return requests.post(sink.base_url + path, data=form, auth=auth, timeout=5)


def list_messages(sink: SmsSink, **query):
    return requests.get(sink.base_url + MESSAGES_URL_PATH, params=query, auth=(SID, TOKEN),
                        timeout=5)


# --- the sender and the sink together ---------------------------------------------------

def test_sent_message_reads_back_as_from_twilio(app_sends_to_sink):
    sid = sms.send_sms("+8613800000001", "Your code is 123456")

    listed = list_messages(app_sends_to_sink, To="+8613800000001").json()["messages"]
    assert [(m["sid"], m["body"], m["from"]) for m in listed] == [
        (sid, "Your code is 123456", SENDER)
    ]
    via_twilio = sms.twilio_client().messages.list(to="+8613800000001")
    assert [(m.sid, m.body, m.status) for m in via_twilio] == [
        (sid, "Your code is 123456", "queued")
    ]


def test_list_is_newest_first_filtered_by_recipient_and_paged(app_sends_to_sink):
    first = sms.send_sms("+8613800000002", "one")
    sms.send_sms("+8613800000003", "for someone else")
    second = sms.send_sms("+8613800000002", "two")

    page = list_messages(app_sends_to_sink, To="+8613800000002", PageSize=1).json()
    assert [m["sid"] for m in page["messages"]] == [second]
    assert page["next_page_uri"] and page["previous_page_uri"] is None
    # The twilio client follows next_page_uri through the sink.
    paged = sms.twilio_client().messages.list(to="+8613800000002", page_size=1)
    assert [m.sid for m in paged] == [second, first]


@pytest.mark.parametrize("body", [
    "【朝阳群众】您的验证码是 482913，5分钟内有效。",
    "Code 482913 👍🏽🚓",
])
def test_chinese_and_emoji_bodies_round_trip(app_sends_to_sink, body):
    sid = sms.send_sms("+8613800000004", body)

    assert app_sends_to_sink.message(sid)["body"] == body
    listed = list_messages(app_sends_to_sink, To="+8613800000004").json()["messages"]
    assert listed[0]["body"] == body
    assert sms.twilio_client().messages(sid).fetch().body == body


def test_messaging_service_is_preferred_over_from_number(sink, use_twilio_at):
    service_sid = "MG" + "a" * 32
    use_twilio_at(sink.base_url, MASSES_TWILIO_MESSAGING_SERVICE_SID=service_sid)

    sid = sms.send_sms("+8613800000005", "hello")

    message = sink.message(sid)
    assert message["messaging_service_sid"] == service_sid
    assert message["from"] is None


# --- the sink's bodies against Twilio's spec ---------------------------------------------

def test_created_and_listed_messages_match_twilio_spec(sink, spec_registry):
    created = post_message(sink, To="+8613800000006", From=SENDER, Body="验证码 123456")
    assert created.status_code == 201
    assert_valid(spec_registry, MESSAGE_SCHEMA, created.json())
    example = spec_registry.resolver().lookup(CREATE_EXAMPLE).contents
    assert created.json().keys() == example.keys()

    listed = list_messages(sink, To="+8613800000006")
    assert listed.status_code == 200
    assert_valid(spec_registry, LIST_SCHEMA, listed.json())
    assert listed.json()["messages"] == [created.json()]


def test_empty_list_matches_twilio_spec(sink, spec_registry):
    listed = list_messages(sink, To="+8613899999999").json()

    assert_valid(spec_registry, LIST_SCHEMA, listed)
    assert (listed["messages"], listed["start"], listed["end"]) == ([], 0, 0)


@pytest.mark.parametrize(("body", "segments"), [
    ("a" * 160, 1), ("a" * 161, 2), ("€" * 80, 1), ("€" * 81, 2),  # € takes two septets
    ("中" * 70, 1), ("中" * 71, 2), ("👍" * 35, 1), ("👍" * 36, 2),  # an emoji is 2 units
])
def test_segments_count_like_twilio(body, segments):
    assert num_segments(body) == segments


# --- the sink's errors -------------------------------------------------------------------

@pytest.mark.parametrize("auth", [(SID, "wrong-token"), ("AC" + "f" * 32, TOKEN), None])
def test_bad_credentials_get_twilio_401(sink, auth):
    response = post_message(sink, auth=auth, To="+8613800000007", From=SENDER, Body="x")

    assert response.status_code == 401
    assert_error(response, 20003)
    assert sink.messages() == []


def test_another_accounts_path_gets_401(sink):
    other_account = f"/2010-04-01/Accounts/AC{'f' * 32}/Messages.json"
    response = post_message(sink, path=other_account, To="+8613800000007", From=SENDER, Body="x")

    assert_error(response, 20003, status=401)


@pytest.mark.parametrize(("form", "code"), [
    ({"From": SENDER, "Body": "x"}, 21604),
    ({"To": "+8613800000008", "From": SENDER}, 21602),
    ({"To": "+8613800000008", "Body": "x"}, 21603),
    ({"To": "13800000008", "From": SENDER, "Body": "x"}, 21211),
    ({"To": "+8613800000008", "From": SENDER, "Body": "x" * 1601}, 21617),
])
def test_invalid_message_gets_twilio_400(sink, form, code):
    response = post_message(sink, **form)

    assert_error(response, code, status=400)
    assert sink.messages() == []


def test_unknown_path_gets_twilio_404(sink):
    response = requests.get(f"{sink.base_url}/2010-04-01/Accounts/{SID}/Calls.json",
                            auth=(SID, TOKEN), timeout=5)

    assert_error(response, 20404, status=404)


def test_garbage_requests_get_json_errors_and_sink_keeps_serving(sink):
    garbage = requests.post(sink.base_url + MESSAGES_URL_PATH, data=b"\xff\x00%%%==&&To",
                            headers={"Content-Type": "application/json"},
                            auth=(SID, TOKEN), timeout=5)
    assert_error(garbage, 21604, status=400)

    connection = HTTPConnection(sink.host, sink.port, timeout=5)
    connection.putrequest("POST", MESSAGES_URL_PATH)
    connection.putheader("Content-Length", "not-a-number")
    connection.putheader("Authorization", "Basic !!!not-base64")
    connection.endheaders()
    assert connection.getresponse().status == 401

    assert post_message(sink, To="+8613800000009", From=SENDER, Body="ok").status_code == 201


def assert_error(response, code: int, status: int | None = None) -> None:
    body = response.json()
    Draft202012Validator(ERROR_SCHEMA).validate(body)
    assert body["code"] == code
    assert body["status"] == response.status_code == (status or response.status_code)


# --- send_sms failures -------------------------------------------------------------------

def test_refused_credentials_raise_delivery_error(sink, use_twilio_at):
    use_twilio_at(sink.base_url, auth_token="wrong-token")

    with pytest.raises(sms.SmsDeliveryError, match="HTTP 401, code 20003"):
        sms.send_sms("+8613800000010", "123456")


def test_server_error_raises_delivery_error(use_twilio_at):
    server = ThreadingHTTPServer((config.HOST, 0), AlwaysFails)
    Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        use_twilio_at(f"http://{config.HOST}:{server.server_address[1]}")
        with pytest.raises(sms.SmsDeliveryError, match="HTTP 500"):
            sms.send_sms("+8613800000011", "123456")
    finally:
        server.shutdown()
        server.server_close()


def test_nothing_listening_raises_delivery_error(use_twilio_at):
    with socket.socket() as probe:
        probe.bind((config.HOST, 0))
        free_port = probe.getsockname()[1]
    use_twilio_at(f"http://{config.HOST}:{free_port}")

    with pytest.raises(sms.SmsDeliveryError, match="could not be reached"):
        sms.send_sms("+8613800000012", "123456")


def test_silent_server_times_out_as_delivery_error(use_twilio_at):
    # The kernel completes the connection from the backlog; nobody ever answers.
    with socket.create_server((config.HOST, 0)) as silent:
        use_twilio_at(f"http://{config.HOST}:{silent.getsockname()[1]}", timeout=0.3)
        started = time.monotonic()
        with pytest.raises(sms.SmsDeliveryError, match="in time"):
            sms.send_sms("+8613800000013", "123456")
    assert time.monotonic() - started < 2


class AlwaysFails(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.dumps({"code": 20500, "message": "Internal Server Error",
                           "more_info": "https://www.twilio.com/docs/errors/20500",
                           "status": 500}).encode()
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


# --- cold start --------------------------------------------------------------------------

def test_importing_sender_does_not_load_twilio():
    probe = "import sys, chalicelib.sms; print([m for m in sys.modules if m.startswith('twilio')])"
    result = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"

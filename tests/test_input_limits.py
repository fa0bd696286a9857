"""Input limits and the one error shape, against the real routes: whatever a client
sends is a 4xx in our shape with a clear code, never a 500 and never a Chalice body."""

import json
import re
from pathlib import Path

import pytest
import yaml
from support.api import caller, file_report, report_body, send

from chalicelib import deadlines
from chalicelib.api.bodies import MAX_BODY_BYTES, MAX_DEPTH
from chalicelib.api.security_headers import SECURITY_HEADERS
from chalicelib.reports import filing
from chalicelib.settings import settings

TEMPLATE = Path(__file__).resolve().parents[1] / "infra" / "template.yaml"

# Every route that reads a body, with a role that gets past authorization, so the body
# is what is judged. Ids in paths need not exist: bodies are parsed before lookups.
BODY_ROUTES = [
    ("post", "/auth/otp", None),
    ("post", "/auth/verify", None),
    ("post", "/auth/refresh", None),
    ("post", "/auth/logout", "citizen"),
    ("post", "/bulletins", "officer"),
    ("patch", "/bulletins/b-unknown", "officer"),
    ("post", "/bulletins/b-unknown/images", "officer"),
    ("post", "/reports", "citizen"),
    ("post", "/reports/r-unknown/evidence", "citizen"),
    ("patch", "/admin/reports/r-unknown", "officer"),
    ("post", "/admin/reports/r-unknown/reveal", "admin"),
]


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"] == "application/json"
    error = json.loads(response.body)["error"]
    assert set(error) <= {"code", "message", "field"} and error["message"]
    assert error["code"] == code, error
    if field is not None:
        assert error.get("field") == field, error
    return error


def send_raw(client, method: str, path: str, role: str | None, raw: bytes | str):
    return send(client, method, path, caller(role) if role else None, raw=raw)


ATTACKS = {
    "oversized": (b'{"a": "' + b"x" * MAX_BODY_BYTES + b'"}', 413, "payload_too_large"),
    "not json": (b"{'phone': 1}", 400, "malformed_json"),
    "empty": (b"", 400, "malformed_json"),
    "raw NUL byte": (b'{"a": "x\x00y"}', 400, "malformed_json"),
    "not UTF-8": ('{"a": "é"}'.encode("latin-1"), 400, "malformed_json"),
    "NaN": (b'{"a": NaN}', 400, "malformed_json"),
    "escaped NUL": (b'{"a": "x\\u0000y"}', 400, "invalid_character"),
    "lone surrogate": (b'{"a": "\\ud800"}', 400, "invalid_character"),
    "NUL in a key": (b'{"a\\u0000": 1}', 400, "invalid_character"),
    "duplicate key": (b'{"a": 1, "a": 2}', 400, "duplicate_key"),
    "nested duplicate": (b'{"a": {"b": 1, "b": 1}}', 400, "duplicate_key"),
    "nested too deep": (b"[" * (MAX_DEPTH + 2) + b"]" * (MAX_DEPTH + 2), 400,
                        "too_deeply_nested"),
    "nested 30k deep": (b"[" * 30_000 + b"]" * 30_000, 400, "too_deeply_nested"),
    "65-bit integer": (b'{"a": 36893488147419103232}', 400, "number_out_of_range"),
    "beyond a double": (b'{"a": [1e400]}', 400, "number_out_of_range"),
    "5000-digit integer": (b'{"a": ' + b"9" * 5000 + b"}", 400, "number_out_of_range"),
}


@pytest.mark.parametrize(("method", "path", "role"), BODY_ROUTES)
@pytest.mark.parametrize("attack", ATTACKS)
def test_every_body_route_refuses_each_attack_with_its_code(client, method, path, role, attack):
    raw, status, code = ATTACKS[attack]
    assert_error(send_raw(client, method, path, role, raw), status, code)


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"description": "a\u0000" * 10}, "invalid_character", "description"),
    ({"location": {"address": "Gate\u0000 4"}}, "invalid_character", "location.address"),
    ({"location": {"latitude": -1e308, "longitude": 0, "accuracy_m": 5}}, "validation_error",
     "location.latitude"),
    ({"location": {"latitude": 0, "longitude": 0, "accuracy_m": -1}}, "validation_error",
     "location.accuracy_m"),
    ({"description": ["a list", "of text"]}, "validation_error", "description"),
    ({"location": "Chaoyang"}, "validation_error", "location"),
    ({"occurred_at": 1700000000}, "validation_error", "occurred_at"),
    ({"category": True}, "validation_error", "category"),
    ({"description": "汉" * 5001}, "validation_error", "description"),
])
def test_report_fields_refuse_odd_values_naming_the_field(client, change, code, field):
    response = send(client, "post", "/reports", caller(), report_body(**change))
    assert_error(response, 400, code, field)


def test_a_duplicate_key_is_refused_even_when_both_values_are_valid(client):
    body = json.dumps(report_body())[:-1] + ', "category": "fraud"}'
    assert_error(send(client, "post", "/reports", caller(), raw=body), 400, "duplicate_key",
                 "category")


@pytest.mark.parametrize("raw", ["[]", '"text"', "42", "null"])
def test_a_body_that_is_not_an_object_is_a_400(client, raw):
    assert_error(send(client, "post", "/reports", caller(), raw=raw), 400, "validation_error")


@pytest.mark.parametrize(("size", "code"), [(-1, "invalid_size"), (0, "invalid_size"),
                                          (-(2 ** 63), "invalid_size"),
                                          (2 ** 63 - 1, "file_too_large")])
def test_evidence_sizes_out_of_range_are_400(client, size, code):
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    response = send(client, "post", f"/reports/{report_id}/evidence", citizen,
                    {"content_type": "image/jpeg", "size": size})
    assert_error(response, 400, code, "size")


@pytest.mark.parametrize("text", [
    "自行车在地铁站外被偷了，锁被剪断。",
    "My bike 🚲 was stolen 😡👨‍👩‍👧 near the 🚇 station",
    "سرقت دراجتي بالقرب من محطة المترو",
    "אופניים נגנבו ליד תחנת הרכבת",
    "Cafe\u0301 de\u0301pe\u0300t: Zalgo t\u0336\u0337\u0338ext",
    "汉" * 5000,
])
def test_unicode_text_is_stored_and_read_back_intact(client, text):
    citizen = caller()
    created = file_report(client, citizen, description=text)
    assert created["description"] == text
    opened = send(client, "get", f"/reports/{created['report_id']}", citizen)
    assert opened.json_body["description"] == text


@pytest.mark.parametrize("limit", ["-1", "0", "101", "1e2", "²", "٣", "9" * 5000, " 5"])
@pytest.mark.parametrize(("path", "role"), [
    ("/reports", "citizen"), ("/bulletins", None), ("/admin/reports", "officer"),
    ("/admin/audit", "admin"),
])
def test_odd_limits_are_400_on_every_listing(client, path, role, limit):
    response = send(client, "get", f"/{path.strip('/')}?limit={limit}",
                    caller(role) if role else None)
    assert_error(response, 400, "invalid_limit", "limit")


# Answers Chalice makes itself, before or around our views.

def test_a_method_a_path_does_not_take_is_405_in_our_shape(client):
    response = client.http.delete("/health")
    assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "OPTIONS"}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_a_body_that_is_not_json_is_415_in_our_shape(client, content_type):
    response = client.http.post("/reports", body=json.dumps(report_body()),
                                headers={**caller().headers, "Content-Type": content_type})
    assert_error(response, 415, "unsupported_media_type")


@pytest.fixture
def logged(caplog, capsys):
    """What the app logged: through logging, and what Chalice's own logger (which does
    not propagate) wrote to standard output."""
    return lambda: caplog.text + capsys.readouterr().out


def test_an_unexpected_error_is_a_500_in_our_shape_that_leaks_nothing(client, monkeypatch,
                                                                        logged):
    def broken(*_, **__):
        raise RuntimeError("connection string postgres://secret@db")

    monkeypatch.setattr(filing, "own_reports", broken)
    response = send(client, "get", "/reports", caller())
    assert_error(response, 500, "internal_error")
    assert b"secret" not in response.body and b"Traceback" not in response.body
    assert "secret@db" in logged()  # the log keeps what the client does not see


def test_an_inner_middlewares_error_is_a_500_in_our_shape_with_the_headers(
        client, monkeypatch, logged):
    """The error shape's catch-all is for what the middlewares inside it raise (a view's
    exception reaches it as Chalice's own 500): here the request's budget."""
    def broken(*_, **__):
        raise RuntimeError("budget store postgres://secret@db")

    monkeypatch.setattr(deadlines, "budget", broken)
    origin = min(settings().admin_origins)
    response = client.http.get("/health", headers={"Origin": origin})
    assert_error(response, 500, "internal_error")
    assert b"secret" not in response.body
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert "secret@db" in logged()


def test_an_unknown_path_is_answered_by_the_gateway_not_the_app(client):
    """API Gateway (and Chalice's local gateway, which mimics it) answers an unknown path
    before the app runs: a 403. In AWS, infra/template.yaml turns it into our 404."""
    assert client.http.get("/no-such-path").status_code == 403


def test_the_gateways_own_answers_are_in_our_shape_with_the_headers():
    resources = yaml.safe_load(TEMPLATE.read_text())["Resources"]
    answers = {resource["Properties"]["ResponseType"]: resource["Properties"]
               for resource in resources.values()
               if resource.get("Type") == "AWS::ApiGateway::GatewayResponse"}
    assert set(answers) == {"MISSING_AUTHENTICATION_TOKEN", "THROTTLED", "DEFAULT_4XX",
                            "DEFAULT_5XX"}
    assert answers["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    for answer in answers.values():
        # The gateway fills in $context.error.messageString as a quoted JSON string.
        body = answer["ResponseTemplates"]["application/json"].replace(
            "$context.error.messageString", '"Limit Exceeded"')
        assert set(json.loads(body)["error"]) == {"code", "message"}
        condition, with_cors, without = answer["ResponseParameters"]["Fn::If"]
        assert condition == "HasAdminOrigins"
        expected = {name: value for name, value in SECURITY_HEADERS.items()
                    if name != "Content-Security-Policy"}

        def named(parameters):
            return {name.removeprefix("gatewayresponse.header."): value
                    for name, value in parameters.items()}

        assert {name: value.strip("'") for name, value in named(without).items()} == expected
        cors = named(with_cors)
        # The admin site reads the gateway's errors (a 404, a 429, a 413) as errors, not
        # as network failures: they carry its origin, as the app's answers do.
        origin = cors.pop("Access-Control-Allow-Origin")["Fn::Sub"]
        assert origin[0] == "'${origin}'"
        assert origin[1]["origin"] == {"Fn::Select": [0, {"Fn::Split": [
            ",", {"Ref": "AdminSiteOrigins"}]}]}
        assert {name: value.strip("'") for name, value in cors.items()} == {
            **expected, "Vary": "Origin", "Access-Control-Expose-Headers": "Retry-After"}


# Faults behind the API: throttling is a 503 to retry, never a 500.

@pytest.mark.parametrize("error_code", ["ProvisionedThroughputExceededException",
                                        "ThrottlingException"])
def test_dynamodb_throttling_is_a_503_with_retry_after(client, monkeypatch, error_code):
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import QueryError

    def throttled(*_, **__):
        cause = ClientError({"Error": {"Code": error_code, "Message": "slow down"}}, "Query")
        raise QueryError("Failed to query items", cause=cause)

    monkeypatch.setattr(filing, "own_reports", throttled)
    response = send(client, "get", "/reports", caller())
    assert_error(response, 503, "throttled")
    assert response.headers["Retry-After"] == "2"


def test_a_transaction_cancelled_by_throttling_is_a_503(client, monkeypatch):
    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

    def cancelled(*_, **__):
        cause = VerboseClientError(
            {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}},
            "TransactWriteItems", cancellation_reasons=[
                None, CancellationReason(code="ThrottlingError", message="slow down")])
        raise TransactWriteError("Failed to write transaction items", cause=cause)

    monkeypatch.setattr(filing, "file_report", cancelled)
    assert_error(send(client, "post", "/reports", caller(), report_body()), 503, "throttled")


@pytest.mark.parametrize(("size", "status"), [(2048.0, 201), (2.048e3, 201), (2048.5, 400)])
def test_a_whole_number_with_a_fraction_is_an_integer_as_json_schema_says(client, size,
                                                                         status):
    citizen = caller()
    report_id = file_report(client, citizen)["report_id"]
    response = send(client, "post", f"/reports/{report_id}/evidence", citizen,
                    {"content_type": "image/jpeg", "size": size})
    assert response.status_code == status, response.body


def routes_with_a_body() -> list[tuple[str, str]]:
    from chalicelib.api.routes import CONTRACTS
    return [(contract.method, re.sub(r"\{[^}]+\}", "0" * 32, contract.path))
            for contract in CONTRACTS if contract.body is not None]


@pytest.mark.parametrize(("raw", "status", "code"), [
    ("{", 400, "malformed_json"),
    ('{"a": 1, "a": 2}', 400, "duplicate_key"),
    ('{"text": "' + "x" * (MAX_BODY_BYTES + 1) + '"}', 413, "payload_too_large"),
], ids=["malformed", "duplicate-key", "oversized"])
def test_every_route_with_a_body_refuses_bad_bodies_in_one_shape(app, client, raw, status,
                                                                  code):
    """The body is parsed by the route layer before any view runs, whatever the ids."""
    admin = caller("admin")  # every signed-in route admits an admin
    routes = routes_with_a_body()
    assert len(routes) >= 15
    for method, path in routes:
        response = send(client, method.lower(), path, admin, raw=raw)
        assert_error(response, status, code)

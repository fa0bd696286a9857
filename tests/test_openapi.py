"""The OpenAPI contract: served at /openapi.json, covering every route of the app, and
true of every JSON answer the test suite receives.

Importing this module wraps chalice's test client (pytest imports every test module of
the session before running any test, on each xdist worker too), so each request any
test makes through `client.http` is checked against the documented schema of its route
and status, and a test that receives an undocumented answer fails where it made it.
"""

import functools
import json
import re
from collections import Counter

import jsonschema
from chalice import test as chalice_test

from chalicelib.api.openapi import document
from chalicelib.api.routes import CONTRACTS

CHECKED: Counter = Counter()


@functools.cache
def _route_patterns() -> list[tuple[re.Pattern, str]]:
    # Literal segments win over parameters (/reports/nearby-bulletins before
    # /reports/{report_id}), as API Gateway routes them.
    paths = sorted({contract.path for contract in CONTRACTS}, key=lambda path: path.count("{"))
    return [(re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"), path)
            for path in paths]


def documented_route(path: str) -> str | None:
    bare = path.split("?", 1)[0]
    return next((route for pattern, route in _route_patterns() if pattern.match(bare)), None)


@functools.cache
def _validator(route: str, method: str, status: int):
    """The validator of this answer's body; None when the answer has no body; raises
    KeyError when the status is not documented for the route."""
    spec = document()
    operation = spec["paths"][route].get(method.lower())
    if operation is None:  # a method the path does not take: Chalice's 405, in our shape
        operation = {"responses": {"405": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ErrorBody"}}}}}}
    responses = operation["responses"]
    answer = responses.get(str(status)) or (responses["default"] if status >= 400 else None)
    if answer is None:
        raise KeyError(f"{method} {route} does not document status {status}")
    if "content" not in answer:
        return None
    schema = answer["content"]["application/json"]["schema"]
    return jsonschema.Draft202012Validator({**schema, "components": spec["components"]})


def check_answer(method: str, path: str, response) -> None:
    route = documented_route(path)
    if route is None:  # an unknown path: the gateway's answer, not the app's
        return
    if method.upper() == "OPTIONS":  # a CORS preflight: not an operation, never a body
        assert response.status_code != 204 or not response.body, f"preflight {path} has a body"
        return
    validator = _validator(route, method.upper(), response.status_code)
    if validator is None:
        assert not response.body, f"{method} {path} {response.status_code} has a body"
    else:
        validator.validate(json.loads(response.body))
    CHECKED[(method.upper(), route, response.status_code)] += 1


def _install() -> None:
    original = chalice_test.TestHTTPClient.request
    if getattr(original, "checks_the_contract", False):
        return

    def request(self, method, path, headers=None, body=b""):
        response = original(self, method, path, headers=headers, body=body)
        check_answer(method, path, response)
        return response

    request.checks_the_contract = True
    chalice_test.TestHTTPClient.request = request


_install()


def test_the_document_is_served_as_openapi_3_1(client):
    response = client.http.get("/openapi.json")
    assert response.status_code == 200
    served = json.loads(response.body)
    assert served["openapi"] == "3.1.0"
    assert served.pop("servers") == [{"url": "/"}]  # the test client sends no Host
    assert served == json.loads(json.dumps(document()))


def test_the_document_covers_every_route_of_the_app(app):
    spec = document()
    documented = {(method.upper(), path) for path, operations in spec["paths"].items()
                  for method in operations}
    routes = {(method, path) for path, methods in app.routes.items() for method in methods
              if method != "OPTIONS"}  # CORS preflights: the browser's, not operations
    assert documented == routes


def test_the_request_schemas_are_those_the_handlers_validate_with():
    schemas = document()["components"]["schemas"]
    new_report = schemas["NewReport"]
    assert set(new_report["required"]) == {"category", "description", "location",
                                           "occurred_at"}
    assert new_report["properties"]["description"]["maxLength"] == 5000
    assert new_report["additionalProperties"] is False


def test_the_schemas_are_valid_json_schema():
    for schema in document()["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_an_undocumented_answer_is_caught():
    class Answer:
        status_code, body = 200, b'{"status": "not ok"}'

    try:
        check_answer("GET", "/health", Answer())
    except jsonschema.ValidationError:
        return
    raise AssertionError("a wrong body passed the contract check")

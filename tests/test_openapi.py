"""The OpenAPI contract: served at /openapi.json, covering every route of the app, and
true of every JSON answer the test suite receives.

That last part is the plugin tests/support/contract.py (registered in tests/conftest.py):
it wraps chalice's test client before any test runs, so each request any test makes
through `client.http` is checked against the documented schema of its route and status.
"""

import json

import jsonschema
from support.contract import check_answer

from chalicelib.api.openapi import document


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


def test_every_answer_of_the_test_client_is_checked(client, monkeypatch):
    from support import contract

    seen = []
    monkeypatch.setattr(contract, "check_answer", lambda *answer: seen.append(answer[:2]))
    assert client.http.get("/health").status_code == 200
    assert seen == [("GET", "/health")]

"""The OpenAPI contract checked on every answer (a pytest plugin, registered in
tests/conftest.py).

At `pytest_configure` (in the controller and on each xdist worker, before any test
runs) chalice's test client is wrapped, so each request any test makes through
`client.http` has its answer checked against the documented schema of its route and
status: a test that receives an undocumented answer fails where it made the request.
`pytest_unconfigure` puts the client back.
"""

import functools
import json
import re

import jsonschema
from chalice import test as chalice_test


@functools.cache
def _document() -> dict:
    from chalicelib.api.openapi import document  # imports the app: after the environment
    return document()


@functools.cache
def _route_patterns() -> list[tuple[re.Pattern, str]]:
    return [(re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"), path)
            for path in _document()["paths"]]


def documented_route(path: str) -> str | None:
    bare = path.split("?", 1)[0]
    return next((route for pattern, route in _route_patterns() if pattern.match(bare)), None)


@functools.cache
def _validator(route: str, method: str, status: int):
    """The validator of this answer's body; None when the answer has no body; raises
    KeyError when the status is not documented for the route."""
    spec = _document()
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
    """Raises (jsonschema.ValidationError, KeyError, AssertionError) when the answer is
    not the one documented for this route and status."""
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


_ORIGINAL_REQUEST = chalice_test.TestHTTPClient.request


def _checked_request(self, method, path, headers=None, body=b""):
    response = _ORIGINAL_REQUEST(self, method, path, headers=headers, body=body)
    check_answer(method, path, response)
    return response


def pytest_configure(config) -> None:
    chalice_test.TestHTTPClient.request = _checked_request


def pytest_unconfigure(config) -> None:
    chalice_test.TestHTTPClient.request = _ORIGINAL_REQUEST

"""Security headers on every response of every route: successes, refusals and errors."""

import re

import pytest
from support.api import caller, send
from support.bulletins import draft, published

from chalicelib.api.security_headers import SECURITY_HEADERS

# Public, cacheable answers set their own Cache-Control, when they succeed: a bulletin
# is cached for 30 seconds (chalicelib/bulletins/views.py), the document for 5 minutes.
PUBLIC_READS = {("GET", "/bulletins"): "public, max-age=30",
                ("GET", "/bulletins/{bulletin_id}"): "public, max-age=30",
                ("GET", "/openapi.json"): "public, max-age=300",
                ("GET", "/transparency"): "public, max-age=300",
                ("GET", "/transparency/policy"): "public, max-age=3600",
                ("GET", "/districts"): "public, max-age=3600"}


def every_route(app) -> list[tuple[str, str]]:
    return [(method, path) for path, methods in app.routes.items() for method in methods]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x-unknown", path)


def assert_secured(response, cache_control: str = "no-store") -> None:
    for name, value in SECURITY_HEADERS.items():
        expected = cache_control if name == "Cache-Control" else value
        assert response.headers.get(name) == expected, (name, response.headers)


def test_every_route_answers_with_the_security_headers(app, client):
    checked, public_hits = 0, set()
    for method, path in every_route(app):
        for who in (None, caller("admin")):
            response = send(client, method.lower(), concrete(path), who,
                            body={} if method in ("POST", "PUT", "PATCH") else None)
            if (method, path) in PUBLIC_READS and response.status_code == 200:
                assert_secured(response, PUBLIC_READS[(method, path)])
                public_hits.add((method, path))
            else:
                assert_secured(response)
            checked += 1
    assert checked == 2 * len(every_route(app)) >= 40
    # The detail is a 404 for an unknown id; test_a_public_bulletin_keeps_its_caching.
    assert public_hits == {("GET", "/bulletins"), ("GET", "/openapi.json"),
                           ("GET", "/transparency"), ("GET", "/transparency/policy"),
                           ("GET", "/districts")}


def test_a_public_bulletin_keeps_its_caching(client):
    bulletin = published(client, draft("vehicle"))
    for path in ("/bulletins", f"/bulletins/{bulletin['id']}"):
        response = client.http.get(path)
        assert response.status_code == 200
        assert_secured(response, "public, max-age=30")


@pytest.mark.parametrize(("method", "path", "headers"), [
    ("delete", "/health", {}),  # 405 by Chalice
    ("post", "/reports", {"Content-Type": "text/plain"}),  # 415 by Chalice
    ("get", "/reports", {}),  # 401 by us
])
def test_answers_chalice_makes_carry_them_too(client, method, path, headers):
    assert_secured(getattr(client.http, method)(path, headers=headers))


def test_a_500_carries_them(client, monkeypatch):
    from chalicelib.reports import filing

    monkeypatch.setattr(filing, "own_reports", lambda *_, **__: 1 / 0)
    response = send(client, "get", "/reports", caller())
    assert response.status_code == 500
    assert_secured(response)

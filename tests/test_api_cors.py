"""CORS: the admin site's origin (MASSES_ADMIN_ORIGINS) may call the API from a browser,
preflights included; no other origin is ever named in an answer."""

import json

import pytest

from chalicelib.tokens import Principal, issue_access_token

ADMIN_ORIGIN = "http://127.0.0.1:8001"  # the local stage's setting in .chalice/config.json


def officer_headers(**extra) -> dict[str, str]:
    token = issue_access_token(Principal("cors-officer", "officer"))
    return {"Authorization": f"Bearer {token}", **extra}


def preflight(client, path: str, origin: str, method: str = "PATCH"):
    return client.http.request("OPTIONS", path, headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type"}, body=b"")


def test_a_preflight_from_the_admin_origin_is_admitted(client):
    response = preflight(client, "/admin/reports/0123456789abcdef0123456789abcdef", ADMIN_ORIGIN)
    assert response.status_code == 204
    headers = response.headers
    assert headers["Access-Control-Allow-Origin"] == ADMIN_ORIGIN
    assert set(headers["Access-Control-Allow-Methods"].split(", ")) == {"GET", "PATCH",
                                                                         "OPTIONS"}
    allowed = {name.strip().lower() for name in headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key"} <= allowed
    assert int(headers["Access-Control-Max-Age"]) > 0
    assert headers["Vary"] == "Origin"


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1:8002",
                                    "http://localhost:8001", "null", ADMIN_ORIGIN + ".evil.com"])
def test_other_origins_are_never_named(client, origin):
    answers = [preflight(client, "/admin/reports", origin),
               client.http.get("/health", headers={"Origin": origin}),
               client.http.get("/admin/reports?category=theft",
                               headers=officer_headers(Origin=origin))]
    for response in answers:
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Access-Control-Allow-Methods" not in response.headers
        assert response.headers["Vary"] == "Origin"


def test_answers_and_errors_carry_the_headers_for_the_admin_origin(client):
    ok = client.http.get("/admin/reports?category=theft",
                         headers=officer_headers(Origin=ADMIN_ORIGIN))
    unauthorized = client.http.get("/admin/reports", headers={"Origin": ADMIN_ORIGIN})
    malformed = client.http.patch("/admin/reports/0123456789abcdef0123456789abcdef",
                                  headers=officer_headers(Origin=ADMIN_ORIGIN,
                                                          **{"Content-Type": "application/json"}),
                                  body="{not json")
    assert (ok.status_code, unauthorized.status_code, malformed.status_code) == (200, 401, 400)
    for response in (ok, unauthorized, malformed):
        assert response.headers["Access-Control-Allow-Origin"] == ADMIN_ORIGIN
        assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]
        # Only preflights list methods and headers.
        assert "Access-Control-Allow-Methods" not in response.headers
    assert json.loads(unauthorized.body)["error"]["code"] == "unauthorized"


def test_without_an_origin_nothing_changes_but_vary(client):
    response = client.http.get("/health")
    assert response.status_code == 200
    assert response.headers["Vary"] == "Origin"
    assert not [name for name in response.headers if name.startswith("Access-Control")]


def test_every_path_answers_a_preflight(app):
    for path, methods in app.routes.items():
        assert "OPTIONS" in methods, path


def test_a_preflight_repeated_or_with_a_body_is_answered_the_same(client):
    first = preflight(client, "/reports", ADMIN_ORIGIN, "POST")
    again = client.http.request("OPTIONS", "/reports", headers={
        "Origin": ADMIN_ORIGIN, "Access-Control-Request-Method": "POST"}, body=b"x" * 70_000)
    assert first.status_code == again.status_code == 204
    assert first.headers == again.headers
    assert first.body == again.body == b""


def test_admin_origins_setting_is_a_trimmed_list(monkeypatch):
    from chalicelib import settings as settings_module

    monkeypatch.setenv("MASSES_ADMIN_ORIGINS", " https://a.example/ ,https://b.example,, ")
    settings_module.settings.cache_clear()
    try:
        assert settings_module.settings().admin_origins == {"https://a.example",
                                                            "https://b.example"}
    finally:
        monkeypatch.undo()
        settings_module.settings.cache_clear()

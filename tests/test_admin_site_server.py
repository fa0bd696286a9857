"""The admin site's local server (local/admin_site.py): the files of admin/ with the
CSP and security headers CloudFront adds on AWS, config.js naming the API, and nothing
from outside admin/."""

import http.client
import threading

import pytest

from local import admin_site
from local.emulator import free_port

API = "http://127.0.0.1:18000"
MEDIA = "http://127.0.0.1:14566"


@pytest.fixture(scope="module")
def site():
    port = free_port()
    server = admin_site.serve("127.0.0.1", port, API, MEDIA)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port
    server.shutdown()
    server.server_close()


def get(port: int, path: str, method: str = "GET") -> http.client.HTTPResponse:
    """A raw request: the path goes out exactly as written, dots and all."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request(method, path)
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


@pytest.mark.parametrize("path", ["/", "/index.html", "/js/main.js", "/css/site.css",
                                  "/i18n/zh-CN.json", "/config.js"])
def test_every_answer_carries_the_csp_and_security_headers(site, path):
    response = get(site, path)
    assert response.status == 200
    assert response.headers["Content-Security-Policy"] == (
        f"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' {MEDIA}; "
        f"connect-src 'self' {API} {MEDIA}; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'; require-trusted-types-for 'script'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_module_scripts_are_served_as_javascript(site):
    for path in ("/js/main.js", "/config.js"):
        assert get(site, path).headers["Content-Type"] == "text/javascript"
    assert b'<script type="module" src="js/main.js">' in get(site, "/").body


def test_config_js_names_the_api(site):
    assert get(site, "/config.js").body == f'export const API_BASE = "{API}";\n'.encode()


@pytest.mark.parametrize("path", ["/../README.md", "/%2e%2e/README.md", "/js/../../app.py",
                                  "/..%2fapp.py", "/nothing.js", "/js", "/.gitignore",
                                  "/%00", "/" + "a" * 5000])
def test_nothing_outside_admin_is_served(site, path):
    assert get(site, path).status == 404


def test_head_answers_without_a_body(site):
    response = get(site, "/index.html", "HEAD")
    assert response.status == 200 and response.body == b""
    assert int(response.headers["Content-Length"]) > 0

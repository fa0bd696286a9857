"""The security headers every API response carries, set in one place.

The API answers JSON only, so the Content-Security-Policy forbids everything: should a
browser ever render a response, nothing in it can load, run or be framed. Responses are
private unless a route says otherwise: the public bulletin reads set their own
Cache-Control (public, max-age) and keep it.
"""

from chalice import Response

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def with_security_headers(response: Response) -> Response:
    present = {name.lower() for name in response.headers}
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in present:
            response.headers[name] = value
    return response


def add_security_headers(event, get_response) -> Response:
    """HTTP middleware, outside the error shape (chalicelib/api/__init__.py), so error
    answers carry the headers too."""
    return with_security_headers(get_response(event))

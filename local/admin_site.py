"""The officers' admin site on loopback, as CloudFront serves it on AWS.

    python -m local.admin_site --port 8001 --api http://127.0.0.1:8000 \\
        --media http://127.0.0.1:4566

Serves the static files of admin/ with the same Content-Security-Policy and security
headers as the CloudFront response headers policy in infra/template.yaml, and answers
/config.js (written at deploy time on AWS) with the API's base URL. Standard library
only.
"""

import argparse
import logging
import mimetypes
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from local import config

SITE = Path(__file__).resolve().parents[1] / "admin"
# The directives of the site's Content-Security-Policy; {api} is the API's origin and
# {media} the evidence bucket's (images and uploads). infra/template.yaml writes the same
# policy for CloudFront with the deployed origins, and a test keeps the two equal.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' {media}; "
    "connect-src 'self' {api} {media}; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'; require-trusted-types-for 'script'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Presigned media URLs and report ids must never leave in a Referer.
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html",
         ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png",
         ".ico": "image/x-icon"}


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(api_url: str, media_url: str) -> str:
    return CONTENT_SECURITY_POLICY.format(api=origin(api_url), media=origin(media_url))


def config_js(api_url: str) -> str:
    """The site's one setting; the same file the deploy step writes (README)."""
    return f'export const API_BASE = "{api_url.rstrip("/")}";\n'


def site_file(path: str) -> bytes | None:
    """The file of admin/ at this URL path; None for anything outside admin/ (".."
    or a symlink out), a dotfile, a directory, or a name the OS refuses."""
    try:
        file = (SITE / path.lstrip("/")).resolve()
        if (not file.is_relative_to(SITE) or not file.is_file()
                or any(part.startswith(".") for part in file.relative_to(SITE).parts)):
            return None
        return file.read_bytes()
    except (OSError, ValueError):   # too long, or a NUL byte in the name
        return None


def handler_for(api_url: str, media_url: str) -> type[BaseHTTPRequestHandler]:
    headers = {"Content-Security-Policy": content_security_policy(api_url, media_url),
               **SECURITY_HEADERS, "Cache-Control": "no-cache"}
    generated = {"/config.js": config_js(api_url).encode()}

    class AdminSite(BaseHTTPRequestHandler):
        server_version = "masses-admin-site"

        def do_GET(self):
            self.answer(with_body=True)

        def do_HEAD(self):
            self.answer(with_body=False)

        def answer(self, with_body: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            if path == "/":
                path = "/index.html"
            body = generated.get(path) or site_file(path)
            if body is None:
                self.send_error(404)
                return
            suffix = Path(path).suffix
            self.send_response(200)
            self.send_header("Content-Type", TYPES.get(suffix) or mimetypes.guess_type(path)[0]
                             or "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def log_message(self, format, *args):
            logging.getLogger("admin_site").debug(format, *args)

    return AdminSite


def serve(host: str, port: int, api_url: str, media_url: str) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), handler_for(api_url, media_url))
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=config.HOST)
    parser.add_argument("--port", type=int, default=config.ADMIN_PORT)
    parser.add_argument("--api", default=f"http://{config.HOST}:{config.API_PORT}",
                        help="the API's base URL, written into config.js")
    parser.add_argument("--media", default=f"http://{config.HOST}:{config.EMULATOR_PORT}",
                        help="where evidence and bulletin images are served and uploaded")
    args = parser.parse_args(argv)
    server = serve(args.host, args.port, args.api, args.media)
    print(f"admin site on http://{args.host}:{args.port} (API {args.api})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A Twilio-compatible SMS sink for the offline stack.

The app's real `twilio` client, pointed here by `MASSES_TWILIO_API_BASE`, sends
messages exactly as it would to api.twilio.com. Nothing is delivered: each message is
kept in memory and printed, and the Messages list reads them back in Twilio's shape:

    python -m local.sms_sink            # serves on 127.0.0.1:4010
    curl -u "$SID:$TOKEN" -G --data-urlencode To=+8613800000000 \\
        http://127.0.0.1:4010/2010-04-01/Accounts/$SID/Messages.json

Bodies and errors follow Twilio's OpenAPI spec (../shared/specs/twilio_api_v2010.json),
which the tests validate against. Standard library only, so it runs anywhere.
"""

import argparse
import base64
import hmac
import json
import logging
import math
import re
import sys
import threading
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from local import config

logger = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
MESSAGES_PATH = re.compile(r"/2010-04-01/Accounts/(?P<account_sid>[^/]+)/Messages\.json")
MESSAGE_PATH = re.compile(
    r"/2010-04-01/Accounts/(?P<account_sid>[^/]+)/Messages/(?P<sid>[^/]+)\.json"
)
# E.164, optionally behind a channel prefix such as "whatsapp:".
ADDRESS = re.compile(r"(?:[a-z]+:)?\+[1-9][0-9]{1,14}")
MAX_BODY_CHARS = 1600
MAX_REQUEST_BYTES = 64 * 1024
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
# How often the serving loop checks for stop(): the default 0.5 s slows every test.
POLL_SECONDS = 0.05

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Characters of the GSM-7 extension table take two septets (escape + character).
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


class TwilioError(Exception):
    """An error answered in Twilio's shape: {code, message, more_info, status}."""

    def __init__(self, status: int, code: int, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def num_segments(body: str) -> int:
    """How many SMS parts Twilio would bill for `body` (GSM-7 or UCS-2 encoding)."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in body):
        units = sum(2 if char in GSM7_EXTENDED else 1 for char in body)
        single, per_part = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2  # an emoji is two UTF-16 units
        single, per_part = 70, 67
    return 1 if units <= single else math.ceil(units / per_part)


def new_message(account_sid: str, form: dict[str, str]) -> dict:
    """Validate a create request as Twilio does and build the queued Message resource."""
    to = form.get("To")
    body = form.get("Body")
    sender = form.get("From")
    messaging_service_sid = form.get("MessagingServiceSid")
    if not to:
        raise TwilioError(400, 21604, "A 'To' phone number is required.")
    if not ADDRESS.fullmatch(to):
        raise TwilioError(400, 21211, f"Invalid 'To' Phone Number: {to}")
    if not body:
        raise TwilioError(400, 21602, "Message body is required.")
    if len(body) > MAX_BODY_CHARS:
        raise TwilioError(
            400, 21617, "The concatenated message body exceeds the 1600 character limit."
        )
    if not sender and not messaging_service_sid:
        raise TwilioError(400, 21603, "A 'From' phone number is required.")

    sid = "SM" + uuid.uuid4().hex
    now = format_datetime(datetime.now(UTC).replace(microsecond=0))
    uri_base = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}"
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": body,
        "date_created": now,
        "date_sent": now,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": sender,
        "messaging_service_sid": messaging_service_sid,
        "num_media": "0",
        "num_segments": str(num_segments(body)),
        "price": None,
        "price_unit": None,
        "sid": sid,
        "status": "queued",
        "subresource_uris": {
            "media": f"{uri_base}/Media.json",
            "feedback": f"{uri_base}/Feedback.json",
        },
        "to": to,
        "uri": f"{uri_base}.json",
    }


class SmsSink:
    """The sink: an HTTP server on `host:port` plus the messages it received.

    The socket is bound on construction (port 0 picks a free one), so `port` and
    `base_url` are known before `start()`. Usable as a context manager.
    """

    def __init__(
        self,
        host: str = config.HOST,
        port: int = config.SMS_SINK_PORT,
        account_sid: str = config.TWILIO_ACCOUNT_SID,
        auth_token: str = config.TWILIO_AUTH_TOKEN,
    ):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._messages: list[dict] = []
        self._lock = threading.Lock()
        self._server = _Server((host, port), self)
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self._server.server_address[0]

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "SmsSink":
        """Serve in a daemon thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL_SECONDS,), name="sms-sink", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (the CLI)."""
        self._server.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> "SmsSink":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def add(self, message: dict) -> None:
        with self._lock:
            self._messages.append(message)
        # The developer reads one-time codes here; json.dumps keeps it on one line.
        logger.info(
            "SMS %s to %s: %s",
            message["sid"], message["to"], json.dumps(message["body"], ensure_ascii=False),
        )

    def messages(self, to: str | None = None, from_: str | None = None) -> list[dict]:
        """Messages received, newest first, optionally only those to / from a number."""
        with self._lock:
            newest_first = self._messages[::-1]
        return [
            message for message in newest_first
            if (to is None or message["to"] == to)
            and (from_ is None or message["from"] == from_)
        ]

    def message(self, sid: str) -> dict | None:
        with self._lock:
            return next((message for message in self._messages if message["sid"] == sid), None)


class _Server(ThreadingHTTPServer):
    def __init__(self, address: tuple[str, int], sink: SmsSink):
        super().__init__(address, _Handler)
        self.sink = sink


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def handle_any_method(self) -> None:
        try:
            status, payload = self._answer()
        except TwilioError as error:
            status, payload = error.status, error.to_json()
        except Exception:
            logger.exception("sms sink failed on %s %s", self.command, self.path)
            status, payload = 500, TwilioError(500, 20500, "Internal Server Error").to_json()
        self._send_json(status, payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any_method

    def _answer(self) -> tuple[int, dict]:
        sink = self.server.sink
        # Read the body before any early answer: closing a socket with unread data
        # makes the client see a reset instead of our error.
        form = self._read_form()
        url = urlsplit(self.path)
        self._authenticate(sink)

        list_match = MESSAGES_PATH.fullmatch(url.path)
        one_match = MESSAGE_PATH.fullmatch(url.path)
        match = list_match or one_match
        if match is None:
            raise TwilioError(404, 20404, f"The requested resource {url.path} was not found")
        if match["account_sid"] != sink.account_sid:
            raise TwilioError(401, 20003, "Authenticate")

        if list_match and self.command == "POST":
            message = new_message(sink.account_sid, form)
            sink.add(message)
            return 201, message
        if list_match and self.command == "GET":
            return 200, self._list_page(sink, url.path, parse_qs(url.query))
        if one_match and self.command == "GET":
            message = sink.message(one_match["sid"])
            if message is None:
                raise TwilioError(404, 20404, f"The requested resource {url.path} was not found")
            return 200, message
        raise TwilioError(405, 20004, "Method not allowed")

    def _read_form(self) -> dict[str, str]:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length > MAX_REQUEST_BYTES:
            raise TwilioError(413, 21617, "Request too large.")
        raw = self.rfile.read(length) if length > 0 else b""
        fields = parse_qs(raw.decode("utf-8", errors="replace"))
        return {name: values[0] for name, values in fields.items()}

    def _authenticate(self, sink: SmsSink) -> None:
        scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
        try:
            username, _, password = base64.b64decode(encoded, validate=True).partition(b":")
        except ValueError:
            username = password = b""
        expected = (sink.account_sid.encode(), sink.auth_token.encode())
        if not (
            scheme.lower() == "basic"
            and hmac.compare_digest(username, expected[0])
            and hmac.compare_digest(password, expected[1])
        ):
            raise TwilioError(401, 20003, "Authenticate")

    @staticmethod
    def _list_page(sink: SmsSink, path: str, query: dict[str, list[str]]) -> dict:
        filters = {name: query[name][0] for name in ("To", "From") if name in query}
        page_size = _int_param(query, "PageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        page = _int_param(query, "Page", 0, 0, sys.maxsize)
        matching = sink.messages(filters.get("To"), filters.get("From"))
        start = page * page_size
        messages = matching[start:start + page_size]

        def page_uri(number: int) -> str:
            return f"{path}?{urlencode({**filters, 'PageSize': page_size, 'Page': number})}"

        return {
            "messages": messages,
            "page": page,
            "page_size": page_size,
            "first_page_uri": page_uri(0),
            "next_page_uri": page_uri(page + 1) if start + page_size < len(matching) else None,
            "previous_page_uri": page_uri(page - 1) if page > 0 else None,
            "start": start,
            "end": start + max(len(messages) - 1, 0),
            "uri": page_uri(page),
        }

    def _send_json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:
        """Silence per-request access lines: the sink logs one line per message."""


def _int_param(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(query[name][0])
    except (KeyError, ValueError):
        return default
    return min(max(value, low), high)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Twilio-compatible SMS sink for local runs.")
    parser.add_argument("--port", type=int, default=config.SMS_SINK_PORT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(message)s")

    sink = SmsSink(port=args.port)
    logger.info("SMS sink on %s, account %s", sink.base_url, sink.account_sid)
    try:
        sink.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()


if __name__ == "__main__":
    main()

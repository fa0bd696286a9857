"""The push sink of the offline stack: SNS itself (moto's server, in this process) and
a page that shows what was pushed to a device token.

The app's SNS client reaches this emulator through AWS_ENDPOINT_URL_SNS, and publishes
to platform endpoints exactly as on AWS; moto keeps each message on its endpoint.
The sink reads those messages from moto's SNS backend (nothing but what the app
published) and answers, newest first:

    python -m local.push_sink             # SNS on 127.0.0.1:4021, the sink on :4020
    curl 'http://127.0.0.1:4020/pushes?token=TOKEN'
    {"pushes": [{"title": …, "body": …, "data": {…}, "sent_at": "2026-…Z"}, …]}

moto stores no time with a message, so `sent_at` is when the sink first saw it: it
looks every POLL_SECONDS (0.1 s), and again before each answer. SNS runs in its own process
so that the paused-dependency tests can pause SNS alone.
"""

import argparse
import json
import logging
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from local import config

logger = logging.getLogger(__name__)
ACCOUNT_ID = "123456789012"  # moto's default account, the one the app's calls land in
POLL_SECONDS = 0.1


def payload(platform: str, message: str) -> dict:
    """title, body and data of a Publish Message as the device's push service gets it."""
    try:
        structure = json.loads(message)
        pushed = json.loads(structure["GCM" if platform == "GCM" else "APNS"])
    except (ValueError, KeyError, TypeError):
        return {"title": None, "body": message, "data": {}}
    if platform == "GCM":
        notification = pushed.get("notification", {})
        return {"title": notification.get("title"), "body": notification.get("body"),
                "data": pushed.get("data", {})}
    alert = pushed.get("aps", {}).get("alert", {})
    return {"title": alert.get("title"), "body": alert.get("body"),
            "data": {key: value for key, value in pushed.items() if key != "aps"}}


class PushSink:
    def __init__(self, host: str = config.HOST, sns_port: int = config.SNS_PORT,
                 port: int = config.PUSH_SINK_PORT):
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        self.sns = make_server(host, sns_port, DomainDispatcherApplication(create_backend_app),
                               threaded=True)
        self.server = ThreadingHTTPServer((host, port), _Handler)
        self.server.sink = self
        self.lock = threading.Lock()
        self.seen: dict[str, dict] = {}   # moto's message id → the push, with its token
        self.counted: dict[str, int] = {}  # endpoint ARN → how many of its messages are seen
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self.sns.serve_forever, daemon=True),
                        threading.Thread(target=self.server.serve_forever,
                                         kwargs={"poll_interval": POLL_SECONDS}, daemon=True),
                        threading.Thread(target=self._watch, daemon=True)]

    def start(self) -> "PushSink":
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.sns.shutdown()
        self.server.shutdown()
        self.server.server_close()

    def _watch(self) -> None:
        while not self.stopped.wait(POLL_SECONDS):
            self.collect()

    def collect(self) -> None:
        """Note every message moto holds that the sink has not seen yet."""
        from moto.sns.models import sns_backends

        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        backend = sns_backends[ACCOUNT_ID][config.REGION]
        with self.lock:
            for endpoint in list(backend.platform_endpoints.values()):
                # Messages are only ever added: an endpoint whose count is unchanged has
                # nothing new, so a look costs little however many pushes went before.
                if len(endpoint.messages) == self.counted.get(endpoint.arn, 0):
                    continue
                token = endpoint.attributes.get("Token", endpoint.token)
                platform = endpoint.application.platform
                messages = list(endpoint.messages.items())
                for message_id, message in messages:
                    if message_id not in self.seen:
                        self.seen[message_id] = {"token": token, "sent_at": now,
                                                 **payload(platform, message)}
                self.counted[endpoint.arn] = len(messages)

    def pushes(self, token: str) -> list[dict]:
        self.collect()
        with self.lock:
            found = [push for push in self.seen.values() if push["token"] == token]
        return [{key: push[key] for key in ("title", "body", "data", "sent_at")}
                for push in reversed(found)]


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        url = urlsplit(self.path)
        token = parse_qs(url.query).get("token", [""])[0]
        if url.path != "/pushes" or not token:
            self._send(404, {"error": "GET /pushes?token=TOKEN"})
            return
        self._send(200, {"pushes": self.server.sink.pushes(token)})

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:
        logger.debug(format, *args)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="SNS and the push sink, on loopback")
    parser.add_argument("--sns-port", type=int, default=config.SNS_PORT)
    parser.add_argument("--port", type=int, default=config.PUSH_SINK_PORT)
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    sink = PushSink(config.HOST, arguments.sns_port, arguments.port).start()
    logger.info("SNS on %s:%s, pushes on http://%s:%s/pushes?token=TOKEN", config.HOST,
                arguments.sns_port, config.HOST, arguments.port)
    try:
        sink.stopped.wait()
    except KeyboardInterrupt:
        sink.stop()


if __name__ == "__main__":
    main()

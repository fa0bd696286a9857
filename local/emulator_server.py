"""The local AWS emulator: moto's server, with each DynamoDB request made atomic.

DynamoDB applies a conditional write atomically, and the code relies on it (a code is
spent once, a report moves once). moto's threaded server checks a condition and then
writes without a lock, so two concurrent conditional writes can both win there.
Serialising DynamoDB requests gives back the guarantee; the other services stay
concurrent, so an SQS long poll never holds up a table write.

DynamoDB also applies a TransactWriteItems once per ClientRequestToken (for 10
minutes): botocore retries a transaction whose answer was lost with the same token,
and the app relies on that (chalicelib/deadlines.py). moto ignores the token, so a
retried filing would fail its own "new report" condition; the emulator answers a
token it has seen succeed with that first answer, as DynamoDB does.

Run as `python -m local.emulator_server HOST PORT`.
"""

import io
import json
import sys
import threading
import time
from collections import OrderedDict

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

# How long DynamoDB remembers a transaction's ClientRequestToken.
TOKEN_SECONDS = 600


class AtomicDynamoDB:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        # ClientRequestToken → (when, status, headers, body) of a transaction that succeeded
        self.transactions: OrderedDict[str, tuple] = OrderedDict()

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith("DynamoDB_"):
            return self.app(environ, start_response)
        with self.lock:
            if target.endswith(".TransactWriteItems"):
                return self._transaction(environ, start_response)
            return list(self.app(environ, start_response))

    def _transaction(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        token = json.loads(body or b"{}").get("ClientRequestToken")
        now = time.monotonic()
        while self.transactions and next(iter(self.transactions.values()))[0] < now - TOKEN_SECONDS:
            self.transactions.popitem(last=False)
        if token in self.transactions:
            _, status, headers, chunks = self.transactions[token]
            start_response(status, headers)
            return chunks
        answered = {}

        def remember(status, headers, exc_info=None):
            answered.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        chunks = list(self.app(environ, remember))
        if token and answered["status"].startswith("200"):
            self.transactions[token] = (now, answered["status"], answered["headers"], chunks)
        return chunks


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = AtomicDynamoDB(DomainDispatcherApplication(create_backend_app))
    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()

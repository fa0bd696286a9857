"""The local AWS emulator: moto's server, with each DynamoDB request made atomic.

DynamoDB applies a conditional write atomically, and the code relies on it (a code is
spent once, a report moves once). moto's threaded server checks a condition and then
writes without a lock, so two concurrent conditional writes can both win there.
Serialising DynamoDB requests gives back the guarantee; the other services stay
concurrent, so an SQS long poll never holds up a table write.

Run as `python -m local.emulator_server HOST PORT`.
"""

import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


class AtomicDynamoDB:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return self.app(environ, start_response)
        with self.lock:
            return list(self.app(environ, start_response))


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = AtomicDynamoDB(DomainDispatcherApplication(create_backend_app))
    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()

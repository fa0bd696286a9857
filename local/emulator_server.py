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

import copy
import io
import json
import sys
import threading
import time
from collections import OrderedDict

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

# How long DynamoDB remembers a transaction's ClientRequestToken.
TOKEN_SECONDS = 600


class TransactionBackup:
    """Stands in for the `copy` module inside moto's transact_write_items (the only
    deepcopy there is of a touched table). Requests are serialised (AtomicDynamoDB),
    so one transaction's keys at a time."""

    def __init__(self):
        self.keys: dict[str, list[dict]] = {}

    def deepcopy(self, table):
        if not isinstance(table, Table):
            return copy.deepcopy(table)
        backup = copy.copy(table)
        ranged = table.range_key_attr is not None
        backup.items = type(table.items)(dict) if ranged else type(table.items)()
        for hash_value, held in table.items.items():
            backup.items[hash_value] = dict(held) if ranged else held
        for key in self.keys.get(table.name, ()):
            hash_value = DynamoType(key[table.hash_key_attr])
            if ranged:
                range_value = DynamoType(key[table.range_key_attr])
                if range_value in backup.items.get(hash_value, {}):
                    backup.items[hash_value][range_value] = copy.deepcopy(
                        table.items[hash_value][range_value])
            elif hash_value in backup.items:
                backup.items[hash_value] = copy.deepcopy(table.items[hash_value])
        return backup

    def install(self) -> None:
        original = dynamodb_models.DynamoDBBackend.transact_write_items
        backup = self

        def transact_write_items(backend, transact_items):
            backup.keys = {}
            for entry in transact_items:
                op = next(iter(entry.values()))
                backup.keys.setdefault(op.get("TableName"), []).append(
                    op.get("Key") or op.get("Item") or {})
            return original(backend, transact_items)

        dynamodb_models.copy = self
        dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items


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
    TransactionBackup().install()
    app = AtomicDynamoDB(DomainDispatcherApplication(create_backend_app))
    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()

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

DynamoDB answers a Query from the one partition it names; moto walks (and sorts) every
item of the table for each Query, some 100-400 ms at 10^4 items, and serialised those
pile up past the app's read timeout. The emulator hands moto's query only the queried
partition's items (QueryPartitions), so moto's own code still does the rest. moto then
spends some 2 ms on each item it answers (a projection converts the whole item once per
projected attribute; the serializer looks each member of every value up under several
aliases), so a lookup of a few thousand items would still outlast the timeout;
install_query_shortcuts gives moto's same answer without that waste.

Run as `python -m local.emulator_server HOST PORT`.
"""

import copy
import dataclasses
import inspect
import io
import json
import sys
import threading
import time
from collections import OrderedDict, defaultdict

import moto.dynamodb.models as dynamodb_models
import moto.dynamodb.models.dynamo_type as dynamo_type
import moto.dynamodb.models.table as table_module
from moto.core.serialize import JSONSerializer
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoResult
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

# How long DynamoDB remembers a transaction's ClientRequestToken.
TOKEN_SECONDS = 600
# The DynamoDB operations that change no item; any other may write.
READ_OPERATIONS = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}
READ_PREFIXES = ("Describe", "List")


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


def tables_named(request) -> set[str]:
    """The tables a write request names (TableName, a batch's RequestItems, a
    transaction's items), by name even when given as an ARN; empty when it names them
    some other way (PartiQL, a restore) or not at all."""
    if not isinstance(request, dict):
        return set()
    names = [request.get("TableName"), *(request.get("RequestItems") or ())]
    for entry in request.get("TransactItems") or ():
        names += [op.get("TableName") for op in entry.values() if isinstance(op, dict)]
    return {name.rpartition("/")[2] for name in names if isinstance(name, str)}


class QueryPartitions:
    """Hands Table.query, for the length of one call, only the items that can match its
    partition key in place of all_items() (the only use of all_items in a query).
    moto keeps the filtered items in their all_items order and then sorts them by the
    index's keys and the table's, which no two items share, so its answer (order,
    paging, Limit, filters, projection) is the one it gives from the whole table.

    The base table is moto's dict by hash key already. An index is grouped by its
    partition key's value, once per version of the table: every DynamoDB request that
    may write makes a new version of the tables it names, or of every table when it
    names none we can read. Requests are serialised (AtomicDynamoDB), so a grouping is
    never read while a write is under way."""

    def __init__(self):
        self.epoch = 0
        self.versions: defaultdict[str, int] = defaultdict(int)
        # table name → (the Table, its version, {attribute: {value: items}})
        self.groupings: dict[str, tuple] = {}

    def saw(self, operation: str, request) -> None:
        if operation in READ_OPERATIONS or operation.startswith(READ_PREFIXES):
            return
        names = tables_named(request)
        if not names:
            self.epoch += 1
        for name in names:
            self.versions[name] += 1

    def candidates(self, table: Table, call: dict) -> list[Item] | None:
        """The items that can match the query's partition key; None for all of them."""
        if not call.get("index_name"):
            if call["hash_key"] is None:
                return None
            partition = table.items.get(call["hash_key"])
            if partition is None:
                return []
            return list(partition.values()) if table.range_key_attr else [partition]
        if not call.get("hash_key_conditions"):
            return None
        attribute, value = call["hash_key_conditions"][0]
        version = (self.epoch, self.versions[table.name])
        cached, cached_version, by_attribute = self.groupings.get(table.name, (None, None, {}))
        if cached is not table or cached_version != version:
            by_attribute = {}
            self.groupings[table.name] = (table, version, by_attribute)
        if attribute not in by_attribute:
            grouping = by_attribute[attribute] = defaultdict(list)
            for item in Table.all_items(table):
                if (key := item.attrs.get(attribute)) is not None:
                    grouping[key].append(item)
        return list(by_attribute[attribute].get(value, ()))

    def install(self) -> None:
        original = Table.query
        signature = inspect.signature(original)
        partitions = self

        def query(table, *args, **kwargs):
            call = signature.bind(table, *args, **kwargs).arguments
            items = partitions.candidates(table, call)
            if items is None:
                return original(table, *args, **kwargs)
            table.all_items = lambda: items
            try:
                return original(table, *args, **kwargs)
            finally:
                del table.all_items

        Table.query = query


class SharedItems:
    """Stands in for the `copy` module inside Table.query (install_query_shortcuts)."""

    deepcopy = list


class WireNamedSerializer(JSONSerializer):
    """moto's serializer, reading a member of a dict by its wire name alone. moto looks
    each member up under several aliases too (the shape's name, snake_case...), which
    for the ten members of every value in a Query's items costs more than the rest of
    the Query; moto's DynamoDB answers are plain dicts keyed by wire name
    (dynamo_to_dict), in which no alias is ever found."""

    def get_value(self, value, key, shape):
        if isinstance(value, dict) and "." not in key:
            return value.get(key)
        return super().get_value(value, key, shape)


def install_query_shortcuts() -> None:
    """Three of moto's steps in a Query, giving the same results with less work.

    Table.query deep-copies the items it answers before projecting them; nothing
    changes them afterwards (the answer is serialized under AtomicDynamoDB's lock), so
    the same items serve. Item.project (an index's projection; a ProjectionExpression)
    converts the whole item to plain values for each attribute it keeps, then takes
    that attribute; when every attribute is a top-level name, converting just the kept
    ones, once, is the same; and a part of an item within DynamoDB's size limit is
    within it too, so the new item skips moto's check of it (which sums the sizes of
    all its attributes again at each one it adds). A Query's answer is serialized by
    WireNamedSerializer."""
    query = Table.query

    def query_sharing_items(table, *args, **kwargs):
        table_module.copy = SharedItems
        try:
            return query(table, *args, **kwargs)
        finally:
            table_module.copy = copy

    project = Item.project

    def project_top_level(item, projection_expressions):
        if any(len(path) != 1 or "[" in path[0] for path in projection_expressions):
            return project(item, projection_expressions)
        kept = {path[0]: dynamo_type.deserializer.deserialize(item.attrs[path[0]].to_regular_json())
                for path in projection_expressions if path[0] in item.attrs}
        projected = Item(hash_key=item.hash_key, range_key=item.range_key, attrs={})
        projected.attrs.update((name, DynamoType(value)) for name, value
                               in dynamo_type.serializer.serialize(kept)["M"].items())
        return projected

    execute_result = DynamoResult.execute_result

    def execute_result_by_wire_name(result, context):
        if context.operation_model.name == "Query" and context.serializer_class is JSONSerializer:
            context = dataclasses.replace(context, serializer_class=WireNamedSerializer)
        return execute_result(result, context)

    Table.query = query_sharing_items
    Item.project = project_top_level
    DynamoResult.execute_result = execute_result_by_wire_name


class AtomicDynamoDB:
    def __init__(self, app, partitions: QueryPartitions):
        self.app = app
        self.partitions = partitions
        self.lock = threading.Lock()
        # ClientRequestToken → (when, status, headers, body) of a transaction that succeeded
        self.transactions: OrderedDict[str, tuple] = OrderedDict()

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith("DynamoDB_"):
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = None
        operation = target.rpartition(".")[2]
        with self.lock:
            self.partitions.saw(operation, request)
            if operation == "TransactWriteItems":
                return self._transaction(request, environ, start_response)
            return list(self.app(environ, start_response))

    def _transaction(self, request, environ, start_response):
        token = request.get("ClientRequestToken") if isinstance(request, dict) else None
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
    partitions = QueryPartitions()
    partitions.install()
    install_query_shortcuts()
    app = AtomicDynamoDB(DomainDispatcherApplication(create_backend_app), partitions)
    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()

"""The local emulator answers a Query from the queried partition alone
(local/emulator_server.py, QueryPartitions), and its answers are still moto's own.

Every request here goes, over real HTTP, both to the emulator and to moto's plain
server holding the same items, and each Query's answer (items, order, counts,
LastEvaluatedKey) must be the same from both: page by page in both directions, on the
base table, on an index and on a sparse index, with key conditions and filters, and
after every kind of write, so a partition the emulator remembered from before a write
would show.
"""

import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import boto3
import pytest

from local import config
from local.emulator import free_port, start_emulator, wait_for_port

BY_CELL = "by-cell"
BY_CELL_SOME = "by-cell-some"   # the same keys, some attributes projected
BY_FLAG = "by-flag"   # sparse: only items with a flag are in it
PARTITIONS, ITEMS_PER_PARTITION, CELLS = 3, 12, 3


@dataclass
class Servers:
    emulator: object
    moto: object

    def send(self, operation: str, **params) -> None:
        for client in (self.emulator, self.moto):
            getattr(client, operation)(**params)

    def query(self, **params) -> dict:
        """The one answer both give to the same Query."""
        answers = []
        for client in (self.emulator, self.moto):
            answer = client.query(**params)
            answer.pop("ResponseMetadata")
            answers.append(answer)
        assert unordered_sets(answers[0]) == unordered_sets(answers[1]), params
        return answers[0]


def unordered_sets(value):
    """A DynamoDB set has no order, and moto's comes out in its process's hash order."""
    if isinstance(value, dict):
        return {key: sorted(inner) if key in ("SS", "NS", "BS") else unordered_sets(inner)
                for key, inner in value.items()}
    if isinstance(value, list):
        return [unordered_sets(inner) for inner in value]
    return value


@pytest.fixture(scope="module")
def servers():
    emulator_port, moto_port = free_port(), free_port()
    emulator = start_emulator(config.HOST, emulator_port)
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", config.HOST, "-p", str(moto_port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_port(config.HOST, moto_port)
        yield Servers(*(boto3.client("dynamodb", endpoint_url=f"http://{config.HOST}:{port}",
                                     region_name=config.REGION)
                        for port in (emulator_port, moto_port)))
    finally:
        for process in (emulator, moto):
            process.terminate()
            process.wait(timeout=10)


def item(pk: str, sk: int, cell: str, at: str, size: int, flag: str | None = None) -> dict:
    """An item with a value of each type, so that both servers' answers go through
    every kind of conversion."""
    attributes = {"pk": {"S": pk}, "sk": {"S": f"{sk:03d}"}, "cell": {"S": cell},
                  "at": {"S": at}, "size": {"N": str(size)}, "ratio": {"N": f"{size / 7}"},
                  "tags": {"SS": ["b", "a", f"t{size}"]}, "scores": {"NS": ["1.5", str(size)]},
                  "blob": {"B": bytes([sk, size, 0, 255])}, "blobs": {"BS": [b"x", bytes([sk])]},
                  "ok": {"BOOL": size % 2 == 0}, "nothing": {"NULL": True},
                  "nested": {"M": {"label_text": {"S": f"{pk}-{sk}"},
                                   "parts_list": {"L": [{"N": str(sk)}, {"S": "two"},
                                                  {"M": {"deep": {"BOOL": True}}}]}}}}
    if flag is not None:
        attributes["flag"] = {"S": flag}
    return attributes


@pytest.fixture
def table(servers) -> str:
    """A table on both servers: hash and range key, an index by cell and time (times
    shared by several items, so the table's keys break the ties) and a sparse index."""
    name = f"queries-{uuid.uuid4().hex}"
    servers.send(
        "create_table", TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": attribute, "AttributeType": kind} for
                              attribute, kind in (("pk", "S"), ("sk", "S"), ("cell", "S"),
                                                  ("at", "S"), ("flag", "S"))],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {"IndexName": BY_CELL, "Projection": {"ProjectionType": "ALL"},
             "KeySchema": [{"AttributeName": "cell", "KeyType": "HASH"},
                           {"AttributeName": "at", "KeyType": "RANGE"}]},
            {"IndexName": BY_CELL_SOME,
             "Projection": {"ProjectionType": "INCLUDE",
                            "NonKeyAttributes": ["size", "tags", "nested", "blob", "absent"]},
             "KeySchema": [{"AttributeName": "cell", "KeyType": "HASH"},
                           {"AttributeName": "at", "KeyType": "RANGE"}]},
            {"IndexName": BY_FLAG, "Projection": {"ProjectionType": "KEYS_ONLY"},
             "KeySchema": [{"AttributeName": "flag", "KeyType": "HASH"}]}])
    for p in range(PARTITIONS):
        for sk in range(ITEMS_PER_PARTITION):
            n = p * ITEMS_PER_PARTITION + sk
            servers.send("put_item", TableName=name, Item=item(
                f"p{p}", sk, f"c{n % CELLS}", f"2026-01-0{n % 4 + 1}", n % 5,
                "on" if n % 4 == 0 else None))
    yield name
    servers.send("delete_table", TableName=name)


def pages(servers: Servers, **params) -> list[dict]:
    """Every page of a Query, each page the same from both servers."""
    answers, start = [], {}
    while True:
        answers.append(servers.query(**params, **start))
        if "LastEvaluatedKey" not in answers[-1]:
            return answers
        start = {"ExclusiveStartKey": answers[-1]["LastEvaluatedKey"]}


def keys(items: list[dict]) -> list[tuple[str, str]]:
    return [(found["pk"]["S"], found["sk"]["S"]) for found in items]


def listed(servers: Servers, **params) -> list[tuple[str, str]]:
    return keys([found for page in pages(servers, **params) for found in page["Items"]])


def on_cell(table: str, cell: str) -> dict:
    return {"TableName": table, "IndexName": BY_CELL, "KeyConditionExpression": "cell = :c",
            "ExpressionAttributeValues": {":c": {"S": cell}}}


QUERIES = {
    "partition": lambda table: {
        "TableName": table, "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "p1"}}},
    "partition, sort key range": lambda table: {
        "TableName": table, "KeyConditionExpression": "pk = :p AND sk BETWEEN :low AND :high",
        "ExpressionAttributeValues": {":p": {"S": "p2"}, ":low": {"S": "003"},
                                      ":high": {"S": "009"}}},
    "index": lambda table: on_cell(table, "c1"),
    "index, sort key range": lambda table: {
        "TableName": table, "IndexName": BY_CELL,
        "KeyConditionExpression": "cell = :c AND #at BETWEEN :low AND :high",
        "ExpressionAttributeNames": {"#at": "at"},
        "ExpressionAttributeValues": {":c": {"S": "c0"}, ":low": {"S": "2026-01-02"},
                                      ":high": {"S": "2026-01-03"}}},
    "index, filtered": lambda table: {
        **on_cell(table, "c2"), "FilterExpression": "#size >= :s",
        "ExpressionAttributeNames": {"#size": "size"},
        "ExpressionAttributeValues": {":c": {"S": "c2"}, ":s": {"N": "3"}}},
    "partition, projected": lambda table: {
        "TableName": table, "KeyConditionExpression": "pk = :p",
        "ProjectionExpression": "pk, sk, #blob, scores, absent, ok",
        "ExpressionAttributeNames": {"#blob": "blob"},
        "ExpressionAttributeValues": {":p": {"S": "p0"}}},
    "partition, nested projection": lambda table: {
        "TableName": table, "KeyConditionExpression": "pk = :p",
        "ProjectionExpression": "pk, sk, nested.label_text, nested.parts_list[2], tags",
        "ExpressionAttributeValues": {":p": {"S": "p0"}}},
    "index, some attributes": lambda table: {
        **on_cell(table, "c1"), "IndexName": BY_CELL_SOME},
    "index, some attributes, filtered": lambda table: {
        **on_cell(table, "c0"), "IndexName": BY_CELL_SOME, "FilterExpression": "#size < :s",
        "ExpressionAttributeNames": {"#size": "size"},
        "ExpressionAttributeValues": {":c": {"S": "c0"}, ":s": {"N": "2"}}},
    "sparse index": lambda table: {
        "TableName": table, "IndexName": BY_FLAG, "KeyConditionExpression": "flag = :f",
        "ExpressionAttributeValues": {":f": {"S": "on"}}},
}


@pytest.mark.parametrize("query", QUERIES)
def test_a_query_in_pages_either_way_is_the_whole_answer_in_order(servers, table, query):
    params = QUERIES[query](table)
    whole = listed(servers, **params)
    assert whole
    backwards = listed(servers, **params, ScanIndexForward=False)
    assert backwards == whole[::-1]
    for limit in (1, 2, 5):
        for forward in (True, False):
            paged = pages(servers, **params, Limit=limit, ScanIndexForward=forward)
            assert len(paged) > 1
            assert keys([found for page in paged for found in page["Items"]]) \
                == (whole if forward else backwards)


def test_the_sparse_index_holds_only_the_items_with_its_key(servers, table):
    flagged = listed(servers, **QUERIES["sparse index"](table))
    every = listed(servers, TableName=table, IndexName=BY_FLAG,
                   KeyConditionExpression="flag = :f",
                   ExpressionAttributeValues={":f": {"S": "off"}})
    assert every == []
    assert len(flagged) == PARTITIONS * ITEMS_PER_PARTITION // 4


def test_a_filter_drops_items_after_the_limit_but_keeps_the_paging(servers, table):
    params = QUERIES["index, filtered"](table)
    paged = pages(servers, **params, Limit=2)
    sizes = [int(found["size"]["N"]) for page in paged for found in page["Items"]]
    assert sizes and min(sizes) >= 3
    assert any(page["Count"] < page["ScannedCount"] for page in paged)
    unfiltered = listed(servers, **on_cell(table, "c2"))
    assert len(sizes) < len(unfiltered)


@dataclass(frozen=True)
class WritePath:
    """One way of writing an item: put (new or in place of one), and delete."""
    put: Callable[[Servers, str, dict], None]
    delete: Callable[[Servers, str, dict], None]


def key_of(attributes: dict) -> dict:
    return {"pk": attributes["pk"], "sk": attributes["sk"]}


def partiql_value(value: dict) -> str:
    kind, text = next(iter(value.items()))
    return text if kind == "N" else f"'{text}'"


# moto's PartiQL takes no parameter in a DELETE (nor a number there), hence the test's
# own string keys written into the statements.
def partiql_delete(servers, table, attributes):
    condition = f"pk = '{attributes['pk']['S']}' AND sk = '{attributes['sk']['S']}'"
    servers.send("execute_statement", Statement=f'DELETE FROM "{table}" WHERE {condition}')  # noqa: S608


def partiql_put(servers, table, attributes):
    """The item's strings and whole numbers (moto's PartiQL reads other numbers as
    floats, which it refuses)."""
    partiql_delete(servers, table, attributes)
    fields = ", ".join(f"'{name}': {partiql_value(value)}" for name, value in attributes.items()
                       if "S" in value or value.get("N", ".").isdigit())
    servers.send("execute_statement", Statement=f'INSERT INTO "{table}" VALUE {{{fields}}}')


WRITE_PATHS = {
    "single": WritePath(
        lambda s, table, attributes: s.send("put_item", TableName=table, Item=attributes),
        lambda s, table, attributes: s.send("delete_item", TableName=table,
                                            Key=key_of(attributes))),
    "by table ARN": WritePath(
        lambda s, table, attributes: s.send(
            "put_item", TableName=f"arn:aws:dynamodb:{config.REGION}:123456789012:table/{table}",
            Item=attributes),
        lambda s, table, attributes: s.send(
            "delete_item", TableName=f"arn:aws:dynamodb:{config.REGION}:123456789012:table/{table}",
            Key=key_of(attributes))),
    "batch": WritePath(
        lambda s, table, attributes: s.send(
            "batch_write_item", RequestItems={table: [{"PutRequest": {"Item": attributes}}]}),
        lambda s, table, attributes: s.send(
            "batch_write_item",
            RequestItems={table: [{"DeleteRequest": {"Key": key_of(attributes)}}]})),
    "transaction": WritePath(
        lambda s, table, attributes: s.send(
            "transact_write_items", TransactItems=[{"Put": {"TableName": table,
                                                            "Item": attributes}}]),
        lambda s, table, attributes: s.send(
            "transact_write_items", TransactItems=[{"Delete": {"TableName": table,
                                                               "Key": key_of(attributes)}}])),
    "PartiQL": WritePath(partiql_put, partiql_delete),
}


def seen(servers: Servers, table: str) -> dict[str, list]:
    """What each query answers now (which remembers its partitions, if anything does)."""
    return {name: listed(servers, **query(table)) for name, query in QUERIES.items()}


@pytest.mark.parametrize("path", WRITE_PATHS)
def test_each_write_is_seen_by_the_next_query(servers, table, path):
    write = WRITE_PATHS[path]
    before = seen(servers, table)
    new = item("p1", 100, "c1", "2026-01-02", 4, "on")
    write.put(servers, table, new)
    added = seen(servers, table)
    for name in ("partition", "index", "sparse index"):
        assert ("p1", "100") not in before[name] and ("p1", "100") in added[name], name

    moved = dict(new, cell={"S": "c2"})
    del moved["flag"]
    write.put(servers, table, moved)
    after_move = seen(servers, table)
    assert ("p1", "100") not in after_move["index"]
    assert ("p1", "100") in after_move["index, filtered"]
    assert ("p1", "100") not in after_move["sparse index"]
    assert ("p1", "100") in after_move["partition"]

    write.delete(servers, table, moved)
    assert seen(servers, table) == before


def test_an_update_that_moves_an_item_between_cells_is_seen(servers, table):
    first = listed(servers, **on_cell(table, "c0"))[0]
    key = {"pk": {"S": first[0]}, "sk": {"S": first[1]}}
    servers.send("update_item", TableName=table, Key=key, UpdateExpression="SET cell = :c",
                 ExpressionAttributeValues={":c": {"S": "c1"}})
    assert first not in listed(servers, **on_cell(table, "c0"))
    assert first in listed(servers, **on_cell(table, "c1"))
    servers.send("update_item", TableName=table, Key=key, UpdateExpression="REMOVE cell")
    assert first not in listed(servers, **on_cell(table, "c1"))


def test_a_table_made_again_under_its_name_answers_from_its_own_items(servers, table):
    before = listed(servers, **on_cell(table, "c0"))
    assert before
    servers.send("delete_table", TableName=table)
    servers.send("create_table", TableName=table, BillingMode="PAY_PER_REQUEST",
                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                       {"AttributeName": "sk", "AttributeType": "S"},
                                       {"AttributeName": "cell", "AttributeType": "S"},
                                       {"AttributeName": "at", "AttributeType": "S"}],
                 KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                            {"AttributeName": "sk", "KeyType": "RANGE"}],
                 GlobalSecondaryIndexes=[{
                     "IndexName": BY_CELL, "Projection": {"ProjectionType": "ALL"},
                     "KeySchema": [{"AttributeName": "cell", "KeyType": "HASH"},
                                   {"AttributeName": "at", "KeyType": "RANGE"}]}])
    assert listed(servers, **on_cell(table, "c0")) == []
    servers.send("put_item", TableName=table, Item=item("q", 1, "c0", "2026-01-01", 1))
    assert listed(servers, **on_cell(table, "c0")) == [("q", "001")]

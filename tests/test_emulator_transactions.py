"""The local emulator's transactions behave as DynamoDB's (local/emulator_server.py): a
retry with the same ClientRequestToken is applied once, and a cancelled transaction
leaves every item it touched as it was, however cheaply it was backed up."""

import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.settings import resource_name


@pytest.fixture
def dynamodb(emulator):
    return boto3.client("dynamodb")


def counter(dynamodb, key: str) -> int | None:
    item = dynamodb.get_item(TableName=resource_name("counters"), ConsistentRead=True,
                             Key={"series": {"S": "emulator-test"}, "key": {"S": key}})
    return int(item["Item"]["count"]["N"]) if "Item" in item else None


def add_one(key: str) -> dict:
    return {"Update": {"TableName": resource_name("counters"),
                       "Key": {"series": {"S": "emulator-test"}, "key": {"S": key}},
                       "UpdateExpression": "ADD #c :one",
                       "ExpressionAttributeNames": {"#c": "count"},
                       "ExpressionAttributeValues": {":one": {"N": "1"}}}}


def test_a_transaction_sent_twice_with_its_token_is_applied_once(dynamodb):
    key, token = uuid.uuid4().hex, uuid.uuid4().hex
    for _ in range(2):
        dynamodb.transact_write_items(TransactItems=[add_one(key)], ClientRequestToken=token)
    assert counter(dynamodb, key) == 1
    dynamodb.transact_write_items(TransactItems=[add_one(key)], ClientRequestToken=uuid.uuid4().hex)
    assert counter(dynamodb, key) == 2


def test_a_cancelled_transaction_changes_nothing_it_touched(dynamodb):
    kept, new = uuid.uuid4().hex, uuid.uuid4().hex
    dynamodb.transact_write_items(TransactItems=[add_one(kept)])
    refused = {"ConditionCheck": {
        "TableName": resource_name("counters"),
        "Key": {"series": {"S": "emulator-test"}, "key": {"S": kept}},
        "ConditionExpression": "attribute_not_exists(#c)",
        "ExpressionAttributeNames": {"#c": "count"}}}
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(TransactItems=[add_one(new), add_one(f"{kept}-b"),
                                                     refused])
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert (counter(dynamodb, kept), counter(dynamodb, new), counter(dynamodb, f"{kept}-b")) \
        == (1, None, None)


def test_a_cancelled_update_of_an_existing_item_is_rolled_back(dynamodb):
    key = uuid.uuid4().hex
    dynamodb.transact_write_items(TransactItems=[add_one(key)])
    refused = {"Put": {"TableName": resource_name("counters"),
                       "Item": {"series": {"S": "emulator-test"}, "key": {"S": key + "-x"}},
                       "ConditionExpression": "attribute_exists(series)"}}
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[add_one(key), refused])
    assert counter(dynamodb, key) == 1

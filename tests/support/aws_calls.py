"""The one counter of AWS API calls (a pytest plugin, registered in tests/conftest.py).

`aws_calls` (fixture) or `counting_aws_calls()` (context manager) records every AWS API
call that the test's own thread makes through any botocore client, PynamoDB's and
boto3's alike: the evidence pump, which may be polling in another thread of the same
process, is not counted. It patches `BaseClient._make_api_call`, so a client created
during the test is counted too, and each call counts once whatever botocore retries.
"""

import contextlib
import threading
from collections.abc import Iterator
from typing import NamedTuple

import botocore.client
import pytest

from chalicelib.settings import resource_name


class AwsCall(NamedTuple):
    service: str
    operation: str
    table: str | None   # without the stage's resource prefix: "reports", "audit"
    index: str | None


class AwsCalls(list[AwsCall]):
    @property
    def operations(self) -> list[str]:
        """The operation of each call, whatever its service: ["GetItem", "PutItem"]."""
        return [call.operation for call in self]


@contextlib.contextmanager
def counting_aws_calls() -> Iterator[AwsCalls]:
    calls = AwsCalls()
    prefix = resource_name("")
    thread = threading.get_ident()
    make_api_call = botocore.client.BaseClient._make_api_call

    def counting(client, operation_name, api_params):
        if threading.get_ident() == thread:
            table = api_params.get("TableName")
            calls.append(AwsCall(client.meta.service_model.service_name, operation_name,
                                 table and table.removeprefix(prefix),
                                 api_params.get("IndexName")))
        return make_api_call(client, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = counting
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = make_api_call


@pytest.fixture
def aws_calls() -> Iterator[AwsCalls]:
    with counting_aws_calls() as calls:
        yield calls

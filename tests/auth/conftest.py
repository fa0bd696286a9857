"""Fixtures for the sign-in tests: each test calls from its own client IP, and may
override stage settings, freeze the sign-in clock, or count DynamoDB calls."""

import dataclasses
import os
import random
import threading
import time

import pytest
from chalice.local import LambdaEventConverter

from chalicelib import tables
from chalicelib.auth import accounts, clock, limits, phones
from chalicelib.settings import settings


@pytest.fixture(autouse=True)
def own_client_ip(monkeypatch):
    """Each test calls from its own IP, so the per-IP limit of one never hits another."""
    address = ".".join(str(random.randint(1, 254)) for _ in range(4))
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", address)
    return address


@pytest.fixture
def stage_settings(monkeypatch):
    """Override stage settings for this test: `stage_settings(otp_max_per_ip_hour=2)`.

    The chalice test client sets the stage's environment on every request, so the
    settings are replaced where the sign-in modules read them, not in the environment.
    """

    def override(**fields):
        changed = dataclasses.replace(settings(), **fields)
        for module in (phones, limits, accounts):
            monkeypatch.setattr(module, "settings", lambda: changed)

    return override


@pytest.fixture
def frozen_clock(monkeypatch):
    """The sign-in clock, frozen; move it with `frozen_clock.advance(seconds)`."""

    class Clock:
        now = time.time()

        def advance(self, seconds: float) -> None:
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr(clock, "now", lambda: fake.now)
    return fake


class DynamoDbCalls:
    """Counts the requests every DynamoDB client of the app sends from the test's thread
    (botocore's before-send event: one per HTTP request, retries included); the pump
    may be working in another thread."""

    def __init__(self):
        self.operations: list[str] = []
        self.thread = threading.get_ident()

    def __call__(self, event_name: str, **_) -> None:
        if threading.get_ident() == self.thread:
            self.operations.append(event_name.rsplit(".", 1)[-1])

    @staticmethod
    def clients() -> list:
        """The botocore client of every model's connection and of the transactions'."""
        models = [value for value in vars(tables).values() if isinstance(value, type)
                  and issubclass(value, tables.Model)
                  and value not in (tables.Model, tables.BudgetedModel)]
        connections = [model._get_connection().connection for model in models]
        return [connection.client for connection in
                [*connections, tables.transaction_connection()]]


@pytest.fixture
def dynamodb_calls():
    counter = DynamoDbCalls()
    clients = counter.clients()
    for client in clients:
        client.meta.events.register("before-send.dynamodb", counter)
    yield counter
    for client in clients:
        client.meta.events.unregister("before-send.dynamodb", counter)


@pytest.fixture
def environ_kept(monkeypatch):
    """The chalice test client swaps os.environ for each request; from several threads
    at once the swaps interleave, so the real one is put back afterwards."""
    monkeypatch.setattr(os, "environ", os.environ)

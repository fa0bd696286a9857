"""Fixtures for the sign-in tests: each test calls from its own client IP, and may
override stage settings or freeze the clock. (AWS calls are counted by the
`aws_calls` fixture of tests/support/aws_calls.py.)"""

import os
import random
import time
from datetime import UTC, datetime

import msgspec
import pytest
from chalice.local import LambdaEventConverter

from chalicelib import clock
from chalicelib.auth import accounts, limits, phones
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
        changed = msgspec.structs.replace(settings(), **fields)
        for module in (phones, limits, accounts):
            monkeypatch.setattr(module, "settings", lambda: changed)

    return override


@pytest.fixture
def frozen_clock(monkeypatch):
    """The app's clock, frozen; move it with `frozen_clock.advance(seconds)`."""

    class Clock:
        now = time.time()

        def advance(self, seconds: float) -> None:
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr(clock, "now", lambda: datetime.fromtimestamp(fake.now, UTC))
    return fake


@pytest.fixture
def environ_kept(monkeypatch):
    """The chalice test client swaps os.environ for each request; from several threads
    at once the swaps interleave, so the real one is put back afterwards."""
    monkeypatch.setattr(os, "environ", os.environ)

"""Counts kept at write time (chalicelib/counters.py), against the emulator's table."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib import counters
from chalicelib.storage import new_id
from chalicelib.tables import Counter, write_transaction


@pytest.fixture
def series(emulator):
    """A series of its own, so that no other test's counts are read."""
    return f"test-{new_id()}"


def test_counts_added_in_a_transaction_and_alone_are_read_back_per_period(series):
    with write_transaction() as transaction:
        counters.add_to(transaction, series, "2026-11-30", "filed#theft")
        counters.add_to(transaction, series, "2026-12-01", "filed#theft", 2)
    counters.add(series, "2026-12-01", "dismissed")
    counters.add(series, "2026-12-02", "dismissed")

    assert counters.read(series, "2026-11-30", "2026-12-01") == {
        "2026-11-30": {"filed#theft": 1},
        "2026-12-01": {"filed#theft": 2, "dismissed": 1},
    }
    assert counters.read(series, "2026-12-02", "2026-12-02") == {"2026-12-02": {"dismissed": 1}}
    assert counters.read(series, "2026-12-03", "2027-01-01") == {}


def test_names_in_any_script_are_read_in_the_last_period_too(series):
    counters.add(series, "2026-12", "district#朝阳区")
    counters.add(series, "2026-12", "district#\U0001f6a8")

    assert counters.read(series, "2026-12", "2026-12") == {
        "2026-12": {"district#朝阳区": 1, "district#\U0001f6a8": 1}}


def test_fifty_concurrent_adds_all_count_and_spread_over_the_shards(series):
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(lambda _: counters.add(series, "2026-12-01", "filed"), range(50)))

    assert counters.read(series, "2026-12-01", "2026-12-01") == {"2026-12-01": {"filed": 50}}
    shards = {item.key for item in Counter.query(series)}
    assert 1 < len(shards) <= counters.SHARDS

"""Counts kept at write time, so that no figure is ever counted over the reports when
it is read.

A count is a few `Counter` items: "<period>#<name>#<shard>" in its series. An act adds
1 to one shard, chosen at random, in the same transaction as the act itself (`add_to`),
or on its own when a worker does the act (`add`). DynamoDB cancels a transaction that
touches an item another transaction holds, so one item per count would make every
concurrent filing collide on it; with SHARDS items the odds of a collision fall with
the number of shards, and a read still takes one Query: it sums the shards.
"""

import random
from collections import defaultdict

from pynamodb.transactions import TransactWrite

from chalicelib.tables import Counter

SHARDS = 8
SEPARATOR = "#"


def _shard_key(period: str, name: str) -> str:
    return SEPARATOR.join((period, name, str(random.randrange(SHARDS))))


def add_to(transaction: TransactWrite, series: str, period: str, name: str,
           amount: int = 1) -> None:
    """Counts `amount` under `name` in `period`, as part of `transaction`."""
    transaction.update(Counter(series, _shard_key(period, name)),
                       actions=[Counter.count.add(amount)])


def add(series: str, period: str, name: str, amount: int = 1) -> None:
    """Counts `amount` under `name` in `period` on its own: ADD is atomic, and creates
    the item the first time."""
    Counter(series, _shard_key(period, name)).update(actions=[Counter.count.add(amount)])


def read(series: str, first_period: str, last_period: str) -> dict[str, dict[str, int]]:
    """{period: {name: count}} for the periods from `first_period` to `last_period`
    (inclusive; periods compare as strings, so use sortable ones such as ISO dates).
    One Query, paged by PynamoDB."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    # Every key of a period starts "<period>#", and "$" is the character after "#".
    for item in Counter.query(series, Counter.key.between(f"{first_period}{SEPARATOR}",
                                                          f"{last_period}$")):
        period, name_and_shard = item.key.split(SEPARATOR, 1)
        name = name_and_shard.rsplit(SEPARATOR, 1)[0]
        counts[period][name] += int(item.count)
    return {period: dict(names) for period, names in counts.items()}

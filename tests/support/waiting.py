"""Polling for what happens elsewhere (the pump, the worker, a stack starting)."""

import time


def wait_until(read, timeout: float = 30, interval: float = 0.2):
    """`read()`'s first truthy value within `timeout` seconds, else its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)

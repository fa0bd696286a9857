"""The current time for sign-in logic, in epoch seconds.

Code expiry, cooldowns and token lifetimes all read `clock.now()` (looked up on the
module at call time), so a test moves time with `monkeypatch.setattr(clock, "now", …)`.
"""

import time


def now() -> float:
    return time.time()

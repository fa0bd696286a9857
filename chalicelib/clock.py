"""The one clock: every "now" the app reads, and how it writes a time.

Code expiry, cooldowns, token lifetimes, report times, audit events and bulletin
expiry all read `clock.now()` (looked up on the module at call time), so a test moves
time for all of them with `monkeypatch.setattr(clock, "now", …)`.
"""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def epoch() -> float:
    """Now in epoch seconds, for the items that store times as numbers (TTLs, expiries)."""
    return now().timestamp()


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as every time in the API is written."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None

"""Conversations: anonymous two-way messages between officers and the reporter of a
report. The officer talks to the report's alias; the reporter talks to "the police"
(the stage's unit name), never to a named officer, whose id goes to the audit trail
only. Officers cannot attach files: no media goes out to a citizen's phone.

Modules: bodies (request contract), threads (sending, reading, the inbox), views (who
sees what). The blueprints are chalicelib/api/messages.py (the reporter's side) and
chalicelib/api/admin_messages.py (officers').

Keys (every read one GetItem or one Query):
- Table `messages`: partition report_id, sort key message_id = "<UTC time to the
  microsecond>Z-<random>". A thread of thousands of messages is one partition of small
  items read a page at a time, oldest first; "what arrived after message X" is the key
  condition message_id > X. Writes to one thread are a few a minute (the rate limits
  cap them), far below a partition's capacity.
- The report item holds the thread's counters (messages by each side, how many of
  them the other side has read, the last message time) and the inbox keys; a message
  and these change in one transaction.
- Index `inbox` on reports (inbox = "waiting", waiting_since): sparse, one partition,
  oldest wait first, INCLUDE projection. See chalicelib/tables.py for why one
  partition and not shards.
- Rate limits are fixed windows in `rate-limits` ("reporter-messages#<report>#<hour>",
  "officer-messages#<officer>#<hour>"), counted in the same transaction as the
  message, so a refused message uses no quota and nothing is written outside the
  transaction (a send can be retried safely, and wrapped by idempotency).
"""

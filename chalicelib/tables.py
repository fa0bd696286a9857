"""Every DynamoDB table Masses uses, in one place.

Names come from the stage's resource prefix (`masses-<stage>-<name>`); the same
tables, keys, indexes and TTL attributes are declared in infra/template.yaml, and
tests/test_infra.py proves the two agree. Items that expire carry a `ttl` attribute
(epoch seconds) for DynamoDB to tidy up, but code checks expiry itself because
DynamoDB deletes expired items late.
"""

import functools

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactGet, TransactWrite

from chalicelib import deadlines
from chalicelib.media import MediaStatus
from chalicelib.roles import Role
from chalicelib.settings import call_limits, resource_name

# PynamoDB's defaults would wait 15 s to connect and 30 s to read, 4 tries: about two
# minutes per call. These are the stage's (chalicelib/settings.py, CALL_LIMITS).
ITEM_CALLS = call_limits("dynamodb")
TRANSACTION_CALLS = call_limits("dynamodb-transaction")


def _meta(short_name: str) -> type:
    class Meta:
        table_name = resource_name(short_name)
        connect_timeout_seconds = ITEM_CALLS.connect
        read_timeout_seconds = ITEM_CALLS.read
        max_retry_attempts = ITEM_CALLS.attempts - 1
    return Meta


class BudgetedModel(Model):
    """PynamoDB's Model, its client's retries run by the request's budget
    (chalicelib/deadlines.py)."""

    @classmethod
    def _get_connection(cls):
        connection = super()._get_connection()
        # Cheap once bound; PynamoDB may make a new client (lost credentials), so every time.
        deadlines.bound(connection.connection.client, "dynamodb", ITEM_CALLS)
        return connection


class User(BudgetedModel):
    """A registered person. The phone number is removed when the account is deleted;
    the user id lives on, unlinked, in the reports they filed."""

    Meta = _meta("users")
    user_id = UnicodeAttribute(hash_key=True)
    phone = UnicodeAttribute(null=True)              # E.164
    role = UnicodeAttribute(default=Role.CITIZEN)
    created_at = UTCDateTimeAttribute()


class PhoneClaim(BudgetedModel):
    """Which user holds a phone number. Written in one transaction with the User, so
    two sign-ups of one number can never make two users."""

    Meta = _meta("phones")
    phone = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    # A copy of User.role, always written in the same transaction, so that signing in
    # learns who and what the caller is from one GetItem.
    role = UnicodeAttribute(default=Role.CITIZEN)


class AuditEvent(BudgetedModel):
    """Append-only trail of officer actions. Partitioned by month so the trail reads
    newest first with one Query, and no partition grows without bound."""

    Meta = _meta("audit")
    month = UnicodeAttribute(hash_key=True)          # "2026-11"
    at_event = UnicodeAttribute(range_key=True)      # "<ISO time>#<event id>"
    actor_id = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    action = UnicodeAttribute()
    target = UnicodeAttribute()
    details = JSONAttribute(default=dict)


class Media(BudgetedModel):
    """One uploaded file (report evidence or a bulletin image) and what the evidence
    worker made of it. The owner ("report#<id>" / "bulletin#<id>") is the partition,
    so listing an owner's media is one Query."""

    Meta = _meta("media")
    owner = UnicodeAttribute(hash_key=True)
    media_id = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute(default=MediaStatus.PENDING)
    content_type = UnicodeAttribute()                # as declared by the client
    declared_size = NumberAttribute()
    object_key = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    # Set by the evidence worker:
    kind = UnicodeAttribute(null=True)               # a MediaKind, sniffed from the bytes
    size = NumberAttribute(null=True)                # the real size in bytes
    sha256 = UnicodeAttribute(null=True)             # of the original
    width = NumberAttribute(null=True)
    height = NumberAttribute(null=True)
    duration_seconds = NumberAttribute(null=True)    # videos
    derivatives = MapAttribute(null=True)            # {"large": 1280 px key, "thumb": 320 px}
    captured_at = UnicodeAttribute(null=True)        # from the original's metadata; officers only
    gps = JSONAttribute(null=True)                   # {"lat": …, "lon": …}; officers only
    reject_reason = UnicodeAttribute(null=True)      # a RejectReason
    processed_at = UTCDateTimeAttribute(null=True)


class ReportNote(MapAttribute):
    """An officer's note on a report: internal, or addressed to the reporter."""

    note_id = UnicodeAttribute()
    text = UnicodeAttribute()
    visibility = UnicodeAttribute()                  # a NoteVisibility
    author_id = UnicodeAttribute()                   # the officer; never shown to the reporter
    created_at = UTCDateTimeAttribute()


class ReportLocation(MapAttribute):
    """Where it happened: coordinates with their accuracy, an address, or both."""

    latitude = NumberAttribute(null=True)
    longitude = NumberAttribute(null=True)
    accuracy_m = NumberAttribute(null=True)
    address = UnicodeAttribute(null=True)


class ReportsByReporter(GlobalSecondaryIndex):
    """A citizen's own reports, newest first."""

    class Meta:
        index_name = "by-reporter"
        projection = AllProjection()

    reporter_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class ReportQueue(GlobalSecondaryIndex):
    """The officers' triage queue: one partition per status and category
    ("submitted#theft"), newest first, so a queue page is one Query and new reports
    spread their writes over eight partitions instead of one."""

    class Meta:
        index_name = "queue"
        projection = AllProjection()

    queue_key = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class ReportsByBulletin(GlobalSecondaryIndex):
    """The clues given on one bulletin, newest first. Sparse: only reports with a
    bulletin_id are in it."""

    class Meta:
        index_name = "by-bulletin"
        projection = AllProjection()

    bulletin_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class Report(BudgetedModel):
    """A citizen's report. Notes and a summary of each evidence item live on the item
    itself, so opening a report (with its evidence) is one GetItem; their counts are
    capped so the item stays far below DynamoDB's 400 KB.

    The reporter is sealed: officers see only `alias`, never `reporter_id`."""

    Meta = _meta("reports")
    report_id = UnicodeAttribute(hash_key=True)
    reporter_id = UnicodeAttribute()
    alias = UnicodeAttribute()                       # "Reporter-7F3K", random per report
    category = UnicodeAttribute()                    # a ReportCategory
    description = UnicodeAttribute()
    location = ReportLocation()
    occurred_at = UTCDateTimeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    status = UnicodeAttribute()                      # a ReportStatus
    queue_key = UnicodeAttribute()                   # "<status>#<category>"
    bulletin_id = UnicodeAttribute(null=True)        # set when the report is a clue on a bulletin
    notes = ListAttribute(of=ReportNote, default=list)
    evidence = MapAttribute(default=dict)            # evidence id → summary (chalicelib.reports)
    evidence_count = NumberAttribute(default=0)      # upload tickets given out, capped
    by_reporter = ReportsByReporter()
    queue = ReportQueue()
    by_bulletin = ReportsByBulletin()


class ReportQuota(BudgetedModel):
    """How many reports one user filed in one clock hour. The window is part of the
    key, so a past hour's counter is never read again; `ttl` only tidies it away."""

    Meta = _meta("report-quota")
    window = UnicodeAttribute(hash_key=True)         # "<user id>#<hour start, ISO>"
    filed = NumberAttribute(default=0)
    ttl = NumberAttribute()


def _bulletin_listing(index_name: str, partition: str) -> GlobalSecondaryIndex:
    """A bulletin listing: one partition per filter value, newest first by publish time.
    Every listing index has the same shape, so they are made here rather than spelt out
    four times."""
    meta = type("Meta", (), {"index_name": index_name, "projection": AllProjection()})
    index_class = type(f"Bulletins_{index_name}", (GlobalSecondaryIndex,), {
        "Meta": meta,
        partition: UnicodeAttribute(hash_key=True),
        "published_key": UnicodeAttribute(range_key=True),
    })
    return index_class()


class Bulletin(BudgetedModel):
    """A police bulletin, read by id with one GetItem and listed with one Query on the
    index its filters choose (see chalicelib/bulletins/listing.py for the key design).
    The ready images are embedded, so a detail read needs nothing else."""

    Meta = _meta("bulletins")
    bulletin_id = UnicodeAttribute(hash_key=True)
    category = UnicodeAttribute()                    # a bulletin draft's tag
    status = UnicodeAttribute()                      # a BulletinStatus
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    district = UnicodeAttribute()
    contact = UnicodeAttribute()
    details = JSONAttribute()                        # the category's own typed fields
    images = MapAttribute(default=dict)              # media id → {large, thumb, width, …}
    outcome = UnicodeAttribute(null=True)            # an Outcome, once resolved
    note = UnicodeAttribute(null=True)               # public note with the outcome
    reason = UnicodeAttribute(null=True)             # public reason for a retraction
    published_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    closed_at = UTCDateTimeAttribute(null=True)      # resolved or retracted
    expires_at = UTCDateTimeAttribute(null=True)     # leaves the default listing; no ttl:
    #                                                  it still opens by id afterwards
    version = NumberAttribute()                      # +1 on every change; makes the ETag
    created_by = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    request_digest = UnicodeAttribute(null=True)     # of the publish request (idempotency)
    # Listing keys, rewritten whenever status or district changes:
    published_key = UnicodeAttribute()               # "<published_at>#<bulletin id>"
    status_key = UnicodeAttribute()
    status_category_key = UnicodeAttribute()
    status_district_key = UnicodeAttribute()
    status_category_district_key = UnicodeAttribute()
    by_status = _bulletin_listing("by_status", "status_key")
    by_status_category = _bulletin_listing("by_status_category", "status_category_key")
    by_status_district = _bulletin_listing("by_status_district", "status_district_key")
    by_status_category_district = _bulletin_listing("by_status_category_district",
                                                    "status_category_district_key")


class OtpCode(BudgetedModel):
    """A number's current sign-in code and its recent sends. A new code replaces the
    old one; the send times stay, because the per-number limits are counted on them."""

    Meta = _meta("otp-codes")
    phone = UnicodeAttribute(hash_key=True)          # E.164
    send_id = UnicodeAttribute()                     # changes with every send
    code_hmac = UnicodeAttribute(null=True)          # HMAC-SHA256; removed once used
    expires_at = NumberAttribute()                   # epoch seconds
    attempts_left = NumberAttribute()
    sent_at = ListAttribute(of=NumberAttribute, default=list)  # epoch seconds, last 24 h
    ttl = NumberAttribute()


class RateWindow(BudgetedModel):
    """A fixed-window send counter for a client IP or a number prefix (both keyed by
    their HMAC, not in the clear): "<scope>#<subject hmac>#<window start>"."""

    Meta = _meta("rate-limits")
    key = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)
    ttl = NumberAttribute()


class SessionFamily(BudgetedModel):
    """One sign-in on one device: every refresh token rotated from it belongs to the
    family, so revoking the family (logout, a reused token) ends them all at once."""

    Meta = _meta("sessions")
    family_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    expires_at = NumberAttribute()                   # epoch seconds; sign in again after
    revoked_at = UTCDateTimeAttribute(null=True)
    revoked_reason = UnicodeAttribute(null=True)     # logout | reuse
    revoked_by = UnicodeAttribute(null=True)         # the reused token's hash
    ttl = NumberAttribute()


class RefreshToken(BudgetedModel):
    """A refresh token, stored as its SHA-256 only. Kept after use until it expires, so
    that presenting it again is recognised as reuse."""

    Meta = _meta("refresh-tokens")
    token_hash = UnicodeAttribute(hash_key=True)
    family_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    expires_at = NumberAttribute()                   # epoch seconds
    used_at = NumberAttribute(null=True)             # set when rotated
    ttl = NumberAttribute()


@functools.cache
def _transaction_connection() -> Connection:
    return Connection(connect_timeout_seconds=TRANSACTION_CALLS.connect,
                      read_timeout_seconds=TRANSACTION_CALLS.read,
                      max_retry_attempts=TRANSACTION_CALLS.attempts - 1)


def transaction_connection() -> Connection:
    """The connection transactions go through (models each have their own)."""
    connection = _transaction_connection()
    deadlines.bound(connection.client, "dynamodb", TRANSACTION_CALLS)
    return connection


def write_transaction() -> TransactWrite:
    """A TransactWriteItems call on one shared connection: a fresh one per call would
    build a new botocore session and client, slower than the call itself. PynamoDB
    sends its items in this order: condition checks, deletes, puts, updates; the
    cancellation reasons of a failed transaction follow that order."""
    return TransactWrite(connection=transaction_connection())


def read_transaction() -> TransactGet:
    return TransactGet(connection=transaction_connection())

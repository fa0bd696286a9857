"""Every DynamoDB table Masses uses, in one place.

Names come from the stage's resource prefix (`masses-<stage>-<name>`); the same
tables, keys, indexes and TTL attributes are declared in infra/template.yaml, and
tests/test_infra.py proves the two agree. Items that expire carry a `ttl` attribute
(epoch seconds) for DynamoDB to tidy up, but code checks expiry itself because
DynamoDB deletes expired items late.
"""

import functools
from collections.abc import Callable

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    IncludeProjection,
    KeysOnlyProjection,
)
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


class UsersByStaff(GlobalSecondaryIndex):
    """Who holds a staff role (officer or admin), longest-serving first: one Query lists
    them all. Sparse: a citizen has no `staff`, so millions of citizens cost the index
    nothing, and it is written only when a role is granted, revoked or a profile set."""

    class Meta:
        index_name = "by-staff"
        projection = AllProjection()

    staff = UnicodeAttribute(hash_key=True)          # "staff"
    granted_at = UTCDateTimeAttribute(range_key=True)


class User(BudgetedModel):
    """A registered person. The phone number is removed when the account is deleted;
    the user id lives on, unlinked, in the reports they filed."""

    Meta = _meta("users")
    user_id = UnicodeAttribute(hash_key=True)
    phone = UnicodeAttribute(null=True)              # E.164
    role = UnicodeAttribute(default=Role.CITIZEN)
    created_at = UTCDateTimeAttribute()
    # Staff only (chalicelib/auth/staff.py): set with the role, removed when revoked.
    staff = UnicodeAttribute(null=True)              # "staff" while officer or admin
    granted_at = UTCDateTimeAttribute(null=True)
    display_name = UnicodeAttribute(null=True)       # how other officers see this one
    badge = UnicodeAttribute(null=True)
    by_staff = UsersByStaff()


class PhoneClaim(BudgetedModel):
    """Which user holds a phone number. Written in one transaction with the User, so
    two sign-ups of one number can never make two users."""

    Meta = _meta("phones")
    phone = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    # A copy of User.role, always written in the same transaction, so that signing in
    # learns who and what the caller is from one GetItem.
    role = UnicodeAttribute(default=Role.CITIZEN)


class AuditByTarget(GlobalSecondaryIndex):
    """One item's events (a report's downloads, views of its custody record), oldest
    first: one Query, however busy the month."""

    class Meta:
        index_name = "by-target"
        projection = AllProjection()

    target = UnicodeAttribute(hash_key=True)
    at_event = UnicodeAttribute(range_key=True)


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
    by_target = AuditByTarget()


class MediaBySha256(GlobalSecondaryIndex):
    """Which media carry exactly these bytes, wherever and whoever they belong to: one
    Query. Sparse: only processed media have a sha256. The keys name the owner."""

    class Meta:
        index_name = "by-sha256"
        projection = KeysOnlyProjection()

    sha256 = UnicodeAttribute(hash_key=True)


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
    # When the upload URLs stop working; an object that arrives later is rejected
    # (ticket_expired). None on records made before tickets expired.
    upload_expires_at = UTCDateTimeAttribute(null=True)
    upload_id = UnicodeAttribute(null=True)          # an S3 multipart upload's; else a POST
    part_size = NumberAttribute(null=True)           # its parts' size in bytes (last: less)
    # Set by the evidence worker:
    kind = UnicodeAttribute(null=True)               # a MediaKind, sniffed from the bytes
    sniffed_type = UnicodeAttribute(null=True)       # image/jpeg …, sniffed from the bytes
    size = NumberAttribute(null=True)                # the real size in bytes
    sha256 = UnicodeAttribute(null=True)             # of the original
    perceptual_hash = UnicodeAttribute(null=True)    # 64-bit dHash, 16 hex (media.similarity)
    version_id = UnicodeAttribute(null=True)         # the S3 version of the bytes hashed
    uploaded_at = UTCDateTimeAttribute(null=True)    # that version's S3 LastModified
    width = NumberAttribute(null=True)
    height = NumberAttribute(null=True)
    duration_seconds = NumberAttribute(null=True)    # videos
    derivatives = MapAttribute(null=True)            # {"large": 1280 px key, "thumb": 320 px}
    captured_at = UnicodeAttribute(null=True)        # from the original's metadata; officers only
    gps = JSONAttribute(null=True)                   # {"lat": …, "lon": …}; officers only
    reject_reason = UnicodeAttribute(null=True)      # a RejectReason
    processed_at = UTCDateTimeAttribute(null=True)
    by_sha256 = MediaBySha256()


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


class ReportsAwaitingAnswer(GlobalSecondaryIndex):
    """The officers' inbox: reports whose latest message is the reporter's and has had
    no answer, oldest wait first. Sparse: only a waiting report carries `inbox`.

    One partition ("waiting") on purpose, so a page is one Query in true wait order.
    Ten thousand waiting threads are a few MB, far inside one partition; what could
    make it hot is writes, and a report is written here only when its wait starts and
    when it is answered. The projection is INCLUDE, not ALL, so the other changes to a
    report (evidence, notes, status, every further message while it waits) cost the
    index nothing."""

    class Meta:
        index_name = "inbox"
        projection = IncludeProjection(["alias", "category", "status", "last_message_at",
                                        "reporter_messages", "officers_read"])

    inbox = UnicodeAttribute(hash_key=True)          # "waiting"
    waiting_since = UTCDateTimeAttribute(range_key=True)


class ReportsByPlace(GlobalSecondaryIndex):
    """Reports near a place and time (chalicelib/geo.py): one partition per geohash-6
    cell, sorted by when it happened. Sparse: reports without coordinates are not in it.
    Projects what the nearby view shows, not the notes, which are most of an item."""

    class Meta:
        index_name = "by-place"
        projection = IncludeProjection(["category", "description", "location", "status",
                                        "alias", "created_at", "evidence", "duplicate_of"])

    place_cell = UnicodeAttribute(hash_key=True)
    occurred_at = UTCDateTimeAttribute(range_key=True)


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
    closed_at = UTCDateTimeAttribute(null=True)      # when it became actioned or dismissed
    # The conversation (chalicelib/conversations), changed in one transaction with each
    # message. Unread counts are totals minus what the other side has read, so marking
    # read never races a message arriving meanwhile.
    reporter_messages = NumberAttribute(default=0)
    officer_messages = NumberAttribute(default=0)
    officers_read = NumberAttribute(default=0)       # reporter messages officers have seen
    reporter_read = NumberAttribute(default=0)       # officer messages the reporter has seen
    last_message_at = UTCDateTimeAttribute(null=True)
    inbox = UnicodeAttribute(null=True)              # "waiting" while the reporter awaits
    waiting_since = UTCDateTimeAttribute(null=True)  # an answer: the first unanswered message
    place_cell = UnicodeAttribute(null=True)         # geohash 6 of the coordinates (by-place)
    # Duplicates (chalicelib/reports/linking.py): a duplicate names its primary and
    # leaves the queue; the primary lists its duplicates, and `links` counts every link
    # and unlink, so a status change knows it reaches all of them.
    duplicate_of = UnicodeAttribute(null=True)
    duplicates = UnicodeSetAttribute(null=True)
    links = NumberAttribute(null=True)
    status_before_link = UnicodeAttribute(null=True)  # restored when unlinked
    # The shift (chalicelib/reports/triage.py): who took the report (their display name
    # as it was when they took it) and whether it is urgent.
    district = UnicodeAttribute(null=True)           # as the reporter gave it
    urgent = BooleanAttribute(default=False)
    assignee_id = UnicodeAttribute(null=True)
    assignee_name = UnicodeAttribute(null=True)
    by_reporter = ReportsByReporter()
    queue = ReportQueue()
    by_bulletin = ReportsByBulletin()
    awaiting_answer = ReportsAwaitingAnswer()
    by_place = ReportsByPlace()


class Message(BudgetedModel):
    """One message of the conversation about a report. The report is the partition, so
    a thread of thousands of messages reads page by page with one Query each; the
    message id begins with its UTC time, so the sort key is time order and "what came
    after message X" is a key condition, not a filter."""

    Meta = _meta("messages")
    report_id = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute(range_key=True)    # "20261201T184114123456Z-1a2b3c4d"
    author = UnicodeAttribute()                      # a MessageAuthor; never which officer
    body = UnicodeAttribute()
    attachments = ListAttribute(of=UnicodeAttribute, default=list)  # the report's evidence ids
    created_at = UTCDateTimeAttribute()


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
    location = JSONAttribute(null=True)              # {"latitude", "longitude"}: e.g. last seen
    # Listing keys, rewritten whenever status or district changes:
    published_key = UnicodeAttribute()               # "<published_at>#<bulletin id>"
    status_key = UnicodeAttribute()
    status_category_key = UnicodeAttribute()
    status_district_key = UnicodeAttribute()
    status_category_district_key = UnicodeAttribute()
    place_key = UnicodeAttribute(null=True)          # "status=…;cell=<geohash 4>", if located
    by_status = _bulletin_listing("by_status", "status_key")
    by_status_category = _bulletin_listing("by_status_category", "status_category_key")
    by_status_district = _bulletin_listing("by_status_district", "status_district_key")
    by_status_category_district = _bulletin_listing("by_status_category_district",
                                                    "status_category_district_key")
    by_place = _bulletin_listing("by_place", "place_key")


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
    """A fixed-window counter: "<scope>#<subject>#<window start>". Sign-in counts sends
    per client IP and number prefix (keyed by their HMAC, not in the clear);
    conversations count messages per report and per officer (random ids)."""

    Meta = _meta("rate-limits")
    key = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)
    ttl = NumberAttribute()


class Counter(BudgetedModel):
    """One shard of one count, kept at write time (chalicelib/counters.py): the series
    it belongs to, and "<period>#<name>#<shard>" so that a series' counts over a span of
    periods are one Query."""

    Meta = _meta("counters")
    series = UnicodeAttribute(hash_key=True)         # e.g. "transparency", "stats"
    key = UnicodeAttribute(range_key=True)           # "<period>#<name>#<shard>"
    count = NumberAttribute(default=0)


class ReplyTemplateSet(BudgetedModel):
    """The unit's reply templates (chalicelib/replies.py): one item, replaced whole,
    `version` +1 on every save so two admins' edits cannot overwrite each other."""

    Meta = _meta("reply-templates")
    name = UnicodeAttribute(hash_key=True)           # "replies"
    replies = JSONAttribute(default=list)
    version = NumberAttribute(default=0)
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute()
    updated_by_role = UnicodeAttribute()


class ExportJob(BudgetedModel):
    """One CSV export (chalicelib/exports/): asked for by an officer, written by the
    export worker. Kept as long as its CSV (24 h), then `ttl` tidies it away."""

    Meta = _meta("exports")
    export_id = UnicodeAttribute(hash_key=True)
    requested_by = UnicodeAttribute()
    filters = JSONAttribute(default=dict)
    status = UnicodeAttribute()                      # an ExportStatus
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    rows = NumberAttribute(null=True)
    object_key = UnicodeAttribute(null=True)
    failure = UnicodeAttribute(null=True)
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


class IdempotencyRecord(BudgetedModel):
    """A creating request's Idempotency-Key and its answer, written and read by
    Powertools' idempotency utility (chalicelib/api/idempotency.py explains the layout);
    the model names the table for infra checks and tests, the code never writes it."""

    Meta = _meta("idempotency")
    id = UnicodeAttribute(hash_key=True)             # "idempotency#<sha256 of [user, key]>"
    status = UnicodeAttribute()                      # INPROGRESS | COMPLETED
    ttl = NumberAttribute()                          # epoch seconds, 24 h after the request
    in_progress_expiration = NumberAttribute(null=True)  # epoch ms
    validation = UnicodeAttribute(null=True)         # hash of the request
    data = UnicodeAttribute(null=True)               # the answer, JSON


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


# A transaction DynamoDB cancelled only because another one held an item it touched
# (two filings adding to the same counter shard, chalicelib/counters.py) is tried again
# this many times in all; each try builds the transaction anew, on other shards.
CONFLICT_ATTEMPTS = 3


def run_transaction(build: Callable[[TransactWrite], None]) -> None:
    """A write transaction that `build` fills, tried again when it was cancelled for
    TransactionConflict alone; any other cancellation (a condition) is raised at once."""
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            with write_transaction() as transaction:
                build(transaction)
            return
        except TransactWriteError as error:
            reasons = {reason.code for reason in error.cancellation_reasons if reason}
            if reasons != {"TransactionConflict"} or attempt == CONFLICT_ATTEMPTS:
                raise


def read_transaction() -> TransactGet:
    return TransactGet(connection=transaction_connection())

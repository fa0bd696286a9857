"""The failures the domain reports, as plain exceptions, and the one list of their codes.

Mobile apps and the admin site translate by `code`, so every code is a member of
ErrorCode, and a shipped code keeps its meaning. The message is for people reading logs
and the admin site. The API edge (chalicelib/api/errors.py) turns an ApiError into the
one error shape; nothing here knows about HTTP frameworks.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """Every code an error answer can carry."""

    # Generic codes of the exception classes below, and of the framework's own answers.
    BAD_REQUEST = "bad_request"
    VALIDATION_ERROR = "validation_error"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    RATE_LIMITED = "rate_limited"
    INTERNAL_ERROR = "internal_error"
    SERVICE_UNAVAILABLE = "service_unavailable"
    THROTTLED = "throttled"
    DEPENDENCY_TIMEOUT = "dependency_timeout"
    # Request bodies and query strings.
    MALFORMED_JSON = "malformed_json"
    DUPLICATE_KEY = "duplicate_key"
    INVALID_CHARACTER = "invalid_character"
    TOO_DEEPLY_NESTED = "too_deeply_nested"
    NUMBER_OUT_OF_RANGE = "number_out_of_range"
    INVALID_QUERY = "invalid_query"
    INVALID_LIMIT = "invalid_limit"
    INVALID_CURSOR = "invalid_cursor"
    CATEGORY_REQUIRED = "category_required"
    CLUES_ALONE = "clues_alone"
    NEAR_REQUIRED = "near_required"              # radius_m without near
    SEARCH_AREA_TOO_LARGE = "search_area_too_large"
    # Phone numbers and sign-in codes.
    PHONE_REQUIRED = "phone_required"
    PHONE_TOO_LONG = "phone_too_long"
    PHONE_TOO_SHORT = "phone_too_short"
    PHONE_INVALID = "phone_invalid"
    PHONE_COUNTRY_NOT_ALLOWED = "phone_country_not_allowed"
    PHONE_NOT_MOBILE = "phone_not_mobile"
    OTP_COOLDOWN = "otp_cooldown"
    OTP_NUMBER_LIMIT = "otp_number_limit"
    OTP_IP_LIMIT = "otp_ip_limit"
    OTP_PREFIX_LIMIT = "otp_prefix_limit"
    TRY_AGAIN = "try_again"
    SMS_UNAVAILABLE = "sms_unavailable"
    CODE_INCORRECT = "code_incorrect"
    CODE_EXPIRED = "code_expired"
    CODE_ATTEMPTS_EXHAUSTED = "code_attempts_exhausted"
    CODE_NOT_ACTIVE = "code_not_active"
    # Sessions and accounts. (Codes that name tokens, not tokens: hence the noqa.)
    INVALID_TOKEN = "invalid_token"  # noqa: S105
    REFRESH_TOKEN_EXPIRED = "refresh_token_expired"  # noqa: S105
    REFRESH_TOKEN_INVALID = "refresh_token_invalid"  # noqa: S105
    REFRESH_TOKEN_REUSED = "refresh_token_reused"  # noqa: S105
    SESSION_REVOKED = "session_revoked"
    ACCOUNT_CHANGED = "account_changed"
    ACCOUNT_DELETED = "account_deleted"
    IS_ADMIN = "is_admin"
    NOT_AN_OFFICER = "not_an_officer"
    # Reports and their evidence.
    REPORT_NOT_FOUND = "report_not_found"
    REPORT_CHANGED = "report_changed"
    REPORT_CLOSED = "report_closed"
    REPORT_RATE_LIMITED = "report_rate_limited"
    ILLEGAL_STATUS_CHANGE = "illegal_status_change"
    NOTE_LIMIT_REACHED = "note_limit_reached"
    OCCURRED_IN_FUTURE = "occurred_in_future"
    EVIDENCE_NOT_FOUND = "evidence_not_found"
    EVIDENCE_NOT_READY = "evidence_not_ready"
    EVIDENCE_LIMIT_REACHED = "evidence_limit_reached"
    UNKNOWN_BULLETIN = "unknown_bulletin"        # a clue's bulletin_id
    # The officers' shift: assignment, reply templates, statistics, exports.
    REPORT_TAKEN = "report_taken"                # another officer holds the report
    FORCE_ADMINS_ONLY = "force_admins_only"      # "force" taken from an admin only
    INVALID_PERIOD = "invalid_period"            # stats/export from–to
    DUPLICATE_REPLY_ID = "duplicate_reply_id"
    EXPORT_NOT_FOUND = "export_not_found"
    # Duplicates (chalicelib/reports/linking.py).
    REPORT_IS_DUPLICATE = "report_is_duplicate"
    CANNOT_LINK_TO_SELF = "cannot_link_to_self"
    PRIMARY_NOT_FOUND = "primary_not_found"
    ALREADY_LINKED = "already_linked"
    REPORT_HAS_DUPLICATES = "report_has_duplicates"
    PRIMARY_IS_DUPLICATE = "primary_is_duplicate"
    TOO_MANY_DUPLICATES = "too_many_duplicates"
    # Conversations about a report.
    CONVERSATION_CLOSED = "conversation_closed"
    CONVERSATION_BUSY = "conversation_busy"
    ATTACHMENT_NOT_FOUND = "attachment_not_found"
    MESSAGE_RATE_LIMITED = "message_rate_limited"
    # Uploads (evidence and bulletin images), and resumable (multipart) ones.
    FILE_TOO_LARGE = "file_too_large"
    INVALID_SIZE = "invalid_size"
    TICKET_EXPIRED = "ticket_expired"
    NOT_MULTIPART = "not_multipart"
    UPLOAD_NOT_IN_PROGRESS = "upload_not_in_progress"
    INVALID_PARTS = "invalid_parts"
    UPLOAD_TOO_LARGE = "upload_too_large"
    # Bulletins.
    BULLETIN_CLOSED = "bulletin_closed"
    EXPIRES_IN_PAST = "expires_in_past"
    EDIT_CONFLICT = "edit_conflict"
    TOO_MANY_IMAGES = "too_many_images"
    # Idempotency-Key on creating routes (chalicelib/api/idempotency.py).
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"   # 422
    REQUEST_IN_PROGRESS = "request_in_progress"         # 409, with Retry-After


class ApiError(Exception):
    """A failure the caller can act on: its status, its code and a message for people.
    `field` names the part of the request at fault; `headers` go with the answer."""

    status = 400
    code = ErrorCode.BAD_REQUEST

    def __init__(self, message: str, *, code: ErrorCode | None = None,
                 status: int | None = None, headers: dict[str, str] | None = None,
                 field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status
        self.headers = headers or {}
        self.field = field


class ValidationFailed(ApiError):
    status, code = 400, ErrorCode.VALIDATION_ERROR


class PayloadTooLarge(ApiError):
    status, code = 413, ErrorCode.PAYLOAD_TOO_LARGE


class UnsupportedMediaType(ApiError):
    status, code = 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE


class Unauthorized(ApiError):
    status, code = 401, ErrorCode.UNAUTHORIZED


class Forbidden(ApiError):
    status, code = 403, ErrorCode.FORBIDDEN


class NotFound(ApiError):
    status, code = 404, ErrorCode.NOT_FOUND


class Conflict(ApiError):
    status, code = 409, ErrorCode.CONFLICT


class TooManyRequests(ApiError):
    status, code = 429, ErrorCode.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: int, code: ErrorCode | None = None):
        super().__init__(message, code=code, headers={"Retry-After": str(max(1, retry_after))})


class ServiceUnavailable(ApiError):
    status, code = 503, ErrorCode.SERVICE_UNAVAILABLE

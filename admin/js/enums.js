// The API's enumerations (roles, statuses, categories, evidence states, message authors,
// error codes), the moves a report's status may make, and the id pattern: read from
// enums.json, which scripts/admin_contract.py generates from the API's code. Nothing
// here is copied by hand; tests/test_admin_site_contract.py fails when enums.json is
// stale.

const response = await fetch(new URL("../enums.json", import.meta.url), { cache: "no-cache" });
if (!response.ok) throw new Error(`enums.json: ${response.status}`);

export const {
  Role, AuditAction, ReportCategory, ReportStatus, NoteVisibility, BulletinStatus, MediaKind, MediaStatus,
  MessageAuthor, ErrorCode, ExportStatus, Order, STAFF, NEXT_STATUSES, ID_PATTERN, TEXT_LIMITS,
  REPLY_LIMITS,
} = await response.json();

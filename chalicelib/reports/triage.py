"""The officers' side: the triage queue, the full view, status changes and notes, the
sealed identity and original downloads. Every change and every disclosure is written
to the audit trail; changes in the same transaction as the audit event."""

from datetime import datetime

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import size

from chalicelib import audit, clock
from chalicelib.audit import AuditAction
from chalicelib.errors import Conflict, ErrorCode, NotFound
from chalicelib.media import MediaStatus
from chalicelib.media.uploads import EXTENSIONS
from chalicelib.pagination import Page, query_page
from chalicelib.reports import linking
from chalicelib.reports.bodies import ReportChange, ReportStatus
from chalicelib.reports.evidence import VIEW_URL_SECONDS, presigned_get
from chalicelib.reports.store import (
    audit_target,
    evidence_of,
    existing,
    queue_key,
    update_with_audit,
)
from chalicelib.storage import new_id
from chalicelib.tables import Report, ReportNote, User
from chalicelib.tokens import Principal

NEXT_STATUSES = {
    ReportStatus.SUBMITTED: (ReportStatus.IN_REVIEW,),
    ReportStatus.IN_REVIEW: (ReportStatus.ACTIONED, ReportStatus.DISMISSED),
    ReportStatus.ACTIONED: (),
    ReportStatus.DISMISSED: (),
}
# Notes live on the report item; 50 notes of 2,000 characters keep it under 400 KB.
MAX_NOTES = 50


def queue(status: str, category: str, *, limit: int, cursor: str | None) -> Page:
    return query_page(Report.queue, queue_key(status, category), limit=limit, cursor=cursor)


def clues(bulletin_id: str, *, limit: int, cursor: str | None) -> Page:
    return query_page(Report.by_bulletin, bulletin_id, limit=limit, cursor=cursor)


# Officers open any report by its id; a missing one is a 404.
report = existing


def change(officer: Principal, report_id: str, body: ReportChange,
           now: datetime | None = None) -> Report:
    """Move the status and/or add a note; answers the report as changed."""
    now = now or clock.now()
    current = report(report_id)
    target = audit_target(report_id)
    actions = [Report.updated_at.set(now)]
    # Conditional on the status just read: of two concurrent moves only one wins, and a
    # note written about the report as read is refused if it moved meanwhile.
    condition = Report.status == current.status
    events = []
    also = []
    if body.status is not None:
        if current.duplicate_of is not None:
            raise Conflict("This report is handled with the report it duplicates: change "
                           "that one, or unlink it first.", code=ErrorCode.REPORT_IS_DUPLICATE)
        if body.status not in NEXT_STATUSES[current.status]:
            raise Conflict(f"A report that is {current.status} cannot move to {body.status}.",
                           code=ErrorCode.ILLEGAL_STATUS_CHANGE)
        actions += [Report.status.set(body.status),
                    Report.queue_key.set(queue_key(body.status, current.category))]
        if not NEXT_STATUSES[body.status]:
            # Final: the reporter's side of the conversation closes some days after.
            actions.append(Report.closed_at.set(now))
        events.append(audit.event(officer, AuditAction.REPORT_STATUS_CHANGED, target,
                                  {"from": current.status, "to": body.status}))
        # The duplicates' reporters see the status move with the primary's, in the same
        # transaction; `links` unchanged proves no duplicate was linked meanwhile.
        also = linking.status_moves(current, body.status, now,
                                    final=not NEXT_STATUSES[body.status])
        condition &= linking.links_unchanged(current)
    note = None
    if body.note is not None:
        if len(current.notes) >= MAX_NOTES:
            raise Conflict(f"A report takes at most {MAX_NOTES} notes.",
                           code=ErrorCode.NOTE_LIMIT_REACHED)
        note = ReportNote(note_id=new_id(), text=body.note.text,
                          visibility=body.note.visibility, author_id=officer.user_id,
                          created_at=now)
        actions.append(Report.notes.set(Report.notes.append([note])))
        condition &= size(Report.notes) < MAX_NOTES
        events.append(audit.event(officer, AuditAction.REPORT_NOTE_ADDED, target,
                                  {"note_id": note.note_id, "visibility": note.visibility,
                                   "text": note.text}))
    update_with_audit(current, actions, condition, events, also)
    # Answer with what this change made; a note another officer added at the same
    # moment shows on the next read.
    current.updated_at = now
    if body.status is not None:
        current.status = body.status
        current.queue_key = queue_key(body.status, current.category)
        if not NEXT_STATUSES[body.status]:
            current.closed_at = now
    if note is not None:
        current.notes.append(note)
    return current


def reveal(admin: Principal, report_id: str, reason: str) -> dict:
    """The sealed reporter identity. Recorded before anything is disclosed: if the
    audit write fails, nothing is revealed."""
    sealed = report(report_id)
    audit.record(admin, AuditAction.REPORT_IDENTITY_REVEALED, audit_target(report_id),
                 {"reason": reason})
    try:
        phone = User.get(sealed.reporter_id, consistent_read=True).phone
    except DoesNotExist:
        phone = None
    # Deleting an account removes its phone number; the user id lives on in the report.
    return {"report_id": report_id, "user_id": sealed.reporter_id, "phone": phone,
            "account_deleted": phone is None}


def original_download(officer: Principal, report_id: str, evidence_id: str) -> dict:
    item = evidence_of(report(report_id)).get(evidence_id)
    if item is None:
        raise NotFound("No such evidence on this report.", code=ErrorCode.EVIDENCE_NOT_FOUND)
    if item["status"] != MediaStatus.READY:
        # Pending originals may not be there yet; rejected ones failed the worker's
        # checks (not an image or video we accept) and are not handed to officers.
        raise Conflict(f"The evidence is {item['status']}; only processed evidence can be "
                       "downloaded.", code=ErrorCode.EVIDENCE_NOT_READY)
    audit.record(officer, AuditAction.REPORT_EVIDENCE_ORIGINAL_DOWNLOADED, audit_target(report_id),
                 {"evidence_id": evidence_id})
    # The version the worker hashed: a later write to the key changes nothing here.
    # Named by what the bytes are (the worker sniffed them), else by what was declared.
    extension = EXTENSIONS.get(item.get("sniffed_type") or item["content_type"])
    name = f"{evidence_id}.{extension}" if extension else evidence_id
    return {"url": presigned_get(item["object_key"], download_as=name,
                                 version_id=item.get("version_id")),
            "expires_in": VIEW_URL_SECONDS}

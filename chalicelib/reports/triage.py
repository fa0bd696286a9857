"""The officers' side: the triage queue, the full view, status changes and notes, the
sealed identity and original downloads. Every change and every disclosure is written
to the audit trail; changes in the same transaction as the audit event."""

from datetime import datetime

import msgspec
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition, size
from pynamodb.transactions import TransactWrite

from chalicelib import audit, clock, stats, transparency
from chalicelib.audit import AuditAction
from chalicelib.errors import Conflict, ErrorCode, Forbidden, NotFound
from chalicelib.media import MediaStatus
from chalicelib.media.uploads import EXTENSIONS
from chalicelib.pagination import Page, query_page
from chalicelib.push.reports import tell_reporters
from chalicelib.reports import linking
from chalicelib.reports.bodies import NoteVisibility, ReportChange, ReportStatus
from chalicelib.reports.evidence import VIEW_URL_SECONDS, presigned_get
from chalicelib.reports.store import (
    audit_target,
    evidence_of,
    existing,
    queue_key,
    update_with_audit,
)
from chalicelib.retention import reports as retention_dates
from chalicelib.roles import Role
from chalicelib.storage import new_id
from chalicelib.tables import Report, ReportNote, User
from chalicelib.tokens import Principal
from chalicelib.transparency import Act

NEXT_STATUSES = {
    ReportStatus.SUBMITTED: (ReportStatus.IN_REVIEW,),
    ReportStatus.IN_REVIEW: (ReportStatus.ACTIONED, ReportStatus.DISMISSED),
    ReportStatus.ACTIONED: (),
    ReportStatus.DISMISSED: (),
}
# A final status → what the transparency report counts it as.
CLOSED_AS = {ReportStatus.ACTIONED: Act.REPORT_ACTIONED,
             ReportStatus.DISMISSED: Act.REPORT_DISMISSED}
# Notes live on the report item; 50 notes of 2,000 characters keep it under 400 KB.
MAX_NOTES = 50


def clues(bulletin_id: str, *, limit: int, cursor: str | None) -> Page:
    return query_page(Report.by_bulletin, bulletin_id, limit=limit, cursor=cursor)


# Officers open any report by its id; a missing one is a 404.
report = existing


def change(officer: Principal, report_id: str, body: ReportChange,
           now: datetime | None = None) -> Report:
    """Move the status, add a note, take or give back the report, mark it urgent (any
    of them, in one transaction with their audit events); answers the report as
    changed."""
    now = now or clock.now()
    current = report(report_id)
    target = audit_target(report_id)
    actions = [Report.updated_at.set(now)]
    # Conditional on the status just read: of two concurrent moves only one wins, and a
    # note written about the report as read is refused if it moved meanwhile.
    condition = Report.status == current.status
    events = []
    also = []
    counting = None
    assignment = None
    if body.assignee is not msgspec.UNSET:
        assignment = _assignment(officer, current, body.assignee, body.force)
        if assignment is not None:
            actions += assignment.actions
            condition &= assignment.condition
            events.append(audit.event(officer, AuditAction.REPORT_ASSIGNED, target,
                                      assignment.details))
    if body.urgent is not msgspec.UNSET and body.urgent != bool(current.urgent):
        actions.append(Report.urgent.set(body.urgent))
        events.append(audit.event(officer, AuditAction.REPORT_URGENCY_CHANGED, target,
                                  {"urgent": body.urgent}))
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
            # Final: the reporter's side of the conversation closes some days after, and
            # the retention clock starts.
            actions += [Report.closed_at.set(now),
                        *retention_dates.schedule(body.status, now)]
        events.append(audit.event(officer, AuditAction.REPORT_STATUS_CHANGED, target,
                                  {"from": current.status, "to": body.status}))
        # The duplicates' reporters see the status move with the primary's, in the same
        # transaction; `links` unchanged proves no duplicate was linked meanwhile.
        also = linking.status_moves(current, body.status, now,
                                    final=not NEXT_STATUSES[body.status])
        condition &= linking.links_unchanged(current)
        closed, moved = CLOSED_AS.get(body.status), body.status

        def counting(transaction: TransactWrite) -> None:
            stats.count_status_change(transaction, current, moved, now)
            if closed is not None:  # the duplicates close with it
                transparency.count(transaction, closed, amount=1 + len(also))
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
                                  {"note_id": note.note_id, "visibility": note.visibility}))
    if len(actions) == 1:
        return current  # only updated_at: the report is already as asked
    try:
        update_with_audit(current, actions, condition, events, also, counting)
    except Conflict:
        if assignment is not None:
            _refuse_if_taken(officer, report(report_id), body.force)
        raise
    if body.status is not None or (note is not None
                                   and note.visibility == NoteVisibility.REPORTER):
        tell_reporters((report_id, current.reporter_id), *linking.reporters_of_duplicates(current))
    # Answer with what this change made; a note another officer added at the same
    # moment shows on the next read.
    current.updated_at = now
    if assignment is not None:
        current.assignee_id, current.assignee_name = assignment.assignee
    if body.urgent is not msgspec.UNSET:
        current.urgent = body.urgent
    if body.status is not None:
        current.status = body.status
        current.queue_key = queue_key(body.status, current.category)
        if not NEXT_STATUSES[body.status]:
            current.closed_at = now
    if note is not None:
        current.notes.append(note)
    return current


class _Assignment(msgspec.Struct, frozen=True):
    actions: list
    condition: Condition
    details: dict
    assignee: tuple[str | None, str | None]   # id and display name after the change


def _assignment(officer: Principal, current: Report, assignee: str | None,
                force: bool) -> _Assignment | None:
    """Taking ("me") or giving back (None) the report; None when it is already so.
    Conditional on the assignee as read, so of two officers taking it at once one wins."""
    if force and officer.role != Role.ADMIN:
        raise Forbidden("Only an admin may take over a report another officer holds.",
                        code=ErrorCode.FORCE_ADMINS_ONLY)
    new_id = officer.user_id if assignee == "me" else None
    if current.assignee_id == new_id:
        return None
    _refuse_if_taken(officer, current, force)
    held = (Report.assignee_id.does_not_exist() if current.assignee_id is None
            else Report.assignee_id == current.assignee_id)
    if new_id is None:
        actions, name = [Report.assignee_id.remove(), Report.assignee_name.remove()], None
    else:
        name = _display_name(officer.user_id)
        actions = [Report.assignee_id.set(new_id),
                   Report.assignee_name.set(name) if name else Report.assignee_name.remove()]
    return _Assignment(actions, held, {"from": current.assignee_id, "to": new_id,
                                       "forced": force}, (new_id, name))


def _display_name(user_id: str) -> str | None:
    try:
        return User.get(user_id).display_name
    except DoesNotExist:
        return None


def _refuse_if_taken(officer: Principal, current: Report, force: bool) -> None:
    if current.assignee_id not in (None, officer.user_id) and not force:
        holder = current.assignee_name or "another officer"
        raise Conflict(f"{holder} has this report; an admin can take it over with force.",
                       code=ErrorCode.REPORT_TAKEN)


def reveal(admin: Principal, report_id: str, reason: str) -> dict:
    """The sealed reporter identity. Recorded before anything is disclosed: if the
    audit write fails, nothing is revealed."""
    sealed = report(report_id)
    transparency.record(Act.IDENTITY_REVEALED, admin, AuditAction.REPORT_IDENTITY_REVEALED,
                        audit_target(report_id), {"reason": reason})
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
    transparency.record(Act.ORIGINAL_DOWNLOADED, officer,
                        AuditAction.REPORT_EVIDENCE_ORIGINAL_DOWNLOADED, audit_target(report_id),
                        {"evidence_id": evidence_id})
    # The version the worker hashed: a later write to the key changes nothing here.
    # Named by what the bytes are (the worker sniffed them), else by what was declared.
    extension = EXTENSIONS.get(item.get("sniffed_type") or item["content_type"])
    name = f"{evidence_id}.{extension}" if extension else evidence_id
    return {"url": presigned_get(item["object_key"], download_as=name,
                                 version_id=item.get("version_id")),
            "expires_in": VIEW_URL_SECONDS}

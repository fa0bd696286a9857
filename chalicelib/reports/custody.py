"""A report's chain-of-custody record: one document an officer can print or attach to a
case file.

For each evidence item (every Media record of the report, including tickets that
expired unused and uploads that were refused): what was declared, what was received
(the S3 version hashed, its size, SHA-256 and sniffed type), when it was uploaded and
processed, and the worker's verdict. Then every access to an original and every
opening of this record, from the audit trail: who and when. Opening the record is
audited before it is assembled, so the record lists its own opening.

Cost: the report (one GetItem), its Media records (one Query), its audit events (one
Query on the audit trail's by-target index, paged for a report with many), and the
audit write.
"""

from datetime import datetime

from chalicelib import audit, clock
from chalicelib.audit import AuditAction
from chalicelib.clock import iso
from chalicelib.media import MediaStatus, owner_key
from chalicelib.reports.evidence import FREED, OWNER_TYPE, shown_status
from chalicelib.reports.store import audit_target, evidence_of
from chalicelib.reports.triage import report as officer_report
from chalicelib.tables import AuditEvent, Media
from chalicelib.tokens import Principal

OPENED = AuditAction.REPORT_CUSTODY_RECORD_OPENED
DOWNLOADED = AuditAction.REPORT_EVIDENCE_ORIGINAL_DOWNLOADED


def record(officer: Principal, report_id: str) -> dict:
    report = officer_report(report_id)  # 404 before anything is written
    target = audit_target(report_id)
    audit.record(officer, OPENED, target)
    now = clock.now()
    on_report = evidence_of(report)
    items = [_item(media, on_report.get(media.media_id), now)
             for media in Media.query(owner_key(OWNER_TYPE, report_id),
                                       consistent_read=True)]
    events = list(AuditEvent.by_target.query(target))
    actors = audit.actors(events)
    return {
        "report_id": report_id,
        "alias": report.alias,
        "category": report.category,
        "status": report.status,
        "filed_at": iso(report.created_at),
        "generated_at": iso(now),
        "generated_by": {"id": officer.user_id, "role": officer.role},
        "evidence": sorted(items, key=lambda item: (item["ticket_issued_at"],
                                                    item["evidence_id"])),
        "original_accesses": [_access(event, actors) for event in events
                              if event.action == DOWNLOADED],
        "record_openings": [_access(event, actors) for event in events if event.action == OPENED],
    }


def _item(media: Media, entry: dict | None, now: datetime) -> dict:
    verdict = media.status
    if (entry is not None and media.status == MediaStatus.PENDING
            and shown_status(entry, now) in FREED):
        verdict = MediaStatus.EXPIRED
    return {
        "evidence_id": media.media_id,
        "verdict": verdict,
        "reject_reason": media.reject_reason,
        "on_report": entry is not None and entry.get("status") != MediaStatus.EXPIRED,
        "declared_content_type": media.content_type,
        "declared_size": int(media.declared_size),
        "ticket_issued_at": iso(media.created_at),
        "ticket_expires_at": iso(media.upload_expires_at),
        "object_key": media.object_key,
        "version_id": media.version_id,
        "uploaded_at": iso(media.uploaded_at),
        "size": int(media.size) if media.size is not None else None,
        "sha256": media.sha256,
        "sniffed_kind": media.kind,
        "sniffed_type": media.sniffed_type,
        "processed_at": iso(media.processed_at),
    }


def _access(event: AuditEvent, actors: dict[str, dict]) -> dict:
    at, event_id = audit.identity(event)
    access = {"event_id": event_id, "at": iso(at), "actor": actors[event.actor_id]}
    if "evidence_id" in (event.details or {}):
        access["evidence_id"] = event.details["evidence_id"]
    return access

"""What each reader sees of a report. Every view is built field by field from a
whitelist, so nothing reaches a reader by accident: the reporter sees only notes
addressed to them and never an officer's id; officers see the alias, never the
reporter's user id or phone."""

from chalicelib import clock
from chalicelib.clock import iso
from chalicelib.conversations.views import unread_for_officers, unread_for_reporter
from chalicelib.media import MediaStatus
from chalicelib.reports.bodies import NoteVisibility
from chalicelib.reports.evidence import (
    VIEW_URL_SECONDS,
    is_expired,
    presigned_get,
    shown_status,
)
from chalicelib.reports.nearby import Nearby
from chalicelib.reports.store import evidence_of
from chalicelib.tables import Report


def _common(report: Report) -> dict:
    return {
        "report_id": report.report_id,
        "category": report.category,
        "status": report.status,
        "description": report.description,
        "occurred_at": iso(report.occurred_at),
        "created_at": iso(report.created_at),
        "updated_at": iso(report.updated_at),
        "bulletin_id": report.bulletin_id,
        # Tickets that expired unused are listed (as `expired`) but not counted.
        "evidence_count": sum(not is_expired(item, clock.now())
                              for item in evidence_of(report).values()),
    }


def _location(report: Report) -> dict:
    location = report.location
    return {"latitude": location.latitude, "longitude": location.longitude,
            "accuracy_m": location.accuracy_m, "address": location.address}


def _evidence(report: Report, fields: tuple[str, ...]) -> list[dict]:
    items, now = [], clock.now()
    for evidence_id, item in evidence_of(report).items():
        view = {"evidence_id": evidence_id, **{name: item.get(name) for name in fields}}
        view["status"] = shown_status(item, now)
        if item["status"] == MediaStatus.READY:
            view.update({f"{size}_url": presigned_get(key)
                         for size, key in item.get("derivatives", {}).items()})
        items.append(view)
    return sorted(items, key=lambda view: view["created_at"])


CITIZEN_EVIDENCE_FIELDS = ("status", "kind", "content_type", "created_at", "width", "height",
                           "duration_seconds", "reject_reason")
OFFICER_EVIDENCE_FIELDS = CITIZEN_EVIDENCE_FIELDS + ("size", "sha256", "captured_at", "gps",
                                                     "processed_at")


def citizen_summary(report: Report) -> dict:
    # A linked duplicate says only that: nothing of the report it is handled with.
    return {**_common(report), "handled_together": report.duplicate_of is not None,
            "unread_messages": unread_for_reporter(report)}


def citizen_view(report: Report, primary: Report | None = None) -> dict:
    """`primary`: the report a duplicate is handled with, whose notes to its reporter
    reach this reporter too (their text and time only, as the reporter's own do)."""
    notes = [note for source in (report, primary) if source is not None
             for note in source.notes if note.visibility == NoteVisibility.REPORTER]
    return {
        **citizen_summary(report),
        "location": _location(report),
        "notes": [{"text": note.text, "created_at": iso(note.created_at)}
                  for note in sorted(notes, key=lambda note: note.created_at)],
        "evidence": _evidence(report, CITIZEN_EVIDENCE_FIELDS),
        "evidence_urls_expire_in": VIEW_URL_SECONDS,
    }


def officer_summary(report: Report) -> dict:
    return {**_common(report), "alias": report.alias, "location": _location(report),
            "duplicate_of": report.duplicate_of,
            "unread_messages": unread_for_officers(report),
            "district": report.district, "urgent": bool(report.urgent),
            "assignee": ({"id": report.assignee_id, "display_name": report.assignee_name}
                         if report.assignee_id else None)}


def officer_view(report: Report) -> dict:
    return {
        **officer_summary(report),
        "notes": [{"note_id": note.note_id, "text": note.text, "visibility": note.visibility,
                   "author_id": note.author_id, "created_at": iso(note.created_at)}
                  for note in report.notes],
        "evidence": _evidence(report, OFFICER_EVIDENCE_FIELDS),
        "evidence_urls_expire_in": VIEW_URL_SECONDS,
        "duplicates": sorted(report.duplicates or ()),
    }


def nearby_view(report: Report, found: list[Nearby], same_photo: list[str], *,
                radius_m: int, days: int) -> dict:
    """Possible duplicates of `report`, for officers, with a thumbnail of each ready
    photo so they can be compared side by side."""
    return {
        "report_id": report.report_id, "located": report.location.latitude is not None,
        "radius_m": radius_m, "days": days, "same_photo": same_photo,
        "items": [{
            "report_id": near.report.report_id, "alias": near.report.alias,
            "category": near.report.category,
            "same_category": near.report.category == report.category,
            "status": near.report.status, "description": near.report.description,
            "occurred_at": iso(near.report.occurred_at),
            "distance_m": round(near.distance_m), "seconds_apart": near.seconds_apart,
            "similarity": near.match.similarity, "identical_photo": near.match.identical,
            "similar_photo": near.match.similar, "duplicate_of": near.report.duplicate_of,
            "thumb_urls": _thumb_urls(near.report),
        } for near in found],
    }


def evidence_views(report: Report, *, for_officers: bool) -> dict[str, dict]:
    """Evidence id → what the reader sees of it: the conversation's attachments."""
    fields = OFFICER_EVIDENCE_FIELDS if for_officers else CITIZEN_EVIDENCE_FIELDS
    return {view["evidence_id"]: view for view in _evidence(report, fields)}


def _thumb_urls(report: Report) -> list[str]:
    """A thumbnail of each ready photo, oldest first."""
    return [presigned_get(item["derivatives"]["thumb"])
            for item in sorted(evidence_of(report).values(), key=lambda item: item["created_at"])
            if item["status"] == MediaStatus.READY and "thumb" in item.get("derivatives", {})]

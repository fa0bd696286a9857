"""What each reader sees of a report. Every view is built field by field from a
whitelist, so nothing reaches a reader by accident: the reporter sees only notes
addressed to them and never an officer's id; officers see the alias, never the
reporter's user id or phone."""

from chalicelib.clock import iso
from chalicelib.media import MediaStatus
from chalicelib.reports.bodies import NoteVisibility
from chalicelib.reports.evidence import VIEW_URL_SECONDS, presigned_get
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
        "evidence_count": len(evidence_of(report)),
    }


def _location(report: Report) -> dict:
    location = report.location
    return {"latitude": location.latitude, "longitude": location.longitude,
            "accuracy_m": location.accuracy_m, "address": location.address}


def _evidence(report: Report, fields: tuple[str, ...]) -> list[dict]:
    items = []
    for evidence_id, item in evidence_of(report).items():
        view = {"evidence_id": evidence_id, **{name: item.get(name) for name in fields}}
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
    return _common(report)


def citizen_view(report: Report) -> dict:
    return {
        **_common(report),
        "location": _location(report),
        "notes": [{"text": note.text, "created_at": iso(note.created_at)}
                  for note in report.notes if note.visibility == NoteVisibility.REPORTER],
        "evidence": _evidence(report, CITIZEN_EVIDENCE_FIELDS),
        "evidence_urls_expire_in": VIEW_URL_SECONDS,
    }


def officer_summary(report: Report) -> dict:
    return {**_common(report), "alias": report.alias, "location": _location(report)}


def officer_view(report: Report) -> dict:
    return {
        **officer_summary(report),
        "notes": [{"note_id": note.note_id, "text": note.text, "visibility": note.visibility,
                   "author_id": note.author_id, "created_at": iso(note.created_at)}
                  for note in report.notes],
        "evidence": _evidence(report, OFFICER_EVIDENCE_FIELDS),
        "evidence_urls_expire_in": VIEW_URL_SECONDS,
    }

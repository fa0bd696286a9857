"""Publishing a bulletin, editing it, and closing it: resolved (with an outcome) or
retracted (with a public reason). Both are final.

A change reads the bulletin (one GetItem), then writes it on condition that its version
is still the one read, so of two concurrent changes exactly one wins and the other is
told to reload (409). Every change goes to the audit trail.
"""

import logging
from datetime import UTC, datetime

import msgspec
from pynamodb.exceptions import UpdateError

from chalicelib import audit, clock, observability, transparency
from chalicelib.audit import AuditAction
from chalicelib.bulletins.fields import (
    ALERT_FIELD,
    COMMON_FIELDS,
    BulletinDraft,
    BulletinStatus,
    LifecycleMove,
    MissingPerson,
    Resolve,
)
from chalicelib.bulletins.listing import listing_keys, published_key
from chalicelib.bulletins.store import audit_target, refuse_if_closed
from chalicelib.bulletins.views import draft_fields
from chalicelib.errors import Conflict, ErrorCode, ValidationFailed
from chalicelib.push import alerts
from chalicelib.storage import condition_failed, new_id
from chalicelib.tables import Bulletin
from chalicelib.tokens import Principal
from chalicelib.transparency import Act

logger = logging.getLogger(__name__)

def publish(officer: Principal, draft: BulletinDraft) -> Bulletin:
    """Publish a bulletin. A retried publish (same Idempotency-Key) never reaches here:
    the route layer answers it (chalicelib/api/idempotency.py)."""
    _check(draft, expiry_given=True)
    if draft.alert:
        alerts.reserve(draft.district)
    bulletin_id = new_id()
    at, stored = clock.now(), _stored(draft)
    status = BulletinStatus.PUBLISHED
    bulletin = Bulletin(
        bulletin_id, status=status, version=1, published_at=at, updated_at=at,
        created_by=officer.user_id, updated_by=officer.user_id,
        published_key=published_key(at, bulletin_id), **stored,
        **listing_keys(status, draft.__struct_config__.tag, draft.district,
                       stored["location"]))
    bulletin.save(condition=Bulletin.bulletin_id.does_not_exist())
    transparency.record(Act.BULLETIN_PUBLISHED, officer, AuditAction.BULLETIN_PUBLISH,
                        audit_target(bulletin_id), {"category": bulletin.category})
    logger.info("bulletin published", extra={"bulletin_id": bulletin_id,
                                             "category": bulletin.category})
    observability.count(observability.Metric.BULLETINS_PUBLISHED)
    if draft.alert:
        alerts.send(officer, bulletin)
    return bulletin


def edited_draft(current: Bulletin, changes: dict) -> dict:
    """PATCH without `status` edits: the named fields over the current draft. The
    result is validated whole (as BulletinDraft), as if published anew."""
    refuse_if_closed(current)
    if not changes:
        raise ValidationFailed("Name at least one field to change.")
    if changes.get("category", current.category) != current.category:
        raise ValidationFailed("A bulletin's category cannot change; retract it and publish "
                               "a new one.", field="category")
    return {**draft_fields(current), **changes}


def edit(officer: Principal, current: Bulletin, draft: BulletinDraft,
         changed: set[str]) -> Bulletin:
    refuse_if_closed(current)
    _check(draft, expiry_given="expires_at" in changed)
    stored = _stored(draft)
    if draft.alert:
        alerts.reserve(draft.district)
    # Unchanged fields are a repeat of an edit already made (or an alert alone).
    if any(getattr(current, name) != value for name, value in stored.items()):
        _write(officer, current, stored | listing_keys(current.status, current.category,
                                                       draft.district, stored["location"]))
        audit.record(officer, AuditAction.BULLETIN_EDIT, audit_target(current.bulletin_id),
                     {"fields": sorted(changed - {"alert"})})
    if draft.alert:
        alerts.send(officer, current)
    return current


def close(officer: Principal, current: Bulletin, move: LifecycleMove) -> Bulletin:
    """Resolve or retract a published bulletin. Repeating the very same move answers
    with the bulletin as it is; any other move of a closed bulletin is a 409."""
    status = move.__struct_config__.tag
    if isinstance(move, Resolve):
        closing = {"outcome": move.outcome, "note": move.note}
        action, details = AuditAction.BULLETIN_RESOLVE, {"outcome": move.outcome}
    else:
        closing = {"reason": move.reason}
        action, details = AuditAction.BULLETIN_RETRACT, {"reason": move.reason}
    if current.status == status and all(getattr(current, name) == value
                                        for name, value in closing.items()):
        return current
    refuse_if_closed(current)
    at = clock.now()
    _write(officer, current, {"status": status, "closed_at": at, "updated_at": at, **closing,
                              **listing_keys(status, current.category, current.district,
                                            current.location)})
    audit.record(officer, action, audit_target(current.bulletin_id), details)
    if current.alerted_at is not None:
        # Its audience learns how it ended, as AMBER practice cancels an alert.
        alerts.send(officer, current,
                    outcome=move.outcome if isinstance(move, Resolve) else status)
    return current


# What JSON Schema cannot say of a draft (the routes declare it).
RULES = {ErrorCode.EXPIRES_IN_PAST: "expires_at, when given, is in the future",
         **alerts.RULES, **alerts.LIMIT_RULES}


def _check(draft: BulletinDraft, *, expiry_given: bool) -> None:
    """The rules a single field's type cannot say."""
    if isinstance(draft, MissingPerson) and draft.age is None and draft.date_of_birth is None:
        raise ValidationFailed("A missing person needs an age or a date_of_birth.", field="age")
    alerts.check_district(draft.district)
    if expiry_given and draft.expires_at is not None and draft.expires_at <= clock.now():
        raise ValidationFailed("expires_at must be in the future.",
                               code=ErrorCode.EXPIRES_IN_PAST, field="expires_at")


def _stored(draft: BulletinDraft) -> dict:
    """The draft as Bulletin attributes: common fields as columns, the category's own
    fields as `details`; times in UTC."""
    in_utc = msgspec.structs.replace(draft, **{
        name: value.astimezone(UTC) for name, value in msgspec.structs.asdict(draft).items()
        if isinstance(value, datetime)})
    details = msgspec.to_builtins(in_utc)
    details.pop(ALERT_FIELD)
    common = {name: details.pop(name) for name in COMMON_FIELDS}
    common["expires_at"] = in_utc.expires_at
    return {"category": details.pop("category"), **common, "details": details}


def _write(officer: Principal, current: Bulletin, values: dict) -> None:
    """Set these attributes if nobody changed the bulletin since it was read; on
    success `current` holds the new state."""
    values = {"updated_at": clock.now(), **values, "updated_by": officer.user_id}
    actions = [getattr(Bulletin, name).remove() if value is None
               else getattr(Bulletin, name).set(value) for name, value in values.items()]
    try:
        current.update(actions + [Bulletin.version.add(1)],
                       condition=Bulletin.version == current.version)
    except UpdateError as error:
        if not condition_failed(error):
            raise
        raise Conflict("The bulletin changed while you were changing it; reload it and try "
                       "again.", code=ErrorCode.EDIT_CONFLICT) from None

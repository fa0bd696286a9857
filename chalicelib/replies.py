"""The unit's reply templates: at most MAX_TEMPLATES, each a title and a text in zh-CN
and en, kept as one item (table `reply-templates`) and replaced whole by an admin.

A save names the version it replaces; the write is conditional on it, so of two
admins editing at once the second is told to read again (409 edit_conflict) instead of
wiping the first one's work. Each save is audited in the same transaction.
"""

from typing import Annotated

import msgspec
from msgspec import Meta
from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib import audit, clock
from chalicelib.audit import AuditAction
from chalicelib.bulletins.fields import line, text
from chalicelib.errors import Conflict, ErrorCode, ValidationFailed
from chalicelib.patterns import whole
from chalicelib.tables import ReplyTemplateSet, write_transaction
from chalicelib.tokens import Principal

MAX_TEMPLATES = 50
TITLE_CHARACTERS = 80
# 50 templates × 2 languages × 400 characters fit one request body (64 KiB) in most
# scripts; the body limit still applies to the whole list.
TEXT_CHARACTERS = 400
ID_CHARACTERS = 40
ID_PATTERN = f"[a-z0-9][a-z0-9-]{{0,{ID_CHARACTERS - 1}}}"
NAME = "replies"


class Title(msgspec.Struct, forbid_unknown_fields=True):
    zh_cn: line(TITLE_CHARACTERS) = msgspec.field(name="zh-CN")
    en: line(TITLE_CHARACTERS)


class Text(msgspec.Struct, forbid_unknown_fields=True):
    zh_cn: text(TEXT_CHARACTERS) = msgspec.field(name="zh-CN")
    en: text(TEXT_CHARACTERS)


class ReplyTemplate(msgspec.Struct, forbid_unknown_fields=True):
    id: Annotated[str, Meta(pattern=whole(ID_PATTERN),
                            description="Chosen by the admin: a-z, 0-9 and -")]
    title: Title
    text: Text


class ReplyTemplatesChange(msgspec.Struct, forbid_unknown_fields=True):
    version: Annotated[int, Meta(ge=0, description="The version last read")]
    replies: Annotated[list[ReplyTemplate], Meta(max_length=MAX_TEMPLATES)]


def current() -> ReplyTemplateSet | None:
    try:
        return ReplyTemplateSet.get(NAME, consistent_read=True)
    except DoesNotExist:
        return None


def replace(admin: Principal, change: ReplyTemplatesChange) -> ReplyTemplateSet:
    ids = [template.id for template in change.replies]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("Every template needs an id of its own.",
                               code=ErrorCode.DUPLICATE_REPLY_ID, field="replies")
    replies = msgspec.to_builtins(change.replies)
    stored = current()
    held = int(stored.version) if stored else 0
    if stored is not None and held == change.version + 1 and stored.replies == replies \
            and stored.updated_by == admin.user_id:
        return stored  # this very save, sent again
    if change.version != held:
        raise _edit_conflict()
    saved = ReplyTemplateSet(NAME, replies=replies, version=held + 1, updated_at=clock.now(),
                             updated_by=admin.user_id, updated_by_role=admin.role)
    condition = (ReplyTemplateSet.version == held if stored
                 else ReplyTemplateSet.name.does_not_exist())
    try:
        with write_transaction() as transaction:
            transaction.save(saved, condition=condition)
            transaction.save(audit.event(admin, AuditAction.REPLY_TEMPLATES_CHANGED,
                                         f"replies#{NAME}",
                                         {"version": held + 1, "ids": ids}),
                             condition=audit.APPEND_ONLY)
    except TransactWriteError as error:
        if not error.cancellation_reasons:
            raise
        raise _edit_conflict() from None
    return saved


def _edit_conflict() -> Conflict:
    return Conflict("The templates were saved by someone else meanwhile; read them again.",
                    code=ErrorCode.EDIT_CONFLICT)


def view(stored: ReplyTemplateSet | None) -> dict:
    if stored is None:
        return {"version": 0, "replies": [], "updated_at": None, "updated_by": None}
    return {"version": int(stored.version), "replies": stored.replies,
            "updated_at": clock.iso(stored.updated_at),
            "updated_by": {"id": stored.updated_by, "role": stored.updated_by_role}}

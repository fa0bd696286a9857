"""GET /openapi.json: the OpenAPI 3.1 contract, generated from the very msgspec structs
the handlers validate request bodies with (beside their routes) and the response structs
of chalicelib/api/responses.py, so the document cannot drift from the code.

OPERATIONS is the API table in code: one row per route. tests/test_openapi.py fails when
a route of the app has no row, and checks every JSON answer the test suite receives
against the row's documented schema.
"""

import functools
import re
from dataclasses import dataclass, field
from typing import Any

import msgspec
from chalice import Blueprint, Response

from chalicelib.api import responses as r
from chalicelib.api.auth import CodeRequest, RefreshRequest, SignInRequest
from chalicelib.bulletins.fields import BulletinDraft, ImageUploadRequest, LifecycleMove
from chalicelib.reports.bodies import EvidenceRequest, NewReport, ReportChange, RevealRequest

bp = Blueprint(__name__)

PAGING = {"limit": {"type": "string", "pattern": "^[0-9]{1,3}$",
                    "description": "1 to 100 (default 20)"},
          "cursor": {"type": "string", "description": "next_cursor of the previous page"}}
# A PATCH /bulletins/{id} body is either a lifecycle move or an edit: some fields of the
# bulletin's draft, validated whole once merged with the stored bulletin.
BULLETIN_EDIT = {"type": "object", "minProperties": 1, "not": {"required": ["status"]},
                 "description": "Fields of the bulletin's draft (see the drafts) to change."}


@dataclass(frozen=True)
class Operation:
    summary: str
    ok: int = 200
    body: Any = None                   # the request struct (or a JSON schema dict)
    answer: Any = None                 # the response struct for `ok`; None: no body
    signed_in: bool = True
    query: dict[str, dict] = field(default_factory=dict)
    more: dict[int, Any] = field(default_factory=dict)  # other success statuses


def public(summary: str, **kwargs) -> Operation:
    return Operation(summary, signed_in=False, **kwargs)


OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/health"): public("Liveness", answer=r.Health),
    ("GET", "/openapi.json"): public("This document", answer=dict[str, Any]),
    ("POST", "/auth/otp"): public("Send a sign-in code (202 whether or not the number is "
                                  "registered)", ok=202, body=CodeRequest),
    ("POST", "/auth/verify"): public("Sign in with the code", body=SignInRequest,
                                     answer=r.SessionBody),
    ("POST", "/auth/refresh"): public("Rotate the refresh token", body=RefreshRequest,
                                      answer=r.SessionBody),
    ("POST", "/auth/logout"): Operation("End the session", ok=204, body=RefreshRequest),
    ("GET", "/me"): Operation("Your profile", answer=r.Profile),
    ("DELETE", "/me"): Operation("Delete your account", ok=204),
    ("GET", "/bulletins"): public(
        "Bulletins, newest first", answer=r.BulletinPage, more={304: None},
        query={**PAGING, "category": {"type": "string"}, "district": {"type": "string"},
               "status": {"type": "string"}, "include_expired": {"enum": ["true", "false"]}}),
    ("GET", "/bulletins/{bulletin_id}"): public("One bulletin", answer=r.Bulletin,
                                                more={304: None}),
    ("POST", "/bulletins"): Operation("Publish (officers)", ok=201, body=BulletinDraft,
                                      answer=r.Bulletin, more={200: r.Bulletin}),
    ("PATCH", "/bulletins/{bulletin_id}"): Operation(
        "Edit, resolve or retract (officers)", body=(LifecycleMove, BULLETIN_EDIT),
        answer=r.Bulletin),
    ("POST", "/bulletins/{bulletin_id}/images"): Operation(
        "Upload an image (officers)", ok=201, body=ImageUploadRequest, answer=r.ImageTicket),
    ("POST", "/reports"): Operation("File a report", ok=201, body=NewReport,
                                    answer=r.CitizenReport),
    ("GET", "/reports"): Operation("Your reports", answer=r.ReportPage, query=PAGING),
    ("GET", "/reports/{report_id}"): Operation("One of your reports", answer=r.CitizenReport),
    ("POST", "/reports/{report_id}/evidence"): Operation(
        "Upload evidence to your report", ok=201, body=EvidenceRequest,
        answer=r.EvidenceTicket),
    ("GET", "/admin/reports"): Operation(
        "The triage queue (officers)", answer=r.OfficerReportPage,
        query={**PAGING, "status": {"type": "string"}, "category": {"type": "string"},
               "bulletin_id": {"type": "string"}}),
    ("GET", "/admin/reports/{report_id}"): Operation("A report, full view (officers)",
                                                     answer=r.OfficerReport),
    ("PATCH", "/admin/reports/{report_id}"): Operation(
        "Change status, add a note (officers)", body=ReportChange, answer=r.OfficerReport),
    ("POST", "/admin/reports/{report_id}/reveal"): Operation(
        "Reveal the reporter (admins; audited)", body=RevealRequest,
        answer=r.RevealedIdentity),
    ("GET", "/admin/reports/{report_id}/evidence/{evidence_id}/original"): Operation(
        "Download an original (officers; audited)", answer=r.OriginalDownload),
    ("PUT", "/admin/officers/{phone}"): Operation("Grant the officer role (admins)",
                                                  answer=r.OfficerGrant),
    ("DELETE", "/admin/officers/{phone}"): Operation("Revoke the officer role (admins)",
                                                     ok=204),
    ("GET", "/admin/audit"): Operation("The audit trail (admins)", answer=r.AuditPage,
                                       query=PAGING),
}


@bp.route("/openapi.json", methods=["GET"])
def openapi_document():
    return Response(body=_document_json(), status_code=200,
                    headers={"Content-Type": "application/json",
                             "Cache-Control": "public, max-age=300"})


@functools.cache
def _document_json() -> str:
    return msgspec.json.encode(document()).decode()


def document() -> dict:
    types = sorted({kind for operation in OPERATIONS.values()
                    for kind in _struct_types(operation)}, key=str)
    schemas, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}")
    schema_of = dict(zip(types, schemas, strict=True))
    paths: dict[str, dict] = {}
    for (method, path), operation in OPERATIONS.items():
        paths.setdefault(path, {})[method.lower()] = _operation(operation, path, schema_of)
    for path, operations in paths.items():  # CORS preflights (chalicelib/api/cors.py)
        operations["options"] = {"summary": "CORS preflight", "security": [],
                                 "parameters": _path_parameters(path),
                                 "responses": {"204": {"description": "No body"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Masses API", "version": "1"},
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }


def _struct_types(operation: Operation) -> list:
    bodies = operation.body if isinstance(operation.body, tuple) else (operation.body,)
    answers = [operation.answer, *operation.more.values(), r.ErrorBody]
    return [kind for kind in (*bodies, *answers) if kind is not None and not isinstance(kind,
                                                                                     dict)]


def _operation(operation: Operation, path: str, schema_of: dict) -> dict:
    def schema(kind) -> dict:
        return kind if isinstance(kind, dict) else schema_of[kind]

    def response(kind) -> dict:
        if kind is None:
            return {"description": "No body"}
        return {"description": "OK", "content": {"application/json": {"schema": schema(kind)}}}

    answers = {str(operation.ok): response(operation.answer),
               **{str(status): response(kind) for status, kind in operation.more.items()},
               "default": {"description": "An error",
                           "content": {"application/json": {"schema": schema(r.ErrorBody)}}}}
    built = {"summary": operation.summary, "responses": answers,
             "parameters": _path_parameters(path) + [
                 {"name": name, "in": "query", "required": False, "schema": query_schema}
                 for name, query_schema in operation.query.items()],
             "security": [{"bearer": []}] if operation.signed_in else []}
    if operation.body is not None:
        bodies = operation.body if isinstance(operation.body, tuple) else (operation.body,)
        body_schema = ({"anyOf": [schema(kind) for kind in bodies]} if len(bodies) > 1
                       else schema(bodies[0]))
        built["requestBody"] = {"required": True,
                                "content": {"application/json": {"schema": body_schema}}}
    return built


def _path_parameters(path: str) -> list[dict]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"\{([^}]+)\}", path)]

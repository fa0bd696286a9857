"""GET /openapi.json: the OpenAPI 3.1 contract, generated from the routes' own
declarations (chalicelib/api/routes.py): the msgspec structs the layer parses bodies,
query strings and headers with, the response structs of chalicelib/api/responses.py,
and the declared roles, statuses and headers. The document cannot drift from the code.

CORS preflights (chalicelib/api/cors.py) are not operations: a browser sends them, no
client calls them, so they are left out.
"""

import functools
import re
import sys
from typing import Any

import msgspec
import msgspec.inspect
from chalice import Response

from chalicelib.api import responses as r
from chalicelib.api.routes import ANYONE, CONTRACTS, SIGNED_IN, Blueprint, Contract

bp = Blueprint(__name__)

# What each response header means, written once for every route that sends it.
RESPONSE_HEADERS = {
    "Location": {"description": "The path of the item just created.",
                 "schema": {"type": "string"}},
    "ETag": {"description": "The version of this answer, for If-None-Match.",
             "schema": {"type": "string"}},
    "Cache-Control": {"description": "How long a copy may be reused.",
                      "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait before trying again.",
                    "schema": {"type": "integer", "minimum": 1}},
    "Idempotency-Replayed": {"description": "true when this is the stored answer to an "
                             "earlier request with the same Idempotency-Key.",
                             "schema": {"type": "string", "enum": ["true"]}},
}
# Error statuses and what they mean here; which apply to a route follows from its contract.
ERROR_STATUSES = {
    400: "The request is not valid: error.code says why, error.field names the field.",
    401: "Sign in first, or the token is invalid or expired.",
    403: "Your role may not do this.",
    404: "No such item, or not one you may see.",
    409: "The item's state does not allow this, or it changed meanwhile; or a request "
         "with this Idempotency-Key is still being answered (request_in_progress).",
    413: "The body is too large.",
    415: "The body is not JSON.",
    422: "This Idempotency-Key was used for a different request (idempotency_key_reused).",
    429: "Too many requests: wait for Retry-After seconds.",
    503: "A service behind the API is busy or down: retry after Retry-After seconds.",
}
RETRIED = {429, 503}


@bp.route("/openapi.json", methods=["GET"], allow=ANYONE, answer=dict[str, Any],
          summary="This document")
def openapi_document(request):
    served = {**document(), "servers": [{"url": base_url(request.raw)}]}
    return Response(body=msgspec.json.encode(served).decode(), status_code=200,
                    headers={"Content-Type": "application/json",
                             "Cache-Control": "public, max-age=300"})


def base_url(request) -> str:
    """Where this API is served, as the caller reached it: behind API Gateway the path
    carries the stage ("/api/openapi.json"), under `chalice local` it does not."""
    route, path = request.context["resourcePath"], request.context.get("path", "")
    prefix = path[:-len(route)] if path.endswith(route) else ""
    host = request.headers.get("host")
    if host is None:
        return prefix or "/"
    return f"{request.headers.get('x-forwarded-proto', 'http')}://{host}{prefix}"


@functools.cache
def document() -> dict:
    """The document without `servers`, which depends on the request."""
    types = sorted({kind for contract in CONTRACTS for kind in _struct_types(contract)},
                   key=str)
    schemas, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}")
    schema_of = dict(zip(types, schemas, strict=True))
    for struct in _structs(types):  # what msgspec cannot say of a struct, it states itself
        if hasattr(struct, "CROSS_FIELD_SCHEMA"):
            components[struct.__name__].setdefault("allOf", []).append(struct.CROSS_FIELD_SCHEMA)
    paths: dict[str, dict] = {}
    for contract in CONTRACTS:
        paths.setdefault(contract.path, {})[contract.method.lower()] = _operation(
            contract, schema_of)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Masses API", "version": "1", "description": (
            "Citizens report to the police and read bulletins; officers triage. Errors "
            "have one shape, {error: {code, message, field?}}; apps translate by code."),
            "contact": {"name": "Masses developers"}},
        "tags": [{"name": tag, "description": _first_paragraph(sys.modules[module].__doc__)}
                 for tag, module in sorted({(c.tag, c.module) for c in CONTRACTS})],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }


def _structs(types: list) -> set[type]:
    """Every Struct class the types use, however deeply nested."""
    found: set[type] = set()

    def visit(info) -> None:
        if isinstance(info, msgspec.inspect.StructType):
            if info.cls in found:
                return
            found.add(info.cls)
            for struct_field in info.fields:
                visit(struct_field.type)
        for name in ("type", "item_type", "key_type", "value_type"):
            if isinstance(getattr(info, name, None), msgspec.inspect.Type):
                visit(getattr(info, name))
        for option in getattr(info, "types", ()):
            visit(option)

    for info in msgspec.inspect.multi_type_info(types):
        visit(info)
    return found


def _description(contract: Contract) -> str:
    if not contract.rules:
        return contract.description
    rules = "\n".join(f"- `{code}`: {rule}" for code, rule in sorted(contract.rules.items()))
    return (f"{contract.description}\n\nBesides the schema, the server refuses (4xx) "
            f"(listed in x-server-rules):\n{rules}")


def _first_paragraph(text: str | None) -> str:
    return " ".join((text or "").strip().split("\n\n")[0].split())


def _bodies(contract: Contract) -> tuple:
    documented = contract.body_schema if contract.body_schema is not None else contract.body
    return documented if isinstance(documented, tuple) else (documented,)


def _struct_types(contract: Contract) -> list:
    answers = [contract.answer, *contract.more.values(), r.ErrorBody]
    return [kind for kind in (*_bodies(contract), *answers)
            if kind is not None and not isinstance(kind, dict)]


def _operation(contract: Contract, schema_of: dict) -> dict:
    def schema(kind) -> dict:
        return kind if isinstance(kind, dict) else schema_of[kind]

    def response(status: int, kind, description: str = "OK") -> dict:
        answer: dict[str, Any] = {"description": description}
        names = contract.headers.get(status, ()) + (("Retry-After",) if status in RETRIED
                                                    else ())
        if names:
            answer["headers"] = {name: RESPONSE_HEADERS[name] for name in names}
        if kind is not None:
            answer["content"] = {"application/json": {"schema": schema(kind)}}
        return answer

    successes = {contract.ok: contract.answer, **contract.more}
    responses = {str(status): response(status, kind, "OK" if kind else "No body")
                 for status, kind in sorted(successes.items())}
    responses.update({str(status): response(status, r.ErrorBody, ERROR_STATUSES[status])
                      for status in _error_statuses(contract)})
    responses["default"] = response(0, r.ErrorBody, "An error")
    built = {"operationId": contract.operation_id, "summary": contract.summary,
             "description": _description(contract),
             "tags": [contract.tag],
             "parameters": [*_path_parameters(contract.path), *_query_parameters(contract),
                            *_header_parameters(contract)],
             "responses": responses,
             "security": [] if contract.allow is ANYONE else [{"bearer": []}]}
    if contract.rules:
        built["x-server-rules"] = sorted(contract.rules)
    if contract.body is not None:
        bodies = _bodies(contract)
        body_schema = ({"anyOf": [schema(kind) for kind in bodies]} if len(bodies) > 1
                       else schema(bodies[0]))
        built["requestBody"] = {"required": not contract.body_optional,
                                "content": {"application/json": {"schema": body_schema}}}
    return built


def _error_statuses(contract: Contract) -> list[int]:
    implied = {503}
    if contract.body is not None:
        implied |= {400, 413, 415}
    if contract.query is not None or contract.request_headers:
        implied.add(400)
    if contract.allow is not ANYONE:
        implied.add(401)
    if contract.allow not in (ANYONE, SIGNED_IN):
        implied.add(403)
    if "{" in contract.path:
        implied.add(404)
    return sorted(implied | set(contract.errors))


def _path_parameters(path: str) -> list[dict]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"\{([^}]+)\}", path)]


def _query_parameters(contract: Contract) -> list[dict]:
    if contract.query is None:
        return []
    (reference,), components = msgspec.json.schema_components(
        [contract.query], ref_template="{name}")
    struct = components[reference["$ref"]]
    return [{"name": name, "in": "query", "required": name in struct.get("required", ()),
             "schema": _not_null(field)} for name, field in struct["properties"].items()]


def _not_null(schema: dict) -> dict:
    """A query parameter is absent or a string, never null: `X | None` is just X."""
    options = [option for option in schema.get("anyOf", ()) if option != {"type": "null"}]
    if len(options) != 1:
        return schema
    kept = {key: value for key, value in schema.items() if key != "anyOf"}
    if kept.get("default", ...) is None:
        del kept["default"]
    return {**options[0], **kept}


def _header_parameters(contract: Contract) -> list[dict]:
    return [{"name": name, "in": "header", "required": False,
             "schema": msgspec.json.schema(kind)}
            for name, kind in contract.request_headers.items()]

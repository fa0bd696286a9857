"""One declaration per route: Chalice's `@bp.route`, with the route's whole contract.

    @bp.route("/reports", methods=["POST"], allow=SIGNED_IN, body=NewReport,
              ok=201, answer=r.CitizenReport, headers={201: ("Location",)},
              summary="File a report")
    def file_report(request: ApiRequest): ...

From that one declaration the route is registered with Chalice, the caller is
authorized (401/403) before the view runs, the body, the query string and the declared
request headers are parsed into typed values (400 naming the field), and the OpenAPI
operation is generated (chalicelib/api/openapi.py reads `CONTRACTS`). The view returns
a dict (sent with the declared `ok` status), None (an empty answer with `ok`) or a
Chalice Response for anything else.

A creating route says `idempotent=True`: it then takes an `Idempotency-Key` header and
a retry with the same key answers the first attempt's answer without acting again
(chalicelib/api/idempotency.py; the header, the 409 and the 422 are documented).

Object-level rules (another citizen's report answers 404) stay in the domain.
"""

import functools
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import chalice
import msgspec
import msgspec.inspect

from chalicelib import roles
from chalicelib.api import bodies, idempotency
from chalicelib.api.authz import authorize
from chalicelib.api.bodies import field_of, parse_body
from chalicelib.errors import ErrorCode, ValidationFailed
from chalicelib.pagination import DEFAULT_LIMIT, MAX_LIMIT
from chalicelib.tokens import Principal

# Who may call a route: None is anyone, token or not; otherwise the roles allowed.
Access = tuple[str, ...] | None
ANYONE: Access = None
SIGNED_IN: Access = roles.ANYONE_SIGNED_IN
STAFF: Access = roles.STAFF
ADMINS: Access = (roles.Role.ADMIN,)


@dataclass(frozen=True)
class Contract:
    """What a client may rely on for one method of one path."""
    method: str
    path: str
    operation_id: str           # the view's name: unique, so generated clients read well
    module: str                 # the blueprint's module: its last name tags the resource
    summary: str
    description: str            # the view's docstring, else the summary
    allow: Access
    body: Any = None            # the struct the body is parsed into (None: no body)
    body_schema: Any = None     # what the document shows, when not `body` itself
    body_optional: bool = False  # an empty body is taken as none (the view gets None)
    query: Any = None           # a struct of the query parameters, parsed leniently
    request_headers: dict[str, Any] = field(default_factory=dict)  # name → type
    ok: int = 200
    answer: Any = None          # the struct of the `ok` answer; None: no body
    more: dict[int, Any] = field(default_factory=dict)  # other successes → their struct
    headers: dict[int, tuple[str, ...]] = field(default_factory=dict)  # status → headers
    errors: tuple[int, ...] = ()  # error statuses beyond those the contract implies
    # Rules JSON Schema cannot say (a numbering plan, "not in the future"): error code →
    # the rule. A request the schema accepts is refused (4xx) for these alone.
    rules: dict[ErrorCode, str] = field(default_factory=dict)
    idempotent: bool = False    # takes Idempotency-Key (chalicelib/api/idempotency.py)

    @property
    def tag(self) -> str:
        return self.module.rpartition(".")[2]


CONTRACTS: list[Contract] = []


@dataclass(frozen=True)
class ApiRequest:
    """The request as the view sees it: Chalice's, with what the contract parsed."""
    raw: chalice.app.Request
    caller: Principal | None
    body: Any
    query: Any
    headers: dict[str, Any]


class Blueprint(chalice.Blueprint):
    def route(self, path: str, *, methods: list[str], summary: str, allow: Access,
              body: Any = None, body_schema: Any = None, body_optional: bool = False,
              query: Any = None,
              request_headers: dict[str, Any] | None = None, ok: int = 200,
              answer: Any = None, more: dict[int, Any] | None = None,
              headers: dict[int, tuple[str, ...]] | None = None,
              errors: tuple[int, ...] = (), rules: dict[ErrorCode, str] | None = None,
              idempotent: bool = False) -> Callable:
        (method,) = methods  # one contract per declaration
        request_headers, headers = dict(request_headers or {}), dict(headers or {})
        if idempotent:
            if allow is ANYONE:
                raise ValueError("idempotency keys are per user: an idempotent route needs "
                                 "a signed-in caller")
            request_headers[idempotency.HEADER] = idempotency.IdempotencyKey
            for status in (ok, *(more or {})):
                headers[status] = (*headers.get(status, ()), idempotency.REPLAYED_HEADER)
            headers[409] = (*headers.get(409, ()), "Retry-After")
            errors = tuple(sorted({*errors, 409, 422}))

        def register(view: Callable) -> Callable:
            contract = Contract(
                method, path, view.__name__, self._import_name, summary,
                inspect.getdoc(view) or summary, allow, body, body_schema, body_optional, query,
                request_headers, ok, answer, more or {}, headers, errors,
                {**_implied_rules(body, query, idempotent), **(rules or {})}, idempotent)
            if any(known.operation_id == contract.operation_id for known in CONTRACTS):
                raise ValueError(f"operationId {contract.operation_id} is taken: rename "
                                 "the view")
            CONTRACTS.append(contract)

            @functools.wraps(view)
            def handler(**path_parameters):
                request = _parsed(contract, self.current_request)

                def act() -> chalice.Response:
                    answer = view(request, **path_parameters)
                    if isinstance(answer, chalice.Response):
                        return answer
                    return chalice.Response(body="" if answer is None else answer,
                                            status_code=contract.ok)

                if not contract.idempotent:
                    return act()
                # Authorized and parsed first: a refused or malformed request takes no key.
                return idempotency.run(
                    request.caller.user_id, request.headers[idempotency.HEADER],
                    {"route": f"{method} {path}", "parameters": path_parameters,
                     "body": msgspec.to_builtins(request.body)},
                    act, self.lambda_context)

            super(Blueprint, self).route(path, methods=[method])(handler)
            return view

        return register


def _parsed(contract: Contract, request: chalice.app.Request) -> ApiRequest:
    caller = authorize(request, *contract.allow) if contract.allow is not None else None
    return ApiRequest(
        raw=request, caller=caller,
        body=(parse_body(request, contract.body) if contract.body is not None
              and (request.raw_body or not contract.body_optional) else None),
        query=_parsed_query(contract.query, request.query_params or {}),
        headers={name: _parsed_header(name, kind, request.headers.get(name.lower()))
                 for name, kind in contract.request_headers.items()})


class Paging(msgspec.Struct, kw_only=True):
    """The query parameters of every list; a route's query struct extends it."""
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT, description=(
        f"Items per page, 1 to {MAX_LIMIT}"))] = DEFAULT_LIMIT
    cursor: Annotated[str, msgspec.Meta(
        max_length=2048, description="next_cursor of the previous page")] | None = None


# The paging parameters have codes of their own: an app says "page size" or starts the
# list again, rather than "bad filter".
_QUERY_ERROR_CODES = {"limit": ErrorCode.INVALID_LIMIT, "cursor": ErrorCode.INVALID_CURSOR}
# A cursor is opaque: only the listing that gave it out can tell a good one.
PAGING_RULES = {ErrorCode.INVALID_CURSOR: "cursor is a next_cursor this listing gave out"}


def _implied_rules(body: Any, query: Any, idempotent: bool) -> dict[ErrorCode, str]:
    """The rules every body, every paged list and every idempotent route has beyond its
    schema."""
    paged = isinstance(query, type) and issubclass(query, Paging)
    return {**(bodies.RULES if body is not None else {}), **(PAGING_RULES if paged else {}),
            **(idempotency.RULES if idempotent else {})}


_DIGITS = re.compile("-?[0-9]{1,18}")


@functools.cache
def _integer_fields(query_type: Any) -> frozenset[str]:
    def unwrapped(kind):  # a described type (Meta with a description) is wrapped
        return kind.type if isinstance(kind, msgspec.inspect.Metadata) else kind

    def is_integer(kind) -> bool:
        kind = unwrapped(kind)
        options = kind.types if isinstance(kind, msgspec.inspect.UnionType) else (kind,)
        return any(isinstance(unwrapped(option), msgspec.inspect.IntType) for option in options)

    return frozenset(field.encode_name for field in msgspec.inspect.type_info(query_type).fields
                     if is_integer(field.type))


def _parsed_query(query_type: Any, params: dict[str, str]) -> Any:
    if query_type is None:
        return None
    # Integers are written in ASCII digits only: msgspec's lenient conversion would also
    # take "1e2" and "5.0" (even as strings), so anything else is refused here.
    integers = {name: value for name, value in params.items()
                if name in _integer_fields(query_type)}
    for name, value in integers.items():
        if not _DIGITS.fullmatch(value):
            raise ValidationFailed(f"Query parameter {name}: write a whole number in digits.",
                                   code=_QUERY_ERROR_CODES.get(name, ErrorCode.INVALID_QUERY),
                                   field=name)
    whole_numbers = {name: int(value) for name, value in integers.items()}
    try:
        # Not strict otherwise: "true" and "false" are the declared booleans.
        return msgspec.convert({**params, **whole_numbers}, query_type, strict=False)
    except msgspec.ValidationError as error:
        name = field_of(error)
        raise ValidationFailed(f"Query parameter {name}: {error}",
                               code=_QUERY_ERROR_CODES.get(name, ErrorCode.INVALID_QUERY),
                               field=name) from None


def _parsed_header(name: str, kind: Any, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return msgspec.convert(value, kind)
    except msgspec.ValidationError as error:
        raise ValidationFailed(f"Header {name}: {error}", field=name) from None

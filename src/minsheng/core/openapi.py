"""The OpenAPI document (``/openapi.json``) says what each route really answers when it refuses
(docs/security.md, item 17).

Every refusal has one body, ``ErrorBody`` (``{"error", "detail", "field", ...}``, rendered by
``core.web`` and ``core.guard``). ``install(app)`` attaches it to every operation under each status
the operation can really answer, with the names of the errors behind that status:

- the ``DomainError`` subclasses the route can raise: found by following, from the endpoint and
  its dependencies, every function of this package it refers to (through module attributes,
  closures and nested code), and collecting the error classes they name. This over-approximates
  (an error named in an ``except`` counts too) and never needs a list kept by hand: a new
  ``raise CaseNotFound(...)`` in a service shows up in the document of every route that reaches
  it;
- what the platform adds around every route: ``ValidationError`` (422) where there is input,
  ``BadRequest`` (400, a body that cannot be decoded) and ``PayloadTooLarge`` (413) where there
  is a body, ``NotFound`` (404) where a path parameter can fail to match, and, where a database
  session is used, ``DatabaseBusy`` / ``DatabaseUnavailable`` / ``DatabaseNotMigrated`` (503) and
  ``Conflict`` (409, two writers raced past a uniqueness check).

FastAPI's own 422 shape (``HTTPValidationError``), which the API never sends, is removed.
A 500 (``InternalError``, same body, with ``request_id``) is not listed per operation: it is a
bug, and the schemathesis run in the tests finds none (``tests/security/test_openapi.py``).
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from minsheng.core.errors import DomainError

PACKAGE = "minsheng"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REF = "#/components/schemas/"


class FieldError(BaseModel):
    field: str = Field(description="Where the value was: path.…, query.…, or the body's field")
    msg: str


class ErrorBody(BaseModel):
    """The body of every refusal of the API, whatever its status."""

    model_config = ConfigDict(extra="allow", title="ErrorBody")

    error: str = Field(description="The error's name, e.g. CaseNotFound or ValidationError")
    detail: str = Field(description="What went wrong (English, for developers)")
    field: str | None = Field(description="The input field at fault, when one is")
    message: str | None = Field(None, description="The same in Chinese, for people")
    errors: list[FieldError] | None = Field(None, description="ValidationError: each field")
    retry_after_s: int | None = Field(None, description="TooManyRequests: seconds to wait")
    max_bytes: int | None = Field(None, description="PayloadTooLarge: the route's cap")
    request_id: str | None = Field(None, description="InternalError: the logged request")


# What the platform answers around the routes (core.web, core.guard), by status.
GENERIC_DESCRIPTION = {
    "ValidationError": "the input does not match this document (each field in `errors`)",
    "BadRequest": "the body cannot be decoded",
    "PayloadTooLarge": "the body is over the route's cap (refused before it is read)",
    "NotFound": "no such route (a path parameter that cannot match)",
    "DatabaseBusy": "the database stayed locked; nothing was changed, try again (Retry-After)",
    "DatabaseUnavailable": "the database cannot be reached; nothing was changed (Retry-After)",
    "DatabaseNotMigrated": "the database is not migrated: run `minsheng db upgrade`",
    "Conflict": "a concurrent change won a uniqueness race; reload and try again",
}
STATUS_TEXT = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    413: "Body too large",
    422: "Refused input",
    429: "Too many requests",
    503: "Service unavailable",
}


# Which errors a function can raise -------------------------------------------------------------


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _ours(obj: Any) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module == PACKAGE or module.startswith(PACKAGE + ".")


def _error_classes(value: Any) -> Iterator[type[DomainError]]:
    """Error classes held by ``value``: the class itself, or inside a tuple/list/dict/set."""
    if isinstance(value, type) and issubclass(value, DomainError):
        yield value
    elif isinstance(value, tuple | list | set | frozenset):
        for item in value:
            if isinstance(item, type) and issubclass(item, DomainError):
                yield item
    elif isinstance(value, dict):
        for item in value.values():
            if isinstance(item, type) and issubclass(item, DomainError):
                yield item


class ErrorFinder:
    """Collects the ``DomainError`` classes reachable from functions of this package."""

    def __init__(self) -> None:
        self._done: dict[int, frozenset[type[DomainError]]] = {}
        self._visiting: set[int] = set()

    def of(self, func: Any) -> frozenset[type[DomainError]]:
        func = _unwrap(func)
        if isinstance(func, type):
            return self._of_class(func)
        code = getattr(func, "__code__", None)
        if not isinstance(code, types.CodeType) or not _ours(func):
            return frozenset()
        key = id(code)
        if key in self._done:
            return self._done[key]
        if key in self._visiting:
            return frozenset()
        self._visiting.add(key)
        found: set[type[DomainError]] = set()
        namespace: dict[str, Any] = dict(getattr(func, "__globals__", {}))
        for cell_name, cell in zip(code.co_freevars, func.__closure__ or (), strict=False):
            try:
                namespace.setdefault(cell_name, cell.cell_contents)
            except ValueError:  # an empty cell
                continue
        for default in (func.__defaults__ or ()) + tuple((func.__kwdefaults__ or {}).values()):
            found.update(_error_classes(default))
        names: set[str] = set()
        for sub in _code_objects(code):
            names.update(sub.co_names)
            names.update(sub.co_freevars)
        for value in self._referenced(names, namespace):
            found.update(self._of_value(value))
        self._visiting.discard(key)
        result = frozenset(found)
        self._done[key] = result
        return result

    @staticmethod
    def _referenced(names: set[str], namespace: dict[str, Any]) -> Iterator[Any]:
        """The objects the names resolve to: globals and closure cells, and attributes of the
        modules among them named in the same code (``service.get_case`` → ``get_case``)."""
        modules = [namespace[n] for n in names if isinstance(namespace.get(n), types.ModuleType)]
        for name in names:
            if name in namespace:
                yield namespace[name]
        seen_modules: set[int] = set()
        while modules:
            module = modules.pop()
            if id(module) in seen_modules or not module.__name__.startswith(PACKAGE):
                continue
            seen_modules.add(id(module))
            for name in names:
                value = getattr(module, name, None)
                if value is None:
                    continue
                if isinstance(value, types.ModuleType):
                    modules.append(value)
                else:
                    yield value

    def _of_value(self, value: Any) -> set[type[DomainError]]:
        found = set(_error_classes(value))
        if found:
            return found
        value = _unwrap(value)
        if isinstance(value, type):
            return set(self._of_class(value))
        if callable(value) and _ours(value):
            return set(self.of(value))
        return set()

    def _of_class(self, cls: type) -> frozenset[type[DomainError]]:
        """A class of this package (not an error) that a route uses: its own methods."""
        if issubclass(cls, DomainError) or not _ours(cls):
            return frozenset()
        found: set[type[DomainError]] = set()
        for attr in vars(cls).values():
            target = attr.__func__ if isinstance(attr, staticmethod | classmethod) else attr
            if isinstance(attr, property):
                target = attr.fget
            if isinstance(target, types.FunctionType):
                found.update(self.of(target))
        return frozenset(found)


def _unwrap(func: Any) -> Any:
    while isinstance(func, partial):
        func = func.func
    try:
        return inspect.unwrap(func)
    except ValueError:  # a wrapper cycle
        return func


# What a route can answer -----------------------------------------------------------------------


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _database_use(calls: Iterable[Callable[..., Any] | None]) -> tuple[bool, bool]:
    """(reads the database, has a request session): a role check reads the user; a request
    session (``core.web.get_session``) is a writer on the methods that change things."""
    from minsheng.core import web

    reads = session = False
    for call in calls:
        call = _unwrap(call)
        if call is web.get_session:
            reads = session = True
        if getattr(call, "__qualname__", "").startswith(web.require_role.__qualname__ + "."):
            reads = True
    return reads, session


def route_contexts(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route with the path and methods it is served under: newer FastAPI keeps included
    routers as such and hands out route contexts (with the attributes of the route)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: include_router copied the routes
        yield from routes
        return
    yield from iter_route_contexts(list(routes))


def api_routes(routes: Iterable[Any]) -> Iterator[Any]:
    for route in route_contexts(routes):
        if isinstance(getattr(route, "original_route", route), APIRoute):
            yield route


def allowed_methods(routes: Iterable[Any], path: str) -> list[str]:
    """The methods some route serves at ``path`` (for the ``Allow`` header of a 405)."""
    methods: set[str] = set()
    for route in route_contexts(routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and getattr(route, "methods", None) and regex.match(path):
            methods.update(route.methods)
    return sorted(methods)


def route_errors(route: Any, finder: ErrorFinder | None = None) -> dict[int, set[str]]:
    """Status → the names of the errors ``route`` can answer with (see the module docstring)."""
    finder = finder or ErrorFinder()
    answers: dict[int, set[str]] = {}

    def add(status: int, name: str) -> None:
        answers.setdefault(status, set()).add(name)

    dependants = list(_dependants(route.dependant))
    for dependant in dependants:
        for error in finder.of(dependant.call):
            add(error.status_code, error.__name__)
    has_input = any(
        d.path_params or d.query_params or d.header_params or d.cookie_params or d.body_params
        for d in dependants
    )
    has_body = any(d.body_params for d in dependants)
    if has_input:
        add(422, "ValidationError")
    if has_body:
        add(400, "BadRequest")
        add(413, "PayloadTooLarge")
    if any(d.path_params for d in dependants):
        add(404, "NotFound")
    reads, session = _database_use(d.call for d in dependants)
    if reads:
        for name in ("DatabaseBusy", "DatabaseUnavailable", "DatabaseNotMigrated"):
            add(503, name)
    if session and route.methods & WRITE_METHODS:
        add(409, "Conflict")
    return answers


def _response(status: int, names: set[str]) -> dict[str, Any]:
    ordered = sorted(names)
    lines = [
        f"- `{name}`" + (f": {GENERIC_DESCRIPTION[name]}" if name in GENERIC_DESCRIPTION else "")
        for name in ordered
    ]
    response: dict[str, Any] = {
        "description": STATUS_TEXT.get(status, "Error") + "\n\n" + "\n".join(lines),
        "content": {
            "application/json": {
                "schema": {
                    "allOf": [{"$ref": REF + "ErrorBody"}],
                    "properties": {"error": {"type": "string", "enum": ordered}},
                }
            }
        },
    }
    if status in (429, 503):
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before trying again",
                "schema": {"type": "string"},
            }
        }
    return response


def document_errors(schema: dict[str, Any], routes: Iterable[Any]) -> dict[str, Any]:
    """Attach the error responses of every route to ``schema`` (an OpenAPI dict), in place."""
    finder = ErrorFinder()
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(ErrorBody.model_json_schema(ref_template=REF + "{model}").pop("$defs", {}))
    components["ErrorBody"] = {
        k: v
        for k, v in ErrorBody.model_json_schema(ref_template=REF + "{model}").items()
        if k != "$defs"
    }
    paths = schema.get("paths", {})
    for route in api_routes(routes):
        if not route.include_in_schema:
            continue
        answers = route_errors(route, finder)
        for method in route.methods:
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            fastapi_422 = responses.get("422", {})
            if "HTTPValidationError" in str(fastapi_422):
                del responses["422"]
            for status, names in sorted(answers.items()):
                responses[str(status)] = _response(status, names)
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in components and REF + unused not in _refs(schema):
            del components[unused]
    return schema


def _refs(schema: dict[str, Any]) -> str:
    import json

    return json.dumps({k: v for k, v in schema.items() if k != "components"}) + json.dumps(
        {
            name: body
            for name, body in schema.get("components", {}).get("schemas", {}).items()
            if name not in ("HTTPValidationError", "ValidationError")
        }
    )


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and so ``/openapi.json``) carry the error responses."""
    generate = app.openapi
    documented: list[int] = []

    def openapi() -> dict[str, Any]:
        schema = generate()
        if not documented or documented[-1] != id(schema):
            document_errors(schema, app.routes)
            documented.append(id(schema))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

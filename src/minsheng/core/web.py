"""HTTP plumbing shared by every system's router: the session and auth dependencies, the
request-id middleware and the error handlers that render every failure the same way.

Use in a router::

    from minsheng.core.web import DbSession, require_role
    @router.post("/things")
    def create(data: ThingCreate, session: DbSession,
               user: Annotated[Principal, Depends(require_role(Role.HOTLINE))]): ...
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from minsheng.core import audit, i18n
from minsheng.core.auth import (
    Principal,
    Role,
    authenticate,
    check_role,
    session_principal,
)
from minsheng.core.config import Settings
from minsheng.core.db import not_migrated, session_scope, utcnow
from minsheng.core.errors import DomainError, TooManyRequests, Unauthorized, error_body
from minsheng.core.guard import (
    BodyLimitMiddleware,
    CatchAllMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
)
from minsheng.core.metrics import MetricsMiddleware
from minsheng.core.openapi import allowed_methods

log = logging.getLogger("minsheng.web")
T = TypeVar("T")


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: committed when the handler succeeds, rolled back otherwise.
    Requests that change things are writers (on SQLite they wait for the write lock)."""
    state = request.app.state
    factory = state.sessionmaker if request.method in READ_METHODS else state.write_sessionmaker
    with session_scope(factory) as session:
        yield session


DbSession = Annotated[Session, Depends(get_session, scope="function")]


def get_read_session(request: Request) -> Iterator[Session]:
    """A reader's session whatever the method: for a POST that only forwards an action to another
    process writing to the same database (a SIP node auditing it), which on SQLite would wait
    for the write lock a writer's session holds until the request ends."""
    with session_scope(request.app.state.sessionmaker) as session:
        yield session


ReadSession = Annotated[Session, Depends(get_read_session, scope="function")]


# A Core connection, for the routes that run a lookup on one (routes import no SQLAlchemy).
DbConnection = Connection


def run_in_connection(request: Request, fn: Callable[[Connection], T]) -> T:
    """``fn(conn)`` on one Core connection of the app's engine, committed on success and rolled
    back otherwise: for the hot public reads, where an ORM session's bookkeeping would cost more
    than the query (docs/performance.md). Run it in the thread pool."""
    with request.app.state.engine.connect() as conn:
        result = fn(conn)
        conn.commit()
        return result


def json_response(content: Any, status_code: int = 200) -> Response:
    """A JSON answer encoded once, by the standard encoder (UTF-8, no ASCII escapes): the hot
    public routes return it so FastAPI does not validate and re-encode through their
    ``response_model`` (which stays for the documentation and the tests)."""
    body = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=status_code, media_type="application/json")


async def get_settings(request: Request) -> Settings:
    # async: FastAPI runs a plain ``def`` dependency in the thread pool, a hop per request.
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_settings)]


SESSION_COOKIE = "minsheng_session"


def bearer_token(request: Request) -> str | None:
    """The ``Authorization: Bearer`` token, if any. Cookies are never tokens."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def identify(request: Request, session: Session) -> Principal:
    """Who sent the request: a bearer token anywhere; on the pages (never ``/api/*``) also the
    web-session cookie. Unauthorized when neither is valid."""
    now = utcnow()
    token = bearer_token(request)
    if token:
        return authenticate(session, token, now=now)
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id and not is_api(request):
        return session_principal(session, session_id, now=now)
    raise Unauthorized("a bearer token is required", field="Authorization")


def require_role(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency accepting staff with one of ``roles`` (admins always)."""

    def lookup(request: Request) -> Principal:
        factory = request.app.state.sessionmaker
        with session_scope(factory) as session:
            return identify(request, session)

    async def dependency(request: Request) -> Principal:
        # Async so that the scope set here stays in the request's context (the handler runs
        # in a copy of it): every audit row of the request records the user's scope.
        principal = await run_in_threadpool(lookup, request)
        check_role(principal, roles)
        request.state.principal = principal
        audit.current_scope.set(principal.scope.audit_text())
        return principal

    return dependency


def client_address(request: Request) -> str:
    """The client's address, for rate limits and logs.

    ``X-Forwarded-For`` is believed only when the connection comes from one of the configured
    ``trusted_proxies`` (none by default); then the right-most address that is not itself a
    trusted proxy is the client. Anyone else can write any header, so it is ignored.
    """
    peer = request.client.host if request.client else "unknown"
    settings: Settings = request.app.state.settings
    networks = settings.trusted_proxy_networks
    if not networks or not _in_networks(peer, networks):
        return peer
    hops = [
        part.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for part in header.split(",")
        if part.strip()
    ]
    for hop in reversed(hops):
        if not _in_networks(hop, networks):
            return hop if _is_address(hop) else peer
    return hops[0] if hops else peer


def _is_address(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


def _in_networks(text: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        address = ip_address(text)
    except ValueError:
        return False
    return any(address in network for network in networks)


client_id = client_address


def public_url(request: Request, path: str) -> str:
    """An absolute link for people outside (QR codes, verification links), built from the
    ``public_base_url`` setting, never from the request's Host header."""
    settings: Settings = request.app.state.settings
    return settings.effective_public_base_url + "/" + path.lstrip("/")


def install(app: FastAPI, settings: Settings) -> None:
    """Register the middleware and error handlers on an app."""
    # Added innermost first: the catch-all ends up outermost (see core.guard).
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(
        SecurityHeadersMiddleware,
        hsts=settings.effective_public_base_url.startswith("https://"),
    )
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(i18n.LocaleMiddleware)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)

    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        headers = {}
        if isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(exc.retry_after_s)
        return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        missing = not_migrated(exc, request.app.state.settings)
        if missing is not None:
            log.error("%s", missing.detail)
            return JSONResponse(missing.to_dict(), status_code=missing.status_code)
        if isinstance(exc, OperationalError):
            # A lock wait that ran out (SQLite) or a lost connection: the request changed
            # nothing (its transaction rolled back) and may be sent again.
            text = str(exc.orig).lower()
            busy = "locked" in text or "busy" in text
            state = "busy" if busy else "unavailable"
            log.warning("database %s: %s", state, type(exc.orig).__name__)
            name = "DatabaseBusy" if busy else "DatabaseUnavailable"
            detail = (
                "the database is busy; nothing was changed, please try again"
                if busy
                else "the database is unavailable; nothing was changed, please try again later"
            )
            return JSONResponse(
                error_body(name, detail, status_code=503),
                status_code=503,
                headers={"Retry-After": "1"},
            )
        if isinstance(exc, IntegrityError):
            # Two requests raced past a uniqueness check; never echo the values (PII).
            log.warning("integrity conflict: %s", type(exc.orig).__name__)
            return JSONResponse(
                error_body(
                    "Conflict",
                    "the change conflicts with data saved meanwhile; reload",
                    status_code=409,
                ),
                status_code=409,
            )
        raise exc  # the catch-all (core.guard) answers 500 with the standard body

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first: dict[str, Any] = errors[0] if errors else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e.get('msg')}"
            for e in errors
        )
        body = error_body("ValidationError", detail, ".".join(loc) or None, status_code=422)
        body["errors"] = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "msg": e["msg"]}
            for e in errors
        ]
        return JSONResponse(body, status_code=422)

    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]


HTTP_ERROR_NAMES = {
    400: "BadRequest",
    404: "NotFound",
    405: "MethodNotAllowed",
    401: "Unauthorized",
    413: "PayloadTooLarge",
}


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """A framework error (no route, wrong method) as the standard JSON error body."""
    name = HTTP_ERROR_NAMES.get(exc.status_code, "HTTPError")
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        # Starlette names the methods of the first route matching the path only; a path
        # served by several routes (GET and POST apart) allows all of theirs.
        methods = allowed_methods(request.app.routes, request.url.path)
        if methods:
            headers["Allow"] = ", ".join(methods)
    return JSONResponse(
        error_body(name, str(exc.detail), status_code=exc.status_code),
        status_code=exc.status_code,
        headers=headers or None,
    )

"""HTTP plumbing shared by every system's router: the session and auth dependencies, the
request-id middleware and the error handlers that render every failure the same way.

Use in a router::

    from minsheng.core.web import DbSession, require_role
    @router.post("/things")
    def create(data: ThingCreate, session: DbSession,
               user: Annotated[Principal, Depends(require_role(Role.HOTLINE))]): ...
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from minsheng.core import audit
from minsheng.core.auth import Principal, Role, authenticate, check_role
from minsheng.core.config import Settings
from minsheng.core.db import not_migrated, session_scope
from minsheng.core.errors import DomainError, TooManyRequests, error_body

log = logging.getLogger("minsheng.web")


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: committed when the handler succeeds, rolled back otherwise."""
    with session_scope(request.app.state.sessionmaker) as session:
        yield session


DbSession = Annotated[Session, Depends(get_session, scope="function")]


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_settings)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    cookie = request.cookies.get("minsheng_token")
    return cookie or None


def require_role(*roles: Role) -> Callable[..., Principal]:
    """A dependency accepting staff with one of ``roles`` (admins always)."""

    def dependency(request: Request) -> Principal:
        factory = request.app.state.sessionmaker
        with session_scope(factory) as session:
            principal = authenticate(session, bearer_token(request))
        check_role(principal, roles)
        request.state.principal = principal
        return principal

    return dependency


def client_id(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def install(app: FastAPI) -> None:
    """Register the middleware and error handlers on an app."""

    @app.middleware("http")
    async def request_id_middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        rid = request.headers.get("x-request-id") or audit.new_request_id()
        token = audit.current_request_id.set(rid[:64])
        try:
            response = await call_next(request)
        finally:
            audit.current_request_id.reset(token)
        response.headers["X-Request-ID"] = rid[:64]
        return response

    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        headers = {}
        if isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(exc.retry_after_s)
        return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        missing = not_migrated(exc, request.app.state.settings)
        if missing is None:
            raise exc
        log.error("%s", missing.detail)
        return JSONResponse(missing.to_dict(), status_code=missing.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first: dict[str, Any] = errors[0] if errors else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e.get('msg')}"
            for e in errors
        )
        body = error_body("ValidationError", detail, ".".join(loc) or None)
        body["errors"] = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "msg": e["msg"]}
            for e in errors
        ]
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {404: "NotFound", 405: "MethodNotAllowed", 401: "Unauthorized"}
        name = names.get(exc.status_code, "HTTPError")
        return JSONResponse(
            error_body(name, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

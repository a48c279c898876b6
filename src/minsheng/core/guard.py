"""ASGI middleware around the whole app (docs/security.md): request-body limits checked before a
body is read, security headers on every response, and a last handler that turns any unexpected
error into the standard error body.

Order, outermost first: ``RequestIdMiddleware`` → ``CatchAllMiddleware`` →
``SecurityHeadersMiddleware`` → ``BodyLimitMiddleware`` → the app. So even a 413 or a 500 carries
the security headers and the request id.

All of them are plain ASGI callables: Starlette's ``BaseHTTPMiddleware`` (``@app.middleware``)
runs the rest of the app in a task with memory streams between, which cost a third of the time
of a verification request (docs/performance.md).
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minsheng.core import audit
from minsheng.core.errors import error_body

log = logging.getLogger("minsheng.web.errors")

# The pages and the API: no inline script anywhere (htmx is served from /static), styles from
# /static plus style attributes, no framing, forms post only here.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# The interactive docs (/docs): the app's own copy of Swagger UI, started from a static script;
# Swagger UI styles elements inline and may start a web worker from a blob.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
# Content types a browser may show inline; anything else is sent as a download.
INLINE_TYPES = ("text/html", "text/css", "text/plain", "application/json", "image/", "text/csv")
INLINE_SCRIPTS = ("application/javascript", "text/javascript")


async def send_json(send: Send, status: int, body: dict[str, Any], headers: list[Any]) -> None:
    data = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


class RequestIdMiddleware:
    """The request id (the client's ``X-Request-ID``, cut to 64 characters, or a new one) in
    ``audit.current_request_id`` while the request runs, and in the answer's ``X-Request-ID``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ""
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                rid = value.decode("latin-1")[:64]
                break
        rid = rid or audit.new_request_id()
        raw = rid.encode("latin-1")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(n, v) for n, v in message.get("headers", ()) if n != b"x-request-id"]
                headers.append((b"x-request-id", raw))
                message = {**message, "headers": headers}
            await send(message)

        token = audit.current_request_id.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            audit.current_request_id.reset(token)


class BodyTooLarge(HTTPException):
    """Raised while a body streams in past the route's cap (FastAPI passes HTTPExceptions
    through its body parsing, so this is a 413 wherever it surfaces)."""

    def __init__(self, cap: int) -> None:
        super().__init__(413, f"request body larger than {cap} bytes")
        self.cap = cap


def is_upload_path(path: str) -> bool:
    """Routes that take files: the imports and case evidence (``max_upload_bytes``)."""
    return path.endswith("/import") or path.endswith("/evidence")


class BodyLimitMiddleware:
    """Refuse a body over the route's cap with 413 before reading it (``Content-Length``), and
    stop reading a streamed (chunked) body as soon as it passes the cap."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_upload_bytes: int,
        is_upload: Callable[[str], bool] = is_upload_path,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.is_upload = is_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        cap = self.max_upload_bytes if self.is_upload(path) else self.max_body_bytes
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = cap + 1
                if declared > cap:
                    await self._refuse(send, cap)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise BodyTooLarge(cap)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, cap)

    @staticmethod
    async def _refuse(send: Send, cap: int) -> None:
        body = error_body("PayloadTooLarge", f"request body larger than {cap} bytes", "body")
        body["message"] = "请求内容过长"
        body["max_bytes"] = cap
        await send_json(send, 413, body, [(b"connection", b"close")])


class SecurityHeadersMiddleware:
    """CSP, nosniff, no framing and a same-origin referrer on every response; downloads of
    anything a browser could run or render as a page are attachments."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts
        # Encoded once: the same headers go on every response.
        self._pages = self._encoded(CSP)
        self._docs = self._encoded(DOCS_CSP)

    def _encoded(self, csp: str) -> list[tuple[bytes, bytes]]:
        pairs = {"content-security-policy": csp, **SECURITY_HEADERS}
        if self.hsts:
            pairs["strict-transport-security"] = "max-age=31536000"
        return [(k.encode(), v.encode()) for k, v in pairs.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        fixed = self._docs if path in DOCS_PATHS else self._pages

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                content_type = next(
                    (v.decode("latin-1").lower() for n, v in headers if n == b"content-type"),
                    "",
                )
                inline = (
                    content_type.startswith(INLINE_TYPES)
                    and not content_type.startswith("image/svg")  # SVG can carry script
                ) or (
                    content_type.startswith((*INLINE_SCRIPTS, "image/svg"))
                    and path.startswith("/static/")
                )
                extra = fixed
                # Only a response that carries content can be "opened"; redirects and 204s not.
                if not inline and message.get("status") in (200, 206):
                    extra = [*fixed, (b"content-disposition", b"attachment")]
                headers.extend(pair for pair in extra if pair[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CatchAllMiddleware:
    """Any exception nothing else handled: logged (redacted, with the request id) and answered
    as ``{"error": "InternalError", "detail", "field"}`` with 500, never a plain-text page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            rid = _request_id(scope)
            log.exception(
                "unhandled error in %s %s (request %s)", scope.get("method"), scope.get("path"), rid
            )
            if started:
                return
            body = error_body(
                "InternalError",
                f"an unexpected error occurred; it has been logged as request {rid}",
            )
            body["request_id"] = rid
            headers = [(b"x-request-id", rid.encode()), *_security_headers(scope.get("path", ""))]
            if _wants_page(scope):
                page = ERROR_PAGE.format(rid=html.escape(rid)).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"text/html; charset=utf-8"),
                            (b"content-length", str(len(page)).encode()),
                            *headers,
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": page})
                return
            await send_json(send, 500, body, headers)


ERROR_PAGE = (
    '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>服务器出错 · 民生</title>'
    '<link rel="stylesheet" href="/static/app.css"><main><h1>服务器出错</h1>'
    "<p>处理您的请求时发生了意外错误，我们已记录（编号 {rid}）。请稍后再试。</p>"
    '<p><a href="/">返回首页</a></p></main></html>'
)


def _request_id(scope: Scope) -> str:
    current = audit.current_request_id.get()
    if current:
        return current
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id" and value:
            return str(value.decode("latin-1"))[:64]
    return audit.new_request_id()


def _wants_page(scope: Scope) -> bool:
    """A browser asking for a page (not the API) gets an HTML error page."""
    if str(scope.get("path", "")).startswith("/api/"):
        return False
    accept = b"".join(v for n, v in scope.get("headers", ()) if n == b"accept")
    return b"text/html" in accept


def _security_headers(path: str) -> list[tuple[bytes, bytes]]:
    csp = DOCS_CSP if path in DOCS_PATHS else CSP
    pairs = {"content-security-policy": csp, **SECURITY_HEADERS}
    return [(k.encode(), v.encode()) for k, v in pairs.items()]

"""How the web pages render: the Jinja2 environment, the route class that turns every failure
inside a page into an HTML error page (or a redirect to the staff login), form state with errors
beside their named field, and the CSRF token of staff forms.

The pages call the systems' services directly (never over HTTP) and show the same data and the
same named errors (``detail`` beside ``field``) as the API.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from minsheng.core import i18n, regions, timeutil
from minsheng.core.auth import Principal, Role
from minsheng.core.config import Settings
from minsheng.core.db import session_scope
from minsheng.core.errors import DomainError, Forbidden, TooManyRequests, Unauthorized
from minsheng.core.scope import Scope
from minsheng.core.web import SESSION_COOKIE, DbSession, bearer_token, identify
from minsheng.web import messages

log = logging.getLogger("minsheng.web.pages")

TEMPLATES = Path(__file__).parent / "templates"
COOKIE = SESSION_COOKIE
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

# Where each role lands after logging in, and the label of its system.
ROLE_HOME = {
    Role.HOTLINE: "/staff/hotline",
    Role.CERTIFICATION: "/staff/certification",
    Role.ENFORCEMENT: "/staff/enforcement",
    Role.ADMIN: "/staff",
}
# Chinese source text: the templates translate it (``_(ROLE_LABEL[role])``).
ROLE_LABEL = {
    Role.ADMIN: i18n.N_("管理员"),
    Role.HOTLINE: i18n.N_("12356 热线"),
    Role.CERTIFICATION: i18n.N_("职业技能等级证书"),
    Role.ENFORCEMENT: i18n.N_("承诺+执法"),
}

# A headline for each kind of refusal (catalogue ``status.<code>``), kept as a mapping for the
# pages that name a status themselves.
STATUS_TITLE = {code: i18n.chinese(key) for code, key in i18n.STATUS_KEYS.items()}


def status_title(status_code: int) -> str:
    return i18n.status_title(status_code)


def _number(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, int | float):
        return f"{value:,.{digits}f}"
    return str(value)


def _percent(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.{digits}f}%"


MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _written_date(value: date | datetime) -> str:
    """A date (a moment: its Beijing day) as the reader writes it: 2026年12月1日, or 1 Dec 2026
    for an English reader (no locale-dependent strftime: the machine's locale is not the
    reader's)."""
    if i18n.current_locale.get() != i18n.ENGLISH:
        return str(timeutil.date_cn(value))
    day = timeutil.to_beijing(value).date() if isinstance(value, datetime) else value
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def _date_cn(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime | date):
        return _written_date(value)
    return str(value)


def _datetime_cn(value: Any) -> str:
    """Beijing time, written the reader's way (Chinese, or English when asked for); a plain
    date stays a date."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        return f"{_written_date(value)} {timeutil.to_beijing(value):%H:%M}"
    if isinstance(value, date):
        return _written_date(value)
    return str(value)


def _time_cn(value: Any) -> str:
    """``08:30`` of a stored (UTC) moment, in Beijing time."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        return f"{timeutil.to_beijing(value):%H:%M}"
    return "—" if value is None else str(value)


def _province_name(code: str | None) -> str:
    """``46`` or ``460000`` → 海南省 (the code itself when unknown)."""
    if not code:
        return ""
    found = regions.table().get(str(code)[:2] + "0000")
    return found.name if found else str(code)


province_name = _province_name


def _clock_cn(value: Any) -> str:
    """``08:30:05`` of a stored (UTC) moment, in Beijing time."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        return f"{timeutil.to_beijing(value):%H:%M:%S}"
    return "—" if value is None else str(value)


def _make_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    env.filters["number"] = _number
    env.filters["percent"] = _percent
    env.filters["date_cn"] = _date_cn
    env.filters["datetime_cn"] = _datetime_cn
    env.filters["time_cn"] = _time_cn
    env.filters["clock_cn"] = _clock_cn
    env.filters["msg"] = messages.text_of_key
    env.filters["tr"] = messages.translate
    env.filters["reason"] = messages.rule_reason
    env.filters["variant"] = messages.variant_label
    env.globals["msg"] = i18n.message
    env.globals["current_locale"] = i18n.current_locale.get
    env.globals["HTML_LANG"] = i18n.HTML_LANG
    env.globals["province_name"] = _province_name
    env.globals["ROLE_LABEL"] = ROLE_LABEL
    env.globals["ROLE_HOME"] = ROLE_HOME
    return env


ENV = _make_env()


# Who is looking -----------------------------------------------------------------------------


def optional_principal(request: Request) -> Principal | None:
    """The logged-in staff user, if the request carries a live web session (or a bearer
    token); public pages then show the staff menu."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    if not (bearer_token(request) or request.cookies.get(COOKIE)):
        return None
    try:
        with session_scope(request.app.state.sessionmaker) as session:
            principal = identify(request, session)
    except Unauthorized:
        return None
    request.state.principal = principal
    return principal


def staff_scope(request: Request) -> Scope:
    """The scope (region, bureau) of the staff member ``require_role`` let in on this request."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise Unauthorized("please log in", field="session")
    return principal.scope


def csrf_token(request: Request) -> str:
    """The token a staff form must send back: a keyed hash of the web session's id."""
    settings: Settings = request.app.state.settings
    secret = request.cookies.get(COOKIE) or bearer_token(request) or ""
    return hmac.new(settings.hmac_key, f"csrf:{secret}".encode(), "sha256").hexdigest()


def check_csrf(request: Request, sent: str | None) -> None:
    """Refuse a staff POST whose form (or htmx header) lacks this session's CSRF token."""
    sent = sent or request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent, csrf_token(request)):
        raise Forbidden("表单已过期或来源不明，请刷新页面后重试 (CSRF token missing or wrong)")


# Rendering ----------------------------------------------------------------------------------


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    principal = optional_principal(request)
    locale = i18n.current_locale.get()
    ctx: dict[str, Any] = {
        "locale": locale,
        "html_lang": i18n.HTML_LANG[locale],
        "request": request,
        "user": principal,
        "csrf": csrf_token(request) if principal else "",
        "path": request.url.path,
    }
    ctx.update(context or {})
    html = ENV.get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))


def error_page(
    request: Request,
    status_code: int,
    detail: str,
    *,
    error: str = "",
    field_name: str | None = None,
    headers: Mapping[str, str] | None = None,
    bases: tuple[str, ...] = (),
) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {
            "status": status_code,
            "title": i18n.status_title(status_code),
            "error": error,
            "detail": messages.error_text(error, status_code, detail, bases=bases),
            "field": field_name,
        },
        status_code=status_code,
        headers=headers,
    )


def error_text(exc: DomainError) -> str:
    """What a page shows for a domain error, in the reader's language (web/messages.py)."""
    return messages.error_text(
        exc.name, exc.status_code, exc.detail, bases=messages.error_bases(exc)
    )


def login_redirect(request: Request) -> Response:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    login = f"/staff/login?next={quote(target, safe='')}"
    if request.headers.get("hx-request"):
        # An htmx poll whose login expired: send the whole page to the login form instead of
        # swapping the form into the board.
        return Response(status_code=204, headers={"HX-Redirect": login})
    return RedirectResponse(login, status_code=303)


class PageRoute(APIRoute):
    """An APIRoute whose failures become pages: a missing login redirects to the login form,
    any other domain error (and framework 404/422) renders ``error.html`` with its status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except Unauthorized:
                return login_redirect(request)
            except DomainError as exc:
                headers = {}
                if isinstance(exc, TooManyRequests):
                    headers["Retry-After"] = str(exc.retry_after_s)
                return await run_in_threadpool(
                    error_page,
                    request,
                    exc.status_code,
                    exc.detail,
                    error=exc.name,
                    field_name=exc.field,
                    headers=headers,
                    bases=messages.error_bases(exc),
                )
            except RequestValidationError as exc:
                detail = "；".join(
                    f"{messages.field_label(e.get('loc', ())[1:])}：{i18n.validation_message(e)}"
                    for e in exc.errors()
                )
                return await run_in_threadpool(
                    error_page, request, 422, detail, error="ValidationError"
                )
            except StarletteHTTPException as exc:
                return await run_in_threadpool(
                    error_page, request, exc.status_code, str(exc.detail), error="HTTPError"
                )

        return handler


# Forms ----------------------------------------------------------------------------------------


@dataclass
class Form:
    """What a form shows: the values typed, an error per field, and errors naming no field."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    error_name: str = ""
    fields: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.general

    def value(self, name: str, default: Any = "") -> Any:
        return self.values.get(name, default)

    def add(self, field_name: str | None, detail: str) -> None:
        """Put ``detail`` beside its field; errors naming several fields (``a+b``) or a field
        the form does not show go to the top of the form."""
        if field_name and field_name in self.fields and field_name not in self.errors:
            self.errors[field_name] = detail
        elif field_name and "+" in field_name:
            for part in field_name.split("+"):
                if part in self.fields and part not in self.errors:
                    self.errors[part] = detail
            self.general.append(detail)
        else:
            self.general.append(detail)

    def add_domain(self, exc: DomainError) -> None:
        self.error_name = exc.name
        self.extra = dict(exc.extra)
        failures = exc.extra.get("failures")
        if isinstance(failures, list) and failures:
            # A refusal naming every failed rule (e.g. issuance): each beside its own field.
            for failure in failures:
                # Each refusal names the rule that decided it (the rule id is an identifier).
                text = messages.rule_reason(failure)
                self.add(failure.get("field"), f"{text}（规则 {failure['rule']}）")
            return
        self.add(
            exc.field,
            messages.error_text(
                exc.name, exc.status_code, exc.detail, bases=messages.error_bases(exc)
            ),
        )

    def add_validation(self, exc: ValidationError, *, prefix: Iterable[str] = ()) -> None:
        skip = set(prefix)
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ()) if str(p) not in skip]
            name = loc[0] if loc else None
            text = i18n.validation_message(e)
            if name not in self.fields and loc:
                text = f"{messages.field_label(loc)}：{text}"
            self.add(name, text)
        self.error_name = "ValidationError"


def blank_to_none(values: Mapping[str, str]) -> dict[str, str | None]:
    return {k: (v.strip() or None) for k, v in values.items()}


def rollback_on_error(session: DbSession) -> None:
    """A refused form changes nothing, exactly as a refused API call rolls back."""
    session.rollback()


def form_action(
    session: DbSession,
    form: Form,
    run: Callable[[], str | Response],
    on_error: Callable[[Form, int], Response],
) -> Response:
    """The one way a staff form is handled: ``run`` validates the typed values into the request
    schema and calls the service, returning where to go next (a 303 redirect there) or, for a
    form whose answer is a page of its own (an issued certificate), that page. A schema
    failure puts each message beside its field (422); a ``DomainError`` rolls the session back
    and puts the error beside the field it names, with the error's own status. Either way
    ``on_error(form, status)`` re-renders the page with the form and what was typed.

    Check the CSRF token before calling this (a forged form gets the 403 page, not the form).
    """
    try:
        target = run()
    except ValidationError as exc:
        rollback_on_error(session)
        form.add_validation(exc)
        return on_error(form, 422)
    except DomainError as exc:
        rollback_on_error(session)
        form.add_domain(exc)
        return on_error(form, exc.status_code)
    if isinstance(target, Response):
        return target
    return RedirectResponse(target, status_code=303)


def safe_next(target: str | None, default: str) -> str:
    """Only local paths may follow a login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return default


def markup(text: str) -> Markup:
    return Markup(text)  # noqa: S704 - only for SVG this package builds itself (escaped inside)

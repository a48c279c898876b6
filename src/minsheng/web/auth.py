"""Staff login with an API token, logout and the staff start page.

The token is the one ``minsheng users create NAME --role ROLE`` prints. Logging in opens a
server-side web session (``core.auth.start_web_session``): the HttpOnly, ``SameSite=Strict``
cookie holds only that session's random id, never the token; the session lasts
``web_session_minutes`` and logging out revokes it. The cookie opens the pages only (the JSON API
takes bearer tokens), and every staff form also carries a CSRF token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from minsheng.core.auth import Principal, Role, check_role, end_web_session, start_web_session
from minsheng.core.errors import Forbidden, Unauthorized
from minsheng.core.web import DbSession, require_role
from minsheng.web import render as r
from minsheng.web.render import PageRoute

router = APIRouter(route_class=PageRoute)

AnyStaff = Annotated[Principal, Depends(require_role(*Role))]


@router.get("/staff/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "") -> HTMLResponse:
    form = r.Form(fields=("token",))
    return r.render(request, "login.html", {"title": "工作人员登录", "form": form, "next": next})


@router.post("/staff/login", response_model=None)
def login(
    request: Request,
    session: DbSession,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    form = r.Form(fields=("token",))
    settings = request.app.state.settings
    lifetime = timedelta(minutes=settings.web_session_minutes)
    try:
        principal, session_id = start_web_session(session, token.strip(), lifetime=lifetime)
    except Unauthorized as exc:
        message = "令牌无效或已停用。" + exc.detail if token.strip() else "请输入访问令牌。"
        form.add("token", message)
        return r.render(
            request,
            "login.html",
            {"title": "工作人员登录", "form": form, "next": next},
            status_code=401,
        )
    target = r.safe_next(next, r.ROLE_HOME[principal.role])
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        r.COOKIE,
        session_id,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/staff/logout", response_model=None)
def logout(
    request: Request, session: DbSession, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    session_id = request.cookies.get(r.COOKIE)
    if r.optional_principal(request) is not None:
        r.check_csrf(request, csrf_token)
        if session_id:
            end_web_session(session, session_id)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(r.COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/staff", response_class=HTMLResponse)
def staff_home(request: Request, user: AnyStaff) -> HTMLResponse:
    systems = []
    for role in (Role.HOTLINE, Role.CERTIFICATION, Role.ENFORCEMENT):
        try:
            check_role(user, (role,))
        except Forbidden:  # this user does not see that system
            continue
        systems.append((role, r.ROLE_HOME[role]))
    return r.render(request, "staff/index.html", {"title": "工作台", "systems": systems})

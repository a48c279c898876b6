"""Staff page of the 12356 hotline directory (role ``hotline``): the lines in the staff member's
scope with their regions, hours, seats and whether each records its answered calls, and the
switch of that recording setting (with a reason, audited ``hotline.recording.setting`` by
``hotline.service.set_hotline_recording``). A line outside the scope answers 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from minsheng.core import i18n
from minsheng.core.auth import Principal, Role
from minsheng.core.errors import DomainError
from minsheng.core.i18n import N_
from minsheng.core.scope import Scope
from minsheng.core.web import DbSession, require_role
from minsheng.hotline import service as hotline_service
from minsheng.web import render as r
from minsheng.web.render import PageRoute

router = APIRouter(route_class=PageRoute, prefix="/staff/hotline/lines")
Staff = Annotated[Principal, Depends(require_role(Role.HOTLINE))]

LEVEL_LABEL = {"city": N_("地市"), "province": N_("省级"), "national": N_("国家备用")}


def _lines(session: DbSession, scope: Scope) -> list[dict[str, Any]]:
    rows = []
    for h in hotline_service.list_hotlines(session, scope=scope):
        d = hotline_service.hotline_dict(h)
        d["level_cn"] = (
            i18n.gettext(LEVEL_LABEL[d["level"]]) if d["level"] in LEVEL_LABEL else d["level"]
        )
        hours = set(d["hours"].values())
        d["hours_cn"] = next(iter(hours)) if len(hours) == 1 else i18n.gettext("按星期不同")
        rows.append(d)
    return rows


def _page(
    request: Request,
    session: DbSession,
    user: Principal,
    *,
    message: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    return r.render(
        request,
        "staff/hotline/lines.html",
        {
            "title": i18n.gettext("热线目录"),
            "lines": _lines(session, user.scope),
            "message": message,
            "error": error,
        },
        status_code=status,
    )


@router.get("", response_class=HTMLResponse)
def lines(request: Request, session: DbSession, user: Staff) -> HTMLResponse:
    """The lines in scope, each with its recording setting."""
    return _page(request, session, user)


@router.post("/{hotline_id}/recording", response_class=HTMLResponse)
def set_recording(
    request: Request,
    hotline_id: str,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    recording: Annotated[str, Form()] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    """Turn a line's recording on (``recording=on``) or off, audited with the reason."""
    r.check_csrf(request, csrf_token)
    on = recording == "on"
    try:
        h = hotline_service.set_hotline_recording(
            session, hotline_id, on, actor=user.actor, reason=reason, scope=user.scope
        )
    except DomainError as exc:
        r.rollback_on_error(session)
        if exc.status_code == 404:
            raise
        return _page(request, session, user, error=r.error_text(exc), status=exc.status_code)
    said = N_("{name}：通话录音已开启。") if on else N_("{name}：通话录音已关闭。")
    return _page(request, session, user, message=i18n.localise(said, name=h.name))

"""Staff pages of the 12356 hotline's call recordings (role ``hotline``): the answered calls that
have a recording, and a player for one. Playing asks for a reason, which is audited
(``hotline.recording.play``); the page then plays (or downloads) the recording decrypted in memory
by ``hotline.service.recordings`` — nothing decrypted is ever written to disk. A staff member
scoped to a province or city sees only the recordings of calls answered by a line in the scope
(others answer 404, like every out-of-scope read).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse

from minsheng.core import i18n, timeutil
from minsheng.core.auth import Principal, Role
from minsheng.core.errors import DomainError
from minsheng.core.web import AppSettings, DbSession, require_role
from minsheng.hotline import service as hotline_service
from minsheng.hotline.service import recordings
from minsheng.web import render as r
from minsheng.web.render import PageRoute

router = APIRouter(route_class=PageRoute, prefix="/staff/hotline/recordings")
Staff = Annotated[Principal, Depends(require_role(Role.HOTLINE))]


@router.get("", response_class=HTMLResponse)
def recorded_calls(
    request: Request, session: DbSession, settings: AppSettings, user: Staff, hotline: str = ""
) -> HTMLResponse:
    """The latest answered calls that have a recording."""
    calls = recordings.recorded_calls(
        session, settings, hotline_id=hotline.strip() or None, scope=user.scope
    )
    rows = [hotline_service.call_dict(c, attempts=False) for c in calls]
    names = dict(hotline_service.hotline_choices(session, scope=user.scope))
    return r.render(
        request,
        "staff/hotline/recordings.html",
        {
            "title": i18n.gettext("通话录音"),
            "calls": rows,
            "hotline": hotline,
            "hotline_names": names,
        },
    )


def _player(
    request: Request, call: dict[str, object], *, error: str = "", src: str = "", status: int = 200
) -> HTMLResponse:
    return r.render(
        request,
        "staff/hotline/recording.html",
        {"title": i18n.gettext("通话录音回放"), "call": call, "error": error, "src": src},
        status_code=status,
    )


@router.get("/{call_ref}", response_class=HTMLResponse)
def player(request: Request, call_ref: str, session: DbSession, user: Staff) -> HTMLResponse:
    """Ask why the recording is to be played."""
    found = recordings.get_recorded_call(session, call_ref, scope=user.scope)
    return _player(request, hotline_service.call_dict(found, attempts=False))


@router.post("/{call_ref}", response_class=HTMLResponse)
def play(
    request: Request,
    call_ref: str,
    session: DbSession,
    settings: AppSettings,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    """Audit the playback with its reason, then give the page its audio player."""
    r.check_csrf(request, csrf_token)
    try:
        call, grant = recordings.open_recording(
            session,
            settings,
            call_ref,
            reason=reason,
            actor=user.actor,
            now=timeutil.now(),
            scope=user.scope,
        )
    except DomainError as exc:
        r.rollback_on_error(session)
        found = recordings.get_recorded_call(session, call_ref, scope=user.scope)
        return _player(
            request,
            hotline_service.call_dict(found, attempts=False),
            error=f"{exc.detail} ({exc.field})",
            status=exc.status_code,
        )
    src = f"/staff/hotline/recordings/{quote(call_ref, safe='')}/audio?grant={quote(grant)}"
    return _player(request, hotline_service.call_dict(call, attempts=False), src=src)


@router.get("/{call_ref}/audio")
def audio(
    call_ref: str,
    session: DbSession,
    settings: AppSettings,
    user: Staff,
    grant: Annotated[str, Query(max_length=200)] = "",
    download: bool = False,
) -> Response:
    """The recording as WAV, decrypted in memory for a valid grant (never cached)."""
    wav = recordings.read_recording(
        session,
        settings,
        call_ref,
        grant=grant,
        actor=user.actor,
        now=timeutil.now(),
        scope=user.scope,
    )
    disposition = "attachment" if download else "inline"
    return Response(
        wav,
        media_type="audio/wav",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'{disposition}; filename="recording.wav"',
        },
    )

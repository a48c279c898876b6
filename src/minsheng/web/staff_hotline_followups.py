"""Staff page of the hotline's crisis follow-ups (role ``hotline``): the follow-up tasks that a
risk assessment created, as lists of those due, those overdue and all, each with a form to mark
it done with a note of what the call-back found.

Everything goes through ``hotline.service`` (``list_followups``, ``complete_followup``), the
functions behind ``GET /api/hotline/followups`` and ``POST …/followups/{id}/done``: the same
region scope, and completing a task is audited (``hotline.followup_done``) and redacts the note.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from minsheng.core import i18n, timeutil
from minsheng.core.auth import Principal, Role
from minsheng.core.i18n import N_
from minsheng.core.web import DbSession, require_role
from minsheng.hotline import service as hotline_service
from minsheng.hotline.rules.risk import FOLLOW_UP_POLICY
from minsheng.hotline.schemas import FollowUpDone
from minsheng.web import render as r
from minsheng.web.render import PageRoute

router = APIRouter(route_class=PageRoute, prefix="/staff/hotline/followups")
Staff = Annotated[Principal, Depends(require_role(Role.HOTLINE))]

VIEWS = {"open": N_("待回访"), "overdue": N_("已逾期"), "all": N_("全部")}
RISK_LABEL = {"high": N_("高危"), "medium": N_("中危"), "low": N_("低危"), "none": N_("无风险")}


def _page(
    request: Request,
    session: DbSession,
    user: Principal,
    view: str,
    *,
    form: r.Form | None = None,
    failed: int | None = None,
    done: str = "",
    status: int = 200,
) -> HTMLResponse:
    now = timeutil.now()
    view = view if view in VIEWS else "open"
    rows = hotline_service.list_followups(
        session,
        overdue_only=view == "overdue",
        open_only=view == "open",
        now=now,
        scope=user.scope,
    )
    # the counts of the tabs, so the supervisor sees at once how many are late
    every = hotline_service.list_followups(session, now=now, scope=user.scope)
    counts = {
        "open": sum(1 for f in every if f["done_at"] is None),
        "overdue": sum(1 for f in every if f["overdue"]),
        "all": len(every),
    }
    names = {h.id: h.name for h in hotline_service.list_hotlines(session)}
    ctx: dict[str, Any] = {
        "title": i18n.gettext("危机回访"),
        "rows": rows,
        "view": view,
        "views": i18n.localise_labels(VIEWS),
        "counts": counts,
        "names": names,
        "risk_label": i18n.localise_labels(RISK_LABEL),
        # the rule's label is Chinese source text the catalogue translates
        "policy": i18n.gettext(FOLLOW_UP_POLICY["label"]),
        "form": form or r.Form(values={}, fields=("note",)),
        "failed": failed,
        "done": done,
    }
    return r.render(request, "staff/hotline/followups.html", ctx, status_code=status)


@router.get("", response_class=HTMLResponse)
def followups(
    request: Request, session: DbSession, user: Staff, view: str = "open", done: str = ""
) -> HTMLResponse:
    """The follow-ups due (not done), overdue, or all, by due time."""
    return _page(request, session, user, view, done=done)


@router.post("/{followup_id}/done", response_class=HTMLResponse)
def mark_done(
    request: Request,
    followup_id: int,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    view: Annotated[str, Form()] = "open",
) -> Response:
    """Mark one follow-up done with its note (audited); back to the list it was done from."""
    r.check_csrf(request, csrf_token)
    form = r.Form(values={"note": note}, fields=("note",))
    view = view if view in VIEWS else "open"

    def run() -> str:
        data = FollowUpDone(note=note)
        hotline_service.complete_followup(
            session, followup_id, data.note, actor=user.actor, scope=user.scope
        )
        return f"/staff/hotline/followups?view={view}&done={followup_id}"

    def again(f: r.Form, status: int) -> HTMLResponse:
        return _page(request, session, user, view, form=f, failed=followup_id, status=status)

    return r.form_action(session, form, run, again)

"""Staff pages of the filed evaluation bodies (role ``certification``; a provincial clerk sees
and changes the bodies of their province only): the list with search, filing a body (备案) with
its scope of occupations × levels, changing that scope, and suspending, resuming or revoking a
body with a reason (suspending and revoking after a confirmation). Every change goes through
``certification.service`` and is audited there."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from minsheng.certification import service as cert_service
from minsheng.certification.rules.numbering import LEVELS
from minsheng.certification.schemas import BodyCreate, BodyScopeChange, BodyStatusChange
from minsheng.core import i18n
from minsheng.core.auth import Principal, Role
from minsheng.core.errors import DomainError, InvalidInput
from minsheng.core.i18n import N_
from minsheng.core.web import DbSession, require_role
from minsheng.web import render as r
from minsheng.web.render import PageRoute
from minsheng.web.staff_certification import level_labels

router = APIRouter(route_class=PageRoute, prefix="/staff/certification/bodies")
Staff = Annotated[Principal, Depends(require_role(Role.CERTIFICATION))]

# The occupation picker inside the two scope forms (search, levels to add).
PICKER_FIELDS = ("occ_q", "add_levels")
FILE_FIELDS = (
    "name", "body_type", "code", "province_code", "valid_from", "valid_to", "scope", *PICKER_FIELDS
)  # fmt: skip
SCOPE_FIELDS = ("scope", "reason", *PICKER_FIELDS)
STATUS_FIELDS = ("status", "reason")
MAX_QUERY = 100
MAX_SCOPE_LINES = 200
BODY_STATUSES = ("active", "suspended", "revoked")
LEVEL_SPLIT = re.compile(r"[,，、\s]+")
LINE_SPLIT = re.compile(r"[\s:：]+", re.U)
# What the body's page says after a change (Chinese source text, translated per request).
DONE = {
    "filed": N_("已备案。"),
    "scope": N_("评价范围已变更。"),
    "active": N_("已恢复正常。"),
    "suspended": N_("已暂停。"),
    "revoked": N_("已撤销备案。"),
}


def filed_with(view: dict[str, Any]) -> str:
    """Who a body is filed with (``body_to_dict``: the ministry, or a province's department), in
    the reader's language; the province keeps its name."""
    if view["code"] != "0000":
        return i18n.gettext("人力资源社会保障部")
    if view.get("province_name"):
        return i18n.localise("{province}人力资源社会保障部门", province=view["province_name"])
    return i18n.gettext("省级人力资源社会保障部门")


def _localised(view: dict[str, Any]) -> dict[str, Any]:
    return {**view, "filed_with_name": filed_with(view)}


def parse_scope(session: DbSession, text: str) -> list[dict[str, Any]]:
    """The scope as a clerk types it, one occupation a line: its code or exact name, then its
    levels (``4-09-07-04 3,4,5`` or ``碳排放管理员：5、4``). ``InvalidInput`` on ``scope``
    names the line that cannot be read."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise InvalidInput("请至少填写一个职业及其等级 (scope is empty)", field="scope")
    if len(lines) > MAX_SCOPE_LINES:
        raise InvalidInput(f"评价范围最多 {MAX_SCOPE_LINES} 行 (too many lines)", field="scope")
    items: dict[str, set[int]] = {}
    for number, line in enumerate(lines, start=1):
        parts = LINE_SPLIT.split(line, maxsplit=1)
        head, rest = (parts[0], parts[1]) if len(parts) == 2 else (parts[0], "")
        levels_text = [t for t in LEVEL_SPLIT.split(rest) if t]
        if not levels_text or not all(t.isdigit() and int(t) in LEVELS for t in levels_text):
            raise InvalidInput(
                f"第 {number} 行“{line}”：请写职业编码或名称，再写等级 1–5，如 4-09-07-04 3,4,5 "
                "(a line is an occupation and its levels)",
                field="scope",
            )
        try:
            code = cert_service.resolve_occupation(session, head)
        except DomainError:
            raise InvalidInput(
                f"第 {number} 行：没有编码或名称为“{head}”的职业 (unknown occupation)",
                field="scope",
            ) from None
        items.setdefault(code, set()).update(int(t) for t in levels_text)
    return [{"occupation_code": c, "levels": sorted(v)} for c, v in items.items()]


def scope_text(view: dict[str, Any]) -> str:
    return "\n".join(
        f"{s['occupation_code']} {','.join(str(lv) for lv in s['levels'])}" for s in view["scope"]
    )


def _render(
    request: Request, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    ctx: dict[str, Any] = {"levels": level_labels()}
    ctx.update(context)
    return r.render(request, f"staff/certification/{template}", ctx, status_code=status_code)


def pick(
    session: DbSession, form: r.Form, occ_q: str, add: str, add_levels: list[str]
) -> list[dict[str, Any]]:
    """The occupation picker of a scope form, answered without saving anything: the occupations
    found for ``occ_q`` (name or code), and, when one was chosen (``add``), its line at the
    ticked levels appended to the scope being typed. Everything typed is kept in ``form``."""
    query = occ_q.strip()[:MAX_QUERY]
    hits = cert_service.pick_occupations(session, query) if query else []
    levels = sorted({int(v) for v in add_levels if v.isdigit() and int(v) in LEVELS}, reverse=True)
    form.values.update(occ_q=query, add_levels=levels)
    if add:
        if not levels:
            form.add("add_levels", "请先勾选要加入的等级")
        elif not any(h["code"] == add for h in cert_service.pick_occupations(session, add)):
            form.add("occ_q", f"没有编码为“{add[:MAX_QUERY]}”的职业")
        else:
            typed = str(form.values.get("scope", "")).rstrip()
            line = f"{add} {','.join(str(lv) for lv in levels)}"
            form.values["scope"] = f"{typed}\n{line}" if typed else line
    return hits


@router.get("", response_class=HTMLResponse)
def bodies(
    request: Request, session: DbSession, user: Staff, q: str = "", status: str = ""
) -> HTMLResponse:
    query = q.strip()[:MAX_QUERY]
    wanted = status if status in BODY_STATUSES else ""
    rows = cert_service.list_body_views(
        session, query, scope=user.scope, status=wanted or None, limit=200
    )
    return _render(
        request,
        "bodies.html",
        title=i18n.gettext("评价机构"),
        rows=[_localised(row) for row in rows],
        q=query,
        status=wanted,
        statuses=BODY_STATUSES,
    )


def _file_page(
    request: Request,
    status_code: int = 200,
    *,
    form: r.Form,
    hits: list[dict[str, Any]] | None = None,
) -> HTMLResponse:
    return _render(
        request,
        "body_new.html",
        status_code,
        title=i18n.gettext("评价机构备案"),
        form=form,
        hits=hits or [],
    )


@router.get("/new", response_class=HTMLResponse)
def file_form(request: Request, session: DbSession, user: Staff) -> HTMLResponse:
    values = {"body_type": "S", "code": "0000", "province_code": user.scope.province2 or ""}
    return _file_page(request, form=r.Form(fields=FILE_FIELDS, values=values))


@router.post("/new", response_model=None)
def file_body(
    request: Request,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    body_type: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    province_code: Annotated[str, Form()] = "",
    valid_from: Annotated[str, Form()] = "",
    valid_to: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "",
    occ_q: Annotated[str, Form()] = "",
    add: Annotated[str, Form()] = "",
    add_levels: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """File the body; the picker's buttons (``action=find``, ``add``) only redraw the form."""
    r.check_csrf(request, csrf_token)
    typed = {
        "name": name,
        "body_type": body_type,
        "code": code,
        "province_code": province_code,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "scope": scope,
    }
    form = r.Form(values=dict(typed), fields=FILE_FIELDS)
    if action == "find" or add:
        hits = pick(session, form, occ_q, add, add_levels or [])
        return _file_page(request, 200 if form.ok else 422, form=form, hits=hits)

    def run() -> str:
        data = r.blank_to_none({k: v for k, v in typed.items() if k != "scope"})
        items = parse_scope(session, scope)
        body = cert_service.create_body(
            session,
            BodyCreate.model_validate(data | {"scope": items}),
            actor=user.actor,
            scope=user.scope,
        )
        return f"/staff/certification/bodies/{body.filing_no}?done=filed"

    return r.form_action(
        session, form, run, lambda form, code: _file_page(request, code, form=form)
    )


def _body_page(
    request: Request,
    session: DbSession,
    user: Principal,
    filing_no: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    body = cert_service.get_body(session, filing_no, scope=user.scope)
    view = cert_service.body_view(session, body)
    done = request.query_params.get("done", "")
    ctx: dict[str, Any] = {
        "title": i18n.localise("评价机构 {name}", name=view["name"]),
        "b": _localised(view),
        "done": i18n.gettext(DONE[done]) if done in DONE else "",
        "scope_form": r.Form(fields=SCOPE_FIELDS, values={"scope": scope_text(view)}),
        "status_form": r.Form(
            fields=STATUS_FIELDS,
            values={"status": "suspended" if view["status"] == "active" else "active"},
        ),
        "hits": [],
        "confirm": False,
    }
    ctx.update(context)
    return _render(request, "body.html", status_code, **ctx)


@router.get("/{filing_no}", response_class=HTMLResponse)
def body_detail(request: Request, session: DbSession, user: Staff, filing_no: str) -> HTMLResponse:
    return _body_page(request, session, user, filing_no[:MAX_QUERY])


@router.post("/{filing_no}/scope", response_model=None)
def change_scope(
    request: Request,
    session: DbSession,
    user: Staff,
    filing_no: str,
    csrf_token: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "",
    occ_q: Annotated[str, Form()] = "",
    add: Annotated[str, Form()] = "",
    add_levels: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Replace the scope; the picker's buttons (``action=find``, ``add``) only redraw it."""
    r.check_csrf(request, csrf_token)
    form = r.Form(values={"scope": scope, "reason": reason}, fields=SCOPE_FIELDS)
    if action == "find" or add:
        hits = pick(session, form, occ_q, add, add_levels or [])
        return _body_page(
            request,
            session,
            user,
            filing_no[:MAX_QUERY],
            200 if form.ok else 422,
            scope_form=form,
            hits=hits,
        )

    def run() -> str:
        items = parse_scope(session, scope)
        data = BodyScopeChange.model_validate({"scope": items, "reason": reason})
        body = cert_service.update_body_scope(
            session, filing_no, data, actor=user.actor, scope=user.scope
        )
        return f"/staff/certification/bodies/{body.filing_no}?done=scope"

    return r.form_action(
        session,
        form,
        run,
        lambda form, code: _body_page(
            request, session, user, filing_no[:MAX_QUERY], code, scope_form=form
        ),
    )


@router.post("/{filing_no}/status", response_model=None)
def change_status(
    request: Request,
    session: DbSession,
    user: Staff,
    filing_no: str,
    csrf_token: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    confirmed: Annotated[str, Form()] = "",
) -> Response:
    """Resuming takes effect at once; suspending or revoking (the body stops issuing and the
    public registry says so) first shows the body, the new status and the reason to confirm,
    and nothing changes until the confirmation is sent."""
    r.check_csrf(request, csrf_token)
    form = r.Form(values={"status": status, "reason": reason}, fields=STATUS_FIELDS)

    def run() -> str | Response:
        data = BodyStatusChange.model_validate({"status": status, "reason": reason})
        if data.status != "active" and confirmed != "1":
            form.values["reason"] = data.reason
            return _body_page(
                request, session, user, filing_no[:MAX_QUERY], status_form=form, confirm=True
            )
        body = cert_service.update_body_status(
            session, filing_no, data, actor=user.actor, scope=user.scope
        )
        return f"/staff/certification/bodies/{body.filing_no}?done={data.status}"

    return r.form_action(
        session,
        form,
        run,
        lambda form, code: _body_page(
            request, session, user, filing_no[:MAX_QUERY], code, status_form=form
        ),
    )

"""Staff pages of the hotline workforce (role ``hotline``): the roster of a line as a week grid
(shifts by hand, or generated from the seat plan), the week's compliance judged on who was
really signed in, and the monthly report with its Excel and PDF downloads.

Every number comes from ``hotline.service`` — the same functions as ``/api/hotline/shifts``,
``/rosters/generate``, ``/staffing`` and ``/reports/monthly``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from minsheng.core import i18n, timeutil
from minsheng.core.auth import Principal, Role
from minsheng.core.errors import DomainError, InvalidInput
from minsheng.core.i18n import N_
from minsheng.core.scope import Scope
from minsheng.core.timeutil import BEIJING
from minsheng.core.validation import DbId, parse_date
from minsheng.core.web import AppSettings, DbSession, require_role
from minsheng.hotline import service as hotline_service
from minsheng.hotline.schemas import ShiftCreate
from minsheng.web import render as r
from minsheng.web.render import PageRoute

router = APIRouter(route_class=PageRoute, prefix="/staff/hotline")
Staff = Annotated[Principal, Depends(require_role(Role.HOTLINE))]
# Why a counsellor cannot be rostered: rules/workforce.py ``eligibility`` writes these Chinese
# sentences with their values; each is read back ({name}: a value) to be said in the reader's
# language (a sentence none of them matches is shown as written).
REASON_TEXTS = (
    N_("已停用"),
    N_("未登记资质"),
    N_("资质“{label}”不在本热线认可范围内"),
    N_("缺少资质证书编号"),
    N_("缺少发证日期"),
    N_("证书发证日期 {day} 晚于排班日"),
    N_("岗前培训 {hours} 小时，少于要求的 {need} 小时（本地政策）"),
    N_("每月督导 {hours} 小时，少于要求的 {need} 小时（本地政策）"),
)
REASONS = tuple(
    (re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(text))), text)
    for text in REASON_TEXTS
)


def reason_words(reason: str) -> str:
    """One of the register's reasons in the reader's language."""
    for regex, text in REASONS:
        found = regex.fullmatch(reason)
        if found is not None:
            values = found.groupdict()
            if "label" in values:  # a qualification's name
                values["label"] = i18n.gettext(values["label"])
            return i18n.localise(text, **values)
    return reason


WEEKDAY_CN = (N_("周一"), N_("周二"), N_("周三"), N_("周四"), N_("周五"), N_("周六"), N_("周日"))


def _monday(text: str, session: DbSession) -> date:
    """The Monday of the week holding ``text`` (default: the week of the newest records)."""
    if text.strip():
        day = parse_date(text, field="from")
    else:
        day = hotline_service.default_as_of(session) - timedelta(days=1)
    return day - timedelta(days=day.weekday())


def _hhmm(iso: str) -> str:
    return iso[11:16]


def _roster_context(
    session: DbSession, hotline: str, monday: date, *, scope: Scope
) -> dict[str, Any]:
    lines = hotline_service.list_hotlines(session)
    hotline = hotline or (lines[0].id if lines else "")
    days = [monday + timedelta(days=d) for d in range(7)]
    ctx: dict[str, Any] = {
        "hotlines": [(h.id, h.name) for h in lines],
        "hotline": hotline,
        "monday": monday,
        "prev": (monday - timedelta(days=7)).isoformat(),
        "next": (monday + timedelta(days=7)).isoformat(),
        "days": [
            (
                d,
                i18n.localise(
                    "{weekday} {month}月{day}日",
                    weekday=i18n.gettext(WEEKDAY_CN[d.weekday()]),
                    month=d.month,
                    day=d.day,
                ),
            )
            for d in days
        ],
        "grid": [],
        "open_shifts": {},
        "summary": [],
    }
    if not hotline:
        return ctx
    h = hotline_service.get_hotline(session, hotline)
    ctx["hotline_name"] = h.name
    shifts = hotline_service.list_shifts(
        session, start=monday, end=monday + timedelta(days=7), hotline_id=hotline, scope=scope
    )
    by_person: dict[str, dict[date, list[dict[str, Any]]]] = {}
    open_shifts: dict[date, list[dict[str, Any]]] = {}
    for s in shifts:
        if not monday <= s.day < monday + timedelta(days=7):
            continue
        d = hotline_service.shift_dict(s)
        cell = {
            "id": s.id,
            "text": f"{_hhmm(d['start'])}–{_hhmm(d['end'])}",
            "break": i18n.localise("休 {at}", at=_hhmm(d["break"]["from"])) if d["break"] else "",
            "source": s.source,
            "hours": d["work_hours"],
        }
        if s.counsellor_id is None:
            open_shifts.setdefault(s.day, []).append(cell)
        else:
            by_person.setdefault(s.counsellor_id, {}).setdefault(s.day, []).append(cell)
    people = hotline_service.list_counsellors(session, hotline_id=hotline, scope=scope)
    grid = []
    for c in people:
        reg = hotline_service.register_dict(c, on=monday)
        row = by_person.get(c.id, {})
        grid.append(
            {
                "id": c.id,
                "name": c.name,
                # the register's labels are Chinese source text the catalogue translates
                "qualification": i18n.gettext(reg["qualification_label"]),
                "eligible": reg["eligibility"]["eligible"],
                "reasons": i18n.gettext("；").join(
                    reason_words(why) for why in reg["eligibility"]["reasons"]
                ),
                "cells": [row.get(d, []) for d in days],
                "hours": sum(x["hours"] for cells in row.values() for x in cells),
                "limit": c.weekly_hours_max,
            }
        )
    ctx["grid"] = grid
    ctx["open_shifts"] = [open_shifts.get(d, []) for d in days]
    staffing = hotline_service.staffing(
        session, start=monday, days=7, hotline_id=hotline, scope=scope
    )
    ctx["summary"] = staffing["hotlines"][0]["days"]
    return ctx


@router.get("/roster", response_class=HTMLResponse)
def roster_page(
    request: Request, session: DbSession, user: Staff, hotline: str = "", start: str = ""
) -> HTMLResponse:
    """A line's week as a grid: counsellors by day, open shifts, and hours at two seats."""
    monday = _monday(start, session)
    ctx = _roster_context(session, hotline.strip(), monday, scope=user.scope)
    form = r.Form(fields=("counsellor_id", "day", "start", "end", "break_start", "break_minutes"))
    return r.render(
        request, "staff/hotline/roster.html", {"title": i18n.gettext("排班"), "form": form, **ctx}
    )


def _at(day: str, hhmm: str, field: str) -> datetime:
    d = parse_date(day, field="day")
    try:
        hh, mm = (int(x) for x in hhmm.split(":"))
    except ValueError:
        raise InvalidInput(f"时间须为 HH:MM (not a time: {hhmm[:20]!r})", field=field) from None
    if not (0 <= hh <= 24 and 0 <= mm < 60):
        raise InvalidInput(f"时间须为 HH:MM (not a time: {hhmm[:20]!r})", field=field)
    return datetime(d.year, d.month, d.day, tzinfo=BEIJING) + timedelta(hours=hh, minutes=mm)


@router.post("/roster/shifts", response_class=HTMLResponse, response_model=None)
def add_shift(
    request: Request,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    hotline: Annotated[str, Form()] = "",
    counsellor_id: Annotated[str, Form()] = "",
    day: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    break_start: Annotated[str, Form()] = "",
    break_minutes: Annotated[str, Form()] = "0",
) -> Response:
    """A shift by hand from the week grid's form (an end before the start runs past midnight)."""
    r.check_csrf(request, csrf_token)
    values = {
        "counsellor_id": counsellor_id,
        "day": day,
        "start": start,
        "end": end,
        "break_start": break_start,
        "break_minutes": break_minutes,
    }
    form = r.Form(values=values, fields=tuple(values))
    status = 422
    try:
        s_at = _at(day, start, "start")
        e_at = _at(day, end, "end")
        if e_at <= s_at:
            e_at += timedelta(days=1)
        b_at = None
        if break_start.strip():
            b_at = _at(day, break_start, "break_start")
            if b_at < s_at:
                b_at += timedelta(days=1)
        data = ShiftCreate(
            hotline_id=hotline,
            counsellor_id=counsellor_id,
            start=s_at,
            end=e_at,
            break_start=b_at,
            break_minutes=int(break_minutes or 0),
        )
        hotline_service.create_shift(session, data, actor=user.actor, scope=user.scope)
    except DomainError as exc:
        r.rollback_on_error(session)
        form.add_domain(exc)
        status = exc.status_code
    except (ValidationError, ValueError) as exc:
        r.rollback_on_error(session)
        if isinstance(exc, ValidationError):
            form.add_validation(exc)
        else:
            form.add("break_minutes", str(exc))
    if form.ok:
        return RedirectResponse(f"/staff/hotline/roster?hotline={hotline}&start={day}", 303)
    monday = _monday(day if _is_date(day) else "", session)
    ctx = _roster_context(session, hotline, monday, scope=user.scope)
    return r.render(
        request,
        "staff/hotline/roster.html",
        {"title": i18n.gettext("排班"), "form": form, **ctx},
        status_code=status,
    )


def _is_date(text: str) -> bool:
    try:
        parse_date(text, field="day")
    except InvalidInput:
        return False
    return True


@router.post("/roster/shifts/{shift_id}/delete", response_model=None)
def delete_shift(
    request: Request,
    shift_id: Annotated[DbId, Path()],
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    s = hotline_service.get_shift(session, shift_id, scope=user.scope)
    where = f"/staff/hotline/roster?hotline={s.hotline_id}&start={s.day.isoformat()}"
    hotline_service.delete_shift(session, shift_id, actor=user.actor, scope=user.scope)
    return RedirectResponse(where, 303)


@router.post("/roster/generate", response_model=None)
def generate(
    request: Request,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    hotline: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    need_from: Annotated[str, Form()] = "plan",
) -> Response:
    """Generate the week from the seat plan (replacing generated shifts; hand-made ones stay)."""
    r.check_csrf(request, csrf_token)
    monday = _monday(start, session)
    hotline_service.generate_roster(
        session,
        hotline_id=hotline,
        start=monday,
        days=7,
        need_from=need_from,
        actor=user.actor,
        scope=user.scope,
    )
    return RedirectResponse(
        f"/staff/hotline/roster?hotline={hotline}&start={monday.isoformat()}", 303
    )


@router.get("/staffing", response_class=HTMLResponse)
def staffing_page(
    request: Request, session: DbSession, user: Staff, start: str = "", hotline: str = ""
) -> HTMLResponse:
    """A week's compliance from the facts: every line and day, rostered beside actual."""
    monday = _monday(start, session)
    report = hotline_service.staffing(
        session,
        start=monday,
        days=7,
        hotline_id=hotline.strip() or None,
        now=timeutil.now(),
        scope=user.scope,
    )
    lines = report["hotlines"]
    failing = [line for line in lines if line["days_compliant"] < len(line["days"])]
    detail = None
    if hotline.strip():
        detail = lines[0]
    return r.render(
        request,
        "staff/hotline/staffing.html",
        {
            "title": i18n.gettext("在岗达标"),
            "report": report,
            "lines": lines,
            "failing": failing,
            "detail": detail,
            "hotline": hotline.strip(),
            "monday": monday,
            "prev": (monday - timedelta(days=7)).isoformat(),
            "next": (monday + timedelta(days=7)).isoformat(),
            "days": [(monday + timedelta(days=d), i18n.gettext(WEEKDAY_CN[d])) for d in range(7)],
            "half_hours": [f"{h // 2:02d}:{30 * (h % 2):02d}" for h in range(48)],
        },
    )


def _month(text: str, session: DbSession) -> date:
    if text.strip():
        return hotline_service.parse_month(text.strip())
    return (hotline_service.default_as_of(session) - timedelta(days=1)).replace(day=1)


@router.get("/report", response_class=HTMLResponse)
def report_page(
    request: Request, session: DbSession, settings: AppSettings, user: Staff, month: str = ""
) -> HTMLResponse:
    """The monthly report to the health commission, with its downloads."""
    first = _month(month, session)
    report = hotline_service.monthly_report(
        session, settings, month=first, as_of=timeutil.now(), scope=user.scope
    )
    return r.render(
        request,
        "staff/hotline/report.html",
        {
            "title": i18n.gettext("月度报表"),
            "report": _report_words(report),
            "month": first.strftime("%Y-%m"),
        },
    )


def _report_words(report: dict[str, Any]) -> dict[str, Any]:
    """The report's own words (its definitions, the national line's row, the qualifications)
    are Chinese source text, as the Excel and PDF files keep them; the page shows them in the
    reader's language."""
    rows = {
        part: [
            row | {"qualifications": {i18n.gettext(k): v for k, v in row["qualifications"].items()}}
            for row in report[part]
        ]
        for part in ("provinces", "lines")
    }
    for row in rows["provinces"]:
        if row["province"] == "national":
            row["name"] = i18n.gettext(row["name"])
    return report | rows | {"definitions": i18n.localise_labels(report["definitions"])}


@router.get("/report.{fmt}", response_model=None)
def report_file(
    fmt: str,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    user: Staff,
    month: str = "",
) -> Response:
    if fmt not in ("xlsx", "pdf"):
        raise InvalidInput(f"no {fmt!r} download: xlsx or pdf", field="fmt")
    first = _month(month, session)
    report = hotline_service.monthly_report(
        session, settings, month=first, as_of=timeutil.now(), scope=user.scope
    )
    name = f"12356-{first.strftime('%Y-%m')}.{fmt}"
    if fmt == "xlsx":
        body = hotline_service.monthly_xlsx(report)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = hotline_service.monthly_pdf(report)
        media = "application/pdf"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )

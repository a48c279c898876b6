"""Staff pages of the skill-upgrade subsidy (技能提升补贴, role ``certification``; a provincial
clerk decides and sees the claims of their province only): decide an application under the rule
set in force (the page names the rule set, the rule version, every rule checked and the amount,
and records the decision), list the recorded decisions, and the statistics of a period by
level, by month and by province."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from minsheng.certification import service as cert_service
from minsheng.certification.rules.subsidy import CATEGORIES
from minsheng.certification.schemas import SubsidyRequest
from minsheng.core import i18n, timeutil
from minsheng.core.auth import Principal, Role
from minsheng.core.errors import DomainError, InvalidInput
from minsheng.core.i18n import N_
from minsheng.core.web import DbSession, require_role
from minsheng.web import render as r
from minsheng.web.render import PageRoute
from minsheng.web.staff_certification import level_labels

router = APIRouter(route_class=PageRoute, prefix="/staff/certification/subsidy")
Staff = Annotated[Principal, Depends(require_role(Role.CERTIFICATION))]

DECIDE_FIELDS = (
    "id_number",
    "province_code",
    "category",
    "insured_months",
    "occupation_code",
    "level",
    "issued_on",
    "urgent_occupation",
    "applied_on",
    "training_subsidy_same_training",
    "previous_claims",
)
PERIOD_FIELDS = ("start", "end")
PAGE_SIZE = 50
MAX_PREVIOUS = 100
# Each rule the subsidy decision checks, as a clerk names it (rule ids of rules/subsidy.py;
# Chinese source text, translated per request).
RULE_LABELS = {
    "rule_set.in_force": N_("申请日期有适用的补贴政策"),
    "applicant.category": N_("申请人类别（企业在职职工或领取失业保险金人员）"),
    "applicant.insured_months": N_("失业保险参保月数"),
    "certificate.level": N_("证书等级在补贴范围内"),
    "certificate.issued_from": N_("证书发证日期在政策覆盖期内"),
    "application.deadline": N_("在发证后规定期限内申请"),
    "claims.once_per_occupation_level": N_("同一职业同一等级只补贴一次"),
    "claims.no_lower_after_higher": N_("已领较高等级后不再补贴较低等级"),
    "claims.per_year": N_("每年享受次数"),
    "claims.no_double_with_training_subsidy": N_("不与职业培训补贴重复享受"),
}


def _period(request: Request) -> tuple[r.Form, date, date]:
    """The period asked for (``start``/``end``, ISO dates), by default this year to today;
    a bad date is an error beside its field and the default is used."""
    today = timeutil.today()
    q = request.query_params
    values = {"start": q.get("start", "").strip()[:10], "end": q.get("end", "").strip()[:10]}
    form = r.Form(fields=PERIOD_FIELDS, values=values)
    parsed = {"start": date(today.year, 1, 1), "end": today}
    for name in PERIOD_FIELDS:
        if values[name]:
            try:
                parsed[name] = date.fromisoformat(values[name])
            except ValueError:
                form.add(name, i18n.gettext("请填写有效日期，如 2026-01-01"))
    if form.ok and parsed["end"] < parsed["start"]:
        form.add("end", i18n.gettext("结束日期早于开始日期"))
    form.values = {k: v.isoformat() for k, v in parsed.items()}
    return form, parsed["start"], parsed["end"]


def _render(
    request: Request, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "levels": level_labels(),
        "rule_labels": i18n.localise_labels(RULE_LABELS),
        "categories": CATEGORIES,
    }
    ctx.update(context)
    return r.render(request, f"staff/certification/{template}", ctx, status_code=status_code)


def _decide_page(
    request: Request, status_code: int = 200, *, form: r.Form, **context: Any
) -> HTMLResponse:
    ctx: dict[str, Any] = {"title": i18n.gettext("技能提升补贴"), "form": form, "decision": None}
    ctx.update(context)
    return _render(request, "subsidy.html", status_code, **ctx)


@router.get("", response_class=HTMLResponse)
def decide_form(request: Request, user: Staff) -> HTMLResponse:
    values = {
        "province_code": user.scope.province2 or "",
        "category": "enterprise_employee",
        "level": "4",
        "applied_on": timeutil.today().isoformat(),
        "training_subsidy_same_training": "no",
    }
    return _decide_page(request, form=r.Form(fields=DECIDE_FIELDS, values=values))


def parse_previous(text: str) -> list[dict[str, Any]]:
    """Previous paid claims, one a line: occupation code, level, date paid
    (``4-09-07-04 5 2024-03-01``); ``InvalidInput`` naming the line otherwise."""
    out: list[dict[str, Any]] = []
    lines = [ln.split() for ln in text.splitlines() if ln.strip()]
    if len(lines) > MAX_PREVIOUS:
        raise InvalidInput(f"最多 {MAX_PREVIOUS} 行 (too many lines)", field="previous_claims")
    for number, parts in enumerate(lines, start=1):
        if len(parts) != 3:
            raise InvalidInput(
                f"第 {number} 行：请写 职业编码 等级 领取日期，如 4-09-07-04 5 2024-03-01 "
                "(a line is occupation, level, date)",
                field="previous_claims",
            )
        out.append({"occupation_code": parts[0], "level": parts[1], "paid_on": parts[2]})
    return out


FIELD_OF = {"previous_claims": "previous_claims"}


def _flat_field(loc: str | None) -> str | None:
    """``applicant.id_number`` → ``id_number``; ``previous_claims.0.paid_on`` →
    ``previous_claims`` (the form's flat names)."""
    if not loc:
        return loc
    parts = loc.split(".")
    if parts[0] in ("applicant", "certificate") and len(parts) > 1:
        return parts[1]
    return FIELD_OF.get(parts[0], parts[-1])


@router.post("", response_model=None)
def decide(
    request: Request,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    id_number: Annotated[str, Form()] = "",
    province_code: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    insured_months: Annotated[str, Form()] = "",
    occupation_code: Annotated[str, Form()] = "",
    level: Annotated[str, Form()] = "",
    issued_on: Annotated[str, Form()] = "",
    urgent_occupation: Annotated[str, Form()] = "",
    applied_on: Annotated[str, Form()] = "",
    training_subsidy_same_training: Annotated[str, Form()] = "",
    previous_claims: Annotated[str, Form()] = "",
) -> Response:
    """Decide and record (the applicant's ID number is kept only as a keyed hash)."""
    r.check_csrf(request, csrf_token)
    typed = {
        "id_number": "",  # never echoed back into the page, not even beside its error
        "province_code": province_code,
        "category": category,
        "insured_months": insured_months,
        "occupation_code": occupation_code,
        "level": level,
        "issued_on": issued_on,
        "urgent_occupation": urgent_occupation,
        "applied_on": applied_on,
        "training_subsidy_same_training": training_subsidy_same_training,
        "previous_claims": previous_claims,
    }
    form = r.Form(values=typed, fields=DECIDE_FIELDS)
    try:
        if not id_number.strip():
            raise InvalidInput("请填写申请人身份证号 (id_number is required)", field="id_number")
        occupation = occupation_code.strip()
        if occupation:
            occupation = cert_service.resolve_occupation(session, occupation)
        payload = {
            "applicant": {
                "insured_months": insured_months.strip() or None,
                "category": category,
                "province_code": province_code.strip(),
                "id_number": id_number.strip(),
            },
            "certificate": {
                "occupation_code": occupation,
                "level": level,
                "issued_on": issued_on.strip() or None,
                "urgent_occupation": urgent_occupation == "yes",
            },
            "applied_on": applied_on.strip() or None,
            "previous_claims": parse_previous(previous_claims),
            "training_subsidy_same_training": training_subsidy_same_training == "yes",
        }
        req = SubsidyRequest.model_validate(payload)
        decision = cert_service.record_subsidy_claim(
            session, req, request.app.state.settings, actor=user.actor, scope=user.scope
        )
    except ValidationError as exc:
        r.rollback_on_error(session)
        for e in exc.errors():
            loc = ".".join(str(p) for p in e.get("loc", ()))
            form.add(_flat_field(loc), i18n.validation_message(e))
        form.error_name = "ValidationError"
        return _decide_page(request, 422, form=form)
    except DomainError as exc:
        r.rollback_on_error(session)
        exc.field = _flat_field(exc.field)
        form.add_domain(exc)
        return _decide_page(request, exc.status_code, form=form)
    return _decide_page(request, form=form, decision=decision)


@router.get("/decisions", response_class=HTMLResponse)
def decisions(
    request: Request, session: DbSession, user: Staff, eligible: str = "", page: int = 1
) -> HTMLResponse:
    form, start, end = _period(request)
    page = max(1, min(page, 10_000))
    wanted = {"yes": True, "no": False}.get(eligible)
    result: dict[str, Any] = (
        cert_service.list_subsidy_claims(
            session,
            start=start,
            end=end,
            scope=user.scope,
            eligible=wanted,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        if form.ok
        else {"total": 0, "claims": []}
    )
    pages = max(1, -(-result["total"] // PAGE_SIZE))
    return _render(
        request,
        "subsidy_decisions.html",
        200 if form.ok else 422,
        title=i18n.gettext("补贴决定"),
        form=form,
        result=result,
        eligible=eligible if wanted is not None else "",
        page=page,
        pages=pages,
    )


@router.get("/stats", response_class=HTMLResponse)
def stats(request: Request, session: DbSession, user: Staff) -> HTMLResponse:
    form, start, end = _period(request)
    totals = breakdown = None
    if form.ok:
        totals = cert_service.subsidy_statistics(
            session, start=start, end=end, by_province=False, scope=user.scope
        )
        breakdown = cert_service.subsidy_breakdown(session, start=start, end=end, scope=user.scope)
    return _render(
        request,
        "subsidy_stats.html",
        200 if form.ok else 422,
        title=i18n.gettext("补贴统计"),
        form=form,
        totals=totals,
        breakdown=breakdown,
    )

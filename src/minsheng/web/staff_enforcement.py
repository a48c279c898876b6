"""Staff pages of the enforcement system (role ``enforcement``): parties and their commitments,
and cases from discovery to closure, each step a form whose refusal names its field, the decision
shown with the item, the rule version, the legal basis, the reasons and every factor.

Data only through ``enforcement.service``; every form goes through ``render.form_action``. Tier
and domain labels come from the rule base (``data/rulebase.json``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from minsheng.core import i18n, timeutil
from minsheng.core.auth import Principal, Role
from minsheng.core.errors import DomainError, InvalidInput
from minsheng.core.i18n import N_
from minsheng.core.validation import DbId
from minsheng.core.web import DbSession, require_role
from minsheng.enforcement import schemas
from minsheng.enforcement import service as enf
from minsheng.enforcement.rules.base import MITIGATING_FACTORS, items_of
from minsheng.enforcement.service import printing
from minsheng.web import render as r
from minsheng.web.render import PageRoute

router = APIRouter(route_class=PageRoute, prefix="/staff/enforcement")
Staff = Annotated[Principal, Depends(require_role(Role.ENFORCEMENT))]
# Row ids in the path are bounded like the API's (a 422 page, never an overflow).
IdPath = Annotated[DbId, Path()]

# Chinese source text (N_): exports and the API's words keep it, pages show it in the reader's
# language (``_labels``).
KIND_LABEL = {"person": N_("自然人"), "organisation": N_("单位")}
CATEGORY_LABEL = {
    "street_vendor": N_("流动商贩"),
    "shop": N_("沿街商户"),
    "farmer": N_("农户"),
    "property_company": N_("物业服务企业（小区物业）"),
    "construction_firm": N_("建筑施工企业"),
    "other": N_("其他"),
}
DISCOVERY_LABEL = {
    "patrol": N_("巡查发现"),
    "complaint": N_("投诉举报"),
    "inspection": N_("检查发现"),
}
HARM_LABEL = {
    "none": N_("无危害后果"),
    "minor": N_("轻微"),
    "general": N_("一般"),
    "serious": N_("严重"),
}
STATUS_LABEL = {
    "open": N_("已立案"),
    "facts_recorded": N_("已查明事实"),
    "proposed": N_("拟处罚（待告知）"),
    "pre_notified": N_("已事先告知（陈述申辩期）"),
    "hearing_requested": N_("已申请听证"),
    "hearing_scheduled": N_("已通知听证"),
    "heard": N_("已听证"),
    "decided": N_("已决定"),
    "notified": N_("已送达"),
    "rectification_ordered": N_("已责令整改"),
    "checked": N_("已复查"),
    "closed": N_("已结案"),
    "cancelled": N_("已撤销（不计为决定或违法）"),
}
STEP_LABEL = {
    "open": N_("发现、立案"),
    "evidence": N_("附证据"),
    "facts": N_("查明事实"),
    "propose": N_("拟作出处罚（规则引擎建议）"),
    "pre_notify": N_("送达行政处罚事先告知书"),
    "statement": N_("陈述、申辩及复核"),
    "hearing_request": N_("当事人申请听证"),
    "hearing_schedule": N_("通知听证"),
    "hearing": N_("举行听证"),
    "legal_review": N_("法制审核"),
    "decide": N_("作出决定"),
    "serve": N_("送达决定书"),
    "notify": N_("告知当事人权利"),
    "extend": N_("延长办案期限"),
    "fulfil": N_("履行处罚"),
    "rectify": N_("责令限期整改"),
    "check": N_("整改复查"),
    "close": N_("结案"),
    "cancel": N_("撤销案件"),
}
FACTOR_LABEL = {
    "party_kind": N_("当事人类型"),
    "harm": N_("危害后果"),
    "corrected_in_time": N_("及时改正"),
    "aggravating": N_("从重情节"),
    "mitigating": N_("从轻/减轻情节"),
    "prior_violations_in_window": N_("回溯期内同项违法次数"),
    "lookback_days": N_("回溯期（天）"),
    "commitment_breached": N_("违反有效信用承诺"),
    "commitment_signed": N_("已签信用承诺书"),
}

PARTY_FIELDS = ("kind", "category", "name", "credit_code", "id_number", "registered_on")
CASE_FIELDS = (
    "party_id",
    "item",
    "discovery",
    "occurred_on",
    "discovered_on",
    "ended_on",
    "facts",
    "officers",
)
FACT_FIELDS = (
    "harm",
    "corrected_in_time",
    "aggravating",
    "mitigating",
    "mitigating_basis",
    "no_fault_proven",
    "mental_state",
    "fine_base_yuan",
    "facts",
    "officers",
)
MENTAL_STATE_LABEL = {
    "normal": N_("能够辨认和控制自己的行为（含间歇性精神病人在精神正常时）"),
    "limited": N_("尚未完全丧失辨认或者控制自己行为能力（第三十一条：可以从轻或者减轻）"),
    "incapable": N_("不能辨认或者不能控制自己行为（第三十一条：不予行政处罚）"),
}
DECIDE_FIELDS = ("sign_commitment", "fine_yuan", "decided_on", "departure_reason")
STATEMENT_FIELDS = ("statement", "waived", "review", "new_facts")
FINAL_FIELDS = ("fine_yuan", "decided_on", "party_address")
REVIEW_FIELDS = ("reviewer", "passed", "note")
RECTIFY_FIELDS = ("rectify_by",)
CHECK_FIELDS = ("rectified", "checked_on")
EVIDENCE_FIELDS = ("file", "note")
COMMIT_FIELDS = ("item", "signed_on", "valid_until")


NO_PENALTY_LABEL = {
    "ART33-1-FIRST": N_("首违免罚：不予行政处罚"),
    "ART33-1-MINOR": N_("违法行为轻微并及时改正，没有造成危害后果：不予行政处罚"),
    "ART30-UNDER-14": N_("不满十四周岁：不予行政处罚"),
    "ART31-INCAPABLE": N_("不能辨认或者不能控制自己行为：不予行政处罚"),
    "ART33-2-NO-FAULT": N_("有证据足以证明没有主观过错：不予行政处罚"),
    "ART37-NOT-PUNISHABLE": N_("行为时无处罚规定：不予行政处罚"),
}


def outcome_label(decision: dict[str, Any], *, localised: bool = False) -> str:
    """What a decision comes to, in Chinese (the export) or, ``localised``, in the reader's
    language (the pages)."""
    tr = i18n.gettext if localised else str
    if decision["outcome"] == "no_penalty":
        if decision.get("rule_id") in NO_PENALTY_LABEL:
            return tr(NO_PENALTY_LABEL[decision["rule_id"]])
        return tr(
            N_("首违免罚：不予行政处罚") if decision["tier"] == "exempt" else N_("不予行政处罚")
        )
    if decision["outcome"] == "time_barred":
        return tr(N_("超过追责时效：不再给予行政处罚"))
    label = N_("再犯必罚：给予行政处罚") if decision.get("repeat") else N_("给予行政处罚")
    tiers = enf.catalog.rulebase().tier_labels
    tier = tiers.get(decision["tier"] or "", decision["tier"]) or ""
    if localised:
        return i18n.localise("{outcome}（{tier}）", outcome=tr(label), tier=tr(tier))
    return f"{label}（{tier}）"


def _page_outcome_label(decision: dict[str, Any]) -> str:
    return outcome_label(decision, localised=True)


def _labels() -> dict[str, Any]:
    """The label tables of the enforcement pages in the reader's language: this module's and
    the rule base's words (domains, tiers, circumstances), which the catalogue translates like
    any Chinese source text."""
    rulebase = enf.catalog.rulebase()
    return {
        "kind_label": i18n.localise_labels(KIND_LABEL),
        "category_label": i18n.localise_labels(CATEGORY_LABEL),
        "discovery_label": i18n.localise_labels(DISCOVERY_LABEL),
        "harm_label": i18n.localise_labels(HARM_LABEL),
        "mental_state_label": i18n.localise_labels(MENTAL_STATE_LABEL),
        "status_label": i18n.localise_labels(STATUS_LABEL),
        "step_label": i18n.localise_labels(STEP_LABEL),
        "tier_label": i18n.localise_labels(rulebase.tier_labels),
        "factor_label": i18n.localise_labels(FACTOR_LABEL),
        "domains": i18n.localise_labels(rulebase.domains),
        "items": [i.to_dict() for i in items_of(rulebase, None)],
        "rule_set": rulebase.status_dict(),
        "aggravating": i18n.localise_labels(rulebase.aggravating),
        "mitigating": i18n.localise_labels(MITIGATING_FACTORS),
        "outcome_label": _page_outcome_label,
    }


def _checked(value: str) -> bool:
    return value.lower() in ("on", "true", "1", "yes")


def _codes(value: str) -> list[str]:
    """Inspector codes typed as "E01, E02" (comma, 、 or space separated)."""
    return [c for c in value.replace("、", ",").replace(" ", ",").split(",") if c]


# Overview and parties -------------------------------------------------------------------------


def _party_choice(session: DbSession, typed: Any, scope: Any) -> dict[str, Any] | None:
    """The party already chosen in the case form (kept when the form is re-rendered)."""
    text = str(typed or "").strip()
    if not text.isdigit() or len(text) > 18:
        return None
    try:
        return enf.party_dict(enf.get_party(session, int(text), scope=scope))
    except DomainError:
        return None


def _index_page(
    request: Request, session: DbSession, status_code: int = 200, **forms: Any
) -> HTMLResponse:
    scope = r.staff_scope(request)
    party_q = request.query_params.get("party_q", "").strip()[:100]
    picker = r.Form(values={"party_q": party_q}, fields=("party_q",))
    matches: list[dict[str, Any]] = []
    try:
        matches = enf.suggest_parties(session, party_q, scope=scope)
    except DomainError as exc:
        picker.add_domain(exc)
    ctx: dict[str, Any] = {
        "party_q": party_q,
        "matches": matches,
        "picker_form": picker,
        "title": i18n.gettext("承诺+执法"),
        "counts": enf.count_cases_by_status(session, scope=scope),
        "late": enf.late_cases(session, scope=scope),
        "cases": enf.list_case_rows(session, limit=20, scope=scope),
        "party_form": r.Form(fields=PARTY_FIELDS, values={"kind": "organisation"}),
        "case_form": r.Form(
            fields=CASE_FIELDS,
            values={"discovery": "patrol", "discovered_on": timeutil.today().isoformat()},
        ),
        **_labels(),
    }
    ctx.update(forms)
    case_form = ctx["case_form"]
    ctx["chosen_party"] = _party_choice(session, case_form.value("party_id"), scope)
    if ctx["chosen_party"] is None and not matches and request.query_params.get("party_id"):
        ctx["chosen_party"] = _party_choice(session, request.query_params["party_id"], scope)
    return r.render(request, "staff/enforcement/index.html", ctx, status_code=status_code)


def _rerender_index(
    request: Request, session: DbSession, name: str
) -> Callable[[r.Form, int], Response]:
    return lambda form, status: _index_page(request, session, status, **{name: form})


@router.get("", response_class=HTMLResponse)
def index(request: Request, session: DbSession, user: Staff) -> HTMLResponse:
    return _index_page(request, session)


@router.post("/parties", response_model=None)
def create_party(
    request: Request,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    credit_code: Annotated[str, Form()] = "",
    id_number: Annotated[str, Form()] = "",
    registered_on: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    typed = {
        "kind": kind,
        "category": category,
        "name": name,
        "credit_code": credit_code,
        "id_number": id_number,
        "registered_on": registered_on,
    }
    # The ID number is never echoed back into the page.
    form = r.Form(values={k: v for k, v in typed.items() if k != "id_number"}, fields=PARTY_FIELDS)

    def run() -> str:
        data = schemas.PartyCreate.model_validate(r.blank_to_none(typed))
        key = request.app.state.settings.hmac_key
        party = enf.create_party(session, data, key=key, actor=user.actor, scope=user.scope)
        return f"/staff/enforcement/parties/{party.id}"

    return r.form_action(session, form, run, _rerender_index(request, session, "party_form"))


def _party_page(
    request: Request, session: DbSession, party_id: int, status_code: int = 200, **forms: Any
) -> HTMLResponse:
    scope = r.staff_scope(request)
    party = enf.get_party(session, party_id, scope=scope)
    ctx: dict[str, Any] = {
        "title": i18n.localise("当事人 {id}", id=party_id),
        "party": enf.party_dict(party),
        "commitments": [
            enf.commitment_dict(c)
            for c in enf.list_commitments(session, party_id=party_id, scope=scope)
        ],
        "cases": enf.list_case_rows(session, party_id=party_id, limit=100, scope=scope),
        "grades": enf.grades_of_party(session, party_id, scope=scope),
        "credit": enf.credit_section(session, party_id, scope=scope),
        "commit_form": r.Form(fields=COMMIT_FIELDS),
        **_labels(),
    }
    ctx.update(forms)
    return r.render(request, "staff/enforcement/party.html", ctx, status_code=status_code)


@router.get("/parties/{party_id}", response_class=HTMLResponse)
def party(request: Request, party_id: IdPath, session: DbSession, user: Staff) -> HTMLResponse:
    return _party_page(request, session, party_id)


@router.post("/parties/{party_id}/commitments", response_model=None)
def sign_commitment(
    request: Request,
    party_id: IdPath,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    item: Annotated[str, Form()] = "",
    signed_on: Annotated[str, Form()] = "",
    valid_until: Annotated[str, Form()] = "",
    consent_publish: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    typed = {"item": item, "signed_on": signed_on, "valid_until": valid_until}
    form = r.Form(values=typed, fields=COMMIT_FIELDS)

    def run() -> str:
        data = schemas.CommitmentCreate.model_validate(
            {
                "party_id": party_id,
                **r.blank_to_none(typed),
                "consent_publish": _checked(consent_publish),
            }
        )
        enf.sign_commitment(
            session,
            data,
            officer=user.name,
            actor=user.actor,
            valid_days=request.app.state.settings.enf_commitment_valid_days,
            scope=user.scope,
        )
        return f"/staff/enforcement/parties/{party_id}"

    def on_error(failed: r.Form, status: int) -> Response:
        return _party_page(request, session, party_id, status, commit_form=failed)

    return r.form_action(session, form, run, on_error)


# Cases ------------------------------------------------------------------------------------------


@router.post("/cases", response_model=None)
def open_case(
    request: Request,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    party_id: Annotated[str, Form()] = "",
    item: Annotated[str, Form()] = "",
    discovery: Annotated[str, Form()] = "",
    occurred_on: Annotated[str, Form()] = "",
    discovered_on: Annotated[str, Form()] = "",
    ended_on: Annotated[str, Form()] = "",
    facts: Annotated[str, Form()] = "",
    officers: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    typed = {
        "officers": officers,
        "party_id": party_id,
        "item": item,
        "discovery": discovery,
        "occurred_on": occurred_on,
        "discovered_on": discovered_on,
        "ended_on": ended_on,
        "facts": facts,
    }
    form = r.Form(values=typed, fields=CASE_FIELDS)

    def run() -> str:
        data = schemas.CaseOpen.model_validate(
            r.blank_to_none(typed) | {"facts": facts, "officers": _codes(officers)}
        )
        case = enf.open_case(session, data, officer=user.name, actor=user.actor, scope=user.scope)
        return f"/staff/enforcement/cases/{case.id}"

    return r.form_action(session, form, run, _rerender_index(request, session, "case_form"))


def _case_page(
    request: Request, session: DbSession, case_id: int, status_code: int = 200, **forms: Any
) -> HTMLResponse:
    scope = r.staff_scope(request)
    case = enf.get_case(session, case_id, scope=scope)
    data = enf.case_dict(session, case)
    proc = enf.procedure_dict(session, case)
    item = enf.catalog.rulebase().require_item(case.item_id, field_name="item").to_dict()
    today = timeutil.today().isoformat()
    ctx: dict[str, Any] = {
        "title": i18n.localise("案件 {id}", id=case_id),
        "case": data,
        "item": item,
        "procedure": proc,
        "statement_form": r.Form(fields=STATEMENT_FIELDS),
        "final_form": r.Form(
            fields=FINAL_FIELDS,
            values={"decided_on": today, "party_address": data["party"].get("address") or ""},
        ),
        "review_form": r.Form(fields=REVIEW_FIELDS, values={"passed": "true"}),
        "facts_form": r.Form(
            fields=FACT_FIELDS,
            values={
                "harm": data["harm"] or "minor",
                "corrected_in_time": data["corrected_in_time"] in (True, None),
                "aggravating": data["aggravating"],
                "mitigating": [],
                "facts": data["facts"],
                "officers": ", ".join(proc["investigators"]),
            },
        ),
        "decide_form": r.Form(fields=DECIDE_FIELDS, values={"decided_on": today}),
        "rectify_form": r.Form(fields=RECTIFY_FIELDS),
        "check_form": r.Form(fields=CHECK_FIELDS, values={"checked_on": today}),
        "evidence_form": r.Form(fields=EVIDENCE_FIELDS),
        "step_form": r.Form(fields=()),
        **procedure_forms(),
        "cancel_reason_label": i18n.localise_labels(CANCEL_REASON_LABEL),
        **_labels(),
    }
    ctx.update(forms)
    return r.render(request, "staff/enforcement/case.html", ctx, status_code=status_code)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: IdPath, session: DbSession, user: Staff) -> HTMLResponse:
    return _case_page(request, session, case_id)


def _case_step(
    request: Request,
    session: DbSession,
    case_id: IdPath,
    form_name: str,
    form: r.Form,
    step: Callable[[], object],
    anchor: str = "",
) -> Response:
    """A case step's form: run ``step`` and go back to the case (at ``anchor``), or show the
    case page again with the refusal beside the field of the form named ``form_name``."""

    def run() -> str:
        step()
        return f"/staff/enforcement/cases/{case_id}{anchor}"

    def on_error(failed: r.Form, status: int) -> Response:
        return _case_page(request, session, case_id, status, **{form_name: failed})

    return r.form_action(session, form, run, on_error)


@router.post("/cases/{case_id}/facts", response_model=None)
def record_facts(
    request: Request,
    case_id: IdPath,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    harm: Annotated[str, Form()] = "",
    corrected_in_time: Annotated[str, Form()] = "",
    aggravating: Annotated[list[str] | None, Form()] = None,
    mitigating: Annotated[list[str] | None, Form()] = None,
    mitigating_basis: Annotated[str, Form()] = "",
    no_fault_proven: Annotated[str, Form()] = "",
    mental_state: Annotated[str, Form()] = "normal",
    fine_base_yuan: Annotated[str, Form()] = "",
    facts: Annotated[str, Form()] = "",
    officers: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    values: dict[str, Any] = {
        "officers": officers,
        "harm": harm,
        "corrected_in_time": _checked(corrected_in_time),
        "aggravating": aggravating or [],
        "mitigating": mitigating or [],
        "mitigating_basis": mitigating_basis,
        "no_fault_proven": _checked(no_fault_proven),
        "mental_state": mental_state or "normal",
        "fine_base_yuan": fine_base_yuan,
        "facts": facts,
    }
    form = r.Form(values=values, fields=FACT_FIELDS)

    def step() -> object:
        typed = {
            **values,
            "mitigating_basis": [x.strip() for x in mitigating_basis.splitlines() if x.strip()],
            "fine_base_yuan": fine_base_yuan.strip() or None,
            "officers": _codes(officers),
        }
        data = schemas.CaseFacts.model_validate(typed)
        return enf.record_facts(
            session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
        )

    return _case_step(request, session, case_id, "facts_form", form, step, "#step")


@router.post("/cases/{case_id}/decide", response_model=None)
def decide(
    request: Request,
    case_id: IdPath,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    sign_commitment: Annotated[str, Form()] = "",
    fine_yuan: Annotated[str, Form()] = "",
    decided_on: Annotated[str, Form()] = "",
    departure_reason: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    values = {
        "departure_reason": departure_reason.strip() or None,
        "sign_commitment": _checked(sign_commitment),
        "fine_yuan": fine_yuan.strip() or None,
        "decided_on": decided_on.strip() or None,
    }
    form = r.Form(values=values | {"fine_yuan": fine_yuan}, fields=DECIDE_FIELDS)
    settings = request.app.state.settings

    def step() -> object:
        data = schemas.CaseDecide.model_validate(values)
        return enf.decide_case(
            session,
            case_id,
            data,
            officer=user.name,
            actor=user.actor,
            lookback_days=settings.enf_lookback_days,
            valid_days=settings.enf_commitment_valid_days,
            scope=user.scope,
        )

    return _case_step(request, session, case_id, "decide_form", form, step, "#decision")


def _simple_step(
    request: Request,
    session: DbSession,
    case_id: IdPath,
    csrf_token: str,
    step: Callable[[], object],
    anchor: str = "#procedure",
) -> Response:
    r.check_csrf(request, csrf_token)
    return _case_step(request, session, case_id, "step_form", r.Form(), step, anchor)


@router.post("/cases/{case_id}/prior-notice", response_model=None)
def prior_notice(
    request: Request,
    case_id: IdPath,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    def step() -> object:
        data = schemas.PriorNotice()
        return enf.pre_notify(
            session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
        )

    return _simple_step(request, session, case_id, csrf_token, step)


@router.post("/cases/{case_id}/statement", response_model=None)
def statement(
    request: Request,
    case_id: IdPath,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    statement: Annotated[str, Form()] = "",
    waived: Annotated[str, Form()] = "",
    review: Annotated[str, Form()] = "",
    new_facts: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    values = {
        "statement": statement,
        "waived": _checked(waived),
        "review": review,
        "new_facts": new_facts,
    }
    form = r.Form(values=values, fields=STATEMENT_FIELDS)

    def step() -> object:
        data = schemas.Statement.model_validate(
            r.blank_to_none({"statement": statement, "review": review, "new_facts": new_facts})
            | {"waived": _checked(waived)}
        )
        return enf.record_statement(
            session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
        )

    return _case_step(request, session, case_id, "statement_form", form, step, "#procedure")


@router.post("/cases/{case_id}/legal-review", response_model=None)
def legal_review(
    request: Request,
    case_id: IdPath,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    reviewer: Annotated[str, Form()] = "",
    passed: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    values = {"reviewer": reviewer, "passed": passed, "note": note}
    form = r.Form(values=values, fields=REVIEW_FIELDS)

    def step() -> object:
        data = schemas.LegalReview.model_validate(values)
        return enf.legal_review(
            session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
        )

    return _case_step(request, session, case_id, "review_form", form, step, "#procedure")


@router.post("/cases/{case_id}/decision", response_model=None)
def final_decision(
    request: Request,
    case_id: IdPath,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    fine_yuan: Annotated[str, Form()] = "",
    decided_on: Annotated[str, Form()] = "",
    party_address: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    values = {"fine_yuan": fine_yuan, "decided_on": decided_on, "party_address": party_address}
    form = r.Form(values=values, fields=FINAL_FIELDS)

    def step() -> object:
        data = schemas.FinalDecision.model_validate(r.blank_to_none(values))
        return enf.decide_final(
            session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
        )

    return _case_step(request, session, case_id, "final_form", form, step, "#decision")


@router.post("/cases/{case_id}/serve", response_model=None)
def serve(
    request: Request,
    case_id: IdPath,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    def step() -> object:
        data = schemas.Service()
        return enf.serve(
            session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
        )

    return _simple_step(request, session, case_id, csrf_token, step)


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(
    request: Request, document_id: IdPath, session: DbSession, user: Staff
) -> HTMLResponse:
    """A document as the bureau prints it (print stylesheet; PDF beside it)."""
    doc = enf.document_dict(enf.get_document(session, document_id, scope=user.scope))
    ctx = {"title": f"{doc['title']} {doc['number']}", "doc": doc}
    return r.render(request, "staff/enforcement/document.html", ctx)


@router.get("/documents/{document_id}/pdf", response_model=None)
def document_pdf(document_id: IdPath, session: DbSession, user: Staff) -> Response:
    doc = enf.get_document(session, document_id, scope=user.scope)
    return Response(
        printing.document_pdf(doc),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="document-{doc.id}.pdf"'},
    )


@router.post("/cases/{case_id}/rectification", response_model=None)
def rectification(
    request: Request,
    case_id: IdPath,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    rectify_by: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    form = r.Form(values={"rectify_by": rectify_by}, fields=RECTIFY_FIELDS)

    def step() -> object:
        data = schemas.Rectification.model_validate({"rectify_by": rectify_by.strip() or None})
        return enf.order_rectification(
            session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
        )

    return _case_step(request, session, case_id, "rectify_form", form, step, "#step")


@router.post("/cases/{case_id}/check", response_model=None)
def check(
    request: Request,
    case_id: IdPath,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    rectified: Annotated[str, Form()] = "",
    checked_on: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    values = {"rectified": rectified or None, "checked_on": checked_on.strip() or None}
    form = r.Form(values={"rectified": rectified, "checked_on": checked_on}, fields=CHECK_FIELDS)

    def step() -> object:
        data = schemas.RectificationCheck.model_validate(values)
        return enf.check_rectification(
            session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
        )

    return _case_step(request, session, case_id, "check_form", form, step, "#step")


@router.post("/cases/{case_id}/close", response_model=None)
def close(
    request: Request,
    case_id: IdPath,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)

    def step() -> object:
        return enf.close_case(
            session, case_id, officer=user.name, actor=user.actor, scope=user.scope
        )

    return _case_step(request, session, case_id, "step_form", r.Form(), step)


@router.post("/cases/{case_id}/evidence", response_model=None)
def evidence(
    request: Request,
    case_id: IdPath,
    session: DbSession,
    user: Staff,
    file: UploadFile | None = None,
    csrf_token: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    form = r.Form(values={"note": note}, fields=EVIDENCE_FIELDS)
    max_bytes = request.app.state.settings.enf_evidence_max_bytes

    def step() -> object:
        if file is None or not file.filename:
            raise InvalidInput(i18n.gettext("请选择文件") + " (choose a file)", field="file")
        return enf.add_evidence(
            session,
            case_id,
            filename=file.filename,
            content=file.file.read(max_bytes + 1),
            officer=user.name,
            actor=user.actor,
            max_bytes=max_bytes,
            note=note[:500],
            scope=user.scope,
        )

    return _case_step(request, session, case_id, "evidence_form", form, step, "#evidence")


# Hearing steps, extensions of the Art. 60 period and cancellation (issue 13 item 5): the same
# services as the API and CLI, each step checked for CSRF and audited by the service.

HEARING_REQUEST_FIELDS = ("requested_on",)
HEARING_SCHEDULE_FIELDS = ("notified_on", "hearing_on", "place", "presider")
HEARING_FIELDS = ("attended", "record", "held_on")
EXTENSION_FIELDS = ("days", "basis", "approved_by")
CANCEL_FIELDS = ("reason", "cancel_note", "cancelled_on")  # cancel_note: review has "note"
CANCEL_REASON_LABEL = {
    "withdrawn": N_("撤销立案（决定作出前）"),
    "transferred": N_("涉嫌犯罪，移送司法机关（第五十七条第四项，决定作出前）"),
    "revoked": N_("决定被依法变更、撤销、确认违法或者确认无效（第四十八条第二款，决定作出后）"),
}


def procedure_forms() -> dict[str, r.Form]:
    """The empty forms of the steps below, for the case page."""
    today = timeutil.today().isoformat()
    return {
        "hearing_request_form": r.Form(
            fields=HEARING_REQUEST_FIELDS, values={"requested_on": today}
        ),
        "hearing_schedule_form": r.Form(
            fields=HEARING_SCHEDULE_FIELDS, values={"notified_on": today}
        ),
        "hearing_form": r.Form(fields=HEARING_FIELDS, values={"attended": "true"}),
        "extension_form": r.Form(fields=EXTENSION_FIELDS),
        "cancel_form": r.Form(fields=CANCEL_FIELDS, values={"cancelled_on": today}),
    }


@router.post("/cases/{case_id}/hearing-request", response_model=None)
def hearing_request(
    request: Request,
    case_id: IdPath,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    requested_on: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    values = {"requested_on": requested_on}
    form = r.Form(values=values, fields=HEARING_REQUEST_FIELDS)

    def step() -> object:
        data = schemas.HearingRequest.model_validate(r.blank_to_none(values))
        return enf.request_hearing(
            session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
        )

    return _case_step(request, session, case_id, "hearing_request_form", form, step, "#procedure")


@router.post("/cases/{case_id}/hearing-schedule", response_model=None)
def hearing_schedule(
    request: Request,
    case_id: IdPath,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    notified_on: Annotated[str, Form()] = "",
    hearing_on: Annotated[str, Form()] = "",
    place: Annotated[str, Form()] = "",
    presider: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    values = {
        "notified_on": notified_on,
        "hearing_on": hearing_on,
        "place": place,
        "presider": presider.strip(),
    }
    form = r.Form(values=values, fields=HEARING_SCHEDULE_FIELDS)

    def step() -> object:
        data = schemas.HearingSchedule.model_validate(r.blank_to_none(values))
        return enf.schedule_hearing(
            session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
        )

    return _case_step(request, session, case_id, "hearing_schedule_form", form, step, "#procedure")


@router.post("/cases/{case_id}/hearing", response_model=None)
def hearing(
    request: Request,
    case_id: IdPath,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    attended: Annotated[str, Form()] = "",
    record: Annotated[str, Form()] = "",
    held_on: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    values = {"attended": attended, "record": record, "held_on": held_on}
    form = r.Form(values=values, fields=HEARING_FIELDS)

    def step() -> object:
        data = schemas.HearingHeld.model_validate(r.blank_to_none(values))
        return enf.hold_hearing(
            session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
        )

    return _case_step(request, session, case_id, "hearing_form", form, step, "#procedure")


@router.post("/cases/{case_id}/extension", response_model=None)
def extension(
    request: Request,
    case_id: IdPath,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    days: Annotated[str, Form()] = "",
    basis: Annotated[str, Form()] = "",
    approved_by: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    values = {"days": days, "basis": basis, "approved_by": approved_by}
    form = r.Form(values=values, fields=EXTENSION_FIELDS)

    def step() -> object:
        data = schemas.Extension.model_validate(r.blank_to_none(values))
        return enf.extend(
            session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
        )

    return _case_step(request, session, case_id, "extension_form", form, step, "#procedure")


@router.post("/cases/{case_id}/cancel", response_model=None)
def cancel(
    request: Request,
    case_id: IdPath,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    cancel_note: Annotated[str, Form()] = "",
    cancelled_on: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    values = {"reason": reason, "cancel_note": cancel_note, "cancelled_on": cancelled_on}
    form = r.Form(values=values, fields=CANCEL_FIELDS)

    def step() -> object:
        typed = {"reason": reason, "note": cancel_note, "cancelled_on": cancelled_on}
        data = schemas.CaseCancel.model_validate(r.blank_to_none(typed))
        return enf.cancel_case(
            session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
        )

    return _case_step(request, session, case_id, "cancel_form", form, step, "#step")

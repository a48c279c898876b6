"""The 行政处罚 procedure of a case (《行政处罚法》 Arts. 42, 44, 45, 58, 60–65): the
事先告知, statement, hearing, 法制审核, the final decision, 送达, extensions of the Art. 60
period and performance; the pure checks are in ``rules/procedure.py``, the working days in
``rules/workdays.py``. Each step writes a case event and an audit row; refused steps write nothing.
Flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import timeutil
from minsheng.core.errors import InvalidInput
from minsheng.enforcement import schemas
from minsheng.enforcement.errors import (
    CaseStepOutOfOrder,
    HearingPending,
    InvalidDate,
    PriorNoticeMissing,
)
from minsheng.enforcement.models import (
    Case,
    CaseProcedure,
    Decision,
    Evidence,
    Party,
)
from minsheng.enforcement.rules import procedure as rules
from minsheng.enforcement.rules import workdays as wd
from minsheng.enforcement.rules.base import (
    MITIGATING_FACTORS,
    DecisionStage,
    Outcome,
    PartyKind,
    Status,
)
from minsheng.enforcement.service import catalog, credit, documents
from minsheng.enforcement.service.calendar import holiday_calendar
from minsheng.enforcement.service.cases import (
    find_decision,
    get_case,
    record_step,
    require_status,
)
from minsheng.enforcement.service.common import check_not_future
from minsheng.enforcement.service.officers import officers_of
from minsheng.enforcement.service.parties import get_party

# Reads ------------------------------------------------------------------------------------------


def _default_procedure(case: Case) -> CaseProcedure:
    """The procedure of a case recorded before the procedure table (demo history)."""
    return CaseProcedure(
        case_id=case.id,
        filed_on=timeutil.to_beijing(case.created_at).date()
        if case.created_at
        else case.discovered_on,
        investigators=[],
        extensions=[],
        major_flags=[],
        major_reasons=[],
        extension_days=0,
        hearing_available=False,
        statement_waived=False,
        major=False,
    )


def get_procedure(session: Session, case_id: int) -> CaseProcedure:
    """The case's procedure row (created for an older case when a step first needs it)."""
    proc = session.get(CaseProcedure, case_id)
    if proc is None:
        proc = _default_procedure(get_case(session, case_id))
        session.add(proc)
        session.flush()
    return proc


def add_investigators(proc: CaseProcedure, officers: Sequence[str]) -> None:
    proc.investigators = sorted(set(proc.investigators) | set(officers))


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def procedure_dict(session: Session, case: Case, *, today: date | None = None) -> dict[str, Any]:
    today = today or timeutil.today()
    p = session.get(CaseProcedure, case.id) or _default_procedure(case)  # reads write nothing
    decision = find_decision(session, case.id)
    decided = case.status not in _BEFORE_DECISION
    due = rules.decision_due(p.filed_on, p.extension_days)
    return {
        "filed_on": p.filed_on.isoformat(),
        "investigators": p.investigators,
        "decision_due": due.isoformat(),
        "decision_due_cn": timeutil.date_cn(due),
        "days_left": None if decided else rules.days_left(p.filed_on, p.extension_days, today),
        "running_late": rules.running_late(p.filed_on, p.extension_days, today, decided),
        "extensions": p.extensions,
        "engine_range": p.engine_range,
        "proposed_fine": p.proposed_fine,
        "departure_reason": p.departure_reason,
        "notice_on": _iso(p.notice_on),
        "statement_due": _iso(p.statement_due),
        "hearing_available": p.hearing_available,
        "hearing_request_due": _iso(p.hearing_request_due),
        "statement_on": _iso(p.statement_on),
        "statement": p.statement,
        "statement_waived": p.statement_waived,
        "statement_review": p.statement_review,
        "new_facts": p.new_facts,
        "hearing_requested_on": _iso(p.hearing_requested_on),
        "hearing_notified_on": _iso(p.hearing_notified_on),
        "hearing_on": _iso(p.hearing_on),
        "hearing_place": p.hearing_place,
        "hearing_presider": p.hearing_presider,
        "hearing_result": p.hearing_result,
        "major": p.major,
        "major_reasons": p.major_reasons,
        "review_passed": p.review_passed,
        "reviewer": p.reviewer,
        "reviewed_on": _iso(p.reviewed_on),
        "served_on": _iso(p.served_on),
        "service_due": _iso(p.service_due),
        "served_how": p.served_how,
        "fulfilled_on": _iso(p.fulfilled_on),
        "final_fine": decision.fine_yuan if decision and decided else None,
        "calendar": holiday_calendar().source,
    }


_BEFORE_DECISION = {
    Status.OPEN.value,
    Status.FACTS_RECORDED.value,
    Status.PROPOSED.value,
    Status.PRE_NOTIFIED.value,
    Status.HEARING_REQUESTED.value,
    Status.HEARING_SCHEDULED.value,
    Status.HEARD.value,
}


def late_cases(session: Session, *, today: date | None = None) -> list[dict[str, Any]]:
    """Cases still undecided after the Art. 60 period (90 days from 立案, plus extensions)."""
    today = today or timeutil.today()
    rows = session.execute(
        select(Case, CaseProcedure)
        .join(CaseProcedure, CaseProcedure.case_id == Case.id)
        .where(Case.status.in_(_BEFORE_DECISION))
        .order_by(CaseProcedure.filed_on)
    ).all()
    return [
        {
            "case_id": c.id,
            "status": c.status,
            "filed_on": p.filed_on.isoformat(),
            "decision_due": rules.decision_due(p.filed_on, p.extension_days).isoformat(),
            "days_over": -rules.days_left(p.filed_on, p.extension_days, today),
        }
        for c, p in rows
        if rules.running_late(p.filed_on, p.extension_days, today, decided=False)
    ]


# Helpers shared by the steps -------------------------------------------------------------------


def party_block(party: Party) -> dict[str, Any]:
    """The party as a document prints it: full name, identifier (ID masked), address."""
    identifier = (
        f"统一社会信用代码 {party.credit_code}"
        if party.credit_code
        else f"身份证号 {party.id_masked}"
    )
    return {"name": party.name, "identifier": identifier, "address": party.address}


def evidence_lines(session: Session, case_id: int) -> list[str]:
    rows = session.scalars(
        select(Evidence).where(Evidence.case_id == case_id).order_by(Evidence.id)
    )
    return [f"{e.filename}（SHA-256 {e.sha256[:12]}…）{e.note}" for e in rows]


def statutory_range(case: Case, party: Party) -> tuple[int, int]:
    """The item's statutory fine range for this party (in yuan; a multiple of the case's base
    amount where the item sets one, e.g. 耕地开垦费)."""
    item = catalog.rulebase().require_item(case.item_id)
    return item.statutory_for(PartyKind(party.kind), case.fine_base_yuan)


def rule_status() -> str:
    """The rule set's status as documents print it (official with its source, or demo)."""
    status = catalog.rulebase().status_dict()
    return f"{status['label']}：{status['name']}（{status['source']}）"


def reasons_cn(case: Case, decision: Decision) -> list[str]:
    """The grounds as a document prints them, in Chinese (the engine's reasons are kept in the
    decision record; the document states the rule, the tier and the factors it weighed)."""
    rb = catalog.rulebase()
    item = rb.require_item(decision.item_id)
    out = [f"适用事项：{item.id} {item.description}（规则版本 {decision.rule_version}）"]
    if decision.outcome == Outcome.TIME_BARRED.value:
        out.append(
            "违法行为在法定期限内未被发现，不再给予行政处罚（《中华人民共和国行政处罚法》第三十六条）"
        )
        return out
    if decision.outcome == Outcome.NO_PENALTY.value:
        out.append("依据《中华人民共和国行政处罚法》第三十三条，不予行政处罚")
        if item.exemption_conditions:
            out.append(f"免罚条件：{item.exemption_conditions}")
        return out
    tier = rb.tier_labels.get(decision.tier or "", decision.tier or "")
    if decision.fine_min is not None:
        out.append(f"裁量档次：{tier}（{decision.fine_min}–{decision.fine_max}元）")
    if decision.repeat:
        out.append("再次违法（再犯必罚）")
    if decision.breached_commitment_id:
        out.append(f"违反信用承诺（信用承诺书 #{decision.breached_commitment_id}）")
    for key in case.aggravating:
        out.append(f"从重情节：{rb.aggravating.get(key, key)}")
    for key in case.mitigating:
        out.append(f"从轻、减轻情节：{MITIGATING_FACTORS.get(key, key)}")
    return out


def _remedy_targets() -> dict[str, str]:
    b = documents.bureau()
    return {"reconsideration_body": b["reconsideration_body"], "court": b["court"]}


def _decision_of(session: Session, case: Case) -> Decision:
    decision = find_decision(session, case.id)
    if decision is None:
        raise CaseStepOutOfOrder(f"case {case.id} has no proposal yet", field="status")
    return decision


# Steps ------------------------------------------------------------------------------------------


def after_engine(
    session: Session,
    case: Case,
    decision: Decision,
    *,
    engine_range: tuple[int, int] | None,
    departure_reason: str | None,
    departed: bool,
    officer: str,
    actor: str,
) -> None:
    """After the engine ran: a penalty becomes a proposal (status ``proposed``, to be notified);
    a 不予处罚 or time-barred outcome is the decision, with its 不予行政处罚决定书 and the
    education of Art. 33 para. 3."""
    proc = get_procedure(session, case.id)
    if decision.outcome == Outcome.PENALTY.value:
        proc.engine_range = list(engine_range) if engine_range else None
        proc.proposed_fine = decision.fine_yuan
        proc.departure_reason = departure_reason if departed else None
        case.status = Status.PROPOSED.value
        return
    case.status = Status.DECIDED.value
    party = get_party(session, case.party_id)
    documents.issue(
        session,
        "no_penalty_decision",
        content={
            "party": party_block(party),
            "facts": case.facts,
            "evidence": evidence_lines(session, case.id),
            "legal_basis": decision.legal_basis,
            "reasons": reasons_cn(case, decision),
            "education": decision.education,
            "outcome": decision.outcome,
            "rule_version": decision.rule_version,
            "rule_id": decision.rule_id,
            "rule_set": decision.rule_set,
            "rule_status": rule_status(),
            **_remedy_targets(),
        },
        issued_on=decision.decided_on,
        officer=officer,
        actor=actor,
        case_id=case.id,
    )


def rights(case: Case, party_kind: str, fine: int | None, proc: CaseProcedure) -> list[str]:
    """The party's rights as the 事先告知书 states them (Art. 44), with their dates."""
    rb = catalog.rulebase()
    p = rb.procedure
    threshold = int(p["hearing_threshold_yuan"][party_kind])
    # A value not from a cited rule in force says so where the party reads it (issue 13 item 9).
    statement_mark = (
        "期限为演示值，非法定期限"
        if p.get("statement_days_status") not in (None, "official")
        else "期限依本机关适用的规定"
    )
    threshold_status = (p.get("hearing_threshold_status") or {}).get(party_kind)
    threshold_mark = "；数额为演示/未核实值" if threshold_status not in (None, "official") else ""
    due = timeutil.date_cn(proc.statement_due) if proc.statement_due else ""
    out = [
        f"陈述、申辩：可于{due}前（告知后{p['statement_days']}个工作日内，{statement_mark}）"
        "向本机关提出陈述、申辩；本机关不因当事人陈述、申辩而给予更重的处罚（《行政处罚法》第四十五条）。",
    ]
    if proc.hearing_available and proc.hearing_request_due:
        out.append(
            f"听证：拟罚款{fine}元达到较大数额（{threshold}元起{threshold_mark}），"
            f"可于{timeutil.date_cn(proc.hearing_request_due)}前（告知后五个工作日内）要求听证"
            "（《行政处罚法》第六十三条、第六十四条第一项、第八十五条）；听证不收费用。"
        )
    out.append("逾期未提出的，视为放弃上述权利（《行政处罚法》第六十二条）。")
    return out


def pre_notify(
    session: Session,
    case_id: int,
    data: schemas.PriorNotice,
    *,
    officer: str,
    actor: str,
    today: date | None = None,
) -> CaseProcedure:
    """Art. 44: serve the 行政处罚事先告知书 (proposed penalty, facts, reasons, basis, rights);
    the statement and hearing-request periods start. After new facts were recorded
    (``record_statement(new_facts=…)``) a new notice may propose a different fine
    (``fine_yuan``, within the statutory range); the periods then start again."""
    today = today or timeutil.today()
    case = get_case(session, case_id)
    require_status(case, "pre_notify", Status.PROPOSED, Status.PRE_NOTIFIED, Status.HEARD)
    renotice = case.status != Status.PROPOSED
    if renotice and (data.fine_yuan is None or not get_procedure(session, case.id).new_facts):
        raise CaseStepOutOfOrder(
            f"case {case.id} was notified already; a new notice needs new facts recorded and the "
            "new proposed fine",
            field="status",
        )
    if not renotice and data.fine_yuan is not None:
        raise InvalidInput("the first notice states the proposal as made", field="fine_yuan")
    for flag in data.major_flags:
        if flag not in rules.MAJOR_FLAGS:
            known = ", ".join(rules.MAJOR_FLAGS)
            raise InvalidInput(f"unknown flag {flag!r}; known: {known}", field="major_flags")
    notice_on = data.notice_on or today
    check_not_future(notice_on, "notice_on", today)
    decision = _decision_of(session, case)
    if notice_on < decision.decided_on:
        raise InvalidDate("the notice cannot precede the proposal", field="notice_on")
    party = get_party(session, case.party_id)
    proc = get_procedure(session, case.id)
    cal = holiday_calendar()
    rb = catalog.rulebase()
    threshold = int(rb.procedure["hearing_threshold_yuan"][party.kind])
    if renotice:
        assert data.fine_yuan is not None
        assert proc.notice_on is not None
        if notice_on < proc.notice_on:
            raise InvalidDate("a new notice cannot precede the first", field="notice_on")
        statutory = statutory_range(case, party)
        if not 0 <= data.fine_yuan <= statutory[1]:
            raise InvalidInput(
                f"fine {data.fine_yuan} yuan is outside the statutory range {list(statutory)}",
                field="fine_yuan",
            )
        proc.proposed_fine = data.fine_yuan
        decision.fine_yuan = data.fine_yuan
        proc.statement_on = None
        proc.statement = None
        proc.statement_waived = False
        proc.statement_review = None
    statement = rules.statement_due(cal, notice_on, int(rb.procedure["statement_days"]))
    proc.notice_on = notice_on
    proc.statement_due = statement.on
    proc.hearing_available = rules.hearing_available(proc.proposed_fine, threshold)
    warnings = list(statement.warnings)
    if proc.hearing_available:
        hearing = wd.period_deadline(cal, "hearing_request", notice_on)
        proc.hearing_request_due = hearing.on
        warnings += [w for w in hearing.warnings if w not in warnings]
    proc.major_flags = sorted(set(data.major_flags))
    case.status = Status.PRE_NOTIFIED.value
    session.flush()
    doc = documents.issue(
        session,
        "prior_notice",
        content={
            "party": party_block(party),
            "facts": case.facts,
            "evidence": evidence_lines(session, case.id),
            "fine_yuan": proc.proposed_fine,
            "legal_basis": decision.legal_basis,
            "reasons": reasons_cn(case, decision),
            "rights": rights(case, party.kind, proc.proposed_fine, proc) + warnings,
            "rule_version": decision.rule_version,
            "rule_id": decision.rule_id,
            "rule_set": decision.rule_set,
            "rule_status": rule_status(),
        },
        issued_on=notice_on,
        officer=officer,
        actor=actor,
        case_id=case.id,
    )
    record_step(
        session,
        case,
        "pre_notify",
        officer=officer,
        actor=actor,
        detail={
            "document": doc.number,
            "statement_due": _iso(proc.statement_due),
            "hearing_request_due": _iso(proc.hearing_request_due),
            "warnings": warnings,
        },
    )
    return proc


def record_statement(
    session: Session,
    case_id: int,
    data: schemas.Statement,
    *,
    officer: str,
    actor: str,
    today: date | None = None,
) -> CaseProcedure:
    """Art. 45: the party's statement and defence (or its express waiver, Art. 62) and the
    bureau's 复核 of the facts, reasons and evidence it gave."""
    today = today or timeutil.today()
    case = get_case(session, case_id)
    require_status(case, "statement", Status.PRE_NOTIFIED, Status.HEARD)
    if not data.waived and not (data.statement or "").strip():
        raise InvalidInput("record the statement, or that the party waived it", field="statement")
    if not data.waived and not (data.review or "").strip():
        raise InvalidInput(
            "第四十五条: the statement's facts, reasons and evidence must be reviewed (复核)",
            field="review",
        )
    stated_on = data.stated_on or today
    check_not_future(stated_on, "stated_on", today)
    proc = get_procedure(session, case.id)
    assert proc.notice_on is not None
    if stated_on < proc.notice_on:
        raise InvalidDate("a statement cannot precede the notice", field="stated_on")
    proc.statement_on = stated_on
    proc.statement = data.statement
    proc.statement_waived = data.waived
    proc.statement_review = data.review
    if data.new_facts:
        proc.new_facts = data.new_facts
    session.flush()
    record_step(
        session,
        case,
        "statement",
        officer=officer,
        actor=actor,
        detail={"waived": data.waived, "new_facts": bool(data.new_facts)},
    )
    return proc


def request_hearing(
    session: Session,
    case_id: int,
    data: schemas.HearingRequest,
    *,
    officer: str,
    actor: str,
    today: date | None = None,
) -> CaseProcedure:
    """Art. 63, 64(一): the party asks for a hearing within 5 working days of the notice."""
    today = today or timeutil.today()
    case = get_case(session, case_id)
    require_status(case, "hearing_request", Status.PRE_NOTIFIED)
    proc = get_procedure(session, case.id)
    if not proc.hearing_available:
        raise CaseStepOutOfOrder(
            "the proposed penalty does not reach the hearing threshold (第六十三条)",
            field="status",
        )
    requested_on = data.requested_on or today
    check_not_future(requested_on, "requested_on", today)
    assert proc.notice_on is not None
    rules.check_hearing_request(holiday_calendar(), proc.notice_on, requested_on)
    proc.hearing_requested_on = requested_on
    case.status = Status.HEARING_REQUESTED.value
    session.flush()
    record_step(
        session,
        case,
        "hearing_request",
        officer=officer,
        actor=actor,
        detail={"requested_on": requested_on.isoformat()},
    )
    return proc


def schedule_hearing(
    session: Session,
    case_id: int,
    data: schemas.HearingSchedule,
    *,
    officer: str,
    actor: str,
    today: date | None = None,
) -> CaseProcedure:
    """Art. 64(二)(四): notice of time and place at least 7 working days before; a presiding
    officer who did not investigate the case."""
    today = today or timeutil.today()
    case = get_case(session, case_id)
    require_status(case, "hearing_schedule", Status.HEARING_REQUESTED)
    check_not_future(data.notified_on, "notified_on", today)
    proc = get_procedure(session, case.id)
    rules.check_presider(data.presider, proc.investigators)
    officers_of(session, [data.presider])
    seventh = rules.check_hearing_notice(holiday_calendar(), data.notified_on, data.hearing_on)
    proc.hearing_notified_on = data.notified_on
    proc.hearing_on = data.hearing_on
    proc.hearing_place = data.place
    proc.hearing_presider = data.presider
    case.status = Status.HEARING_SCHEDULED.value
    session.flush()
    record_step(
        session,
        case,
        "hearing_schedule",
        officer=officer,
        actor=actor,
        detail={
            "hearing_on": data.hearing_on.isoformat(),
            "place": data.place,
            "presider": data.presider,
            "warnings": list(seventh.warnings),
        },
    )
    return proc


def hold_hearing(
    session: Session,
    case_id: int,
    data: schemas.HearingHeld,
    *,
    officer: str,
    actor: str,
    today: date | None = None,
) -> CaseProcedure:
    """Art. 64(六)(七)(八), 65: the hearing held with its record (笔录), or abandoned when the
    party did not attend without good reason; the decision then follows the record."""
    today = today or timeutil.today()
    case = get_case(session, case_id)
    require_status(case, "hearing", Status.HEARING_SCHEDULED)
    proc = get_procedure(session, case.id)
    held_on = data.held_on or proc.hearing_on or today
    check_not_future(held_on, "held_on", today)
    if proc.hearing_on and held_on < proc.hearing_on:
        raise InvalidDate("held before the notified date", field="held_on")
    proc.hearing_result = "held" if data.attended else "abandoned"
    proc.hearing_record = data.record
    case.status = Status.HEARD.value
    session.flush()
    record_step(
        session,
        case,
        "hearing",
        officer=officer,
        actor=actor,
        detail={"result": proc.hearing_result, "held_on": held_on.isoformat()},
    )
    return proc


def _major(session: Session, case: Case, proc: CaseProcedure, fine: int | None) -> list[str]:
    policy = rules.parse_major_policy(documents.settings()["major"])
    party = get_party(session, case.party_id)
    return rules.major_reasons(
        policy,
        party_kind=party.kind,
        fine=fine,
        heard=proc.hearing_result == "held",
        flags=proc.major_flags,
    )


def legal_review(
    session: Session,
    case_id: int,
    data: schemas.LegalReview,
    *,
    officer: str,
    actor: str,
    today: date | None = None,
) -> CaseProcedure:
    """Art. 58: 法制审核 of a 重大 decision by a reviewer who did not investigate the case and
    holds the 法律职业资格; a failed review blocks the decision."""
    today = today or timeutil.today()
    case = get_case(session, case_id)
    require_status(case, "legal_review", Status.PRE_NOTIFIED, Status.HEARD)
    proc = get_procedure(session, case.id)
    reviewed_on = data.reviewed_on or today
    check_not_future(reviewed_on, "reviewed_on", today)
    (reviewer,) = officers_of(session, [data.reviewer])
    rules.check_reviewer(reviewer, proc.investigators)
    proc.major_reasons = _major(session, case, proc, proc.proposed_fine)
    proc.major = bool(proc.major_reasons) or proc.major
    proc.review_passed = data.passed
    proc.reviewer = data.reviewer
    proc.reviewed_on = reviewed_on
    proc.review_note = data.note
    session.flush()
    record_step(
        session,
        case,
        "legal_review",
        officer=officer,
        actor=actor,
        detail={"reviewer": data.reviewer, "passed": data.passed},
    )
    return proc


def decide_final(
    session: Session,
    case_id: int,
    data: schemas.FinalDecision,
    *,
    officer: str,
    actor: str,
    today: date | None = None,
) -> Decision:
    """The penalty decision (Art. 57, 59) after the notice, the statement period, any hearing
    (Art. 65) and a 法制审核 where 重大 (Art. 58); never heavier than notified without new facts
    (Art. 45); issued as the 行政处罚决定书 with every Art. 59 item."""
    today = today or timeutil.today()
    case = get_case(session, case_id)
    if case.status == Status.PROPOSED:
        raise PriorNoticeMissing(
            f"case {case.id} is proposed: serve the 行政处罚事先告知书 first (第四十四条)",
            field="status",
        )
    if case.status in (Status.HEARING_REQUESTED, Status.HEARING_SCHEDULED):
        raise HearingPending(
            f"case {case.id} is {case.status}: hold the hearing first (第六十三条至第六十五条)",
            field="status",
        )
    require_status(case, "decide", Status.PRE_NOTIFIED, Status.HEARD)
    proc = get_procedure(session, case.id)
    decision = _decision_of(session, case)
    decided_on = data.decided_on or today
    check_not_future(decided_on, "decided_on", today)
    assert proc.proposed_fine is not None
    fine = proc.proposed_fine if data.fine_yuan is None else data.fine_yuan
    rules.check_final_fine(proc.proposed_fine, fine, proc.new_facts)
    party = get_party(session, case.party_id)
    statutory = statutory_range(case, party)
    if fine < 0 or fine > statutory[1]:
        raise InvalidInput(
            f"{fine} yuan is outside the statutory range {list(statutory)}", field="fine_yuan"
        )
    reasons = _major(session, case, proc, fine)
    proc.major = bool(reasons)
    proc.major_reasons = reasons
    state = rules.ProcedureState(
        notice_on=proc.notice_on,
        statement_due=proc.statement_due,
        hearing_request_due=proc.hearing_request_due if proc.hearing_available else None,
        statement_on=proc.statement_on,
        statement_waived=proc.statement_waived,
        hearing_requested=proc.hearing_requested_on is not None,
        hearing_result=proc.hearing_result,
        major=proc.major,
        review_passed=proc.review_passed,
    )
    rules.check_ready_to_decide(state, decided_on)
    if data.party_address:
        party.address = data.party_address
    if not party.address:
        raise InvalidInput(
            "the 行政处罚决定书 must state the party's address (第五十九条第一项)",
            field="party_address",
        )
    if data.serious and not (data.serious_reason or "").strip():
        raise InvalidInput("a 严重失信 designation needs its reason", field="serious_reason")
    late = rules.running_late(proc.filed_on, proc.extension_days, decided_on, decided=False)
    decision.fine_yuan = fine
    decision.decided_on = decided_on
    decision.officer = officer
    decision.stage = DecisionStage.DECIDED.value  # the proposal becomes the decision
    case.status = Status.DECIDED.value
    session.flush()
    payment_days = int(documents.settings()["payment_days"])
    statement_summary = []
    if proc.statement_waived:
        statement_summary.append("当事人明确放弃陈述、申辩")
    elif proc.statement:
        statement_summary.append(
            f"当事人陈述、申辩：{proc.statement}；复核：{proc.statement_review}"
        )
    if proc.hearing_result == "held":
        statement_summary.append(
            f"经{timeutil.date_cn(proc.hearing_on) if proc.hearing_on else ''}听证"
        )
    elif proc.hearing_result == "abandoned":
        statement_summary.append("当事人无正当理由未出席听证，视为放弃听证权利（第六十四条第六项）")
    doc = documents.issue(
        session,
        "penalty_decision",
        content={
            "party": party_block(party),
            "facts": case.facts,
            "evidence": evidence_lines(session, case.id),
            "fine_yuan": fine,
            "legal_basis": decision.legal_basis,
            "reasons": reasons_cn(case, decision),
            "statement": "；".join(statement_summary),
            "performance": (
                f"罚款{fine:,}元，自收到本决定书之日起{payment_days}日内缴至指定银行或者通过电子支付"
                f"系统缴纳（{documents.settings()['payment_source']}）。"
            ),
            "rule_version": decision.rule_version,
            "rule_id": decision.rule_id,
            "rule_set": decision.rule_set,
            "rule_status": rule_status(),
            **_remedy_targets(),
        },
        issued_on=decided_on,
        officer=officer,
        actor=actor,
        case_id=case.id,
    )
    proc.service_due = wd.period_deadline(holiday_calendar(), "service", decided_on).on
    session.flush()
    record_step(
        session,
        case,
        "decide",
        officer=officer,
        actor=actor,
        detail={
            "outcome": decision.outcome,
            "fine_yuan": fine,
            "proposed_fine": proc.proposed_fine,
            "document": doc.number,
            "major": proc.major,
            "late": late,
        },
    )
    credit.record_for_decision(
        session,
        case,
        decision,
        party,
        serious=data.serious,
        serious_reason=data.serious_reason,
        actor=actor,
    )
    return decision


def serve(
    session: Session,
    case_id: int,
    data: schemas.Service,
    *,
    officer: str,
    actor: str,
    today: date | None = None,
) -> CaseProcedure:
    """Art. 61, 85: the decision is served (送达) — on the spot, or within 7 working days; a
    later service is recorded and flagged, never refused (the party must still receive it)."""
    today = today or timeutil.today()
    case = get_case(session, case_id)
    require_status(case, "serve", Status.DECIDED)
    decision = _decision_of(session, case)
    served_on = data.served_on or today
    check_not_future(served_on, "served_on", today)
    if served_on < decision.decided_on:
        raise InvalidDate("served before the decision", field="served_on")
    proc = get_procedure(session, case.id)
    due = wd.period_deadline(holiday_calendar(), "service", decision.decided_on)
    proc.service_due = due.on
    proc.served_on = served_on
    proc.served_how = data.how
    case.status = Status.NOTIFIED.value
    session.flush()
    record_step(
        session,
        case,
        "serve",
        officer=officer,
        actor=actor,
        detail={
            "served_on": served_on.isoformat(),
            "how": data.how,
            "due": due.on.isoformat(),
            "late": served_on > due.on,
            "warnings": list(due.warnings),
        },
    )
    return proc


def extend(
    session: Session, case_id: int, data: schemas.Extension, *, officer: str, actor: str
) -> CaseProcedure:
    """Art. 60 "法律、法规、规章另有规定的，从其规定": an extension of the 90 days, recorded with
    its basis and who approved it."""
    case = get_case(session, case_id)
    if case.status not in _BEFORE_DECISION:
        raise CaseStepOutOfOrder("the case is decided: nothing to extend", field="status")
    proc = get_procedure(session, case.id)
    proc.extension_days += data.days
    proc.extensions = [
        *proc.extensions,
        {"days": data.days, "basis": data.basis, "approved_by": data.approved_by},
    ]
    session.flush()
    record_step(
        session,
        case,
        "extend",
        officer=officer,
        actor=actor,
        detail={"days": data.days, "basis": data.basis, "approved_by": data.approved_by},
    )
    return proc


def record_fulfilment(
    session: Session,
    case_id: int,
    data: schemas.Fulfilment,
    *,
    officer: str,
    actor: str,
    today: date | None = None,
) -> CaseProcedure:
    """The penalty performed (fine paid): one of the 信用修复 conditions."""
    today = today or timeutil.today()
    case = get_case(session, case_id)
    decision = find_decision(session, case.id)
    if (
        decision is None
        or decision.outcome != Outcome.PENALTY.value
        or case.status in _BEFORE_DECISION
    ):
        raise CaseStepOutOfOrder("no penalty decision to perform", field="status")
    on = data.fulfilled_on or today
    check_not_future(on, "fulfilled_on", today)
    if on < decision.decided_on:
        raise InvalidDate("performed before the decision", field="fulfilled_on")
    proc = get_procedure(session, case.id)
    proc.fulfilled_on = on
    session.flush()
    record_step(
        session, case, "fulfil", officer=officer, actor=actor, detail={"on": on.isoformat()}
    )
    return proc

"""Cases from discovery to closure: open, facts, rectification, check, close, and the reads the
API, the CLI and the staff pages show. The decision and the notice are in ``decisions``, evidence
files in ``evidence``.

Functions take a ``Session`` and flush, never commit; every step writes a case event (the case's
own timeline, naming the officer) and a ``core.audit`` row naming the actor, in the same
transaction. Inputs are checked before anything is added, so a refused request writes nothing.

Case workflow (each step timestamped with its officer; the 行政处罚法 procedure between the
facts and the service is in ``procedure``)::

    open → facts_recorded → proposed → pre_notified [→ hearing_*] → decided → notified (送达)
         → rectification_ordered → checked → closed
    facts_recorded → decided (不予处罚 / time-barred) → notified → closed

Opening a case (立案) and recording the facts (调查) name at least two officers with a valid
执法证 (《行政处罚法》第四十二条); the 立案 date starts the 90 days of Art. 60.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.core import audit, privacy, timeutil
from minsheng.core.errors import InvalidInput
from minsheng.enforcement.errors import CaseNotFound, CaseStepOutOfOrder, InvalidDate
from minsheng.enforcement.models import (
    Case,
    CaseEvent,
    CaseProcedure,
    Decision,
    Evidence,
    Party,
    Site,
)
from minsheng.enforcement.rules.base import (
    MITIGATING_FACTORS,
    MITIGATION_NEEDS_BASIS,
    Discovery,
    Harm,
    MentalState,
    Outcome,
    PartyKind,
    Status,
)
from minsheng.enforcement.rules.decision import RULES
from minsheng.enforcement.schemas import CaseFacts, CaseOpen, Rectification, RectificationCheck
from minsheng.enforcement.service import catalog, documents
from minsheng.enforcement.service.common import check_not_future, parse_enum
from minsheng.enforcement.service.officers import check_officers
from minsheng.enforcement.service.parties import get_party, party_dict


def record_step(
    session: Session, case: Case, step: str, *, officer: str, actor: str, detail: dict[str, Any]
) -> None:
    """The case's timeline entry (naming the officer) and its audit row (naming the actor)."""
    session.add(CaseEvent(case_id=case.id, step=step, officer=officer, detail=detail))
    audit.record(
        session,
        actor=actor,
        action=f"case.{step}",
        table=Case.__tablename__,
        record_id=case.id,
        detail=detail,
    )


def require_status(case: Case, step: str, *allowed: Status) -> None:
    if case.status not in {s.value for s in allowed}:
        need = " or ".join(s.value for s in allowed)
        raise CaseStepOutOfOrder(
            f"case {case.id} is {case.status}; {step} needs it to be {need}", field="status"
        )


# Reads ----------------------------------------------------------------------------------------


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(f"no case {case_id}", field="case_id")
    return case


def list_cases(
    session: Session, *, party_id: int | None = None, status: str | None = None, limit: int = 100
) -> list[Case]:
    if status is not None:
        parse_enum(Status, status, "status")
    stmt = select(Case).order_by(Case.id.desc()).limit(min(max(limit, 1), 1000))
    if party_id is not None:
        stmt = stmt.where(Case.party_id == party_id)
    if status is not None:
        stmt = stmt.where(Case.status == status)
    return list(session.scalars(stmt))


def count_cases_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Case.status, func.count()).group_by(Case.status))
    return {status: n for status, n in rows}


def list_case_rows(
    session: Session, *, party_id: int | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """Cases newest first with their party's (masked) name and their decision, for a table."""
    stmt = (
        select(
            Case,
            Party.name,
            Party.kind,
            Decision.outcome,
            Decision.tier,
            Decision.repeat,
            Decision.stage,
        )
        .join(Party, Party.id == Case.party_id)
        .join(Decision, Decision.case_id == Case.id, isouter=True)
        .order_by(Case.id.desc())
        .limit(min(max(limit, 1), 1000))
    )
    if party_id is not None:
        stmt = stmt.where(Case.party_id == party_id)
    return [
        {
            **case_brief(case),
            "party_name": privacy.mask_name(name) if kind == PartyKind.PERSON else name,
            "outcome": outcome,
            "tier": tier,
            "repeat": repeat,
            "stage": stage,  # a proposal (拟处罚) is no decision
        }
        for case, name, kind, outcome, tier, repeat, stage in session.execute(stmt)
    ]


def case_brief(c: Case) -> dict[str, Any]:
    return {
        "id": c.id,
        "party_id": c.party_id,
        "item": c.item_id,
        "status": c.status,
        "occurred_on": c.occurred_on.isoformat(),
        "discovered_on": c.discovered_on.isoformat(),
        "officer": c.officer,
    }


def decision_dict(d: Decision) -> dict[str, Any]:
    return {
        "outcome": d.outcome,
        "stage": d.stage,  # proposed (拟处罚) | decided | withdrawn
        "tier": d.tier,
        "fine_range_yuan": [d.fine_min, d.fine_max] if d.fine_min is not None else None,
        "fine_yuan": d.fine_yuan,
        "item": d.item_id,
        "rule_id": d.rule_id,
        "rule_source": RULES.get(d.rule_id, ""),
        "rule_version": d.rule_version,
        "rule_set": d.rule_set,
        "legal_basis": d.legal_basis,
        "repeat": d.repeat,
        "breached_commitment_id": d.breached_commitment_id,
        "reasons": d.reasons,
        "factors": d.factors,
        "education": d.education,
        "decided_on": d.decided_on.isoformat(),
        "officer": d.officer,
    }


def find_decision(session: Session, case_id: int) -> Decision | None:
    return session.scalar(select(Decision).where(Decision.case_id == case_id))


def case_dict(session: Session, case: Case) -> dict[str, Any]:
    """The whole case: party, decision, evidence and timeline (API, CLI and staff page)."""
    decision = find_decision(session, case.id)
    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    ).all()
    evidence = session.scalars(
        select(Evidence).where(Evidence.case_id == case.id).order_by(Evidence.id)
    ).all()
    return {
        "id": case.id,
        "party": party_dict(get_party(session, case.party_id)),
        "site_id": case.site_id,
        "item": case.item_id,
        "domain": case.domain,
        "discovery": case.discovery,
        "status": case.status,
        "occurred_on": case.occurred_on.isoformat(),
        "ended_on": case.ended_on.isoformat() if case.ended_on else None,
        "discovered_on": case.discovered_on.isoformat(),
        "facts": case.facts,
        "harm": case.harm,
        "corrected_in_time": case.corrected_in_time,
        "aggravating": case.aggravating,
        "mitigating": case.mitigating,
        "mitigating_basis": case.mitigating_basis,
        "no_fault_proven": case.no_fault_proven,
        "mental_state": case.mental_state,
        "fine_base_yuan": case.fine_base_yuan,
        "rectify_by": case.rectify_by.isoformat() if case.rectify_by else None,
        "rectified": case.rectified,
        "officer": case.officer,
        "cancel_reason": case.cancel_reason,
        "decision": decision_dict(decision) if decision else None,
        "evidence": [
            {"id": e.id, "sha256": e.sha256, "filename": e.filename, "officer": e.officer}
            for e in evidence
        ],
        "events": [
            {
                "step": e.step,
                "at": e.at.isoformat(),
                "at_cn": timeutil.datetime_cn(e.at),
                "officer": e.officer,
                "detail": e.detail,
            }
            for e in events
        ],
        "documents": [
            {
                "id": d.id,
                "kind": d.kind,
                "title": d.content.get("title", d.kind),
                "number": d.number,
                "issued_on": d.issued_on.isoformat(),
            }
            for d in documents.list_documents(session, case_id=case.id)
        ],
    }


def facts_dict(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "status": case.status,
        "harm": case.harm,
        "corrected_in_time": case.corrected_in_time,
        "aggravating": case.aggravating,
        "mitigating": case.mitigating,
        "mitigating_basis": case.mitigating_basis,
        "no_fault_proven": case.no_fault_proven,
        "mental_state": case.mental_state,
        "fine_base_yuan": case.fine_base_yuan,
    }


def rectification_dict(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "status": case.status,
        "rectify_by": case.rectify_by.isoformat() if case.rectify_by else None,
    }


def check_dict(case: Case) -> dict[str, Any]:
    return {"case_id": case.id, "status": case.status, "rectified": case.rectified}


def status_dict(case: Case) -> dict[str, Any]:
    return {"case_id": case.id, "status": case.status}


# Steps ----------------------------------------------------------------------------------------


def open_case(
    session: Session, data: CaseOpen, *, officer: str, actor: str, today: date | None = None
) -> Case:
    today = today or timeutil.today()
    party = get_party(session, data.party_id)
    item = catalog.rulebase().require_item(data.item, field_name="item")
    if not item.applies_to(party.kind):
        raise InvalidInput(
            f"item {item.id} applies to {'/'.join(item.parties)}, not a {party.kind}",
            field="item",
        )
    method = parse_enum(Discovery, data.discovery, "discovery")
    for name, value in (
        ("occurred_on", data.occurred_on),
        ("ended_on", data.ended_on),
        ("discovered_on", data.discovered_on),
    ):
        if value is not None:
            check_not_future(value, name, today)
    if data.ended_on is not None and data.ended_on < data.occurred_on:
        raise InvalidDate("the violation cannot end before it began", field="ended_on")
    if data.discovered_on < data.occurred_on:
        raise InvalidDate("discovered before it happened", field="discovered_on")
    if data.site_id is not None and session.get(Site, data.site_id) is None:
        raise InvalidInput(f"no site {data.site_id}", field="site_id")
    filed_on = data.filed_on or today
    check_not_future(filed_on, "filed_on", today)
    if filed_on < data.discovered_on:
        raise InvalidDate("a case is filed (立案) after its discovery", field="filed_on")
    team = check_officers(session, data.officers, filed_on)
    case = Case(
        party_id=data.party_id,
        site_id=data.site_id,
        item_id=item.id,
        domain=item.domain,
        discovery=method.value,
        status=Status.OPEN.value,
        occurred_on=data.occurred_on,
        ended_on=data.ended_on,
        discovered_on=data.discovered_on,
        facts=data.facts,
        aggravating=[],
        mitigating=[],
        mitigating_basis=[],
        officer=officer,
    )
    session.add(case)
    session.flush()
    session.add(
        CaseProcedure(
            case_id=case.id,
            filed_on=filed_on,
            investigators=team["officers"],
            extensions=[],
            major_flags=[],
            major_reasons=[],
            extension_days=0,
        )
    )
    record_step(
        session,
        case,
        "open",
        officer=officer,
        actor=actor,
        detail={
            "item": item.id,
            "discovery": method.value,
            "discovered_on": data.discovered_on.isoformat(),
            "filed_on": filed_on.isoformat(),
            **team,
        },
    )
    return case


def record_facts(
    session: Session,
    case_id: int,
    data: CaseFacts,
    *,
    officer: str,
    actor: str,
    today: date | None = None,
) -> Case:
    today = today or timeutil.today()
    case = get_case(session, case_id)
    require_status(case, "facts", Status.OPEN, Status.FACTS_RECORDED)
    level = parse_enum(Harm, data.harm, "harm")
    team = check_officers(session, data.officers, today)
    rulebase = catalog.rulebase()
    for name in data.aggravating:
        if name not in rulebase.aggravating:
            known = ", ".join(rulebase.aggravating)
            raise InvalidInput(
                f"unknown aggravating factor {name!r}; known: {known}", field="aggravating"
            )
    for name in data.mitigating:
        if name not in MITIGATING_FACTORS:
            known = ", ".join(MITIGATING_FACTORS)
            raise InvalidInput(
                f"unknown mitigating factor {name!r}; known: {known}", field="mitigating"
            )
    basis = [b.strip() for b in data.mitigating_basis if b.strip()]
    if (MITIGATION_NEEDS_BASIS in data.mitigating) != bool(basis):
        raise InvalidInput(
            f"{MITIGATION_NEEDS_BASIS} (第三十二条第五项) goes with the provisions relied on",
            field="mitigating_basis",
        )
    mental = parse_enum(MentalState, data.mental_state, "mental_state")
    party = get_party(session, case.party_id)
    if mental is not MentalState.NORMAL and party.kind != PartyKind.PERSON:
        raise InvalidInput("第三十一条 applies to persons only", field="mental_state")
    item = rulebase.require_item(case.item_id)
    if item.multiple is not None and data.fine_base_yuan is None:
        raise InvalidInput(
            f"item {item.id}: the fine is a multiple of {item.multiple.of}; give it in yuan",
            field="fine_base_yuan",
        )
    case.harm = level.value
    case.corrected_in_time = data.corrected_in_time
    case.aggravating = sorted(set(data.aggravating))
    case.mitigating = sorted(set(data.mitigating))
    case.endangers_safety = data.endangers_safety
    case.mitigating_basis = basis
    case.no_fault_proven = data.no_fault_proven
    case.mental_state = mental.value
    case.fine_base_yuan = data.fine_base_yuan
    if data.facts is not None:
        case.facts = data.facts
    case.status = Status.FACTS_RECORDED.value
    proc = session.get(CaseProcedure, case.id)
    if proc is not None:
        proc.investigators = sorted(set(proc.investigators) | set(team["officers"]))
    session.flush()
    record_step(
        session,
        case,
        "facts",
        officer=officer,
        actor=actor,
        detail={
            "harm": level.value,
            "corrected_in_time": data.corrected_in_time,
            "aggravating": case.aggravating,
            **team,
            "mitigating": case.mitigating,
            "no_fault_proven": case.no_fault_proven,
            "mental_state": case.mental_state,
        },
    )
    return case


def order_rectification(
    session: Session,
    case_id: int,
    data: Rectification,
    *,
    officer: str,
    actor: str,
    today: date | None = None,
) -> Case:
    """Art. 28: 责令当事人改正或者限期改正违法行为, issued as the 责令改正通知书."""
    today = today or timeutil.today()
    case = get_case(session, case_id)
    require_status(case, "rectify", Status.NOTIFIED, Status.CHECKED)
    if case.status == Status.CHECKED and case.rectified:
        raise CaseStepOutOfOrder(f"case {case.id} is already rectified", field="status")
    if data.rectify_by < case.discovered_on:
        raise InvalidDate("the deadline cannot precede the discovery", field="rectify_by")
    case.rectify_by = data.rectify_by
    case.rectified = None
    case.status = Status.RECTIFICATION_ORDERED.value
    session.flush()
    party = get_party(session, case.party_id)
    item = catalog.rulebase().require_item(case.item_id)
    doc = documents.issue(
        session,
        "rectification",
        content={
            "party": {
                "name": party.name,
                "identifier": f"统一社会信用代码 {party.credit_code}"
                if party.credit_code
                else f"身份证号 {party.id_masked}",
                "address": party.address,
            },
            "violation": f"{item.description}（{case.facts}）" if case.facts else item.description,
            "rectify_by": data.rectify_by.isoformat(),
            "rectify_by_cn": timeutil.date_cn(data.rectify_by),
        },
        issued_on=today,
        officer=officer,
        actor=actor,
        case_id=case.id,
    )
    record_step(
        session,
        case,
        "rectify",
        officer=officer,
        actor=actor,
        detail={"rectify_by": data.rectify_by.isoformat(), "document": doc.number},
    )
    return case


def check_rectification(
    session: Session,
    case_id: int,
    data: RectificationCheck,
    *,
    officer: str,
    actor: str,
    today: date | None = None,
) -> Case:
    today = today or timeutil.today()
    case = get_case(session, case_id)
    require_status(case, "check", Status.RECTIFICATION_ORDERED)
    checked_on = data.checked_on or today
    check_not_future(checked_on, "checked_on", today)
    case.rectified = data.rectified
    case.status = Status.CHECKED.value
    session.flush()
    on_time = case.rectify_by is not None and checked_on <= case.rectify_by
    record_step(
        session,
        case,
        "check",
        officer=officer,
        actor=actor,
        detail={
            "rectified": data.rectified,
            "checked_on": checked_on.isoformat(),
            "by_deadline": on_time,
        },
    )
    return case


def close_case(session: Session, case_id: int, *, officer: str, actor: str) -> Case:
    case = get_case(session, case_id)
    decision = find_decision(session, case.id)
    if decision is not None and decision.outcome == Outcome.TIME_BARRED.value:
        require_status(case, "close", Status.DECIDED, Status.NOTIFIED)
    else:
        require_status(case, "close", Status.NOTIFIED, Status.CHECKED)
    if case.status == Status.CHECKED and not case.rectified:
        raise CaseStepOutOfOrder(
            f"case {case.id} failed its rectification check: order a new deadline first",
            field="status",
        )
    case.status = Status.CLOSED.value
    case.closed_at = timeutil.now()
    session.flush()
    record_step(session, case, "close", officer=officer, actor=actor, detail={})
    return case

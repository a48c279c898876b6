"""Deciding a case with the pure rules (首违免罚 / 再犯必罚 / time limit) and serving the notice
with the party's rights. Flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import timeutil
from minsheng.enforcement.models import Case, Commitment, Decision
from minsheng.enforcement.rules import decision as rules
from minsheng.enforcement.rules.base import Harm, MentalState, Outcome, PartyKind, Status
from minsheng.enforcement.schemas import CaseDecide, CommitmentCreate
from minsheng.enforcement.service import catalog
from minsheng.enforcement.service.cases import (
    decision_dict,
    find_decision,
    get_case,
    record_step,
    require_status,
)
from minsheng.enforcement.service.commitments import commitment_dict, sign_commitment
from minsheng.enforcement.service.parties import get_party


def decision_input(
    session: Session,
    case: Case,
    *,
    signs_commitment_now: bool,
    decided_on: date,
    lookback_days: int,
) -> rules.DecisionInput:
    """The rule inputs of a case, from the party's other decided cases and commitments."""
    party = get_party(session, case.party_id)
    history_rows = session.execute(
        select(Case.item_id, Case.occurred_on, Decision.outcome)
        .join(Decision, Decision.case_id == Case.id)
        .where(
            Case.party_id == case.party_id,
            Case.id != case.id,
            Case.occurred_on < case.occurred_on,
            Decision.outcome != Outcome.TIME_BARRED.value,
        )
    ).all()
    commitments = session.scalars(
        select(Commitment).where(Commitment.party_id == case.party_id).order_by(Commitment.id)
    ).all()
    answered = {c.case_id for c in commitments if c.case_id is not None}
    case_items = (
        dict(session.execute(select(Case.id, Case.item_id).where(Case.id.in_(answered))).all())
        if answered
        else {}
    )
    assert case.harm is not None
    return rules.DecisionInput(
        party_kind=PartyKind(party.kind),
        violation=rules.Violation(
            item=case.item_id,
            occurred_on=case.occurred_on,
            ended_on=case.ended_on,
            discovered_on=case.discovered_on,
            harm=Harm(case.harm),
            corrected_in_time=bool(case.corrected_in_time),
            aggravating=tuple(case.aggravating),
            mitigating=tuple(case.mitigating),
            endangers_safety=case.endangers_safety,
            no_fault_proven=case.no_fault_proven,
            mental_state=MentalState(case.mental_state),
            mitigating_basis=tuple(case.mitigating_basis or ()),
            fine_base_yuan=case.fine_base_yuan,
        ),
        history=tuple(
            rules.PriorViolation(item=i, occurred_on=o, penalised=out == Outcome.PENALTY.value)
            for i, o, out in history_rows
        ),
        commitments=tuple(
            rules.CommitmentRef(
                signed_on=c.signed_on,
                valid_until=c.valid_until,
                item=c.item_id,
                domain=None if c.item_id else c.domain,
                ref=str(c.id),
                # Signed in a case or to repair credit: an earlier violation exists (再犯).
                after_violation=c.kind != "proactive",
                violation_item=case_items.get(c.case_id) if c.case_id else None,
            )
            for c in commitments
        ),
        signs_commitment_now=signs_commitment_now,
        decided_on=decided_on,
        lookback_days=lookback_days,
        party_birth_date=party.birth_date if party.kind == PartyKind.PERSON else None,
    )


@dataclass
class DecideResult:
    case: Case
    decision: Decision
    commitment: Commitment | None

    def to_dict(self) -> dict[str, Any]:
        """The decision with its case id and the commitment signed with it (API and CLI)."""
        out = decision_dict(self.decision)
        out["case_id"] = self.case.id
        out["commitment"] = commitment_dict(self.commitment) if self.commitment else None
        return out


def decide_case(
    session: Session,
    case_id: int,
    data: CaseDecide,
    *,
    officer: str,
    actor: str,
    lookback_days: int,
    valid_days: int,
    consent_publish: bool = True,
    today: date | None = None,
) -> DecideResult:
    """Run the decision rules on a case; an exemption that needs a commitment records it."""
    today = today or timeutil.today()
    case = get_case(session, case_id)
    require_status(case, "decide", Status.FACTS_RECORDED)
    decided_on = data.decided_on or today
    inp = decision_input(
        session,
        case,
        signs_commitment_now=data.sign_commitment,
        decided_on=decided_on,
        lookback_days=lookback_days,
    )
    result = rules.decide(catalog.rulebase(), inp, today=today)
    fine = rules.check_fine(result, data.fine_yuan)
    commitment = None
    if data.sign_commitment:
        commitment = sign_commitment(
            session,
            CommitmentCreate(
                party_id=case.party_id,
                item=case.item_id,
                signed_on=decided_on,
                consent_publish=consent_publish,
            ),
            officer=officer,
            actor=actor,
            valid_days=valid_days,
            kind="repair" if result.outcome is Outcome.PENALTY else "case",
            case_id=case.id,
            today=today,
        )
    decision = Decision(
        case_id=case.id,
        outcome=result.outcome.value,
        tier=result.tier.value if result.tier else None,
        fine_min=result.fine_range_yuan[0] if result.fine_range_yuan else None,
        fine_max=result.fine_range_yuan[1] if result.fine_range_yuan else None,
        fine_yuan=fine,
        item_id=result.item,
        rule_id=result.rule_id,
        rule_version=result.rule_version,
        rule_set=dict(result.rule_set),
        legal_basis=result.legal_basis,
        repeat=result.repeat,
        breached_commitment_id=int(result.breached_commitment)
        if result.breached_commitment
        else None,
        reasons=list(result.reasons),
        factors=dict(result.factors),
        education=result.education,
        decided_on=decided_on,
        officer=officer,
    )
    session.add(decision)
    case.status = Status.DECIDED.value
    session.flush()
    record_step(
        session,
        case,
        "decide",
        officer=officer,
        actor=actor,
        detail={
            "outcome": result.outcome.value,
            "tier": decision.tier,
            "fine_yuan": fine,
            "rule_id": result.rule_id,
            "rule_version": result.rule_version,
            "rule_set": result.rule_set.get("status"),
            "commitment_id": commitment.id if commitment else None,
        },
    )
    return DecideResult(case=case, decision=decision, commitment=commitment)


def notice(case: Case, decision: Decision, party_kind: str) -> dict[str, Any]:
    """The notice's content: the decision, its reasons and the party's rights."""
    proc = catalog.rulebase().procedure
    threshold = int(proc["hearing_threshold_yuan"][party_kind])
    # A value that is not from a cited rule in force says so where the party reads it.
    statement_mark = "（期限为演示值，非法定期限）" if proc.get("statement_days_status") else ""
    threshold_status = (proc.get("hearing_threshold_status") or {}).get(party_kind)
    threshold_mark = "（数额为演示/未核实值）" if threshold_status else ""
    rights = [
        f"陈述、申辩：收到告知后{proc['statement_days']}日内提出{statement_mark}，申辩不会加重处罚"
        f"（{proc['sources']['statement']}）",
        f"行政复议：知道该行政行为之日起{proc['reconsideration_days']}日内申请（《行政复议法》）",
        f"行政诉讼：知道或者应当知道作出行政行为之日起{proc['lawsuit_months']}个月内提起"
        "（《行政诉讼法》）",
    ]
    hearing = decision.outcome == Outcome.PENALTY.value and (decision.fine_yuan or 0) >= threshold
    if hearing:
        rights.insert(
            1,
            f"听证：罚款{decision.fine_yuan}元达到较大数额（{threshold}元起{threshold_mark}），可在告知后"
            f"{proc['hearing_request_days']}日内要求听证（{proc['sources']['hearing']}）",
        )
    return {
        "case_id": case.id,
        "outcome": decision.outcome,
        "tier": decision.tier,
        "fine_yuan": decision.fine_yuan,
        "item": decision.item_id,
        "legal_basis": decision.legal_basis,
        "rule_id": decision.rule_id,
        "rule_version": decision.rule_version,
        "rule_set": decision.rule_set,
        "reasons": decision.reasons,
        "education": decision.education,
        "hearing_available": hearing,
        "rights": rights,
    }


def notice_of(session: Session, case: Case) -> dict[str, Any] | None:
    """The notice a case has been served, or None before it is notified."""
    if case.status in (Status.OPEN, Status.FACTS_RECORDED, Status.DECIDED):
        return None
    decision = find_decision(session, case.id)
    if decision is None:
        return None
    return notice(case, decision, get_party(session, case.party_id).kind)


def notify(session: Session, case_id: int, *, officer: str, actor: str) -> dict[str, Any]:
    case = get_case(session, case_id)
    require_status(case, "notify", Status.DECIDED)
    decision = find_decision(session, case.id)
    assert decision is not None
    party = get_party(session, case.party_id)
    content = notice(case, decision, party.kind)
    case.status = Status.NOTIFIED.value
    session.flush()
    record_step(
        session,
        case,
        "notify",
        officer=officer,
        actor=actor,
        detail={"hearing_available": content["hearing_available"]},
    )
    return content

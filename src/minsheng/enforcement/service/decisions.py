"""Running the pure decision rules (首违免罚 / 再犯必罚 / time limit) on a case: a 不予处罚 or
time-barred outcome is the decision; a penalty is the proposal that the 行政处罚法 procedure
(``procedure``: 事先告知, statement, hearing, 法制审核, decision, 送达) carries on. The officer may
propose a fine outside the engine's band only with a recorded reason. Flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import timeutil
from minsheng.enforcement.models import Case, Commitment, Decision
from minsheng.enforcement.rules import decision as rules
from minsheng.enforcement.rules import procedure as procedure_rules
from minsheng.enforcement.rules.base import (
    DecisionStage,
    Harm,
    MentalState,
    Outcome,
    PartyKind,
    Status,
)
from minsheng.enforcement.schemas import CaseDecide, CommitmentCreate
from minsheng.enforcement.service import catalog, procedure, standing
from minsheng.enforcement.service.cases import (
    decision_dict,
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
    # Only decided, served and not cancelled cases count (rules/history.py): a proposal, an
    # unserved decision or a withdrawn case is no earlier violation.
    history_rows = standing.prior_violations(session, case)
    commitments = session.scalars(
        select(Commitment).where(Commitment.party_id == case.party_id).order_by(Commitment.id)
    ).all()
    answered = {c.case_id for c in commitments if c.case_id is not None}
    case_items = (
        dict(session.execute(select(Case.id, Case.item_id).where(Case.id.in_(answered))).all())
        if answered
        else {}
    )
    # A commitment signed in a case records an earlier violation only if that case counts.
    counted = standing.violation_case_ids(session, answered)
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
                # Signed in a case or to repair credit: an earlier violation exists (再犯) —
                # once that case's decision counts; a commitment signed without a case (the
                # demo's history) is taken at its kind.
                after_violation=c.kind != "proactive"
                and (c.case_id is None or c.case_id in counted),
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
    departed = False
    fine: int | None
    if result.outcome is Outcome.PENALTY:
        party = get_party(session, case.party_id)
        statutory = procedure.statutory_range(case, party)
        fine, departed = procedure_rules.proposed_fine(
            result.fine_range_yuan, statutory, data.fine_yuan, data.departure_reason
        )
    else:
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
        # A penalty is the proposal the procedure carries on (事先告知 … 决定); a 不予处罚 or
        # time-barred outcome is the decision.
        stage=(
            DecisionStage.PROPOSED.value
            if result.outcome is Outcome.PENALTY
            else DecisionStage.DECIDED.value
        ),
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
    session.flush()
    procedure.after_engine(
        session,
        case,
        decision,
        engine_range=result.fine_range_yuan,
        departure_reason=data.departure_reason,
        departed=departed,
        officer=officer,
        actor=actor,
    )
    session.flush()
    record_step(
        session,
        case,
        "propose" if case.status == Status.PROPOSED else "decide",
        officer=officer,
        actor=actor,
        detail={
            "outcome": result.outcome.value,
            "tier": decision.tier,
            "fine_yuan": fine,
            "engine_range": list(result.fine_range_yuan) if result.fine_range_yuan else None,
            "departure_reason": data.departure_reason if departed else None,
            "rule_id": result.rule_id,
            "rule_version": result.rule_version,
            "rule_set": result.rule_set.get("status"),
            "commitment_id": commitment.id if commitment else None,
        },
    )
    return DecideResult(case=case, decision=decision, commitment=commitment)

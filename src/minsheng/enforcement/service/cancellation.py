"""Cancelling a case: withdrawn before its decision (撤销立案, e.g. opened against the wrong
party), transferred to the judicial organs (《行政处罚法》第五十七条第四项 违法行为涉嫌犯罪的，
移送司法机关), or its decision revoked (第四十八条第二款: 被依法变更、撤销、确认违法或者确认无效 —
after 行政复议, a court judgment or the bureau's own correction). A cancelled case never counts
as a decision or a violation (``rules/history.py``); a revoked decision's published credit record
is withdrawn (第四十八条第二款 三日内撤回). Flush, never commit."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import timeutil
from minsheng.core.errors import InvalidInput
from minsheng.enforcement.errors import CaseStepOutOfOrder, InvalidDate
from minsheng.enforcement.models import Case, CreditRecord
from minsheng.enforcement.rules.base import DecisionStage, Status
from minsheng.enforcement.rules.credit import RecordStatus
from minsheng.enforcement.schemas import CaseCancel
from minsheng.enforcement.service.cases import find_decision, get_case, record_step
from minsheng.enforcement.service.common import check_not_future

BEFORE_DECISION = frozenset(
    {
        Status.OPEN.value,
        Status.FACTS_RECORDED.value,
        Status.PROPOSED.value,
        Status.PRE_NOTIFIED.value,
        Status.HEARING_REQUESTED.value,
        Status.HEARING_SCHEDULED.value,
        Status.HEARD.value,
    }
)
AFTER_DECISION = frozenset(
    {
        Status.DECIDED.value,
        Status.NOTIFIED.value,
        Status.RECTIFICATION_ORDERED.value,
        Status.CHECKED.value,
        Status.CLOSED.value,
    }
)
REASONS = {
    "withdrawn": "撤销立案",
    "transferred": "涉嫌犯罪，移送司法机关（《行政处罚法》第五十七条第四项）",
    "revoked": "决定被依法变更、撤销、确认违法或者确认无效（《行政处罚法》第四十八条第二款）",
}


def cancel_case(
    session: Session,
    case_id: int,
    data: CaseCancel,
    *,
    officer: str,
    actor: str,
    today: date | None = None,
) -> Case:
    """Cancel a case with its reason and note; ``revoked`` only after a decision, the others
    only before one."""
    today = today or timeutil.today()
    case = get_case(session, case_id)
    if data.reason not in REASONS:
        raise InvalidInput(f"reason must be one of {', '.join(REASONS)}", field="reason")
    allowed = AFTER_DECISION if data.reason == "revoked" else BEFORE_DECISION
    if case.status not in allowed:
        when = "after its decision" if data.reason == "revoked" else "before its decision"
        raise CaseStepOutOfOrder(
            f"case {case.id} is {case.status}; {data.reason} applies only {when}",
            field="status",
        )
    on = data.cancelled_on or today
    check_not_future(on, "cancelled_on", today)
    if on < case.discovered_on:
        raise InvalidDate("cancelled before the case was discovered", field="cancelled_on")
    decision = find_decision(session, case.id)
    if decision is not None:
        if on < decision.decided_on and data.reason == "revoked":
            raise InvalidDate("revoked before the decision", field="cancelled_on")
        decision.stage = DecisionStage.WITHDRAWN.value
    record = session.scalar(select(CreditRecord).where(CreditRecord.case_id == case.id))
    withdrawn_record = None
    if record is not None and record.status != RecordStatus.WITHDRAWN:
        record.status = RecordStatus.WITHDRAWN.value
        record.ended_on = on
        withdrawn_record = record.id
    previous = case.status
    case.status = Status.CANCELLED.value
    case.cancel_reason = data.reason
    case.closed_at = timeutil.now()
    session.flush()
    record_step(
        session,
        case,
        "cancel",
        officer=officer,
        actor=actor,
        detail={
            "reason": data.reason,
            "reason_cn": REASONS[data.reason],
            "note": data.note,
            "cancelled_on": on.isoformat(),
            "previous_status": previous,
            "credit_record_withdrawn": withdrawn_record,
        },
    )
    return case

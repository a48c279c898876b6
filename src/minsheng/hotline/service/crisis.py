"""Crisis follow-up: risk assessments, hand-overs to 110/119/120 and follow-up tasks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import audit
from minsheng.core.db import utcnow
from minsheng.core.privacy import redact
from minsheng.core.scope import Scope
from minsheng.hotline.errors import (
    FollowUpNotFound,
    InvalidHotline,
)
from minsheng.hotline.models import Assessment, Call, FollowUp
from minsheng.hotline.rules import risk as risk_rules
from minsheng.hotline.schemas import AssessmentCreate
from minsheng.hotline.service.calls import get_call
from minsheng.hotline.service.scoping import call_filter, call_in_scope, check_counsellor


# crisis follow-up ------------------------------------------------------------------------------
def record_assessment(
    session: Session,
    call_ref: str,
    data: AssessmentCreate,
    *,
    actor: str,
    now: datetime | None = None,
    scope: Scope = Scope.ALL,
) -> dict[str, Any]:
    """Record a risk assessment of a call, any hand-over to 110/119/120, and the follow-up task
    (due when given; for high and medium risk a default due time otherwise)."""
    now = now or utcnow()
    call = get_call(session, call_ref, scope=scope)
    check_counsellor(session, data.counsellor_id, scope)
    if data.handover_at is not None and data.handover_to is None:
        raise InvalidHotline("a hand-over time needs handover_to", field="handover_to")
    for name in ("handover_at", "follow_up_due"):
        value = getattr(data, name)
        if value is not None and value.tzinfo is None:
            raise InvalidHotline(f"{name} needs a time zone", field=name)
    risk, rule = risk_rules.assess_risk(data.suicidal_ideation, data.hopelessness)
    a = Assessment(
        call_id=call.id,
        counsellor_id=data.counsellor_id,
        assessed_at=now,
        suicidal_ideation=data.suicidal_ideation.value,
        hopelessness=data.hopelessness.value,
        risk=risk,
        risk_rule=rule,
        handover_to=data.handover_to,
        handover_at=data.handover_at or (now if data.handover_to else None),
        notes=redact(data.notes),
        detail={"rule_version": risk_rules.RISK_RULES_VERSION},
    )
    if risk in ("high", "medium"):
        call.crisis = True
    audit.add_and_record(
        session,
        a,
        actor=actor,
        action="hotline.assessment",
        detail={"call_ref": call.call_ref, "risk": risk},
    )
    due = data.follow_up_due
    if due is None and risk in risk_rules.FOLLOW_UP_HOURS:
        due = now + timedelta(hours=risk_rules.FOLLOW_UP_HOURS[risk])
    follow = None
    if due is not None:
        follow = FollowUp(
            call_id=call.id,
            assessment_id=a.id,
            task=data.follow_up_task,
            due_at=due,
            created_by=actor,
        )
        session.add(follow)
        session.flush()
    return {
        "assessment_id": a.id,
        "call_ref": call.call_ref,
        "risk": risk,
        "rule": rule,
        "rule_version": risk_rules.RISK_RULES_VERSION,
        "handover_to": a.handover_to,
        "follow_up": followup_dict(follow, call.call_ref, now) if follow else None,
        # A due time the platform set (not one the counsellor chose) comes from the demo policy.
        "follow_up_policy": (
            risk_rules.FOLLOW_UP_POLICY if data.follow_up_due is None and follow else None
        ),
    }


def followup_dict(
    f: FollowUp,
    call_ref: str,
    now: datetime,
    *,
    hotline_id: str | None = None,
    risk: str | None = None,
) -> dict[str, Any]:
    return {
        "id": f.id,
        "call_ref": call_ref,
        "hotline_id": hotline_id,
        "risk": risk,
        "task": f.task,
        "due_at": f.due_at.isoformat(),
        "done_at": f.done_at.isoformat() if f.done_at else None,
        "done_note": f.done_note if f.done_at else None,
        "overdue": f.done_at is None and f.due_at < now,
        # The default intervals (FOLLOW_UP_HOURS) are local policy, demo values: say so wherever
        # a due time or "overdue" is shown (issue 13 item 14).
        "due_policy": risk_rules.FOLLOW_UP_POLICY["label"],
    }


def list_followups(
    session: Session,
    *,
    overdue_only: bool = False,
    open_only: bool = False,
    now: datetime | None = None,
    scope: Scope = Scope.ALL,
) -> list[dict[str, Any]]:
    """Follow-up tasks by due time, with their call's hotline and the assessed risk;
    ``open_only`` keeps those not done, ``overdue_only`` those not done and past due."""
    now = now or utcnow()
    stmt = (
        select(FollowUp, Call.call_ref, Call.hotline_id, Assessment.risk)
        .join(Call, Call.id == FollowUp.call_id)
        .outerjoin(Assessment, Assessment.id == FollowUp.assessment_id)
        .where(call_filter(session, scope))
        .order_by(FollowUp.due_at, FollowUp.id)
    )
    if overdue_only:
        stmt = stmt.where(FollowUp.done_at.is_(None), FollowUp.due_at < now)
    elif open_only:
        stmt = stmt.where(FollowUp.done_at.is_(None))
    return [
        followup_dict(f, ref, now, hotline_id=line, risk=risk)
        for f, ref, line, risk in session.execute(stmt).all()
    ]


def complete_followup(
    session: Session,
    followup_id: int,
    note: str,
    *,
    actor: str,
    now: datetime | None = None,
    scope: Scope = Scope.ALL,
) -> dict[str, Any]:
    now = now or utcnow()
    f = session.get(FollowUp, followup_id)
    call = session.get(Call, f.call_id) if f is not None else None
    if f is None or call is None or not call_in_scope(session, call, scope):
        raise FollowUpNotFound(f"no follow-up {followup_id}", field="followup_id")
    if f.done_at is None:
        f.done_at = now
        f.done_note = redact(note)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="hotline.followup_done",
            table="hotline_followups",
            record_id=f.id,
        )
    return followup_dict(f, call.call_ref, now, hotline_id=call.hotline_id)

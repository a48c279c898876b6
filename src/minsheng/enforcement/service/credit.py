"""Credit records of penalty decisions: publication under the rules in force on the decision
date, repair (信用修复), automatic expiry at the maximum period, and a party's objection (异议) to
a record or a grade with its review. The rules are in ``rules/credit.py``; the rule sets in
``data/credit.json``. Every change writes an audit row. Flush, never commit.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import audit, timeutil
from minsheng.core.errors import InvalidInput
from minsheng.enforcement import schemas
from minsheng.enforcement.errors import (
    CreditRecordNotFound,
    NoCreditRuleSet,
    ObjectionAlreadyReviewed,
    ObjectionNotFound,
    RepairNotAllowed,
)
from minsheng.enforcement.models import (
    Case,
    CaseProcedure,
    Commitment,
    CreditRecord,
    Decision,
    Grade,
    Objection,
    Party,
)
from minsheng.enforcement.rules import credit as rules
from minsheng.enforcement.service import catalog
from minsheng.enforcement.service.common import check_not_future
from minsheng.enforcement.service.parties import get_party


@lru_cache(maxsize=1)
def credit_rules() -> rules.CreditRules:
    return rules.parse_credit_rules(catalog.read_json("credit.json"))


def record_for_decision(
    session: Session,
    case: Case,
    decision: Decision,
    party: Party,
    *,
    serious: bool,
    serious_reason: str | None,
    actor: str,
) -> CreditRecord | None:
    """The credit record of a penalty decision; none when no rule set was in force (the case
    event says so)."""
    cr = credit_rules()
    try:
        rule_set = cr.in_force(decision.decided_on)
    except NoCreditRuleSet:
        audit.record(
            session,
            actor=actor,
            action="credit.no_rule_set",
            table=Case.__tablename__,
            record_id=case.id,
            detail={"decided_on": decision.decided_on.isoformat()},
        )
        return None
    severity = rules.classify(cr, party_kind=party.kind, fine=decision.fine_yuan, serious=serious)
    pub = rules.publication(rule_set, severity, decision.decided_on)
    record = CreditRecord(
        party_id=party.id,
        case_id=case.id,
        severity=severity.value,
        rule_set=rule_set.id,
        decided_on=decision.decided_on,
        published=pub.published,
        min_until=pub.min_until,
        max_until=pub.max_until,
        status=pub.status().value,
        detail={"serious_reason": serious_reason} if serious else {},
    )
    audit.add_and_record(
        session,
        record,
        actor=actor,
        action="credit.record",
        detail={"case_id": case.id, "severity": severity.value, "rule_set": rule_set.id},
    )
    return record


def get_record(session: Session, record_id: int) -> CreditRecord:
    rec = session.get(CreditRecord, record_id)
    if rec is None:
        raise CreditRecordNotFound(f"no credit record {record_id}", field="record_id")
    return rec


def record_dict(rec: CreditRecord, *, today: date | None = None) -> dict[str, Any]:
    today = today or timeutil.today()
    status = rules.status_on(rules.RecordStatus(rec.status), rec.max_until, today)
    rule_set = next(s for s in credit_rules().rule_sets if s.id == rec.rule_set)
    return {
        "id": rec.id,
        "party_id": rec.party_id,
        "case_id": rec.case_id,
        "severity": rec.severity,
        "severity_label": rules.SEVERITY_LABELS[rules.Severity(rec.severity)],
        "rule_set": rec.rule_set,
        "rule_set_title": f"{rule_set.title}（{rule_set.document}）",
        "rule_set_status": rule_set.status,
        "periods_source": rule_set.periods_source,
        "decided_on": rec.decided_on.isoformat(),
        "published": rec.published,
        "min_until": rec.min_until.isoformat() if rec.min_until else None,
        "max_until": rec.max_until.isoformat() if rec.max_until else None,
        "status": status.value,
        "status_label": rules.RECORD_STATUS_LABELS[status],
        "ended_on": rec.ended_on.isoformat() if rec.ended_on else None,
        "detail": rec.detail,
    }


def list_records(session: Session, *, party_id: int) -> list[CreditRecord]:
    return list(
        session.scalars(
            select(CreditRecord).where(CreditRecord.party_id == party_id).order_by(CreditRecord.id)
        )
    )


def repair_conditions(session: Session, rec: CreditRecord, today: date) -> list[str]:
    case = session.get(Case, rec.case_id)
    proc = session.get(CaseProcedure, rec.case_id)
    assert case is not None
    committed = (
        session.scalar(
            select(Commitment.id).where(
                Commitment.party_id == rec.party_id, Commitment.signed_on >= rec.decided_on
            )
        )
        is not None
    )
    return rules.repair_unmet(
        min_until=rec.min_until,
        today=today,
        corrected=bool(case.rectified),
        fulfilled=proc is not None and proc.fulfilled_on is not None,
        committed=committed,
    )


def repair(
    session: Session, record_id: int, *, actor: str, today: date | None = None
) -> CreditRecord:
    """信用修复: stop publishing (and sharing) a record early once every condition holds."""
    today = today or timeutil.today()
    rec = get_record(session, record_id)
    status = rules.status_on(rules.RecordStatus(rec.status), rec.max_until, today)
    if status not in (rules.RecordStatus.PUBLISHED, rules.RecordStatus.UNPUBLISHED):
        raise RepairNotAllowed(f"record {rec.id} is {status.value}", field="status")
    unmet = repair_conditions(session, rec, today)
    if unmet:
        raise RepairNotAllowed("；".join(unmet), field="status")
    rec.status = rules.RecordStatus.REPAIRED.value
    rec.ended_on = today
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="credit.repair",
        table=CreditRecord.__tablename__,
        record_id=rec.id,
        detail={"on": today.isoformat()},
    )
    return rec


def expire_due(session: Session, *, actor: str, today: date | None = None) -> list[int]:
    """Persist the automatic end of publication of every record past its maximum period."""
    today = today or timeutil.today()
    rows = session.scalars(
        select(CreditRecord).where(
            CreditRecord.status == rules.RecordStatus.PUBLISHED.value,
            CreditRecord.max_until < today,
        )
    ).all()
    for rec in rows:
        rec.status = rules.RecordStatus.EXPIRED.value
        rec.ended_on = rec.max_until
        audit.record(
            session,
            actor=actor,
            action="credit.expire",
            table=CreditRecord.__tablename__,
            record_id=rec.id,
            detail={"max_until": rec.max_until.isoformat() if rec.max_until else None},
        )
    session.flush()
    return [r.id for r in rows]


# Objections -------------------------------------------------------------------------------------


def file_objection(
    session: Session, data: schemas.ObjectionCreate, *, actor: str, today: date | None = None
) -> Objection:
    """A party objects to one of its grades or credit records (steps: filed → reviewed)."""
    today = today or timeutil.today()
    get_party(session, data.party_id)
    if data.target == "grade":
        grade = session.get(Grade, data.target_id)
        owner = grade.party_id if grade else None
    else:
        rec = session.get(CreditRecord, data.target_id)
        owner = rec.party_id if rec else None
    if owner != data.party_id:
        raise InvalidInput(
            f"party {data.party_id} has no {data.target} {data.target_id}", field="target_id"
        )
    filed_on = data.filed_on or today
    check_not_future(filed_on, "filed_on", today)
    obj = Objection(
        party_id=data.party_id,
        target=data.target,
        target_id=data.target_id,
        filed_on=filed_on,
        grounds=data.grounds,
        status="filed",
    )
    audit.add_and_record(
        session,
        obj,
        actor=actor,
        action="objection.file",
        detail={"target": data.target, "target_id": data.target_id},
    )
    return obj


def get_objection(session: Session, objection_id: int) -> Objection:
    obj = session.get(Objection, objection_id)
    if obj is None:
        raise ObjectionNotFound(f"no objection {objection_id}", field="objection_id")
    return obj


def review_objection(
    session: Session,
    objection_id: int,
    data: schemas.ObjectionReview,
    *,
    reviewer: str,
    actor: str,
    today: date | None = None,
) -> Objection:
    """The review: upheld (a credit record is withdrawn; a grade is revised to the reviewer's
    grade) or rejected, with the written outcome. The reviewer may not be the officer who made
    the record (a local rule, see ``data/credit.json`` objection.source)."""
    today = today or timeutil.today()
    obj = get_objection(session, objection_id)
    if obj.status != "filed":
        raise ObjectionAlreadyReviewed(f"objection {obj.id} is {obj.status}", field="status")
    reviewed_on = data.reviewed_on or today
    check_not_future(reviewed_on, "reviewed_on", today)
    if reviewed_on < obj.filed_on:
        raise InvalidInput("reviewed before it was filed", field="reviewed_on")
    if obj.target == "credit_record":
        rec = get_record(session, obj.target_id)
        decision = session.scalar(select(Decision).where(Decision.case_id == rec.case_id))
        if decision is not None and decision.officer == reviewer:
            raise InvalidInput(
                "the officer who made the decision cannot review the objection", field="reviewer"
            )
        if data.upheld:
            rec.status = rules.RecordStatus.WITHDRAWN.value
            rec.ended_on = reviewed_on
    elif data.upheld and data.revised_grade is None:
        raise InvalidInput(
            "an upheld grade objection names the revised grade", field="revised_grade"
        )
    obj.status = "upheld" if data.upheld else "rejected"
    obj.reviewer = reviewer
    obj.reviewed_on = reviewed_on
    obj.outcome = data.outcome
    obj.revised_grade = data.revised_grade if data.upheld else None
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="objection.review",
        table=Objection.__tablename__,
        record_id=obj.id,
        detail={"status": obj.status, "revised_grade": obj.revised_grade},
    )
    return obj


def objection_dict(obj: Objection) -> dict[str, Any]:
    return {
        "id": obj.id,
        "party_id": obj.party_id,
        "target": obj.target,
        "target_id": obj.target_id,
        "filed_on": obj.filed_on.isoformat(),
        "grounds": obj.grounds,
        "status": obj.status,
        "reviewer": obj.reviewer,
        "reviewed_on": obj.reviewed_on.isoformat() if obj.reviewed_on else None,
        "outcome": obj.outcome,
        "revised_grade": obj.revised_grade,
        "source": credit_rules().objection_source,
        "source_status": credit_rules().objection_status,
    }


def list_objections(session: Session, *, party_id: int) -> list[Objection]:
    return list(
        session.scalars(
            select(Objection).where(Objection.party_id == party_id).order_by(Objection.id)
        )
    )


def credit_section(session: Session, party_id: int, *, today: date | None = None) -> dict[str, Any]:
    """The party page's credit section: records with their periods and repair status, and
    objections."""
    today = today or timeutil.today()
    records = []
    for rec in list_records(session, party_id=party_id):
        d = record_dict(rec, today=today)
        d["repair_unmet"] = (
            repair_conditions(session, rec, today)
            if d["status"] in ("published", "unpublished")
            else []
        )
        records.append(d)
    return {
        "records": records,
        "objections": [objection_dict(o) for o in list_objections(session, party_id=party_id)],
        "severity_source": credit_rules().severity_source,
    }

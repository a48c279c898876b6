"""Parties, credit commitments and cases: the services behind the CLI and the API.

Functions take a ``Session`` and flush, never commit; every staff change writes a case event
(the case's own timeline) and a ``core.audit`` row in the same transaction. Inputs are checked
before anything is added, so a refused request writes nothing.

Case workflow (each step timestamped with its officer)::

    open → facts_recorded → decided → notified → rectification_ordered → checked → closed
                                 └─ time_barred: decided → closed       notified → closed
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import audit, idnumber, privacy
from minsheng.core.errors import InvalidInput
from minsheng.enforcement import catalog, creditcode, rules
from minsheng.enforcement.errors import (
    CaseNotFound,
    CaseStepOutOfOrder,
    DuplicateParty,
    EvidenceTooLarge,
    InvalidDate,
    PartyNotFound,
)
from minsheng.enforcement.models import (
    Case,
    CaseEvent,
    Commitment,
    Decision,
    Evidence,
    EvidenceBlob,
    Party,
    Site,
)
from minsheng.enforcement.rules_base import MITIGATING_FACTORS, Harm, Outcome, PartyKind

ID_PURPOSE = "enf-party-id"


class Category(StrEnum):
    STREET_VENDOR = "street_vendor"
    SHOP = "shop"
    FARMER = "farmer"
    PROPERTY_COMPANY = "property_company"
    CONSTRUCTION_FIRM = "construction_firm"
    OTHER = "other"


class Discovery(StrEnum):
    PATROL = "patrol"
    COMPLAINT = "complaint"
    INSPECTION = "inspection"


class Status(StrEnum):
    OPEN = "open"
    FACTS_RECORDED = "facts_recorded"
    DECIDED = "decided"
    NOTIFIED = "notified"
    RECTIFICATION_ORDERED = "rectification_ordered"
    CHECKED = "checked"
    CLOSED = "closed"


# The four standard promises of a 信用承诺书 (Zhuhai sample letter; 《经营主体信用承诺实施指南》).
STANDARD_PROMISES = {
    "materials_true": "所提供的材料真实、准确、完整",
    "obey_law_accept_inspection": "严格遵守法律法规，自觉接受行政执法部门的监督检查",
    "accept_liability": "违反承诺的，自愿承担相应法律责任并接受惩戒",
    "accept_public_supervision": "自愿接受社会监督",
}


def check_not_future(value: date, field_name: str, today: date) -> None:
    if value > today:
        raise InvalidDate(f"{value.isoformat()} is in the future", field=field_name)


def parse_enum(cls: type[Any], value: str, field_name: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise InvalidInput(f"{value!r} is not one of: {allowed}", field=field_name) from None


# --------------------------------------------------------------------------------------------
# Parties


def party_dict(p: Party) -> dict[str, Any]:
    return {
        "id": p.id,
        "kind": p.kind,
        "category": p.category,
        "name": privacy.mask_name(p.name) if p.kind == PartyKind.PERSON else p.name,
        "credit_code": p.credit_code,
        "id_number": p.id_masked,
        "registered_on": p.registered_on.isoformat(),
    }


def create_party(
    session: Session,
    *,
    kind: str,
    category: str,
    name: str,
    key: bytes,
    actor: str,
    credit_code: str | None = None,
    id_number: str | None = None,
    registered_on: date | None = None,
    today: date | None = None,
) -> Party:
    """Register a person (by resident ID number) or an organisation (by credit code)."""
    today = today or date.today()
    party_kind = parse_enum(PartyKind, kind, "kind")
    cat = parse_enum(Category, category, "category")
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("name must be 1 to 200 characters", field="name")
    registered_on = registered_on or today
    check_not_future(registered_on, "registered_on", today)
    code = id_hash = id_masked = None
    if party_kind is PartyKind.PERSON:
        if credit_code:
            raise InvalidInput("a person is registered by ID number", field="credit_code")
        if not id_number:
            raise InvalidInput("a person needs a resident ID number", field="id_number")
        normalized = idnumber.validate(id_number, field_name="id_number", today=today)
        id_hash = privacy.keyed_hash(normalized, key, purpose=ID_PURPOSE)
        id_masked = privacy.mask_id(normalized)
        if session.scalar(select(Party.id).where(Party.id_hash == id_hash)) is not None:
            raise DuplicateParty("a party with this ID number exists already", field="id_number")
    else:
        if id_number:
            raise InvalidInput("an organisation is registered by credit code", field="id_number")
        if not credit_code:
            raise InvalidInput("an organisation needs a credit code", field="credit_code")
        code = creditcode.validate(credit_code)
        if session.scalar(select(Party.id).where(Party.credit_code == code)) is not None:
            raise DuplicateParty(
                "a party with this credit code exists already", field="credit_code"
            )
    party = Party(
        kind=party_kind.value,
        category=cat.value,
        name=name,
        credit_code=code,
        id_hash=id_hash,
        id_masked=id_masked,
        registered_on=registered_on,
    )
    session.add(party)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="party.create",
        table=Party.__tablename__,
        record_id=party.id,
        detail={"kind": party.kind, "category": party.category},
    )
    return party


def get_party(session: Session, party_id: int) -> Party:
    party = session.get(Party, party_id)
    if party is None:
        raise PartyNotFound(f"no party {party_id}", field="party_id")
    return party


def find_party(
    session: Session, *, key: bytes, credit_code: str | None = None, id_number: str | None = None
) -> Party:
    if credit_code:
        code = creditcode.validate(credit_code)
        party = session.scalar(select(Party).where(Party.credit_code == code))
    elif id_number:
        normalized = idnumber.validate(id_number, field_name="id_number")
        digest = privacy.keyed_hash(normalized, key, purpose=ID_PURPOSE)
        party = session.scalar(select(Party).where(Party.id_hash == digest))
    else:
        raise InvalidInput("give a credit code or an ID number", field="credit_code")
    if party is None:
        raise PartyNotFound(
            "no party with this identifier", field="credit_code" if credit_code else "id_number"
        )
    return party


# --------------------------------------------------------------------------------------------
# Commitments


def commitment_dict(c: Commitment) -> dict[str, Any]:
    return {
        "id": c.id,
        "party_id": c.party_id,
        "domain": c.domain,
        "item": c.item_id,
        "kind": c.kind,
        "promises": [{"code": p, "text": STANDARD_PROMISES.get(p, p)} for p in c.promises],
        "consent_publish": c.consent_publish,
        "signed_on": c.signed_on.isoformat(),
        "valid_until": c.valid_until.isoformat(),
        "case_id": c.case_id,
        "officer": c.officer,
    }


def sign_commitment(
    session: Session,
    *,
    party_id: int,
    domain: str | None,
    officer: str,
    valid_days: int,
    item_id: str | None = None,
    signed_on: date | None = None,
    valid_until: date | None = None,
    consent_publish: bool = True,
    kind: str = "proactive",
    case_id: int | None = None,
    today: date | None = None,
) -> Commitment:
    """Record a signed 信用承诺书 for one item (or a whole domain)."""
    today = today or date.today()
    rulebase = catalog.rulebase()
    get_party(session, party_id)
    if item_id is not None:
        item = rulebase.require_item(item_id, field_name="item")
        if domain is not None and domain != item.domain:
            raise InvalidInput(f"item {item_id} belongs to domain {item.domain}", field="domain")
        domain = item.domain
    if domain is None or domain not in rulebase.domains:
        known = ", ".join(rulebase.domains)
        raise InvalidInput(f"unknown domain {domain!r}; known: {known}", field="domain")
    if kind not in ("proactive", "case", "repair"):
        raise InvalidInput("kind must be proactive, case or repair", field="kind")
    signed_on = signed_on or today
    check_not_future(signed_on, "signed_on", today)
    valid_until = valid_until or signed_on + timedelta(days=valid_days)
    if valid_until <= signed_on:
        raise InvalidDate("valid_until must be after signed_on", field="valid_until")
    commitment = Commitment(
        party_id=party_id,
        domain=domain,
        item_id=item_id,
        kind=kind,
        promises=list(STANDARD_PROMISES),
        consent_publish=consent_publish,
        signed_on=signed_on,
        valid_until=valid_until,
        case_id=case_id,
        officer=officer,
    )
    session.add(commitment)
    session.flush()
    audit.record(
        session,
        actor=officer,
        action="commitment.sign",
        table=Commitment.__tablename__,
        record_id=commitment.id,
        detail={"party_id": party_id, "domain": domain, "item": item_id, "case_id": case_id},
    )
    return commitment


def list_commitments(session: Session, *, party_id: int | None = None) -> list[Commitment]:
    stmt = select(Commitment).order_by(Commitment.id)
    if party_id is not None:
        stmt = stmt.where(Commitment.party_id == party_id)
    return list(session.scalars(stmt.limit(1000)))


# --------------------------------------------------------------------------------------------
# Cases


def _event(session: Session, case: Case, step: str, officer: str, detail: dict[str, Any]) -> None:
    session.add(CaseEvent(case_id=case.id, step=step, officer=officer, detail=detail))
    audit.record(
        session,
        actor=officer,
        action=f"case.{step}",
        table=Case.__tablename__,
        record_id=case.id,
        detail=detail,
    )


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


def _require(case: Case, step: str, *allowed: Status) -> None:
    if case.status not in {s.value for s in allowed}:
        need = " or ".join(s.value for s in allowed)
        raise CaseStepOutOfOrder(
            f"case {case.id} is {case.status}; {step} needs it to be {need}", field="status"
        )


def open_case(
    session: Session,
    *,
    party_id: int,
    item_id: str,
    discovery: str,
    occurred_on: date,
    discovered_on: date,
    officer: str,
    ended_on: date | None = None,
    facts: str = "",
    site_id: int | None = None,
    today: date | None = None,
) -> Case:
    today = today or date.today()
    party = get_party(session, party_id)
    item = catalog.rulebase().require_item(item_id, field_name="item")
    if party.kind not in item.statutory:
        raise InvalidInput(
            f"item {item.id} applies to {'/'.join(item.statutory)}, not a {party.kind}",
            field="item",
        )
    method = parse_enum(Discovery, discovery, "discovery")
    for name, value in (
        ("occurred_on", occurred_on),
        ("ended_on", ended_on),
        ("discovered_on", discovered_on),
    ):
        if value is not None:
            check_not_future(value, name, today)
    if ended_on is not None and ended_on < occurred_on:
        raise InvalidDate("the violation cannot end before it began", field="ended_on")
    if discovered_on < occurred_on:
        raise InvalidDate("discovered before it happened", field="discovered_on")
    if site_id is not None and session.get(Site, site_id) is None:
        raise InvalidInput(f"no site {site_id}", field="site_id")
    case = Case(
        party_id=party_id,
        site_id=site_id,
        item_id=item.id,
        domain=item.domain,
        discovery=method.value,
        status=Status.OPEN.value,
        occurred_on=occurred_on,
        ended_on=ended_on,
        discovered_on=discovered_on,
        facts=facts,
        aggravating=[],
        mitigating=[],
        officer=officer,
    )
    session.add(case)
    session.flush()
    _event(
        session,
        case,
        "open",
        officer,
        {"item": item.id, "discovery": method.value, "discovered_on": discovered_on.isoformat()},
    )
    return case


def add_evidence(
    session: Session,
    case_id: int,
    *,
    filename: str,
    content: bytes,
    officer: str,
    max_bytes: int,
    note: str = "",
) -> Evidence:
    """Attach a file, kept once per SHA-256 in the database (commits with the step)."""
    case = get_case(session, case_id)
    if case.status == Status.CLOSED:
        raise CaseStepOutOfOrder(f"case {case.id} is closed", field="status")
    if len(content) > max_bytes:
        raise EvidenceTooLarge(f"{len(content)} bytes; the limit is {max_bytes}", field="file")
    if not content:
        raise InvalidInput("the file is empty", field="file")
    name = filename.strip()[:200] or "evidence"
    digest = hashlib.sha256(content).hexdigest()
    if session.get(EvidenceBlob, digest) is None:
        session.add(EvidenceBlob(sha256=digest, size=len(content), content=content))
        session.flush()  # the blob row must exist before the row that refers to it
    evidence = Evidence(case_id=case.id, sha256=digest, filename=name, note=note, officer=officer)
    session.add(evidence)
    session.flush()
    _event(session, case, "evidence", officer, {"sha256": digest, "filename": name})
    return evidence


def record_facts(
    session: Session,
    case_id: int,
    *,
    harm: str,
    corrected_in_time: bool,
    officer: str,
    aggravating: Sequence[str] = (),
    mitigating: Sequence[str] = (),
    endangers_safety: bool = False,
    facts: str | None = None,
) -> Case:
    case = get_case(session, case_id)
    _require(case, "facts", Status.OPEN, Status.FACTS_RECORDED)
    level = parse_enum(Harm, harm, "harm")
    rulebase = catalog.rulebase()
    for name in aggravating:
        if name not in rulebase.aggravating:
            known = ", ".join(rulebase.aggravating)
            raise InvalidInput(
                f"unknown aggravating factor {name!r}; known: {known}", field="aggravating"
            )
    for name in mitigating:
        if name not in MITIGATING_FACTORS:
            known = ", ".join(MITIGATING_FACTORS)
            raise InvalidInput(
                f"unknown mitigating factor {name!r}; known: {known}", field="mitigating"
            )
    case.harm = level.value
    case.corrected_in_time = corrected_in_time
    case.aggravating = sorted(set(aggravating))
    case.mitigating = sorted(set(mitigating))
    case.endangers_safety = endangers_safety
    if facts is not None:
        case.facts = facts
    case.status = Status.FACTS_RECORDED.value
    session.flush()
    _event(
        session,
        case,
        "facts",
        officer,
        {
            "harm": level.value,
            "corrected_in_time": corrected_in_time,
            "aggravating": case.aggravating,
        },
    )
    return case


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
            )
            for c in commitments
        ),
        signs_commitment_now=signs_commitment_now,
        decided_on=decided_on,
        lookback_days=lookback_days,
    )


@dataclass
class DecideResult:
    case: Case
    decision: Decision
    commitment: Commitment | None


def decide_case(
    session: Session,
    case_id: int,
    *,
    officer: str,
    lookback_days: int,
    valid_days: int,
    signs_commitment: bool = False,
    fine_yuan: int | None = None,
    decided_on: date | None = None,
    consent_publish: bool = True,
    today: date | None = None,
) -> DecideResult:
    """Run the decision rules on a case; an exemption that needs a commitment records it."""
    today = today or date.today()
    case = get_case(session, case_id)
    _require(case, "decide", Status.FACTS_RECORDED)
    decided_on = decided_on or today
    inp = decision_input(
        session,
        case,
        signs_commitment_now=signs_commitment,
        decided_on=decided_on,
        lookback_days=lookback_days,
    )
    result = rules.decide(catalog.rulebase(), inp, today=today)
    fine = rules.check_fine(result, fine_yuan)
    commitment = None
    if signs_commitment:
        commitment = sign_commitment(
            session,
            party_id=case.party_id,
            domain=None,
            item_id=case.item_id,
            officer=officer,
            valid_days=valid_days,
            signed_on=decided_on,
            consent_publish=consent_publish,
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
        rule_version=result.rule_version,
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
    _event(
        session,
        case,
        "decide",
        officer,
        {
            "outcome": result.outcome.value,
            "tier": decision.tier,
            "fine_yuan": fine,
            "rule_version": result.rule_version,
            "commitment_id": commitment.id if commitment else None,
        },
    )
    return DecideResult(case=case, decision=decision, commitment=commitment)


def notice(case: Case, decision: Decision, party_kind: str) -> dict[str, Any]:
    """The notice's content: the decision, its reasons and the party's rights."""
    proc = catalog.rulebase().procedure
    threshold = int(proc["hearing_threshold_yuan"][party_kind])
    rights = [
        f"陈述、申辩：收到告知后{proc['statement_days']}日内提出，申辩不会加重处罚"
        f"（{proc['sources']['statement']}）",
        f"行政复议：知道该行政行为之日起{proc['reconsideration_days']}日内申请（《行政复议法》）",
        f"行政诉讼：知道或者应当知道作出行政行为之日起{proc['lawsuit_months']}个月内提起"
        "（《行政诉讼法》）",
    ]
    hearing = decision.outcome == Outcome.PENALTY.value and (decision.fine_yuan or 0) >= threshold
    if hearing:
        rights.insert(
            1,
            f"听证：罚款{decision.fine_yuan}元达到较大数额（{threshold}元起），可在告知后"
            f"{proc['hearing_request_days']}日内要求听证（{proc['sources']['hearing']}）",
        )
    return {
        "case_id": case.id,
        "outcome": decision.outcome,
        "tier": decision.tier,
        "fine_yuan": decision.fine_yuan,
        "item": decision.item_id,
        "legal_basis": decision.legal_basis,
        "rule_version": decision.rule_version,
        "reasons": decision.reasons,
        "education": decision.education,
        "hearing_available": hearing,
        "rights": rights,
    }


def notify(session: Session, case_id: int, *, officer: str) -> dict[str, Any]:
    case = get_case(session, case_id)
    _require(case, "notify", Status.DECIDED)
    decision = session.scalar(select(Decision).where(Decision.case_id == case.id))
    assert decision is not None
    party = get_party(session, case.party_id)
    content = notice(case, decision, party.kind)
    case.status = Status.NOTIFIED.value
    session.flush()
    _event(session, case, "notify", officer, {"hearing_available": content["hearing_available"]})
    return content


def order_rectification(session: Session, case_id: int, *, rectify_by: date, officer: str) -> Case:
    case = get_case(session, case_id)
    _require(case, "rectify", Status.NOTIFIED, Status.CHECKED)
    if case.status == Status.CHECKED and case.rectified:
        raise CaseStepOutOfOrder(f"case {case.id} is already rectified", field="status")
    if rectify_by < case.discovered_on:
        raise InvalidDate("the deadline cannot precede the discovery", field="rectify_by")
    case.rectify_by = rectify_by
    case.rectified = None
    case.status = Status.RECTIFICATION_ORDERED.value
    session.flush()
    _event(session, case, "rectify", officer, {"rectify_by": rectify_by.isoformat()})
    return case


def check_rectification(
    session: Session,
    case_id: int,
    *,
    rectified: bool,
    officer: str,
    checked_on: date | None = None,
    today: date | None = None,
) -> Case:
    today = today or date.today()
    case = get_case(session, case_id)
    _require(case, "check", Status.RECTIFICATION_ORDERED)
    checked_on = checked_on or today
    check_not_future(checked_on, "checked_on", today)
    case.rectified = rectified
    case.status = Status.CHECKED.value
    session.flush()
    on_time = case.rectify_by is not None and checked_on <= case.rectify_by
    _event(
        session,
        case,
        "check",
        officer,
        {"rectified": rectified, "checked_on": checked_on.isoformat(), "by_deadline": on_time},
    )
    return case


def close_case(session: Session, case_id: int, *, officer: str) -> Case:
    case = get_case(session, case_id)
    decision = session.scalar(select(Decision).where(Decision.case_id == case.id))
    if decision is not None and decision.outcome == Outcome.TIME_BARRED.value:
        _require(case, "close", Status.DECIDED, Status.NOTIFIED)
    else:
        _require(case, "close", Status.NOTIFIED, Status.CHECKED)
    if case.status == Status.CHECKED and not case.rectified:
        raise CaseStepOutOfOrder(
            f"case {case.id} failed its rectification check: order a new deadline first",
            field="status",
        )
    case.status = Status.CLOSED.value
    case.closed_at = datetime.now(UTC)
    session.flush()
    _event(session, case, "close", officer, {})
    return case


def decision_dict(d: Decision) -> dict[str, Any]:
    return {
        "outcome": d.outcome,
        "tier": d.tier,
        "fine_range_yuan": [d.fine_min, d.fine_max] if d.fine_min is not None else None,
        "fine_yuan": d.fine_yuan,
        "item": d.item_id,
        "rule_version": d.rule_version,
        "legal_basis": d.legal_basis,
        "repeat": d.repeat,
        "breached_commitment_id": d.breached_commitment_id,
        "reasons": d.reasons,
        "factors": d.factors,
        "education": d.education,
        "decided_on": d.decided_on.isoformat(),
        "officer": d.officer,
    }


def case_dict(session: Session, case: Case) -> dict[str, Any]:
    decision = session.scalar(select(Decision).where(Decision.case_id == case.id))
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
        "rectify_by": case.rectify_by.isoformat() if case.rectify_by else None,
        "rectified": case.rectified,
        "officer": case.officer,
        "decision": decision_dict(decision) if decision else None,
        "evidence": [
            {"id": e.id, "sha256": e.sha256, "filename": e.filename, "officer": e.officer}
            for e in evidence
        ],
        "events": [
            {"step": e.step, "at": e.at.isoformat(), "officer": e.officer, "detail": e.detail}
            for e in events
        ],
    }

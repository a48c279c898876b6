"""HTTP API of the enforcement system, mounted under ``/api/enforcement``.

``GET /items`` is public (the rule base is public law); everything else needs a staff token with
the ``enforcement`` role. The acting officer is the token's user.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from minsheng.core.auth import Principal, Role
from minsheng.core.errors import InvalidInput, NotFound
from minsheng.core.web import AppSettings, DbSession, require_role
from minsheng.enforcement import (
    catalog,
    rules,
    rules_base,
    rules_grading,
    rules_input,
    schemas,
    service,
    stats,
    supervision,
)
from minsheng.enforcement.models import EvidenceBlob

router = APIRouter(prefix="/api/enforcement", tags=["enforcement"])
Staff = Annotated[Principal, Depends(require_role(Role.ENFORCEMENT))]


@router.get("/items")
def list_items(domain: str | None = None) -> list[dict[str, Any]]:
    """The rule items in force (public)."""
    return [i.to_dict() for i in rules_base.items_of(catalog.rulebase(), domain)]


@router.post("/decide")
def try_decision(body: dict[str, Any], settings: AppSettings, _user: Staff) -> dict[str, Any]:
    """Try the decision rules on one violation without a case (same JSON as the CLI)."""
    inp = rules_input.parse_decision_input(body, lookback_days=settings.enf_lookback_days)
    return rules.decide(catalog.rulebase(), inp, today=date.today()).to_dict()


@router.post("/parties", status_code=201)
def create_party(
    data: schemas.PartyCreate, session: DbSession, settings: AppSettings, user: Staff
) -> dict[str, Any]:
    party = service.create_party(
        session,
        kind=data.kind,
        category=data.category,
        name=data.name,
        key=settings.hmac_key,
        actor=user.actor,
        credit_code=data.credit_code,
        id_number=data.id_number,
        registered_on=data.registered_on,
    )
    return service.party_dict(party)


@router.get("/parties/{party_id}")
def get_party(party_id: int, session: DbSession, _user: Staff) -> dict[str, Any]:
    return service.party_dict(service.get_party(session, party_id))


@router.post("/commitments", status_code=201)
def sign_commitment(
    data: schemas.CommitmentCreate, session: DbSession, settings: AppSettings, user: Staff
) -> dict[str, Any]:
    c = service.sign_commitment(
        session,
        party_id=data.party_id,
        domain=data.domain,
        item_id=data.item,
        officer=user.actor,
        valid_days=settings.enf_commitment_valid_days,
        signed_on=data.signed_on,
        valid_until=data.valid_until,
        consent_publish=data.consent_publish,
    )
    return service.commitment_dict(c)


@router.get("/commitments")
def list_commitments(
    session: DbSession, _user: Staff, party_id: int | None = None
) -> list[dict[str, Any]]:
    return [
        service.commitment_dict(c) for c in service.list_commitments(session, party_id=party_id)
    ]


@router.post("/cases", status_code=201)
def open_case(data: schemas.CaseOpen, session: DbSession, user: Staff) -> dict[str, Any]:
    case = service.open_case(
        session,
        party_id=data.party_id,
        item_id=data.item,
        discovery=data.discovery,
        occurred_on=data.occurred_on,
        discovered_on=data.discovered_on,
        ended_on=data.ended_on,
        facts=data.facts,
        site_id=data.site_id,
        officer=user.actor,
    )
    return service.case_dict(session, case)


@router.get("/cases")
def list_cases(
    session: DbSession,
    _user: Staff,
    party_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Cases, newest first."""
    found = service.list_cases(session, party_id=party_id, status=status, limit=limit)
    return [service.case_brief(c) for c in found]


@router.get("/cases/{case_id}")
def get_case(case_id: int, session: DbSession, _user: Staff) -> dict[str, Any]:
    return service.case_dict(session, service.get_case(session, case_id))


@router.post("/cases/{case_id}/evidence", status_code=201)
def add_evidence(
    case_id: int,
    data: schemas.EvidenceAdd,
    session: DbSession,
    settings: AppSettings,
    user: Staff,
) -> dict[str, Any]:
    try:
        content = base64.b64decode(data.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("not valid base64", field="content_base64") from None
    ev = service.add_evidence(
        session,
        case_id,
        filename=data.filename,
        content=content,
        officer=user.actor,
        max_bytes=settings.enf_evidence_max_bytes,
        note=data.note,
    )
    return {"id": ev.id, "case_id": case_id, "sha256": ev.sha256, "filename": ev.filename}


@router.get("/evidence/{sha256}")
def get_evidence(sha256: str, session: DbSession, _user: Staff) -> Response:
    """The evidence bytes by content hash."""
    blob = session.get(EvidenceBlob, sha256.lower())
    if blob is None:
        raise NotFound(f"no evidence {sha256}", field="sha256")
    return Response(blob.content, media_type="application/octet-stream")


@router.post("/cases/{case_id}/facts")
def record_facts(
    case_id: int, data: schemas.CaseFacts, session: DbSession, user: Staff
) -> dict[str, Any]:
    case = service.record_facts(
        session,
        case_id,
        harm=data.harm,
        corrected_in_time=data.corrected_in_time,
        aggravating=data.aggravating,
        mitigating=data.mitigating,
        endangers_safety=data.endangers_safety,
        facts=data.facts,
        officer=user.actor,
    )
    return service.case_dict(session, case)


@router.post("/cases/{case_id}/decide")
def decide_case(
    case_id: int,
    data: schemas.CaseDecide,
    session: DbSession,
    settings: AppSettings,
    user: Staff,
) -> dict[str, Any]:
    result = service.decide_case(
        session,
        case_id,
        officer=user.actor,
        lookback_days=settings.enf_lookback_days,
        valid_days=settings.enf_commitment_valid_days,
        signs_commitment=data.sign_commitment,
        fine_yuan=data.fine_yuan,
        decided_on=data.decided_on,
    )
    out = service.decision_dict(result.decision)
    out["case_id"] = case_id
    out["commitment"] = service.commitment_dict(result.commitment) if result.commitment else None
    return out


@router.post("/cases/{case_id}/notify")
def notify(case_id: int, session: DbSession, user: Staff) -> dict[str, Any]:
    return service.notify(session, case_id, officer=user.actor)


@router.post("/cases/{case_id}/rectification")
def order_rectification(
    case_id: int, data: schemas.Rectification, session: DbSession, user: Staff
) -> dict[str, Any]:
    case = service.order_rectification(
        session, case_id, rectify_by=data.rectify_by, officer=user.actor
    )
    return {"case_id": case.id, "status": case.status, "rectify_by": data.rectify_by.isoformat()}


@router.post("/cases/{case_id}/check")
def check_rectification(
    case_id: int, data: schemas.RectificationCheck, session: DbSession, user: Staff
) -> dict[str, Any]:
    case = service.check_rectification(
        session, case_id, rectified=data.rectified, checked_on=data.checked_on, officer=user.actor
    )
    return {"case_id": case.id, "status": case.status, "rectified": case.rectified}


@router.post("/cases/{case_id}/close")
def close_case(case_id: int, session: DbSession, user: Staff) -> dict[str, Any]:
    case = service.close_case(session, case_id, officer=user.actor)
    return {"case_id": case.id, "status": case.status}


@router.post("/inspectors", status_code=201)
def add_inspector(data: schemas.InspectorCreate, session: DbSession, user: Staff) -> dict[str, Any]:
    i = supervision.add_inspector(session, code=data.code, name=data.name, actor=user.actor)
    return {"id": i.id, "code": i.code, "name": i.name}


@router.post("/conflicts", status_code=201)
def add_conflict(data: schemas.ConflictCreate, session: DbSession, user: Staff) -> dict[str, Any]:
    c = supervision.add_conflict(
        session,
        inspector_code=data.inspector,
        party_id=data.party_id,
        reason=data.reason,
        actor=user.actor,
    )
    return {"id": c.id, "inspector": data.inspector, "party_id": data.party_id}


@router.post("/inspections", status_code=201)
def record_inspection(
    data: schemas.InspectionCreate, session: DbSession, user: Staff
) -> dict[str, Any]:
    row = supervision.record_inspection(
        session,
        party_id=data.party_id,
        inspected_on=data.inspected_on,
        passed=data.passed,
        items=data.items,
        inspectors=data.inspectors,
        kind=data.kind,
        actor=user.actor,
    )
    return {"id": row.id, "party_id": row.party_id, "passed": row.passed}


@router.post("/industry-records", status_code=201)
def add_industry_record(
    data: schemas.IndustryRecordCreate, session: DbSession, user: Staff
) -> dict[str, Any]:
    row = supervision.add_industry_record(
        session,
        party_id=data.party_id,
        kind=data.kind,
        recorded_on=data.recorded_on,
        note=data.note,
        actor=user.actor,
    )
    return {"id": row.id, "party_id": row.party_id, "kind": row.kind}


@router.post("/grades/{year}")
def grade_year(year: int, session: DbSession, user: Staff) -> dict[str, Any]:
    """Grade every construction-site firm for ``year`` from the previous year's records."""
    return supervision.grade_year(session, year, actor=user.actor)


@router.get("/grades/{year}/{party_id}")
def grade_of(year: int, party_id: int, session: DbSession, _user: Staff) -> dict[str, Any]:
    return supervision.grade_of(session, party_id, year)


@router.post("/grade/explain")
def grade_explain(body: dict[str, Any], _user: Staff) -> dict[str, Any]:
    """Grade one summary and explain it item by item (same JSON as the CLI)."""
    summary = rules_grading.parse_summary(body)
    return rules_grading.grade(catalog.grading_table(), summary).to_dict()


@router.get("/plan")
def plan(
    session: DbSession,
    _user: Staff,
    year: int,
    seed: int,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
) -> dict[str, Any]:
    """The year's 双随机 visits and the burden compared with no grading."""
    return supervision.plan(session, year=year, seed=seed).to_dict(month)


@router.get("/stats")
def get_stats(
    session: DbSession,
    _user: Staff,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> dict[str, Any]:
    """Outcome statistics computed from the records."""
    return stats.compute(session, start=from_, end=to)

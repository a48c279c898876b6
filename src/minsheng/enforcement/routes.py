"""HTTP API of the enforcement system, mounted under ``/api/enforcement``.

``GET /items`` is public (the rule base is public law); everything else needs a staff token with
the ``enforcement`` role. The token's user is the officer named on the case step and the actor of
the audit row. Data only through ``enforcement.service``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from minsheng.core import paging, timeutil
from minsheng.core.auth import Principal, Role
from minsheng.core.errors import InvalidInput
from minsheng.core.scope import Scope
from minsheng.core.validation import BoundedDate, CleanText, DbId, Year
from minsheng.core.web import AppSettings, DbSession, require_role
from minsheng.enforcement import schemas, service
from minsheng.enforcement.rules import base as rules_base
from minsheng.enforcement.rules import decision as rules
from minsheng.enforcement.rules import grading as rules_grading
from minsheng.enforcement.rules import inputs as rules_input
from minsheng.enforcement.service import catalog, printing

router = APIRouter(prefix="/api/enforcement", tags=["enforcement"])
Staff = Annotated[Principal, Depends(require_role(Role.ENFORCEMENT))]

# Bounded parameters (issue 12 items 5 and 12): out of range is a 422 naming the parameter.
Id = Annotated[DbId, Path()]
FilterId = Annotated[DbId | None, Query()]
YearPath = Annotated[Year, Path()]
Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]


@router.get("/items")
def list_items(
    domain: Annotated[CleanText | None, Query(max_length=60)] = None,
) -> list[dict[str, Any]]:
    """The rule items in force (public), each with the status of its rule set (demo or
    official): a demo rule base is published as such, never as law."""
    rulebase = catalog.rulebase()
    status = rulebase.status_dict()
    return [{**i.to_dict(), "rule_set": status} for i in rules_base.items_of(rulebase, domain)]


@router.post("/decide")
def try_decision(body: dict[str, Any], settings: AppSettings, _user: Staff) -> dict[str, Any]:
    """Try the decision rules on one violation without a case (same JSON as the CLI)."""
    inp = rules_input.parse_decision_input(body, lookback_days=settings.enf_lookback_days)
    return rules.decide(catalog.rulebase(), inp, today=timeutil.today()).to_dict()


@router.post("/parties", status_code=201)
def create_party(
    data: schemas.PartyCreate, session: DbSession, settings: AppSettings, user: Staff
) -> dict[str, Any]:
    party = service.create_party(
        session, data, key=settings.hmac_key, actor=user.actor, scope=user.scope
    )
    return service.party_dict(party)


@router.get("/parties/{party_id}")
def get_party(party_id: Id, session: DbSession, user: Staff) -> dict[str, Any]:
    return service.party_dict(service.get_party(session, party_id, scope=user.scope))


@router.post("/commitments", status_code=201)
def sign_commitment(
    data: schemas.CommitmentCreate, session: DbSession, settings: AppSettings, user: Staff
) -> dict[str, Any]:
    c = service.sign_commitment(
        session,
        data,
        officer=user.name,
        actor=user.actor,
        valid_days=settings.enf_commitment_valid_days,
        scope=user.scope,
    )
    return service.commitment_dict(c)


@router.get("/commitments")
def list_commitments(
    session: DbSession, user: Staff, party_id: FilterId = None
) -> list[dict[str, Any]]:
    return [
        service.commitment_dict(c)
        for c in service.list_commitments(session, party_id=party_id, scope=user.scope)
    ]


@router.post("/cases", status_code=201)
def open_case(data: schemas.CaseOpen, session: DbSession, user: Staff) -> dict[str, Any]:
    case = service.open_case(session, data, officer=user.name, actor=user.actor, scope=user.scope)
    return service.case_dict(session, case)


@router.get("/cases")
def list_cases(
    session: DbSession,
    user: Staff,
    party_id: FilterId = None,
    status: Annotated[CleanText | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Cases, newest first."""
    found = service.list_cases(
        session, party_id=party_id, status=status, limit=limit, scope=user.scope
    )
    return [service.case_brief(c) for c in found]


@router.get("/cases/{case_id}")
def get_case(case_id: Id, session: DbSession, user: Staff) -> dict[str, Any]:
    return service.case_dict(session, service.get_case(session, case_id, scope=user.scope))


@router.post("/cases/{case_id}/evidence", status_code=201)
def add_evidence(
    case_id: Id,
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
        officer=user.name,
        actor=user.actor,
        max_bytes=settings.enf_evidence_max_bytes,
        note=data.note,
        officers=data.officers,
        scope=user.scope,
    )
    return service.evidence_dict(ev)


@router.get("/evidence/{sha256}")
def get_evidence(sha256: Sha256, session: DbSession, user: Staff) -> Response:
    """The evidence bytes by content hash."""
    content = service.get_evidence(session, sha256, scope=user.scope)
    return Response(content, media_type="application/octet-stream")


@router.post("/cases/{case_id}/facts")
def record_facts(
    case_id: Id, data: schemas.CaseFacts, session: DbSession, user: Staff
) -> dict[str, Any]:
    case = service.record_facts(
        session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
    )
    return service.case_dict(session, case)


@router.post("/cases/{case_id}/decide")
def decide_case(
    case_id: Id,
    data: schemas.CaseDecide,
    session: DbSession,
    settings: AppSettings,
    user: Staff,
) -> dict[str, Any]:
    result = service.decide_case(
        session,
        case_id,
        data,
        officer=user.name,
        actor=user.actor,
        lookback_days=settings.enf_lookback_days,
        valid_days=settings.enf_commitment_valid_days,
        scope=user.scope,
    )
    return result.to_dict()


def _proc(session: DbSession, case_id: int, scope: Scope) -> dict[str, Any]:
    return service.procedure_dict(session, service.get_case(session, case_id, scope=scope))


@router.get("/late-cases")
def late_cases(session: DbSession, user: Staff) -> list[dict[str, Any]]:
    """Cases still undecided after the 90 days of 《行政处罚法》第六十条 (plus extensions)."""
    return service.late_cases(session, scope=user.scope)


@router.get("/cases/{case_id}/procedure")
def get_procedure(case_id: Id, session: DbSession, user: Staff) -> dict[str, Any]:
    return _proc(session, case_id, user.scope)


@router.post("/cases/{case_id}/prior-notice")
def pre_notify(
    case_id: Id, data: schemas.PriorNotice, session: DbSession, user: Staff
) -> dict[str, Any]:
    """Serve the 行政处罚事先告知书 (Art. 44)."""
    service.pre_notify(
        session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
    )
    return _proc(session, case_id, user.scope)


@router.post("/cases/{case_id}/statement")
def record_statement(
    case_id: Id, data: schemas.Statement, session: DbSession, user: Staff
) -> dict[str, Any]:
    """The party's 陈述、申辩 (or waiver) and its 复核 (Art. 45)."""
    service.record_statement(
        session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
    )
    return _proc(session, case_id, user.scope)


@router.post("/cases/{case_id}/hearing/request")
def request_hearing(
    case_id: Id, data: schemas.HearingRequest, session: DbSession, user: Staff
) -> dict[str, Any]:
    service.request_hearing(
        session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
    )
    return _proc(session, case_id, user.scope)


@router.post("/cases/{case_id}/hearing/schedule")
def schedule_hearing(
    case_id: Id, data: schemas.HearingSchedule, session: DbSession, user: Staff
) -> dict[str, Any]:
    service.schedule_hearing(
        session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
    )
    return _proc(session, case_id, user.scope)


@router.post("/cases/{case_id}/hearing")
def hold_hearing(
    case_id: Id, data: schemas.HearingHeld, session: DbSession, user: Staff
) -> dict[str, Any]:
    service.hold_hearing(
        session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
    )
    return _proc(session, case_id, user.scope)


@router.post("/cases/{case_id}/legal-review")
def legal_review(
    case_id: Id, data: schemas.LegalReview, session: DbSession, user: Staff
) -> dict[str, Any]:
    """法制审核 (Art. 58)."""
    service.legal_review(
        session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
    )
    return _proc(session, case_id, user.scope)


@router.post("/cases/{case_id}/decision")
def decide_final(
    case_id: Id, data: schemas.FinalDecision, session: DbSession, user: Staff
) -> dict[str, Any]:
    """The penalty decision and its 行政处罚决定书 (Arts. 57–59, 65)."""
    decision = service.decide_final(
        session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
    )
    return service.decision_dict(decision) | {"case_id": case_id}


@router.post("/cases/{case_id}/serve")
def serve(case_id: Id, data: schemas.Service, session: DbSession, user: Staff) -> dict[str, Any]:
    """送达 of the decision (Art. 61)."""
    service.serve(session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope)
    return _proc(session, case_id, user.scope)


@router.post("/cases/{case_id}/extension")
def extend(case_id: Id, data: schemas.Extension, session: DbSession, user: Staff) -> dict[str, Any]:
    service.extend(session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope)
    return _proc(session, case_id, user.scope)


@router.post("/cases/{case_id}/fulfilment")
def record_fulfilment(
    case_id: Id, data: schemas.Fulfilment, session: DbSession, user: Staff
) -> dict[str, Any]:
    service.record_fulfilment(
        session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
    )
    return _proc(session, case_id, user.scope)


@router.get("/cases/{case_id}/documents")
def list_documents(case_id: Id, session: DbSession, user: Staff) -> list[dict[str, Any]]:
    service.get_case(session, case_id, scope=user.scope)
    return [
        service.document_dict(d)
        for d in service.list_documents(session, case_id=case_id, scope=user.scope)
    ]


@router.get("/documents/{document_id}")
def get_document(document_id: Id, session: DbSession, user: Staff) -> dict[str, Any]:
    return service.document_dict(service.get_document(session, document_id, scope=user.scope))


@router.get("/documents/{document_id}/pdf")
def document_pdf(document_id: Id, session: DbSession, user: Staff) -> Response:
    doc = service.get_document(session, document_id, scope=user.scope)
    return Response(
        printing.document_pdf(doc),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="document-{doc.id}.pdf"'},
    )


@router.post("/officer-certs", status_code=201)
def register_cert(
    data: schemas.OfficerCertCreate, session: DbSession, user: Staff
) -> dict[str, Any]:
    """Record an officer's 执法证 (Art. 42) and 法律职业资格 (Art. 58)."""
    return service.cert_dict(service.register_cert(session, data, actor=user.actor), data.inspector)


@router.get("/parties/{party_id}/credit")
def party_credit(party_id: Id, session: DbSession, user: Staff) -> dict[str, Any]:
    """The party's credit records (publication, repair) and objections."""
    service.get_party(session, party_id, scope=user.scope)
    return service.credit_section(session, party_id, scope=user.scope)


@router.post("/credit-records/{record_id}/repair")
def repair(record_id: Id, session: DbSession, user: Staff) -> dict[str, Any]:
    """信用修复: end publication early when every condition holds."""
    return service.record_dict(
        service.repair(session, record_id, actor=user.actor, scope=user.scope)
    )


@router.post("/credit-records/expire")
def expire(session: DbSession, user: Staff) -> dict[str, Any]:
    """Record the automatic end of publication of records past their maximum period."""
    return {"expired": service.expire_due(session, actor=user.actor, scope=user.scope)}


@router.post("/objections", status_code=201)
def file_objection(
    data: schemas.ObjectionCreate, session: DbSession, user: Staff
) -> dict[str, Any]:
    return service.objection_dict(
        service.file_objection(session, data, actor=user.actor, scope=user.scope)
    )


@router.post("/objections/{objection_id}/review")
def review_objection(
    objection_id: Id, data: schemas.ObjectionReview, session: DbSession, user: Staff
) -> dict[str, Any]:
    obj = service.review_objection(
        session, objection_id, data, reviewer=user.name, actor=user.actor, scope=user.scope
    )
    return service.objection_dict(obj)


@router.post("/cases/{case_id}/rectification")
def order_rectification(
    case_id: Id, data: schemas.Rectification, session: DbSession, user: Staff
) -> dict[str, Any]:
    case = service.order_rectification(
        session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
    )
    return service.rectification_dict(case)


@router.post("/cases/{case_id}/check")
def check_rectification(
    case_id: Id, data: schemas.RectificationCheck, session: DbSession, user: Staff
) -> dict[str, Any]:
    case = service.check_rectification(
        session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
    )
    return service.check_dict(case)


@router.post("/cases/{case_id}/close")
def close_case(case_id: Id, session: DbSession, user: Staff) -> dict[str, Any]:
    case = service.close_case(
        session, case_id, officer=user.name, actor=user.actor, scope=user.scope
    )
    return service.status_dict(case)


@router.post("/cases/{case_id}/cancel")
def cancel_case(
    case_id: Id, data: schemas.CaseCancel, session: DbSession, user: Staff
) -> dict[str, Any]:
    """Cancel a case (撤销立案 / 移送司法机关 before its decision; revoked after it): it then
    counts nowhere as a decision or a violation."""
    case = service.cancel_case(
        session, case_id, data, officer=user.name, actor=user.actor, scope=user.scope
    )
    return service.status_dict(case) | {"cancel_reason": case.cancel_reason}


@router.post("/inspectors", status_code=201)
def add_inspector(data: schemas.InspectorCreate, session: DbSession, user: Staff) -> dict[str, Any]:
    return service.inspector_dict(service.add_inspector(session, data, actor=user.actor))


@router.post("/conflicts", status_code=201)
def add_conflict(data: schemas.ConflictCreate, session: DbSession, user: Staff) -> dict[str, Any]:
    c = service.add_conflict(session, data, actor=user.actor, scope=user.scope)
    return service.conflict_dict(c, data.inspector)


@router.post("/inspections", status_code=201)
def record_inspection(
    data: schemas.InspectionCreate, session: DbSession, user: Staff
) -> dict[str, Any]:
    return service.inspection_dict(
        service.record_inspection(session, data, actor=user.actor, scope=user.scope)
    )


@router.post("/industry-records", status_code=201)
def add_industry_record(
    data: schemas.IndustryRecordCreate, session: DbSession, user: Staff
) -> dict[str, Any]:
    row = service.add_industry_record(session, data, actor=user.actor, scope=user.scope)
    return service.industry_record_dict(row)


@router.post("/grades/{year}")
def grade_year(year: YearPath, session: DbSession, user: Staff) -> dict[str, Any]:
    """Grade every construction-site firm for ``year`` from the previous year's records."""
    return service.grade_year(session, year, actor=user.actor, scope=user.scope)


@router.get("/grades/{year}/{party_id}")
def grade_of(year: YearPath, party_id: Id, session: DbSession, user: Staff) -> dict[str, Any]:
    return service.grade_dict(service.get_grade(session, party_id, year, scope=user.scope))


@router.post("/grade/explain")
def grade_explain(body: dict[str, Any], _user: Staff) -> dict[str, Any]:
    """Grade one summary and explain it item by item (same JSON as the CLI)."""
    summary = rules_grading.parse_summary(body)
    table = catalog.grading_table()
    return {**rules_grading.grade(table, summary).to_dict(), "rule_set": table.status_dict()}


@router.get("/plan")
def plan(
    session: DbSession,
    user: Staff,
    year: Year,
    seed: Annotated[int, Query(ge=0, le=2**31 - 1)],
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
) -> dict[str, Any]:
    """The year's 双随机 visits and the burden compared with no grading."""
    return service.plan(session, year=year, seed=seed, scope=user.scope).to_dict(month)


@router.get("/stats")
def get_stats(
    session: DbSession,
    user: Staff,
    from_: Annotated[BoundedDate | None, Query(alias="from")] = None,
    to: BoundedDate | None = None,
) -> dict[str, Any]:
    """Outcome statistics computed from the records."""
    return service.compute_stats(session, start=from_, end=to, scope=user.scope)


# Lists with search, filters and paging (issue 18 item 6): the staff pages' lists, as JSON.
PageNumber = Annotated[int, Query(ge=1, le=paging.MAX_PAGE)]
PageSize = Annotated[int, Query(description="20, 50 or 100")]
SearchText = Annotated[CleanText | None, Query(max_length=paging.MAX_SEARCH_LENGTH)]


@router.get("/lists/cases")
def search_cases(
    session: DbSession,
    user: Staff,
    q: SearchText = None,
    status: SearchText = None,
    item: SearchText = None,
    discovery: SearchText = None,
    from_: Annotated[BoundedDate | None, Query(alias="from")] = None,
    to: BoundedDate | None = None,
    party_id: FilterId = None,
    page: PageNumber = 1,
    page_size: PageSize = paging.DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Cases newest first, filtered and paged (``total``, ``pages``) within the user's bureau."""
    filters = service.case_filters(
        q=q,
        status=status,
        item=item,
        discovery=discovery,
        from_=from_.isoformat() if from_ else None,
        to=to.isoformat() if to else None,
        party_id=party_id,
    )
    found = service.search_cases(
        session, filters, paging.api_page(page, page_size), scope=user.scope
    )
    assert isinstance(found, paging.Page)
    return found.to_dict()


@router.get("/lists/parties")
def search_parties(
    session: DbSession,
    user: Staff,
    q: SearchText = None,
    kind: SearchText = None,
    category: SearchText = None,
    page: PageNumber = 1,
    page_size: PageSize = paging.DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Parties newest first by name or credit code, filtered and paged (names and ID numbers
    of persons masked)."""
    filters = service.party_filters(q=q, kind=kind, category=category)
    found = service.search_parties(
        session, filters, paging.api_page(page, page_size), scope=user.scope
    )
    assert isinstance(found, paging.Page)
    return found.to_dict()


@router.get("/lists/grades/{year}")
def search_grades(
    year: YearPath,
    session: DbSession,
    user: Staff,
    q: SearchText = None,
    grade: SearchText = None,
    page: PageNumber = 1,
    page_size: PageSize = paging.DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The firms graded in ``year``, lowest points first, filtered and paged."""
    filters = service.grade_filters(year=year, q=q, grade=grade)
    found = service.search_grades(
        session, filters, paging.api_page(page, page_size), scope=user.scope
    )
    assert isinstance(found, paging.Page)
    return found.to_dict()

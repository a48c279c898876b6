"""HTTP API of the certification system, mounted under ``/api/certification``.

Public: occupation and body registry lookups, certificate-number decoding, two-of-three
verification (rate-limited), the QR token link, the ad scanner and the subsidy decision. Staff
(role ``certification``): bodies, issuance, status changes, imports.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request

from minsheng.certification import (
    rules,
    service,
    service_adscan,
    service_import,
    service_subsidy,
    service_verify,
)
from minsheng.certification import service_reference as ref
from minsheng.certification.schemas import (
    AdScanRequest,
    BodyCreate,
    BodyStatusChange,
    CertificateIssue,
    CertificateStatusChange,
    SubsidyRequest,
    VerifyRequest,
    VerifyResponse,
)
from minsheng.core.auth import Principal, Role
from minsheng.core.web import AppSettings, DbSession, client_id, require_role

router = APIRouter(prefix="/api/certification", tags=["certification"])
Staff = Annotated[Principal, Depends(require_role(Role.CERTIFICATION))]


@router.get("/occupations/{code}")
def get_occupation(code: str, session: DbSession) -> dict[str, Any]:
    return ref.get_occupation(session, code).to_dict()


@router.get("/occupations")
def search_occupations(session: DbSession, q: str = Query(min_length=1)) -> list[dict[str, Any]]:
    return [
        {"code": o.code, "name": o.name, "green": o.green, "digital": o.digital}
        for o in ref.search_occupations(session, q)
    ]


@router.get("/catalogue")
def catalogue(session: DbSession) -> list[dict[str, Any]]:
    return [
        {
            "seq": q.seq,
            "category": q.category,
            "name": q.name,
            "type": q.kind,
            "authority": q.authority,
            "occupation_codes": q.occupation_codes,
        }
        for q in ref.catalogue(session)
    ]


@router.get("/standards")
def standards(session: DbSession, occupation: str | None = None) -> list[dict[str, Any]]:
    return [
        {
            "code": s.code,
            "occupation_code": s.occupation_code,
            "name": s.name,
            "issue_number": s.issue_number,
            "issued_on": s.issued_on.isoformat(),
            "levels": s.levels,
            "demo": s.demo,
        }
        for s in ref.list_standards(session, occupation)
    ]


@router.get("/numbers/{number}")
def decode_number(number: str) -> dict[str, Any]:
    return rules.decode_number(number).to_dict()


@router.get("/bodies")
def search_bodies(session: DbSession, q: str = Query(min_length=1)) -> list[dict[str, Any]]:
    """The public registry of filed bodies, by name, code or occupation code."""
    return [service.body_to_dict(session, b) for b in service.search_bodies(session, q)]


@router.post("/bodies", status_code=201)
def create_body(data: BodyCreate, session: DbSession, user: Staff) -> dict[str, Any]:
    body = service.create_body(session, data, actor=user.actor)
    return service.body_to_dict(session, body)


@router.post("/bodies/{filing_no}/status")
def body_status(
    filing_no: str, data: BodyStatusChange, session: DbSession, user: Staff
) -> dict[str, Any]:
    body = service.set_body_status(session, filing_no, data.status, data.reason, actor=user.actor)
    return service.body_to_dict(session, body)


@router.post("/certificates", status_code=201)
def issue(
    data: CertificateIssue, session: DbSession, settings: AppSettings, user: Staff
) -> dict[str, Any]:
    cert = service.issue(session, data, settings, actor=user.actor)
    return service.certificate_to_dict(session, cert)


@router.post("/certificates/{number}/status")
def certificate_status(
    number: str, data: CertificateStatusChange, session: DbSession, user: Staff
) -> dict[str, Any]:
    cert = service.set_certificate_status(
        session, number, data.status, data.reason, actor=user.actor
    )
    return service.certificate_to_dict(session, cert)


@router.post("/certificates/import")
def import_certificates(
    session: DbSession,
    settings: AppSettings,
    user: Staff,
    csv_text: Annotated[str, Body(media_type="text/csv")],
) -> dict[str, Any]:
    return service_import.import_certificates(session, csv_text, settings, actor=user.actor)


@router.post("/verify", response_model=VerifyResponse)
def verify(
    data: VerifyRequest, request: Request, session: DbSession, settings: AppSettings
) -> dict[str, Any]:
    """Any two of ID number, name and certificate number; masked answer; rate-limited."""
    return service_verify.verify(
        session,
        settings,
        id_number=data.id_number,
        name=data.name,
        number=data.number,
        client=client_id(request),
        channel="api",
    )


@router.get("/v/{token}", response_model=VerifyResponse)
def verify_link(token: str, session: DbSession) -> dict[str, Any]:
    """The verification link printed as a QR code (a random token, never the ID number)."""
    return service_verify.verify_token(session, token)


@router.post("/scan-ad")
def scan_ad(data: AdScanRequest, session: DbSession) -> dict[str, Any]:
    return service_adscan.scan_ad(session, data.text)


@router.post("/subsidy/decide")
def subsidy_decide(data: SubsidyRequest) -> dict[str, Any]:
    return service_subsidy.decide(data)


@router.get("/subsidy/stats")
def subsidy_stats(session: DbSession, start: date, end: date, user: Staff) -> dict[str, Any]:
    return service_subsidy.statistics(session, start=start, end=end)

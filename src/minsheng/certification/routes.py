"""HTTP API of the certification system, mounted under ``/api/certification``.

Public: occupation and body registry lookups, certificate-number decoding, two-of-three
verification (rate-limited), the QR token link, the ad scanner and the subsidy decision. Staff
(role ``certification``): bodies, issuance, status changes, imports.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from minsheng.certification import service
from minsheng.certification.rules.numbering import decode_number as decode
from minsheng.certification.schemas import (
    AdScanRequest,
    BodyCreate,
    BodyScopeChange,
    BodyStatusChange,
    CertificateIssue,
    CertificateStatusChange,
    SubsidyRequest,
    VerifyRequest,
    VerifyResponse,
)
from minsheng.core import metrics, paging
from minsheng.core.auth import Principal, Role
from minsheng.core.validation import BoundedDate, CleanText
from minsheng.core.web import (
    AppSettings,
    DbConnection,
    DbSession,
    client_id,
    json_response,
    require_role,
    run_in_connection,
)

router = APIRouter(prefix="/api/certification", tags=["certification"])
IMPORTED_ROWS = metrics.counter(
    "minsheng_cert_imported_rows_total", "Certificate rows imported through the API"
)
Staff = Annotated[Principal, Depends(require_role(Role.CERTIFICATION))]

# Bounded parameters (issue 12 items 5 and 12): out of range is a 422 naming the parameter.
Code = Annotated[CleanText, Path(min_length=1, max_length=40)]
Search = Annotated[CleanText, Query(min_length=1, max_length=100)]


# The public lookups first: FastAPI tries the routes in order, and these carry the traffic.
@router.post("/verify", response_model=VerifyResponse)
async def verify(data: VerifyRequest, request: Request, settings: AppSettings) -> Response:
    """Any two of ID number, name and certificate number; masked answer; rate-limited."""
    # The busiest public route: a Core connection for the lookup, and the answer encoded once
    # (docs/performance.md, "Framework speed"). It runs on the event loop itself when nothing
    # in it can wait (SQLite in WAL mode: a reader never waits; counters in this process; the
    # log written behind), else in the thread pool, in one hop.
    client = client_id(request)

    def lookup(conn: DbConnection) -> dict[str, Any]:
        return service.verify_certificate(conn, settings, data, client=client, channel="api")

    if service.lookup_never_waits(request.app.state.engine, settings):
        answer = run_in_connection(request, lookup)
    else:
        answer = await run_in_threadpool(run_in_connection, request, lookup)
    return json_response(answer)


@router.get("/v/{token}", response_model=VerifyResponse)
def verify_link(
    token: Annotated[CleanText, Path(min_length=1, max_length=100)], session: DbSession
) -> dict[str, Any]:
    """The verification link printed as a QR code (a random token, never the ID number)."""
    return service.verify_token(session, token)


@router.get("/occupations/{code}")
def get_occupation(code: Code, session: DbSession) -> dict[str, Any]:
    return service.get_occupation(session, code).to_dict()


@router.get("/occupations")
def search_occupations(session: DbSession, q: Search) -> list[dict[str, Any]]:
    return [service.occupation_summary(o) for o in service.list_occupations(session, q)]


@router.get("/catalogue")
def catalogue(session: DbSession) -> list[dict[str, Any]]:
    return service.list_qualifications(session)


@router.get("/standards")
def standards(
    session: DbSession, occupation: Annotated[CleanText | None, Query(max_length=40)] = None
) -> list[dict[str, Any]]:
    return service.list_standards(session, occupation)


@router.get("/numbers/{number}")
def decode_number(number: Code) -> dict[str, Any]:
    return decode(number).to_dict()


@router.get("/bodies")
def search_bodies(session: DbSession, q: Search) -> list[dict[str, Any]]:
    """The public registry of filed bodies, by name, code or occupation code."""
    return [service.body_to_dict(session, b) for b in service.list_bodies(session, q)]


@router.post("/bodies", status_code=201)
def create_body(data: BodyCreate, session: DbSession, user: Staff) -> dict[str, Any]:
    body = service.create_body(session, data, actor=user.actor, scope=user.scope)
    return service.body_to_dict(session, body)


@router.post("/bodies/{filing_no}/status")
def body_status(
    filing_no: Code, data: BodyStatusChange, session: DbSession, user: Staff
) -> dict[str, Any]:
    body = service.update_body_status(session, filing_no, data, actor=user.actor, scope=user.scope)
    return service.body_to_dict(session, body)


@router.post("/bodies/{filing_no}/scope")
def body_scope(
    filing_no: Code, data: BodyScopeChange, session: DbSession, user: Staff
) -> dict[str, Any]:
    """Replace a body's scope of occupations × levels (备案变更), with the reason (audited)."""
    body = service.update_body_scope(session, filing_no, data, actor=user.actor, scope=user.scope)
    return service.body_to_dict(session, body)


@router.post("/certificates", status_code=201)
def issue(
    data: CertificateIssue, session: DbSession, settings: AppSettings, user: Staff
) -> dict[str, Any]:
    cert = service.issue_certificate(session, data, settings, actor=user.actor, scope=user.scope)
    return service.certificate_to_dict(session, cert)


@router.post("/certificates/{number}/status")
def certificate_status(
    number: Code, data: CertificateStatusChange, session: DbSession, user: Staff
) -> dict[str, Any]:
    cert = service.update_certificate_status(
        session, number, data, actor=user.actor, scope=user.scope
    )
    return service.certificate_to_dict(session, cert)


@router.post("/certificates/import")
def import_certificates(
    session: DbSession,
    settings: AppSettings,
    user: Staff,
    csv_bytes: Annotated[bytes, Body(media_type="text/csv")],
) -> dict[str, Any]:
    """The CSV's bytes: UTF-8 (with or without BOM) or GBK/GB18030, any line ends, English or
    Chinese column headers (``service.imports``)."""
    result = service.import_certificates(
        session, csv_bytes, settings, actor=user.actor, scope=user.scope
    )
    IMPORTED_ROWS.inc(int(result.get("imported", 0)))
    return result


@router.post("/scan-ad")
def scan_ad(data: AdScanRequest, session: DbSession, settings: AppSettings) -> dict[str, Any]:
    return service.scan_ad(session, data.text, budget_s=settings.cert_adscan_budget_s)


@router.post("/subsidy/decide")
def subsidy_decide(data: SubsidyRequest, settings: AppSettings) -> dict[str, Any]:
    return service.decide_subsidy(data, settings)


@router.get("/subsidy/claims")
def subsidy_claims(
    session: DbSession,
    start: BoundedDate,
    end: BoundedDate,
    user: Staff,
    eligible: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """The recorded subsidy decisions of a period (the clerk's province only)."""
    return service.list_subsidy_claims(
        session,
        start=start,
        end=end,
        scope=user.scope,
        eligible=eligible,
        limit=limit,
        offset=offset,
    )


@router.get("/subsidy/breakdown")
def subsidy_breakdown(
    session: DbSession, start: BoundedDate, end: BoundedDate, user: Staff
) -> dict[str, Any]:
    """Paid claims of a period by level, month and province (the clerk's province only)."""
    return service.subsidy_breakdown(session, start=start, end=end, scope=user.scope)


@router.get("/subsidy/stats")
def subsidy_stats(
    session: DbSession, start: BoundedDate, end: BoundedDate, user: Staff
) -> dict[str, Any]:
    return service.subsidy_statistics(session, start=start, end=end, scope=user.scope)


# The staff list of certificates with search, filters and paging (issue 18 item 6).
SearchText = Annotated[CleanText | None, Query(max_length=paging.MAX_SEARCH_LENGTH)]


@router.get("/lists/certificates")
def search_certificates(
    session: DbSession,
    settings: AppSettings,
    user: Staff,
    q: SearchText = None,
    status: SearchText = None,
    level: SearchText = None,
    occupation: SearchText = None,
    body: SearchText = None,
    from_: Annotated[BoundedDate | None, Query(alias="from")] = None,
    to: BoundedDate | None = None,
    page: Annotated[int, Query(ge=1, le=paging.MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(description="20, 50 or 100")] = paging.DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Certificates of the user's province, newest first, by number, ID number (matched by
    keyed hash) or name; holders' names and ID numbers masked."""
    filters = service.certificate_filters(
        q=q,
        status=status,
        level=level,
        occupation=occupation,
        body=body,
        from_=from_.isoformat() if from_ else None,
        to=to.isoformat() if to else None,
    )
    found = service.search_certificates(
        session,
        filters,
        paging.api_page(page, page_size),
        key=settings.hmac_key,
        scope=user.scope,
    )
    assert isinstance(found, paging.Page)
    return found.to_dict()

"""The staff list of certificates (issue 18 item 6): search by number, ID number or name,
filters (status, level, occupation, body, issue dates), paging and export (CSV, Excel) through
``web/listing.py``, with status tiles that open the list filtered by their status. Names and ID
numbers are masked on the page and in the files. Data only through ``certification.service``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from minsheng.certification import service as cert_service
from minsheng.certification.rules.numbering import LEVELS
from minsheng.core import i18n
from minsheng.core.auth import Principal, Role
from minsheng.core.i18n import N_
from minsheng.core.paging import PageRequest
from minsheng.core.web import DbSession, require_role
from minsheng.web import listing as ls
from minsheng.web.render import PageRoute

router = APIRouter(route_class=PageRoute, prefix="/staff/certification")
Staff = Annotated[Principal, Depends(require_role(Role.CERTIFICATION))]

# Chinese source text: the export writes it as it is, the page in the reader's language.
STATUS_LABEL = {"valid": N_("有效"), "suspended": N_("已暂停"), "revoked": N_("已撤销")}
LEVEL_LABEL = {str(k): v for k, v in sorted(LEVELS.items(), reverse=True)}


def filters() -> list[ls.Filter]:
    """The list's filters, labelled in the reader's language (built per request)."""
    return [
        ls.Filter(
            "q",
            i18n.gettext("证书编号、身份证号或姓名"),
            hint=i18n.gettext("编号可只输前几位，空格不计"),
            width="260px",
        ),
        ls.Filter(
            "status",
            i18n.gettext("状态"),
            "select",
            list(i18n.localise_labels(STATUS_LABEL).items()),
            width="120px",
        ),
        ls.Filter(
            "level",
            i18n.gettext("等级"),
            "select",
            list(i18n.localise_labels(LEVEL_LABEL).items()),
            width="150px",
        ),
        ls.Filter("occupation", i18n.gettext("职业（编码或名称）"), width="180px"),
        ls.Filter("body", i18n.gettext("评价机构（备案编号或名称）"), width="200px"),
        ls.Filter("from", i18n.gettext("发证日期自"), "date"),
        ls.Filter("to", i18n.gettext("至（含）"), "date"),
    ]


# The export's columns keep their Chinese headers and cells whatever the reader's language: the
# files go to other offices and back into spreadsheets whose columns must not change with who
# downloaded them (the import template's headers are Chinese too).
COLUMNS = [
    ls.col("证书编号", "number"),
    ls.col("姓名（脱敏）", "name_masked"),
    ls.col("身份证号（脱敏）", "id_masked"),
    ls.col("职业编码", "occupation_code"),
    ls.col("职业名称", "occupation"),
    ls.col("等级", "level_name"),
    ls.col("评价机构", "body"),
    ls.col("评价机构备案编号", "body_filing_no"),
    ls.col("发证日期", "issued_on"),
    ls.col("状态", "status", STATUS_LABEL),
    ls.col("状态原因", "status_reason"),
]


def _listing(request: Request) -> ls.Listing:
    return ls.start(
        request,
        "/staff/certification/certificates",
        filters(),
        export_path="/staff/certification/export/certificates",
    )


def _loader(request: Request, session: DbSession, user: Principal, lst: ls.Listing) -> ls.Loader:
    key = request.app.state.settings.hmac_key

    def load(page: PageRequest | None) -> Any:
        filters = cert_service.certificate_filters(
            q=lst.get("q"),
            status=lst.get("status"),
            level=lst.get("level"),
            occupation=lst.get("occupation"),
            body=lst.get("body"),
            from_=lst.get("from"),
            to=lst.get("to"),
        )
        return cert_service.search_certificates(session, filters, page, key=key, scope=user.scope)

    return load


@router.get("/certificates", response_class=HTMLResponse)
def certificates(request: Request, session: DbSession, user: Staff) -> HTMLResponse:
    lst = _listing(request)
    ctx = {
        "title": i18n.gettext("证书列表"),
        "counts": cert_service.count_certificates_by_status(session, scope=user.scope),
        "status_label": i18n.localise_labels(STATUS_LABEL),
    }
    return ls.render(
        request,
        lst,
        _loader(request, session, user, lst),
        "staff/certification/certificate_list.html",
        ctx,
    )


@router.get("/export/certificates.{fmt}", response_model=None)
def certificates_export(request: Request, fmt: str, session: DbSession, user: Staff) -> Response:
    lst = _listing(request)
    return ls.export(
        session,
        user,
        lst,
        _loader(request, session, user, lst),
        fmt=fmt,
        name="certificates",
        title="证书",
        table_name="cert_certificates",
        columns=COLUMNS,
    )

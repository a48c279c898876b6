"""Staff pages of the certification system (role ``certification``): issue a certificate
through the issuance rules (every failed rule shown beside its field), revoke or suspend one,
look one up, and import a CSV of existing records with every bad row listed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from minsheng.certification import service as cert_service
from minsheng.certification.errors import ImportRejected
from minsheng.certification.rules.numbering import LEVELS
from minsheng.certification.schemas import CertificateIssue, CertificateStatusChange
from minsheng.core.auth import Principal, Role
from minsheng.core.errors import DomainError, InvalidInput
from minsheng.core.web import DbSession, require_role
from minsheng.web import render as r
from minsheng.web.render import PageRoute

router = APIRouter(route_class=PageRoute, prefix="/staff/certification")
Staff = Annotated[Principal, Depends(require_role(Role.CERTIFICATION))]

ISSUE_FIELDS = (
    "name",
    "id_number",
    "occupation_code",
    "work_type",
    "level",
    "body",
    "province_code",
    "site_code",
    "issued_on",
)
STATUS_FIELDS = ("number", "status", "reason")
IMPORT_FIELDS = ("csv_file", "csv_text")
MAX_CSV_BYTES = 20 * 1024 * 1024


def _page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "title": "证书管理",
        "issue_form": r.Form(fields=ISSUE_FIELDS, values={"level": "4"}),
        "status_form": r.Form(fields=STATUS_FIELDS, values={"status": "revoked"}),
        "import_form": r.Form(fields=IMPORT_FIELDS),
        "lookup": None,
        "issued": None,
        "changed": None,
        "imported": None,
        "import_rows": [],
        "failures": [],
        "rule_set": "",
        "levels": LEVELS,
        "import_columns": ",".join(cert_service.IMPORT_FIELDS) + "[,status]",
    }
    ctx.update(context)
    return r.render(request, "staff/certification.html", ctx, status_code=status_code)


@router.get("", response_class=HTMLResponse)
def index(request: Request, session: DbSession, user: Staff, number: str = "") -> HTMLResponse:
    lookup = None
    if number.strip():
        lookup = cert_service.certificate_to_dict(
            session, cert_service.get_certificate(session, number, scope=user.scope)
        )
    return _page(request, lookup=lookup)


@router.post("/issue", response_model=None)
def issue_certificate(
    request: Request,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    id_number: Annotated[str, Form()] = "",
    occupation_code: Annotated[str, Form()] = "",
    work_type: Annotated[str, Form()] = "",
    level: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    province_code: Annotated[str, Form()] = "",
    site_code: Annotated[str, Form()] = "",
    issued_on: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    typed = {
        "name": name,
        "id_number": id_number,
        "occupation_code": occupation_code,
        "work_type": work_type,
        "level": level,
        "body": body,
        "province_code": province_code,
        "site_code": site_code,
        "issued_on": issued_on,
    }
    form = r.Form(values=typed, fields=ISSUE_FIELDS)

    def run() -> Response:
        data = CertificateIssue.model_validate(r.blank_to_none(typed))
        cert = cert_service.issue_certificate(
            session, data, request.app.state.settings, actor=user.actor, scope=user.scope
        )
        return _page(request, 201, issued=cert_service.certificate_to_dict(session, cert))

    def on_error(form: r.Form, status: int) -> Response:
        # An issuance refusal names every rule that failed: list them beside the form too.
        return _page(
            request,
            status,
            issue_form=form,
            failures=form.extra.get("failures", []),
            rule_set=form.extra.get("rule_set", ""),
        )

    return r.form_action(session, form, run, on_error)


@router.post("/status", response_model=None)
def change_status(
    request: Request,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    number: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    typed = {"number": number, "status": status, "reason": reason}
    form = r.Form(values=typed, fields=STATUS_FIELDS)

    def run() -> Response:
        data = CertificateStatusChange.model_validate({"status": status, "reason": reason})
        if not number.strip():
            raise InvalidInput("请填写证书编号 (number is required)", field="number")
        cert = cert_service.update_certificate_status(
            session, number, data, actor=user.actor, scope=user.scope
        )
        return _page(request, changed=cert_service.certificate_to_dict(session, cert))

    return r.form_action(
        session, form, run, lambda form, status: _page(request, status, status_form=form)
    )


@router.get("/import-template.csv")
def import_template(user: Staff) -> Response:
    """The import file to fill in (Chinese headers, UTF-8 with BOM for Excel)."""
    del user
    return Response(
        cert_service.template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="certificates-import-template.csv"'},
    )


@router.post("/import", response_class=HTMLResponse)
def import_csv(
    request: Request,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    csv_file: UploadFile | None = None,
    csv_text: Annotated[str, Form()] = "",
) -> HTMLResponse:
    r.check_csrf(request, csrf_token)
    form = r.Form(values={"csv_text": csv_text}, fields=IMPORT_FIELDS)
    text: str | bytes = csv_text
    if csv_file is not None and csv_file.filename:
        # Bytes: the import detects UTF-8 (with or without BOM) or GBK/GB18030.
        text = csv_file.file.read(MAX_CSV_BYTES + 1)
        if len(text) > MAX_CSV_BYTES:
            form.add("csv_file", f"文件超过 {MAX_CSV_BYTES // 1024 // 1024} MB")
            return _page(request, 413, import_form=form)
    if not text.strip():
        form.add("csv_file", "请选择 CSV 文件或粘贴 CSV 内容 (no CSV given)")
        return _page(request, 422, import_form=form)
    try:
        result = cert_service.import_certificates(
            session, text, request.app.state.settings, actor=user.actor, scope=user.scope
        )
    except ImportRejected as exc:
        r.rollback_on_error(session)
        form.general.append(exc.detail)
        form.error_name = exc.name
        return _page(request, exc.status_code, import_form=form, import_rows=exc.extra["rows"])
    except DomainError as exc:
        r.rollback_on_error(session)
        form.add_domain(exc)
        return _page(request, exc.status_code, import_form=form)
    return _page(request, imported=result)

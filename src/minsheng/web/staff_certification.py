"""Staff pages of the certification system (role ``certification``), one task per page under a
small sub-navigation: look a certificate up; issue one through the issuance rules (occupation,
body and site chosen by name or code with plain GET searches, every failed rule shown beside its
field); revoke (after a confirmation showing the certificate and the reason), suspend or restore
one; import a CSV of existing records (UTF-8 or GBK/GB18030, Chinese or English headers, the
encoding read said back) with every bad row listed. Bodies and the subsidy have their own
modules (``staff_certification_bodies``, ``staff_certification_subsidy``)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from minsheng.certification import service as cert_service
from minsheng.certification.errors import ImportRejected
from minsheng.certification.rules.numbering import LEVELS
from minsheng.certification.schemas import CertificateIssue, CertificateStatusChange
from minsheng.core import i18n
from minsheng.core.auth import Principal, Role
from minsheng.core.errors import DomainError, InvalidInput
from minsheng.core.i18n import N_
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
MAX_QUERY = 60
# What the import page says about the encoding it read (service.decode_csv's names); Chinese
# source text, translated per request.
ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": N_("UTF-8（带字节顺序标记）"),
    "gb18030": "GBK/GB18030",
    "text": "UTF-8",
}
# What the pickers carry from one search to the next (never a person's data: GET only).
CHOSEN = ("occupation_code", "body", "site_code", "province_code", "level")


def level_labels() -> dict[int, str]:
    """The five levels' names (rules/numbering.py, Chinese) in the reader's language."""
    return {level: i18n.gettext(name) for level, name in LEVELS.items()}


def _render(
    request: Request, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    ctx: dict[str, Any] = {"title": i18n.gettext("证书管理"), "levels": level_labels()}
    ctx.update(context)
    return r.render(request, f"staff/certification/{template}", ctx, status_code=status_code)


# Look up ---------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def index(request: Request, session: DbSession, user: Staff, number: str = "") -> HTMLResponse:
    lookup = None
    number = number.strip()[:MAX_QUERY]
    if number:
        lookup = cert_service.certificate_to_dict(
            session, cert_service.get_certificate(session, number, scope=user.scope)
        )
    return _render(
        request, "lookup.html", title=i18n.gettext("查看证书"), lookup=lookup, number=number
    )


# Issue ------------------------------------------------------------------------------------------


def _pick_href(chosen: dict[str, str], **change: str) -> str:
    values = {k: v for k, v in (chosen | change).items() if v}
    return "/staff/certification/issue" + (f"?{urlencode(values)}" if values else "")


def _pickers(
    request: Request, session: DbSession, user: Principal, chosen: dict[str, str]
) -> list[dict[str, Any]]:
    """The three GET searches of the issue page, each result a link that fills in its field."""
    q = request.query_params
    occ_q = q.get("occ_q", "").strip()[:MAX_QUERY]
    body_q = q.get("body_q", "").strip()[:MAX_QUERY]
    site_q = q.get("site_q", "").strip()[:MAX_QUERY]
    occupations = cert_service.pick_occupations(session, occ_q) if occ_q else []
    bodies = (
        cert_service.pick_bodies(
            session,
            body_q,
            scope=user.scope,
            occupation_code=chosen.get("occupation_code") or None,
        )
        if body_q
        else []
    )
    sites = cert_service.pick_sites(site_q, scope=user.scope) if site_q else []
    status_cn = {
        "active": "",
        "suspended": i18n.gettext("（已暂停）"),
        "revoked": i18n.gettext("（已撤销）"),
    }
    return [
        {
            "key": "occupation_code",
            "param": "occ_q",
            "label": i18n.gettext("查找职业"),
            "what": i18n.gettext("职业"),
            "hint": i18n.gettext("职业名称的一部分（如 碳排放）或编码开头（如 4-09）"),
            "query": occ_q,
            "results": [
                {
                    "label": f"{o['name']}（{o['code']}）",
                    "href": _pick_href(chosen, occupation_code=o["code"]),
                }
                for o in occupations
            ],
        },
        {
            "key": "body",
            "param": "body_q",
            "label": i18n.gettext("查找评价机构"),
            "what": i18n.gettext("评价机构"),
            "hint": i18n.gettext(
                "机构名称、备案编号或职业名称；已选职业时只列出其评价范围含该职业的机构"
            ),
            "query": body_q,
            "results": [
                {
                    "label": f"{b['name']}（{b['filing_no']}）{status_cn.get(b['status'], '')}",
                    "href": _pick_href(chosen, body=b["filing_no"]),
                }
                for b in bodies
            ],
        },
        {
            "key": "site_code",
            "param": "site_q",
            "label": i18n.gettext("查找评价站点（地区）"),
            "what": i18n.gettext("地区"),
            "hint": i18n.gettext("市、县名称（如 海口）或行政区划代码开头（如 4601）"),
            "query": site_q,
            "results": [
                {
                    "label": f"{s['province']}{s['name']}（{s['code']}）",
                    "href": _pick_href(
                        chosen, site_code=s["code"], province_code=s["province_code"]
                    ),
                }
                for s in sites
            ],
        },
    ]


def _issue_page(
    request: Request,
    session: DbSession,
    user: Principal,
    status_code: int = 200,
    *,
    form: r.Form,
    chosen: dict[str, str],
    **context: Any,
) -> HTMLResponse:
    hints = {"occupation_hint": "", "body_hint": "", "site_hint": ""}
    code = str(form.value("occupation_code", "")).strip()
    if code:
        occupation = cert_service.find_occupation(session, code)
        if occupation is not None:
            occ = occupation.occupation
            hints["occupation_hint"] = i18n.localise(
                "已选：{name}（{code}）", name=occ.name, code=occ.code
            )
    filing = str(form.value("body", "")).strip()
    if filing:
        body = cert_service.find_body(session, filing)
        if body is not None:
            hints["body_hint"] = i18n.localise(
                "已选：{name}（{code}）", name=body.name, code=body.filing_no
            )
    site = str(form.value("site_code", "")).strip()
    if site:
        found = cert_service.pick_sites(site, scope=user.scope, limit=1)
        if found and found[0]["code"] == site:
            hints["site_hint"] = i18n.localise(
                "已选：{name}（{code}）", name=found[0]["province"] + found[0]["name"], code=site
            )
    ctx: dict[str, Any] = {
        "title": i18n.gettext("发证"),
        "issue_form": form,
        "issued": None,
        "failures": [],
        "rule_set": "",
        "chosen": chosen,
        "pickers": _pickers(request, session, user, chosen),
    }
    ctx.update(hints)
    ctx.update(context)
    return _render(request, "issue.html", status_code, **ctx)


@router.get("/issue", response_class=HTMLResponse)
def issue_form(request: Request, session: DbSession, user: Staff) -> HTMLResponse:
    q = request.query_params
    chosen = {k: q.get(k, "").strip()[:MAX_QUERY] for k in CHOSEN}
    values = {k: v for k, v in chosen.items() if v}
    values.setdefault("level", "4")
    return _issue_page(
        request,
        session,
        user,
        form=r.Form(fields=ISSUE_FIELDS, values=values),
        chosen=chosen,
    )


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
    chosen = {k: typed.get(k, "").strip() for k in CHOSEN}

    def run() -> Response:
        data = dict(r.blank_to_none(typed))
        if data["occupation_code"]:
            # A name typed instead of a code (碳排放管理员) is the occupation of that name.
            data["occupation_code"] = cert_service.resolve_occupation(
                session, str(data["occupation_code"])
            )
        if not data["province_code"] and data["site_code"]:
            data["province_code"] = str(data["site_code"])[:2]
        issue = CertificateIssue.model_validate(data)
        cert = cert_service.issue_certificate(
            session, issue, request.app.state.settings, actor=user.actor, scope=user.scope
        )
        return _issue_page(
            request,
            session,
            user,
            201,
            form=r.Form(fields=ISSUE_FIELDS, values={"level": "4"}),
            chosen={k: "" for k in CHOSEN},
            issued=cert_service.certificate_to_dict(session, cert),
        )

    def on_error(form: r.Form, status: int) -> Response:
        # An issuance refusal names every rule that failed: list them above the form too. The
        # ID number is not echoed back into the page (typed again, as on the public pages).
        form.values["id_number"] = ""
        return _issue_page(
            request,
            session,
            user,
            status,
            form=form,
            chosen=chosen,
            failures=form.extra.get("failures", []),
            rule_set=form.extra.get("rule_set", ""),
        )

    return r.form_action(session, form, run, on_error)


# Status changes ------------------------------------------------------------------------------


def _status_page(
    request: Request,
    status_code: int = 200,
    *,
    form: r.Form | None = None,
    **context: Any,
) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "title": i18n.gettext("撤销、暂停与恢复证书"),
        "status_form": form or r.Form(fields=STATUS_FIELDS, values={"status": "revoked"}),
        "cert": None,
        "changed": None,
        "confirm": False,
        "number": "",
    }
    ctx.update(context)
    return _render(request, "status.html", status_code, **ctx)


@router.get("/status", response_class=HTMLResponse)
def status_form(request: Request, session: DbSession, user: Staff, number: str = "") -> Response:
    number = number.strip()[:MAX_QUERY]
    form = r.Form(fields=STATUS_FIELDS, values={"status": "revoked", "number": number})
    cert = None
    if number:
        cert = cert_service.certificate_to_dict(
            session, cert_service.get_certificate(session, number, scope=user.scope)
        )
        form.values["number"] = cert["number"]
    return _status_page(request, form=form, cert=cert, number=number)


@router.post("/status", response_model=None)
def change_status(
    request: Request,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    number: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    confirmed: Annotated[str, Form()] = "",
) -> Response:
    """Suspending and restoring take effect at once; revoking first shows the certificate and
    the reason to confirm (nothing changes until the confirmation is sent)."""
    r.check_csrf(request, csrf_token)
    typed = {"number": number, "status": status, "reason": reason}
    form = r.Form(values=typed, fields=STATUS_FIELDS)

    def run() -> Response:
        data = CertificateStatusChange.model_validate({"status": status, "reason": reason})
        if not number.strip():
            raise InvalidInput("请填写证书编号 (number is required)", field="number")
        if data.status == "revoked" and confirmed != "1":
            cert = cert_service.get_certificate(session, number, scope=user.scope)
            view = cert_service.certificate_to_dict(session, cert)
            form.values["reason"] = data.reason
            return _status_page(request, form=form, cert=view, confirm=True)
        cert = cert_service.update_certificate_status(
            session, number, data, actor=user.actor, scope=user.scope
        )
        view = cert_service.certificate_to_dict(session, cert)
        done = r.Form(fields=STATUS_FIELDS, values={"status": "revoked", "number": view["number"]})
        return _status_page(request, form=done, changed=view, cert=view, number=view["number"])

    def on_error(form: r.Form, code: int) -> Response:
        return _status_page(request, code, form=form, number=number.strip()[:MAX_QUERY])

    return r.form_action(session, form, run, on_error)


# Import -----------------------------------------------------------------------------------------


def _import_page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "title": i18n.gettext("导入存量证书"),
        "import_form": r.Form(fields=IMPORT_FIELDS),
        "imported": None,
        "encoding_label": "",
        "import_rows": [],
        "import_columns": ",".join(cert_service.IMPORT_FIELDS) + "[,status]",
    }
    ctx.update(context)
    return _render(request, "import.html", status_code, **ctx)


@router.get("/import", response_class=HTMLResponse)
def import_form(request: Request, user: Staff) -> HTMLResponse:
    del user
    return _import_page(request)


@router.get("/import-template.csv")
def import_template(user: Staff) -> Response:
    """The import file to fill in (Chinese headers, one example row, UTF-8 with BOM)."""
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
            form.add(
                "csv_file",
                i18n.localise("文件超过 {n} MB", n=MAX_CSV_BYTES // 1024 // 1024),
            )
            return _import_page(request, 413, import_form=form)
    if not text.strip():
        form.add("csv_file", i18n.gettext("请选择 CSV 文件或粘贴 CSV 内容"))
        return _import_page(request, 422, import_form=form)
    try:
        result = cert_service.import_certificates(
            session, text, request.app.state.settings, actor=user.actor, scope=user.scope
        )
    except ImportRejected as exc:
        r.rollback_on_error(session)
        form.general.append(r.error_text(exc))
        form.error_name = exc.name
        return _import_page(
            request, exc.status_code, import_form=form, import_rows=exc.extra["rows"]
        )
    except DomainError as exc:
        r.rollback_on_error(session)
        form.add_domain(exc)
        if "csv_file" not in form.errors and form.general and exc.field in ("file", None):
            form.errors["csv_file"] = form.general.pop()
        return _import_page(request, exc.status_code, import_form=form)
    label = ENCODING_LABELS.get(str(result.get("encoding")), str(result.get("encoding")))
    return _import_page(request, imported=result, encoding_label=label)

"""The enforcement lists (issue 18 item 6): cases and parties searched, filtered, paged and
exported (CSV, Excel) through ``web/listing.py``; the status tiles of the case overview link here
with their status; the case form's party picker (``/staff/enforcement/party-picker``) lists the
parties matching a name or credit code, a plain GET that works without JavaScript.

Data only through ``enforcement.service`` (the filters and paging are SQL there, with scope).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from minsheng.core import i18n
from minsheng.core.auth import Principal, Role
from minsheng.core.errors import DomainError
from minsheng.core.paging import PageRequest
from minsheng.core.web import DbSession, require_role
from minsheng.enforcement import service as enf
from minsheng.enforcement.rules.base import items_of
from minsheng.web import listing as ls
from minsheng.web import render as r
from minsheng.web.render import PageRoute
from minsheng.web.staff_enforcement import (
    CATEGORY_LABEL,
    DISCOVERY_LABEL,
    KIND_LABEL,
    STATUS_LABEL,
    _labels,
    outcome_label,
)

router = APIRouter(route_class=PageRoute, prefix="/staff/enforcement")
Staff = Annotated[Principal, Depends(require_role(Role.ENFORCEMENT))]


# The export's columns and cells stay Chinese whatever the reader's language: the files go to
# other offices and back into spreadsheets whose columns must not change with who downloaded them.
STAGE_PREFIX = {"proposed": "拟处罚（未决定）：", "withdrawn": "已撤销："}


def _decision_text(row: dict[str, Any]) -> str:
    if not row.get("outcome"):
        return ""
    prefix = STAGE_PREFIX.get(row.get("stage") or "", "")
    return prefix + outcome_label(row)


# Cases ----------------------------------------------------------------------------------------


def _case_filters() -> list[ls.Filter]:
    rulebase = enf.catalog.rulebase()
    items = [(i.id, f"{i.id} {i.description}") for i in items_of(rulebase, None)]
    return [
        ls.Filter("q", i18n.gettext("当事人名称、信用代码或 #案件号"), width="240px"),
        ls.Filter(
            "status",
            i18n.gettext("状态"),
            "select",
            list(i18n.localise_labels(STATUS_LABEL).items()),
        ),
        ls.Filter("item", i18n.gettext("违法事项"), "select", items, width="220px"),
        ls.Filter(
            "discovery",
            i18n.gettext("发现方式"),
            "select",
            list(i18n.localise_labels(DISCOVERY_LABEL).items()),
        ),
        ls.Filter("from", i18n.gettext("发现日期自"), "date"),
        ls.Filter("to", i18n.gettext("至（含）"), "date"),
    ]


CASE_COLUMNS = [
    ls.col("案件号", "id"),
    ls.col("当事人", "party_name"),
    ls.col("统一社会信用代码", "credit_code"),
    ls.col("违法事项", "item"),
    ls.col("状态", "status", STATUS_LABEL),
    ls.col("发现方式", "discovery", DISCOVERY_LABEL),
    ls.col("违法行为发生日期", "occurred_on"),
    ls.col("发现日期", "discovered_on"),
    ls.col("承办人", "officer"),
    ls.Column("处理决定", _decision_text),
    ls.col("罚款（元）", "fine_yuan"),
]


def _cases(request: Request) -> ls.Listing:
    return ls.start(
        request,
        "/staff/enforcement/cases",
        _case_filters(),
        export_path="/staff/enforcement/export/cases",
    )


def _case_loader(session: DbSession, user: Principal, lst: ls.Listing) -> ls.Loader:
    def load(page: PageRequest | None) -> Any:
        filters = enf.case_filters(
            q=lst.get("q"),
            status=lst.get("status"),
            item=lst.get("item"),
            discovery=lst.get("discovery"),
            from_=lst.get("from"),
            to=lst.get("to"),
        )
        return enf.search_cases(session, filters, page, scope=user.scope)

    return load


@router.get("/cases", response_class=HTMLResponse)
def cases(request: Request, session: DbSession, user: Staff) -> HTMLResponse:
    lst = _cases(request)
    ctx = {
        "title": i18n.gettext("案件列表"),
        "counts": enf.count_cases_by_status(session, scope=user.scope),
        **_labels(),
    }
    return ls.render(
        request, lst, _case_loader(session, user, lst), "staff/enforcement/cases.html", ctx
    )


@router.get("/export/cases.{fmt}", response_model=None)
def cases_export(request: Request, fmt: str, session: DbSession, user: Staff) -> Response:
    lst = _cases(request)
    return ls.export(
        session,
        user,
        lst,
        _case_loader(session, user, lst),
        fmt=fmt,
        name="cases",
        title="案件",
        table_name="enf_cases",
        columns=CASE_COLUMNS,
    )


# Parties --------------------------------------------------------------------------------------


def _party_filters() -> list[ls.Filter]:
    """The party list's filters, labelled in the reader's language (built per request)."""
    return [
        ls.Filter("q", i18n.gettext("名称或统一社会信用代码"), width="260px"),
        ls.Filter(
            "kind", i18n.gettext("类型"), "select", list(i18n.localise_labels(KIND_LABEL).items())
        ),
        ls.Filter(
            "category",
            i18n.gettext("类别"),
            "select",
            list(i18n.localise_labels(CATEGORY_LABEL).items()),
        ),
    ]


PARTY_COLUMNS = [
    ls.col("编号", "id"),
    ls.col("名称或姓名", "name"),
    ls.col("类型", "kind", KIND_LABEL),
    ls.col("类别", "category", CATEGORY_LABEL),
    ls.col("统一社会信用代码", "credit_code"),
    ls.col("身份证号（脱敏）", "id_number"),
    ls.col("登记日期", "registered_on"),
    ls.col("执法机构", "bureau"),
]


def _parties(request: Request) -> ls.Listing:
    return ls.start(
        request,
        "/staff/enforcement/parties",
        _party_filters(),
        export_path="/staff/enforcement/export/parties",
    )


def _party_loader(session: DbSession, user: Principal, lst: ls.Listing) -> ls.Loader:
    def load(page: PageRequest | None) -> Any:
        filters = enf.party_filters(
            q=lst.get("q"), kind=lst.get("kind"), category=lst.get("category")
        )
        return enf.search_parties(session, filters, page, scope=user.scope)

    return load


@router.get("/parties", response_class=HTMLResponse)
def parties(request: Request, session: DbSession, user: Staff) -> HTMLResponse:
    lst = _parties(request)
    ctx = {"title": i18n.gettext("当事人"), **_labels()}
    return ls.render(
        request, lst, _party_loader(session, user, lst), "staff/enforcement/parties.html", ctx
    )


@router.get("/export/parties.{fmt}", response_model=None)
def parties_export(request: Request, fmt: str, session: DbSession, user: Staff) -> Response:
    lst = _parties(request)
    return ls.export(
        session,
        user,
        lst,
        _party_loader(session, user, lst),
        fmt=fmt,
        name="parties",
        title="当事人",
        table_name="enf_parties",
        columns=PARTY_COLUMNS,
    )


# The case form's party picker -------------------------------------------------------------------


@router.get("/party-picker", response_class=HTMLResponse)
def party_picker(
    request: Request, session: DbSession, user: Staff, party_q: str = ""
) -> HTMLResponse:
    """The parties matching a name or credit code, each a choice for the case form; htmx swaps
    this list in beside the field as one types, and without JavaScript the overview page lists
    the same matches (``/staff/enforcement?party_q=``)."""
    form = r.Form(values={"party_q": party_q}, fields=("party_q",))
    matches: list[dict[str, Any]] = []
    try:
        matches = enf.suggest_parties(session, party_q, scope=user.scope)
    except DomainError as exc:
        form.add_domain(exc)
    ctx = {"party_q": party_q.strip(), "matches": matches, "picker_form": form, **_labels()}
    return r.render(request, "staff/enforcement/_party_choices.html", ctx)

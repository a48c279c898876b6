"""The hotline's staff lists (issue 18 item 6): call records searched (by call reference or the
caller's number, matched by keyed hash), filtered (line, outcome, crisis, Beijing days), paged and
exported (CSV, Excel) through ``web/listing.py``, and the KPI table by hotline with the lines'
names, searchable, paged and exported. Callers' numbers are masked on the page and in the files.
Data only through ``hotline.service``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from minsheng.core import i18n, timeutil
from minsheng.core.auth import Principal, Role
from minsheng.core.i18n import N_
from minsheng.core.paging import Page, PageRequest
from minsheng.core.web import DbSession, require_role
from minsheng.hotline import service as hotline_service
from minsheng.web import listing as ls
from minsheng.web.render import PageRoute

router = APIRouter(route_class=PageRoute, prefix="/staff/hotline")
Staff = Annotated[Principal, Depends(require_role(Role.HOTLINE))]

# Filter labels are translated per request (listing.start); export headers and cells stay
# Chinese (listing.py says why).
OUTCOME_LABEL = {"answered": N_("已接听"), "abandoned": N_("来电放弃"), "no_answer": N_("无人接听")}
NUMBER_HINT = N_("号码按加密摘要比对，不以明文保存")
CRISIS_LABEL = {"yes": N_("危机来电"), "no": N_("非危机来电")}


def _percent(value: Any) -> str:
    return "" if value is None else f"{float(value) * 100:.1f}%"


CALL_COLUMNS = [
    ls.col("来电编号", "call_ref"),
    ls.col("来电号码（脱敏）", "caller"),
    ls.Column("来电时间（北京时间）", lambda row: row["arrived_at_cn"]),
    ls.col("接听热线", "hotline_name"),
    ls.col("热线编号", "hotline_id"),
    ls.col("咨询员", "counsellor_name"),
    ls.col("结果", "outcome", OUTCOME_LABEL),
    ls.col("危机来电", "crisis"),
    ls.col("等待（秒）", "wait_s"),
    ls.col("通话（秒）", "talk_s"),
    ls.col("转接次数", "rollovers"),
    ls.col("来电省份代码", "province_code"),
]
KPI_COLUMNS = [
    ls.col("热线", "hotline_name"),
    ls.col("热线编号", "hotline_id"),
    ls.col("接入", "offered"),
    ls.col("接听", "answered"),
    ls.col("放弃", "abandoned"),
    ls.col("转出", "passed_on"),
    ls.Column("接听率", lambda row: _percent(row.get("answer_rate"))),
    ls.Column("平均应答（秒）", lambda row: round(row["asa_s"], 1) if row.get("asa_s") else ""),
]


def _with_beijing_time(found: Page[dict[str, Any]] | list[dict[str, Any]]) -> Any:
    """Each call's arrival in Beijing time as the export writes it (Chinese, as every export
    header is; the page writes it in the reader's language with the ``datetime_cn`` filter)."""
    for row in found.items if isinstance(found, Page) else found:
        row["arrived_at_cn"] = timeutil.datetime_cn(datetime.fromisoformat(row["arrived_at"]))
    return found


def _calls(request: Request, session: DbSession, user: Principal) -> ls.Listing:
    lines = hotline_service.hotline_choices(session, scope=user.scope)
    outcomes = list(i18n.localise_labels(OUTCOME_LABEL).items())
    crisis = list(i18n.localise_labels(CRISIS_LABEL).items())
    filters = [
        ls.Filter("q", N_("来电编号或来电号码"), hint=NUMBER_HINT, width="220px"),
        ls.Filter("hotline", N_("热线"), "select", lines, width="220px"),
        ls.Filter("outcome", N_("结果"), "select", outcomes, width="130px"),
        ls.Filter("crisis", N_("危机"), "select", crisis, width="130px"),
        ls.Filter("from", N_("来电日期自"), "date"),
        ls.Filter("to", N_("至（含）"), "date"),
    ]
    return ls.start(
        request, "/staff/hotline/calls", filters, export_path="/staff/hotline/export/calls"
    )


def _call_loader(
    request: Request, session: DbSession, user: Principal, lst: ls.Listing
) -> ls.Loader:
    settings = request.app.state.settings

    def load(page: PageRequest | None) -> Any:
        filters = hotline_service.call_filters(
            q=lst.get("q"),
            hotline=lst.get("hotline"),
            outcome=lst.get("outcome"),
            crisis=lst.get("crisis"),
            from_=lst.get("from"),
            to=lst.get("to"),
        )
        found = hotline_service.search_calls(
            session, filters, page, settings=settings, scope=user.scope
        )
        return _with_beijing_time(found)

    return load


@router.get("/calls", response_class=HTMLResponse)
def calls(request: Request, session: DbSession, user: Staff) -> HTMLResponse:
    lst = _calls(request, session, user)
    ctx = {"title": i18n.gettext("来电记录"), "outcome_label": i18n.localise_labels(OUTCOME_LABEL)}
    return ls.render(
        request, lst, _call_loader(request, session, user, lst), "staff/hotline/calls.html", ctx
    )


@router.get("/export/calls.{fmt}", response_model=None)
def calls_export(request: Request, fmt: str, session: DbSession, user: Staff) -> Response:
    lst = _calls(request, session, user)
    return ls.export(
        session,
        user,
        lst,
        _call_loader(request, session, user, lst),
        fmt=fmt,
        name="calls",
        title="来电记录",
        table_name="hotline_calls",
        columns=CALL_COLUMNS,
    )


# The KPI table by hotline -----------------------------------------------------------------------

KPI_FILTERS = [ls.Filter("q", N_("热线名称或编号"), width="220px")]


def kpi_listing(request: Request, first: str, last: str) -> ls.Listing:
    """The KPI page's table by hotline: its period (``from``, ``to``) kept in every link."""
    return ls.start(
        request,
        "/staff/hotline/kpi",
        KPI_FILTERS,
        export_path="/staff/hotline/export/kpi-lines",
        extra={"from": first, "to": last},
        # the country's lines fit one page of 100: the table reads whole, paging is for a larger
        # directory (each page of it computes the period's KPIs again)
        defaults={"page_size": "100"},
    )


def kpi_loader(request: Request, session: DbSession, user: Principal, lst: ls.Listing) -> Any:
    settings = request.app.state.settings

    def load(page: PageRequest | None) -> Any:
        filters = hotline_service.kpi_line_filters(
            q=lst.get("q"), from_=lst.extra.get("from"), to=lst.extra.get("to")
        )
        return hotline_service.kpi_lines(session, settings, filters, page, scope=user.scope)

    return load


@router.get("/export/kpi-lines.{fmt}", response_model=None)
def kpi_lines_export(request: Request, fmt: str, session: DbSession, user: Staff) -> Response:
    first = request.query_params.get("from", "")
    last = request.query_params.get("to", "")
    lst = kpi_listing(request, first, last)
    return ls.export(
        session,
        user,
        lst,
        kpi_loader(request, session, user, lst),
        fmt=fmt,
        name="kpi-lines",
        title="各热线 KPI",
        table_name="hotline_calls",
        columns=KPI_COLUMNS,
    )

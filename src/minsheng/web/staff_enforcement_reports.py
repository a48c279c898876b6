"""Staff report pages of the enforcement system: the yearly A–D grades (distribution chart, each
firm's grade explained item by item), the 双随机 inspection plan as a month calendar, and the
outcome statistics computed from the records (reproducing the article's figures). Data only
through ``enforcement.service``; domain labels from the rule base."""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from minsheng.core import i18n, paging, timeutil
from minsheng.core.auth import Principal, Role
from minsheng.core.errors import DomainError, InvalidInput
from minsheng.core.paging import PageRequest
from minsheng.core.validation import DbId, Year, parse_date
from minsheng.core.web import DbSession, require_role
from minsheng.enforcement import service as enf
from minsheng.web import listing as ls
from minsheng.web import render as r
from minsheng.web.charts import Series, bar_chart, percent
from minsheng.web.render import PageRoute
from minsheng.web.staff_enforcement import CATEGORY_LABEL

router = APIRouter(route_class=PageRoute, prefix="/staff/enforcement")
Staff = Annotated[Principal, Depends(require_role(Role.ENFORCEMENT))]

IdPath = Annotated[DbId, Path()]
YearPath = Annotated[Year, Path()]
GRADES = ("A", "B", "C", "D")
GRADE_COLOR = {"A": "#389e0d", "B": "#1f6feb", "C": "#d48806", "D": "#d4380d"}


def _year(value: str, default: int) -> int:
    if not value.strip():
        return default
    if not value.strip().isdigit() or not 2000 <= int(value) <= 2100:
        raise InvalidInput(f"not a year: {value!r}", field="year")
    return int(value)


# Grades ------------------------------------------------------------------------------------------


GRADE_COLUMNS = [
    ls.col("企业", "name"),
    ls.col("统一社会信用代码", "credit_code"),
    ls.col("年度", "year"),
    ls.col("等级", "grade"),
    ls.col("积分", "points"),
    ls.col("规则版本", "rule_version"),
]


def _grade_filter() -> ls.Filter:
    """The credit-grade drop-down of the grade and plan lists, in the reader's language."""
    options = [(g, i18n.localise("{grade} 级", grade=g)) for g in GRADES]
    return ls.Filter("grade", i18n.gettext("等级"), "select", options, width="120px")


def _grades_listing(request: Request, years: list[int], chosen: int) -> ls.Listing:
    options = [
        (str(y), i18n.localise("{year} 年", year=y)) for y in sorted({*years, chosen}, reverse=True)
    ]
    filters = [
        ls.Filter("year", i18n.gettext("年度"), "select", options, width="120px"),
        _grade_filter(),
        ls.Filter("q", i18n.gettext("企业名称或统一社会信用代码"), width="240px"),
    ]
    return ls.start(
        request,
        "/staff/enforcement/grades",
        filters,
        export_path="/staff/enforcement/export/grades",
        defaults={"year": str(chosen)},
    )


def _grades_loader(request: Request, session: DbSession, lst: ls.Listing, default: int) -> Any:
    scope = r.staff_scope(request)

    def load(page: PageRequest | None) -> Any:
        filters = enf.grade_filters(
            year=_year(lst.get("year"), default), q=lst.get("q"), grade=lst.get("grade")
        )
        return enf.search_grades(session, filters, page, scope=scope)

    return load


def _grades_page(
    request: Request,
    session: DbSession,
    status_code: int = 200,
    grade_form: r.Form | None = None,
) -> HTMLResponse:
    scope = r.staff_scope(request)
    years = enf.grade_years(session)
    default = years[0] if years else timeutil.today().year
    try:
        chosen = _year(request.query_params.get("year", ""), default)
    except DomainError:
        chosen = default
    lst = _grades_listing(request, years, chosen)
    status = ls.run(lst, _grades_loader(request, session, lst, default))
    counts = enf.count_grades(session, chosen, scope=scope)
    chart = bar_chart(
        list(GRADES),
        [Series(i18n.gettext("企业数"), [counts.get(g, 0) for g in GRADES], "#1f6feb")],
        title=i18n.localise("{year} 年建筑施工企业信用等级分布", year=chosen),
        description=i18n.gettext("A、B、C、D 各级企业数"),
        height=220,
    )
    return r.render(
        request,
        "staff/enforcement/grades.html",
        {
            "title": i18n.gettext("企业信用评级"),
            "year": chosen,
            "years": years,
            "counts": counts,
            "total": sum(counts.values()),
            "chart": chart,
            "lst": lst,
            "grades": GRADES,
            "grade_form": grade_form or r.Form(values={"year": chosen}, fields=("year",)),
        },
        status_code=status if status != 200 else status_code,
    )


@router.get("/export/grades.{fmt}", response_model=None)
def grades_export(request: Request, fmt: str, session: DbSession, user: Staff) -> Response:
    years = enf.grade_years(session)
    default = years[0] if years else timeutil.today().year
    lst = _grades_listing(request, years, default)
    return ls.export(
        session,
        user,
        lst,
        _grades_loader(request, session, lst, default),
        fmt=fmt,
        name="grades",
        title=i18n.gettext("企业信用评级"),
        table_name="enf_grades",
        columns=GRADE_COLUMNS,
    )


@router.get("/grades", response_class=HTMLResponse)
def grades(request: Request, session: DbSession, user: Staff) -> HTMLResponse:
    return _grades_page(request, session)


@router.post("/grades", response_model=None)
def grade_year(
    request: Request,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    year: Annotated[str, Form()] = "",
) -> Response:
    r.check_csrf(request, csrf_token)
    form = r.Form(values={"year": year}, fields=("year",))

    def run() -> str:
        chosen = _year(year, timeutil.today().year)
        enf.grade_year(session, chosen, actor=user.actor, scope=user.scope)
        return f"/staff/enforcement/grades?year={chosen}"

    def on_error(failed: r.Form, status: int) -> Response:
        return _grades_page(request, session, status, grade_form=failed)

    return r.form_action(session, form, run, on_error)


@router.get("/grades/{year}/{party_id}", response_class=HTMLResponse)
def grade_explained(
    request: Request, year: YearPath, party_id: IdPath, session: DbSession, user: Staff
) -> HTMLResponse:
    result = enf.grade_dict(enf.get_grade(session, party_id, year, scope=user.scope))
    party = enf.party_dict(enf.get_party(session, party_id, scope=user.scope))
    return r.render(
        request,
        "staff/enforcement/grade.html",
        {
            "title": i18n.localise("{name} {year} 年评级", name=party["name"], year=year),
            "g": result,
            "party": party,
        },
    )


# Inspection plan ---------------------------------------------------------------------------------


@router.get("/plan", response_class=HTMLResponse)
def plan(
    request: Request,
    session: DbSession,
    user: Staff,
    year: str = "",
    month: str = "",
    seed: str = "",
) -> HTMLResponse:
    years = enf.grade_years(session)
    form = r.Form(
        values={"year": year, "month": month, "seed": seed}, fields=("year", "month", "seed")
    )
    try:
        chosen = _year(year, years[0] if years else timeutil.today().year)
        m = int(month) if month.strip() else 1
        if not 1 <= m <= 12:
            raise InvalidInput("month must be 1–12", field="month")
        s = int(seed) if seed.strip() else 1
    except ValueError:
        form.add("seed", "month and seed must be whole numbers")
        return r.render(
            request,
            "staff/enforcement/plan.html",
            {"title": i18n.gettext("检查计划"), "form": form, "p": None},
            status_code=422,
        )
    except DomainError as exc:
        form.add_domain(exc)
        return r.render(
            request,
            "staff/enforcement/plan.html",
            {"title": i18n.gettext("检查计划"), "form": form, "p": None},
            status_code=exc.status_code,
        )
    form.values = {"year": chosen, "month": m, "seed": s}
    result = enf.plan(session, year=chosen, seed=s, scope=user.scope).to_dict(m)
    by_day: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for visit in result["visits"]:
        by_day[date.fromisoformat(visit["date"]).day].append(visit)
    names = enf.party_names(session, {v["target"] for v in result["visits"]})
    weeks = calendar.Calendar(firstweekday=0).monthdayscalendar(chosen, m)
    burden = result["burden"]
    chart = bar_chart(
        list(GRADES),
        [
            Series(
                i18n.gettext("每家企业年检查次数"),
                [burden["visits_per_firm_by_grade"].get(g, 0) for g in GRADES],
            ),
        ],
        title=i18n.gettext("按等级的年检查频次"),
        description=i18n.gettext("各信用等级企业平均每年被检查的次数"),
        fmt=lambda v: f"{v:.2f}",
        height=220,
    )
    # The month's visits as a list: filtered by grade or firm, paged, exported (issue 18 item 6).
    lst = _plan_listing(request, chosen, m, s)
    status = ls.run(lst, _visit_loader(result["visits"], names, lst))
    return r.render(
        request,
        "staff/enforcement/plan.html",
        {
            "title": i18n.gettext("检查计划"),
            "form": form,
            "p": result,
            "weeks": weeks,
            "by_day": by_day,
            "names": names,
            "chart": chart,
            "month_name": i18n.localise("{year} 年 {month} 月", year=chosen, month=m),
            "lst": lst,
        },
        status_code=status,
    )


PLAN_COLUMNS = [
    ls.col("日期", "date"),
    ls.col("检查对象", "name"),
    ls.col("信用等级", "grade"),
    ls.Column("检查人员", lambda v: "、".join(v["inspectors"])),
    ls.Column("检查事项（综合查一次）", lambda v: "、".join(v["items"])),
]


def _plan_listing(request: Request, year: int, month: int, seed: int) -> ls.Listing:
    filters = [
        _grade_filter(),
        ls.Filter("q", i18n.gettext("检查对象名称"), width="220px"),
    ]
    extra = {"year": str(year), "month": str(month), "seed": str(seed)}
    return ls.start(
        request,
        "/staff/enforcement/plan",
        filters,
        export_path="/staff/enforcement/export/plan",
        extra=extra,
    )


def _visit_loader(
    visits: list[dict[str, Any]], names: dict[int, str], lst: ls.Listing
) -> ls.Loader:
    """The plan is computed for the request (not stored), so its visits of one month are
    filtered and paged here; the month holds at most a few hundred."""

    def load(page: PageRequest | None) -> Any:
        grade = paging.choice(lst.get("grade"), GRADES, field="grade")
        q = paging.search_text(lst.get("q"))
        rows = [
            {**v, "name": names.get(v["target"], str(v["target"]))}
            for v in visits
            if (grade is None or v["grade"] == grade)
        ]
        rows = [v for v in rows if q in v["name"]]
        if page is None:
            return rows
        return paging.page_of(rows, page)

    return load


@router.get("/export/plan.{fmt}", response_model=None)
def plan_export(
    request: Request,
    fmt: str,
    session: DbSession,
    user: Staff,
    year: Year,
    month: Annotated[int, Query(ge=1, le=12)],
    seed: Annotated[int, Query(ge=0, le=2**31 - 1)],
) -> Response:
    result = enf.plan(session, year=year, seed=seed, scope=user.scope).to_dict(month)
    names = enf.party_names(session, {v["target"] for v in result["visits"]})
    lst = _plan_listing(request, year, month, seed)
    return ls.export(
        session,
        user,
        lst,
        _visit_loader(result["visits"], names, lst),
        fmt=fmt,
        name="plan",
        title=i18n.gettext("检查计划"),
        table_name="enf_inspections",
        columns=PLAN_COLUMNS,
    )


# Statistics ------------------------------------------------------------------------------------


@router.get("/stats", response_class=HTMLResponse)
def statistics(
    request: Request,
    session: DbSession,
    user: Staff,
    to: str = "",
) -> HTMLResponse:
    """Statistics of the period ``from``..``to`` (query parameters; both optional)."""
    begin = request.query_params.get("from", "").strip()
    form = r.Form(values={"from": begin, "to": to}, fields=("from", "to"))
    try:
        first = parse_date(begin, field="from") if begin else None
        last = parse_date(to, field="to") if to.strip() else None
    except InvalidInput as exc:
        form.add(exc.field, exc.detail)
        return r.render(
            request,
            "staff/enforcement/stats.html",
            {"title": i18n.gettext("成效统计"), "form": form, "s": None},
            status_code=422,
        )
    result = enf.compute_stats(session, start=first, end=last, scope=user.scope)
    domains = list(result["commitments"]["by_domain"])
    domain_label = i18n.localise_labels(enf.catalog.rulebase().domains)
    violated = result["violated_after_commitment"]["by_domain"]
    charts = {
        "commitments": bar_chart(
            [domain_label.get(d, d) for d in domains],
            [
                Series(
                    i18n.gettext("承诺书"), [result["commitments"]["by_domain"][d] for d in domains]
                )
            ],
            title=i18n.gettext("各领域签署的信用承诺书"),
            description=i18n.gettext("按执法领域统计的信用承诺书份数"),
            height=220,
        ),
        "violated": bar_chart(
            [domain_label.get(d, d) for d in domains],
            [
                Series(
                    i18n.gettext("承诺后再违法率"),
                    [violated.get(d, {}).get("rate", 0) for d in domains],
                    "#d4380d",
                )
            ],
            title=i18n.gettext("各领域承诺后再违法率"),
            description=i18n.gettext("签署承诺后再次违法的比例，按领域"),
            fmt=percent,
            height=220,
        ),
    }
    return r.render(
        request,
        "staff/enforcement/stats.html",
        {
            "title": i18n.gettext("成效统计"),
            "form": form,
            "s": result,
            "charts": charts,
            "domain_label": domain_label,
            "category_label": i18n.localise_labels(CATEGORY_LABEL),
        },
    )

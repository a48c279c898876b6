"""Staff lists of the hotline: call records searched, filtered and paged in SQL within the
user's scope (``scoping.call_filter``), and the KPI table of a period by hotline with the lines'
names, filtered and paged (issue 18 item 6). Callers' numbers come out masked; a number typed
into the search is matched by its keyed hash, never stored or compared in clear.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from minsheng.core import paging
from minsheng.core.config import Settings
from minsheng.core.errors import InvalidInput
from minsheng.core.paging import Page, PageRequest
from minsheng.core.privacy import keyed_hash, phone_digits
from minsheng.core.scope import Scope
from minsheng.core.timeutil import BEIJING
from minsheng.hotline.models import Call, Counsellor, Hotline
from minsheng.hotline.service.calls import PHONE_PURPOSE
from minsheng.hotline.service.reports import kpis
from minsheng.hotline.service.scoping import call_filter, hotline_ids_in_scope

OUTCOMES = ("answered", "abandoned", "no_answer")
MAX_DAYS = 366


def call_filters(
    *,
    q: str | None = None,
    hotline: str | None = None,
    outcome: str | None = None,
    crisis: str | None = None,
    from_: str | None = None,
    to: str | None = None,
) -> dict[str, Any]:
    """The call list's filters checked: ``q`` (a call reference, or the caller's number),
    ``hotline`` (a line's id), ``outcome``, ``crisis`` (``yes``/``no``), ``from``/``to``
    (Beijing days of arrival, inclusive)."""
    first, last = paging.date_range(from_, to)
    hotline_id = paging.search_text(hotline, field="hotline")
    crisis_text = paging.choice(crisis, ("yes", "no"), field="crisis")
    return {
        "q": paging.search_text(q),
        "hotline": hotline_id or None,
        "outcome": paging.choice(outcome, OUTCOMES, field="outcome"),
        "crisis": crisis_text,
        "from": first,
        "to": last,
    }


def _beijing_day(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BEIJING)


def search_calls(
    session: Session,
    filters: dict[str, Any],
    page: PageRequest | None,
    *,
    settings: Settings,
    scope: Scope = Scope.ALL,
) -> Page[dict[str, Any]] | list[dict[str, Any]]:
    """Calls newest first with the name of the line that took them and the counsellor's name."""
    stmt = (
        select(
            Call.call_ref,
            Call.caller_masked,
            Call.arrived_at,
            Call.province_code,
            Call.outcome,
            Call.crisis,
            Call.wait_s,
            Call.talk_s,
            Call.rollovers,
            Call.hotline_id,
            Hotline.name.label("hotline_name"),
            Counsellor.name.label("counsellor_name"),
        )
        .join(Hotline, Hotline.id == Call.hotline_id, isouter=True)
        .join(Counsellor, Counsellor.id == Call.counsellor_id, isouter=True)
        .where(call_filter(session, scope))
        .order_by(Call.arrived_at.desc(), Call.id.desc())
    )
    q = filters.get("q") or ""
    typed = q.replace(" ", "").replace("-", "").lstrip("+")
    if typed.isascii() and typed.isdigit() and len(typed) >= 7:
        digits = phone_digits(typed)
        # A caller's number: compared by its keyed hash (the platform keeps no clear number); or
        # a call reference that happens to be all digits (its hex can be), so both are tried.
        stmt = stmt.where(
            or_(
                Call.caller_hash == keyed_hash(digits, settings.hmac_key, purpose=PHONE_PURPOSE),
                Call.call_ref.like(paging.like_pattern(q), escape="\\"),
            )
        )
    elif q:
        stmt = stmt.where(Call.call_ref.like(paging.like_pattern(q), escape="\\"))
    if filters.get("hotline"):
        stmt = stmt.where(Call.hotline_id == filters["hotline"])
    if filters.get("outcome"):
        stmt = stmt.where(Call.outcome == filters["outcome"])
    if filters.get("crisis"):
        stmt = stmt.where(Call.crisis == (filters["crisis"] == "yes"))
    if filters.get("from"):
        stmt = stmt.where(Call.arrived_at >= _beijing_day(filters["from"]))
    if filters.get("to"):
        stmt = stmt.where(Call.arrived_at < _beijing_day(filters["to"] + timedelta(days=1)))

    def row(r: Any) -> dict[str, Any]:
        return {
            "call_ref": r.call_ref,
            "caller": r.caller_masked,
            "arrived_at": r.arrived_at.isoformat(),
            "province_code": r.province_code,
            "hotline_id": r.hotline_id,
            "hotline_name": r.hotline_name or r.hotline_id or "",
            "counsellor_name": r.counsellor_name or "",
            "outcome": r.outcome,
            "crisis": r.crisis,
            "wait_s": round(r.wait_s, 1),
            "talk_s": round(r.talk_s, 1),
            "rollovers": r.rollovers,
        }

    if page is None:
        return paging.export_rows(session, stmt, row)
    return paging.paginate(session, stmt, page, row)


def hotline_choices(session: Session, *, scope: Scope = Scope.ALL) -> list[tuple[str, str]]:
    """(id, name) of the lines the scope reaches, by name: the options of a hotline filter."""
    ids = hotline_ids_in_scope(session, scope)
    stmt = select(Hotline.id, Hotline.name).order_by(Hotline.name, Hotline.id)
    if ids is not None:
        stmt = stmt.where(Hotline.id.in_(sorted(ids)))
    return [(hid, name) for hid, name in session.execute(stmt)]


def kpi_line_filters(
    *, q: str | None = None, from_: str | None = None, to: str | None = None
) -> dict[str, Any]:
    """The KPI table's filters: ``q`` (a line's name or id) and the period (both required)."""
    first, last = paging.date_range(from_, to)
    if first is None:
        raise InvalidInput("give the first day of the period", field="from")
    if last is None:
        raise InvalidInput("give the last day of the period", field="to")
    if (last - first).days > MAX_DAYS:
        raise InvalidInput("at most one year at a time", field="to")
    return {"q": paging.search_text(q), "from": first, "to": last}


def kpi_lines(
    session: Session,
    settings: Settings,
    filters: dict[str, Any],
    page: PageRequest | None,
    *,
    scope: Scope = Scope.ALL,
) -> Page[dict[str, Any]] | list[dict[str, Any]]:
    """The KPIs of the period by hotline (busiest first), each with the line's name.

    The groups come from ``reports.kpis`` (the call rows of the period, aggregated by the pure
    KPI rules); the names are read in SQL and the filter and page apply to the groups, one per
    line, so the paging never holds more than the country's few hundred lines.
    """
    lo = _beijing_day(filters["from"])
    hi = _beijing_day(filters["to"] + timedelta(days=1))
    report = kpis(session, settings, start=lo, end=hi, by="hotline", scope=scope)
    keys = [g["key"] for g in report["groups"]]
    named = session.execute(select(Hotline.id, Hotline.name).where(Hotline.id.in_(keys)))
    names: dict[str, str] = {hid: name for hid, name in named}
    q = (filters.get("q") or "").lower()
    rows = [
        {**g, "hotline_id": g["key"], "hotline_name": names.get(g["key"], g["key"])}
        for g in sorted(report["groups"], key=lambda g: (-g["offered"], g["key"]))
    ]
    if q:
        rows = [r for r in rows if q in r["hotline_name"].lower() or q in r["hotline_id"].lower()]
    if page is None:
        return rows
    return paging.page_of(rows, page)

"""KPIs over call records, and the compliance report against the official minimums."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import regions
from minsheng.core.config import Settings
from minsheng.core.scope import Scope
from minsheng.core.timeutil import BEIJING
from minsheng.hotline.errors import (
    InvalidHotline,
)
from minsheng.hotline.models import Call, CallAttempt
from minsheng.hotline.rules import compliance as compliance_rules
from minsheng.hotline.rules import kpi as kpi_math
from minsheng.hotline.rules import routing
from minsheng.hotline.service.directory import list_hotlines, to_info
from minsheng.hotline.service.scoping import call_filter

# KPIs ------------------------------------------------------------------------------------------
GROUPINGS = ("hotline", "province", "line_province", "day", "hour")


def line_province(level: str, regions: list[str]) -> str:
    """The province a line belongs to (``national`` for the national backup)."""
    if level == "national" or not regions:
        return "national"
    return regions[0][:2] + "0000"


def kpis(
    session: Session,
    settings: Settings,
    *,
    start: datetime,
    end: datetime,
    by: str = "hotline",
    threshold_s: float | None = None,
    scope: Scope = Scope.ALL,
) -> dict[str, Any]:
    """The KPIs of calls that arrived in [start, end), grouped ``by`` (see ``rules/kpi.py``).

    ``hotline`` counts a call at every line it reached; ``province`` groups calls by the caller's
    province; ``line_province`` groups each call once, by the province of the line it was first
    offered to (the province's own calls, as in the monthly report).
    """
    if end <= start:
        raise InvalidHotline("the period ends before it starts", field="to")
    if by not in GROUPINGS:
        raise InvalidHotline(f"cannot group by {by!r}", field="by")
    threshold = threshold_s if threshold_s is not None else settings.hotline_service_level_s
    in_scope = call_filter(session, scope)  # regional staff: the calls of their region only
    calls = session.execute(
        select(
            Call.id,
            Call.arrived_at,
            Call.outcome,
            Call.wait_s,
            Call.province_code,
            Call.hotline_province_code,
            Call.rollovers,
            Call.crisis,
            Call.hotline_id,
        ).where(Call.arrived_at >= start, Call.arrived_at < end, in_scope)
    ).all()
    facts: list[kpi_math.CallFact] = []
    if by == "hotline":
        by_id = {c.id: c for c in calls}
        attempts = session.execute(
            select(CallAttempt.call_id, CallAttempt.hotline_id, CallAttempt.result)
            .join(Call, Call.id == CallAttempt.call_id)
            .where(Call.arrived_at >= start, Call.arrived_at < end, in_scope)
        ).all()
        for a in attempts:
            c = by_id[a.call_id]
            outcome = {"answered": "answered", "abandoned": "abandoned"}.get(a.result or "", "")
            if not outcome:
                outcome = (
                    "no_answer"
                    if c.outcome == "no_answer" and a.result == "timeout"
                    else "passed_on"
                )
            # At one hotline, a rollover is a call it passed on to the next step.
            facts.append(_fact(a.hotline_id, c, outcome, int(outcome == "passed_on")))
        # Calls with no step at all (empty route) still count, under "(none)".
        stepped = {a.call_id for a in attempts}
        facts.extend(_fact("(none)", c, c.outcome) for c in calls if c.id not in stepped)
    elif by == "line_province":
        first = dict(
            session.execute(
                select(CallAttempt.call_id, CallAttempt.hotline_id)
                .join(Call, Call.id == CallAttempt.call_id)
                .where(
                    Call.arrived_at >= start, Call.arrived_at < end, CallAttempt.seq == 0, in_scope
                )
            ).all()
        )
        province_of = {
            h.id: line_province(h.level, list(h.regions)) for h in list_hotlines(session)
        }
        for c in calls:
            hid = first.get(c.id)
            facts.append(_fact(province_of.get(hid, "none") if hid else "none", c, c.outcome))
    else:
        for c in calls:
            local = c.arrived_at.astimezone(BEIJING)
            key = {
                "province": c.province_code or "unknown",
                "day": local.date().isoformat(),
                "hour": f"{local.hour:02d}",
            }[by]
            facts.append(_fact(key, c, c.outcome))
    result = kpi_math.aggregate(facts, threshold)
    if by == "hotline":
        result["total"] = kpi_math.aggregate([_fact("t", c, c.outcome) for c in calls], threshold)[
            "total"
        ]
    if by in ("province", "line_province"):
        table = regions.table()
        for g in result["groups"]:
            region = table.get(g["key"])
            if g["key"] == "national":
                g["name"] = "国家备用热线"
            else:
                g["name"] = region.name if region else "未知 unknown"
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "by": by,
        "service_level_threshold_s": threshold,
        **result,
    }


def _fact(group: str, c: Any, outcome: str, rollovers: int | None = None) -> kpi_math.CallFact:
    home_known = c.province_code is not None
    return kpi_math.CallFact(
        group=group,
        outcome=outcome,
        wait_s=float(c.wait_s),
        home_known=home_known,
        home_answered=home_known and c.hotline_province_code == c.province_code,
        rollovers=rollovers if rollovers is not None else int(c.rollovers),
        crisis=bool(c.crisis),
    )


# compliance ------------------------------------------------------------------------------------
def compliance(session: Session) -> dict[str, Any]:
    """Every hotline against the official minimums and every prefecture city's coverage."""
    infos = [to_info(h) for h in list_hotlines(session)]
    index = routing.DirectoryIndex.build(infos)
    hotlines = []
    for h in infos:
        problems = compliance_rules.hotline_problems(h)
        hotlines.append(
            {"hotline_id": h.id, "level": h.level.value, "ok": not problems, "problems": problems}
        )
    cities = []
    for city in regions.table().cities():
        if city.province_code[:2] in routing.NON_MAINLAND:
            continue
        cities.append(
            {
                "code": city.code,
                "name": city.name,
                "served_by": compliance_rules.city_served_by(index, city),
            }
        )
    counts: dict[str, int] = {}
    for c in cities:
        counts[c["served_by"]] = counts.get(c["served_by"], 0) + 1
    return {
        "rule_version": routing.RULES_VERSION,
        "minimums": {
            "seats": compliance_rules.MIN_SEATS,
            "hours_per_day": compliance_rules.MIN_HOURS_PER_DAY,
            "connected_before": compliance_rules.CONNECT_DEADLINE.isoformat(),
        },
        "summary": {
            "hotlines": len(hotlines),
            "hotlines_ok": sum(h["ok"] for h in hotlines),
            "cities": len(cities),
            "cities_served_by": counts,
        },
        "hotlines": hotlines,
        "cities": cities,
    }

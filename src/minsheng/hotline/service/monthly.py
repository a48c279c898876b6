"""The monthly report a city or province sends to its health commission (月度报表), per line and
per province, from the records only. Every call figure comes from ``service.kpis`` (the same code
behind ``GET /api/hotline/kpi``); the definitions are in docs/hotline-workforce.md.

``monthly_report`` returns a JSON-ready dict; ``monthly_files`` renders it as Excel and PDF.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import regions
from minsheng.core.config import Settings
from minsheng.core.timeutil import BEIJING
from minsheng.hotline.errors import InvalidHotline
from minsheng.hotline.models import Assessment, Call, FollowUp, Shift
from minsheng.hotline.rules import risk
from minsheng.hotline.rules import workforce as wf
from minsheng.hotline.service import workforce
from minsheng.hotline.service.directory import list_hotlines
from minsheng.hotline.service.planning import default_as_of
from minsheng.hotline.service.reports import kpis, line_province

REPORT_VERSION = "12356-monthly/2026.1"
KPI_FIELDS = (
    "offered",
    "answered",
    "answer_rate",
    "answered_in_home_province_rate",
    "asa_s",
    "abandonment",
    "abandonment_rate",
    "crisis",
)
SUMMED = (
    "handover_110",
    "handover_119",
    "handover_120",
    "followups_done",
    "followups_overdue",
    "followups_open",
    "required_seat_hours",
    "rostered_hours",
    "staffed_seat_hours",
    "days_compliant",
    "days",
    "counsellors_active",
    "counsellors_eligible",
)


def parse_month(text: str) -> date:
    """``2025-06`` → 2025-06-01."""
    try:
        year, month = (int(x) for x in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise InvalidHotline(f"{text!r} is not a month like 2025-06", field="month") from None


def next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _kpi_part(g: dict[str, Any] | None) -> dict[str, Any]:
    g = g or {}
    return {
        "offered": g.get("offered", 0),
        "answered": g.get("answered", 0),
        "answer_rate": g.get("answer_rate"),
        "answered_in_home_province_rate": g.get("answered_in_home_province_rate"),
        "asa_s": g.get("asa_s"),
        "abandonment": g.get("abandoned", 0),
        "abandonment_rate": g.get("abandonment_rate"),
        "crisis": g.get("crisis", 0),
    }


def monthly_report(
    session: Session, settings: Settings, *, month: date, as_of: datetime
) -> dict[str, Any]:
    """Figures of the Beijing calendar month starting ``month``; follow-ups are overdue when not
    done by ``as_of`` (the moment the report is drawn)."""
    first = month.replace(day=1)
    end = next_month(first)
    lo, hi = workforce.midnight(first), workforce.midnight(end)
    days = (end - first).days
    hotlines = list_hotlines(session)
    ids = [h.id for h in hotlines]
    by_line = {
        g["key"]: g for g in kpis(session, settings, start=lo, end=hi, by="hotline")["groups"]
    }
    by_prov_kpi = kpis(session, settings, start=lo, end=hi, by="line_province")
    by_prov = {g["key"]: g for g in by_prov_kpi["groups"]}

    handovers: dict[str, Counter[str]] = defaultdict(Counter)
    for hid, to in session.execute(
        select(Call.hotline_id, Assessment.handover_to)
        .join(Call, Call.id == Assessment.call_id)
        .where(Call.arrived_at >= lo, Call.arrived_at < hi, Assessment.handover_to.is_not(None))
    ):
        handovers[hid or "(none)"][to or ""] += 1
    follow: dict[str, Counter[str]] = defaultdict(Counter)
    for hid, done_at, due_at in session.execute(
        select(Call.hotline_id, FollowUp.done_at, FollowUp.due_at)
        .join(Call, Call.id == FollowUp.call_id)
        .where(Call.arrived_at >= lo, Call.arrived_at < hi)
    ):
        key = hid or "(none)"
        if done_at is not None:
            follow[key]["done"] += 1
        elif workforce._aware(due_at) < as_of:
            follow[key]["overdue"] += 1
        else:
            follow[key]["open"] += 1
    rostered: dict[str, float] = defaultdict(float)
    for s in session.scalars(select(Shift).where(Shift.day >= first, Shift.day < end)):
        if s.counsellor_id is not None:
            rostered[s.hotline_id] += workforce.work_seconds(s) / 3600
    staffed = workforce.staffed_seat_hours(session, ids, lo, hi)
    compliance = {
        line["hotline_id"]: line
        for line in workforce.staffing(session, start=first, days=days, now=as_of)["hotlines"]
    }
    plan_as_of = min(first, default_as_of(session))

    lines: list[dict[str, Any]] = []
    for h in hotlines:
        need, _opened, _rule = workforce.weekly_need(session, h, need_from="plan", as_of=plan_as_of)
        required = sum(sum(need[(first + timedelta(days=d)).weekday()]) / 2 for d in range(days))
        quals = Counter(
            wf.QUALIFICATIONS.get(c.qualification_kind or "", "未登记")
            for c in h.counsellors
            if c.active
        )
        eligible = sum(
            1 for c in h.counsellors if wf.eligibility(workforce.facts_of(c), first).eligible
        )
        row = {
            "hotline_id": h.id,
            "name": h.name,
            "level": h.level,
            "province": line_province(h.level, list(h.regions)),
            **_kpi_part(by_line.get(h.id)),
            "handover_110": handovers[h.id]["110"],
            "handover_119": handovers[h.id]["119"],
            "handover_120": handovers[h.id]["120"],
            "followups_done": follow[h.id]["done"],
            "followups_overdue": follow[h.id]["overdue"],
            "followups_open": follow[h.id]["open"],
            "required_seat_hours": round(required, 1),
            "rostered_hours": round(rostered[h.id], 1),
            "staffed_seat_hours": round(staffed[h.id], 1),
            "days_compliant": compliance[h.id]["days_compliant"],
            "days": days,
            "counsellors_active": sum(1 for c in h.counsellors if c.active),
            "counsellors_eligible": eligible,
            "qualifications": dict(sorted(quals.items())),
        }
        lines.append(row)

    table = regions.table()
    provinces: list[dict[str, Any]] = []
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in lines:
        grouped[row["province"]].append(row)
    for code in sorted(grouped):
        members = grouped[code]
        region = table.get(code)
        pooled: Counter[str] = Counter()
        for m in members:
            pooled.update(m["qualifications"])
        provinces.append(
            {
                "province": code,
                "name": "国家备用热线" if code == "national" else (region.name if region else code),
                "lines": len(members),
                **_kpi_part(by_prov.get(code)),
                **{k: round(sum(m[k] for m in members), 1) for k in SUMMED},
                "qualifications": dict(sorted(pooled.items())),
            }
        )
    return {
        "month": first.strftime("%Y-%m"),
        "from": lo.isoformat(),
        "to": hi.isoformat(),
        "as_of": as_of.astimezone(BEIJING).isoformat(),
        "service_level_threshold_s": by_prov_kpi["service_level_threshold_s"],
        "lines": lines,
        "provinces": provinces,
        "total": _kpi_part(by_prov_kpi["total"]),
        "definitions": DEFINITIONS,
        "version": REPORT_VERSION,
    }


DEFINITIONS: dict[str, str] = {
    "offered": (
        "来电量：本月到达该热线（任一路由步骤）的来电；省级汇总按首个路由到本省热线的来电计，"
        "每通一次"
    ),
    "answered": "接听量：在该热线被接听的来电",
    "answer_rate": "接听率 = 接听量 ÷ 来电量",
    "answered_in_home_province_rate": (
        "本省接听率 = 由来电者所在省热线接听的来电 ÷ 已知省份的接听来电"
    ),
    "asa_s": "平均应答时间（秒）= 接听来电从到达至接听的平均等待",
    "abandonment": "放弃量：来电者在接听前挂断",
    "abandonment_rate": "放弃率 = 放弃量 ÷ 来电量",
    "crisis": "危机来电：标记为危机的来电",
    "handover_110": "转介110：危机评估中移交110的来电（119、120同）",
    "followups_done": "已完成回访：本月来电产生、已完成的回访任务",
    "followups_overdue": (
        "逾期回访：截至报表时点未完成且已过期限的回访任务（默认期限高危"
        f"{risk.FOLLOW_UP_HOURS['high']}小时、中危{risk.FOLLOW_UP_HOURS['medium']}小时为"
        "本地政策演示值，非国家规定）"
    ),
    "required_seat_hours": (
        "所需坐席小时：坐席计划（Erlang A，开放时不少于2席）每半小时所需坐席×0.5，按本月每天合计"
    ),
    "rostered_hours": "排班工时：本月已排给咨询员的班次工作时长（不含休息）",
    "staffed_seat_hours": (
        "实际在岗坐席小时：坐席状态记录中签入（空闲、振铃、通话、话后整理）的时长合计"
    ),
    "days_compliant": "达标天数：实际至少2个坐席在岗不少于18小时的天数",
    "counsellors_active": ("在册咨询员（在用），及其中本月首日可排班（资质与培训合格）的人数"),
}

"""KPIs of a simulated day, with the same definitions as the live KPIs (``hotline/rules/kpi.py``).

The simulator turns every finished engine record into the same call facts that the call-record
KPIs use, grouped three ways: by hotline (every hotline a call reached, as in the live report), by
the caller's province, and nationally; plus the answer rate by Beijing hour of arrival for charts.
"""

from __future__ import annotations

from typing import Any

from minsheng.core import regions
from minsheng.hotline.engine import CallRecord
from minsheng.hotline.rules import kpi as kpi_math
from minsheng.hotline.rules.snapshot import HotlineInfo, Level


class KpiBook:
    """Collects call facts as the engine finishes calls, and aggregates them at the end."""

    def __init__(self, hotlines: tuple[HotlineInfo, ...], threshold_s: float) -> None:
        self.threshold_s = threshold_s
        self.province_of: dict[str, str | None] = {
            h.id: (
                h.regions[0][:2] + "0000" if h.regions and h.level is not Level.NATIONAL else None
            )
            for h in hotlines
        }
        self.by_province: list[kpi_math.CallFact] = []
        self.by_hotline: list[kpi_math.CallFact] = []
        self.hourly = [[0, 0] for _ in range(24)]  # [offered, answered] by hour of arrival

    def add(self, record: CallRecord) -> None:
        tag = record.tag
        province: str | None = getattr(tag, "province_code", None)
        hour: int = getattr(tag, "hour", 0)
        outcome = record.outcome.value
        answered = outcome == "answered"
        in_province = (
            answered
            and province is not None
            and record.hotline_id is not None
            and self.province_of.get(record.hotline_id) == province
        )
        crisis = record.crisis
        self.by_province.append(
            kpi_math.CallFact(
                group=province or "unknown",
                outcome=outcome,
                wait_s=record.wait_s,
                home_known=province is not None,
                home_answered=in_province,
                rollovers=record.rollovers,
                crisis=crisis,
            )
        )
        last = len(record.attempts) - 1
        for i, a in enumerate(record.attempts):
            result = a.result.value if a.result is not None else ""
            if result in ("answered", "abandoned"):
                step_outcome = result
            elif i == last and outcome == "no_answer":
                step_outcome = "no_answer"
            else:
                step_outcome = "passed_on"
            self.by_hotline.append(
                kpi_math.CallFact(
                    group=a.hotline_id,
                    outcome=step_outcome,
                    wait_s=record.wait_s,
                    home_known=province is not None,
                    home_answered=in_province,
                    rollovers=record.rollovers if step_outcome != "passed_on" else 0,
                    crisis=crisis,
                )
            )
        self.hourly[hour][0] += 1
        self.hourly[hour][1] += answered

    def result(self) -> dict[str, Any]:
        provinces = kpi_math.aggregate(self.by_province, self.threshold_s)
        table = regions.table()
        for g in provinces["groups"]:
            region = table.get(g["key"])
            g["name"] = region.name if region else "未知 unknown"
        hotlines = kpi_math.aggregate(self.by_hotline, self.threshold_s)
        return {
            "national": provinces["total"],
            "provinces": provinces["groups"],
            "hotlines": hotlines["groups"],
            "by_hour": [
                {
                    "hour": h,
                    "offered": o,
                    "answered": a,
                    "answer_rate": round(a / o, 4) if o else None,
                }
                for h, (o, a) in enumerate(self.hourly)
            ],
            "service_level_threshold_s": self.threshold_s,
        }

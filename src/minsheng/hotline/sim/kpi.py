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
        # Counted as calls end, in the order kpi_math.aggregate would count their facts (so even
        # the float sums come out the same), without keeping a fact per call.
        self.provinces: dict[str, kpi_math.Acc] = {}
        self.national = kpi_math.Acc()
        self.hotlines: dict[str, kpi_math.Acc] = {}
        self.hourly = [[0, 0] for _ in range(24)]  # [offered, answered] by hour of arrival

    def add(self, record: CallRecord) -> None:
        tag = record.tag
        try:  # the simulator's tag (attribute access costs less than getattr with a default)
            province: str | None = tag.province_code
            hour: int = tag.hour
        except AttributeError:
            province = getattr(tag, "province_code", None)
            hour = getattr(tag, "hour", 0)
        # Outcomes and step results are StrEnums: equal to their values as they are (reading
        # ``.value`` goes through a Python-level property, once or twice a call).
        outcome: str = record.outcome
        answered = outcome == "answered"
        home_known = province is not None
        in_province = (
            answered
            and home_known
            and record.hotline_id is not None
            and self.province_of.get(record.hotline_id) == province
        )
        crisis = record.crisis
        wait_s = record.wait_s
        attempts = record.attempts
        rollovers = len(attempts) - 1 if len(attempts) > 1 else 0
        threshold = self.threshold_s
        group = province or "unknown"
        acc = self.provinces.get(group)
        if acc is None:
            acc = self.provinces[group] = kpi_math.Acc()
        acc.count(outcome, wait_s, home_known, in_province, rollovers, crisis, threshold)
        self.national.count(outcome, wait_s, home_known, in_province, rollovers, crisis, threshold)
        last = len(attempts) - 1
        hotlines = self.hotlines
        for i, a in enumerate(attempts):
            result: str = a.result if a.result is not None else ""
            if result in ("answered", "abandoned"):
                step_outcome = result
            elif i == last and outcome == "no_answer":
                step_outcome = "no_answer"
            else:
                step_outcome = "passed_on"
            acc = hotlines.get(a.hotline_id)
            if acc is None:
                acc = hotlines[a.hotline_id] = kpi_math.Acc()
            acc.count(
                step_outcome,
                wait_s,
                home_known,
                in_province,
                rollovers if step_outcome != "passed_on" else 0,
                crisis,
                threshold,
            )
        self.hourly[hour][0] += 1
        self.hourly[hour][1] += answered

    def result(self) -> dict[str, Any]:
        table = regions.table()
        provinces = []
        for key in sorted(self.provinces):
            g = self.provinces[key].result(key)
            region = table.get(key)
            g["name"] = region.name if region else "未知 unknown"
            provinces.append(g)
        return {
            "national": self.national.result("total"),
            "provinces": provinces,
            "hotlines": [self.hotlines[k].result(k) for k in sorted(self.hotlines)],
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

"""The official minimums a 12356 hotline must meet, and which line serves a prefecture city. Pure.

This module holds the one definition of the minimums; the compliance report and the seat planner
(:mod:`minsheng.hotline.rules.planning`) both read them from here. Sources:

- 国家卫生健康委《关于推进"12356"全国统一心理援助热线建设的通知》 (December 2024,
  nhc.gov.cn/yzygj/c100068/202412/49a1a65386cd4be582d4702fd0926ee8.shtml): every existing local
  hotline connected to 12356 "于2025年5月1日0时前" (``CONNECT_DEADLINE``); every 设区的市 runs
  at least one hotline with "至少设置2个坐席" (``MIN_SEATS``) open "每日提供不少于18小时"
  (``MIN_HOURS_PER_DAY``); "暂不具备设置条件的，可以由省级热线承担" (``city_served_by``).
- 《心理援助热线技术指南（试行）》国卫办疾控函〔2021〕15号: at least 2 seats per line.
"""

from __future__ import annotations

from datetime import datetime

from minsheng.core.regions import Region
from minsheng.core.timeutil import BEIJING
from minsheng.hotline.rules.routing import DirectoryIndex, parse_span
from minsheng.hotline.rules.snapshot import WEEKDAYS, HotlineInfo

CONNECT_DEADLINE = datetime(2025, 5, 1, 0, 0, tzinfo=BEIJING)
MIN_SEATS = 2
MIN_HOURS_PER_DAY = 18.0


def hotline_problems(h: HotlineInfo) -> list[str]:
    """What a line lacks against the official minimums (notice of December 2024)."""
    problems: list[str] = []
    if h.seats < MIN_SEATS:
        problems.append(f"{h.seats} seat(s): at least {MIN_SEATS} required")
    short: dict[float, list[str]] = {}
    for day in WEEKDAYS:
        span = parse_span(h.hours.get(day, ""))
        hours = 0.0 if span is None else span.hours
        if hours < MIN_HOURS_PER_DAY:
            short.setdefault(hours, []).append(day)
    for hours, days in short.items():
        which = "every day" if len(days) == 7 else ", ".join(days)
        problems.append(f"open {hours:g} h on {which}: at least {MIN_HOURS_PER_DAY:g} h a day")
    if h.connected_at is None:
        problems.append("not connected to 12356")
    elif h.connected_at >= CONNECT_DEADLINE:
        when = h.connected_at.astimezone(BEIJING).isoformat()
        problems.append(f"connected {when}, after the deadline 2025-05-01T00:00+08:00")
    return problems


def city_served_by(index: DirectoryIndex, city: Region) -> str:
    """``city`` when the city runs its own line, ``province`` when only the provincial line serves
    it (allowed: 暂不具备设置条件的，可以由省级热线承担), else ``none``."""
    if index.by_city.get(city.code):
        return "city"
    if index.by_province.get(city.province_code):
        return "province"
    return "none"

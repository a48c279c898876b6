"""Working days (工作日) and the statutory periods of 行政处罚 counted in them.

Pure: the holiday calendar is data passed in (``HolidayCalendar``: public holidays, 调休 workdays
and the years it covers); ``service/calendar.py`` builds it from the ``chinesecalendar`` package.
For a year the calendar does not cover, a day counts as a working day when it is Monday–Friday
(weekends-only fallback) and the result carries a visible warning naming the year, so nobody
mistakes a guessed deadline for a checked one.

Which periods are working days — 《中华人民共和国行政处罚法》(2021-01-22 修订, 2021-07-15 施行)
第八十五条: "本法中“二日”“三日”“五日”“七日”的规定是指工作日，不含法定节假日。" So:

* Art. 64(一) 听证申请 "告知后五日内" — 5 working days;
* Art. 64(二) 听证通知 "举行听证的七日前" — 7 working days;
* Art. 61 送达 "七日内" — 7 working days;
* Art. 48 撤回公开信息 "三日内" — 3 working days;
* Art. 60 "九十日" (decision after 立案) — calendar days (not in the Art. 85 list);
* Art. 36 二年/五年 — calendar periods.

``STATUTORY_PERIODS`` lists them with their article, the unit and the source, for the docs table
and for the notices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

LAW = "《中华人民共和国行政处罚法》（2021年1月22日修订，2021年7月15日起施行）"


class Unit(StrEnum):
    WORKING_DAYS = "working_days"  # 工作日 (Art. 85)
    CALENDAR_DAYS = "calendar_days"


@dataclass(frozen=True)
class Period:
    key: str
    days: int
    unit: Unit
    article: str
    text: str  # the law's words

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "days": self.days,
            "unit": self.unit.value,
            "article": self.article,
            "text": self.text,
        }


STATUTORY_PERIODS: dict[str, Period] = {
    p.key: p
    for p in (
        Period(
            "hearing_request",
            5,
            Unit.WORKING_DAYS,
            "第六十四条第一项、第八十五条",
            "当事人要求听证的，应当在行政机关告知后五日内提出",
        ),
        Period(
            "hearing_notice",
            7,
            Unit.WORKING_DAYS,
            "第六十四条第二项、第八十五条",
            "行政机关应当在举行听证的七日前，通知当事人及有关人员听证的时间、地点",
        ),
        Period(
            "service",
            7,
            Unit.WORKING_DAYS,
            "第六十一条、第八十五条",
            "当事人不在场的，行政机关应当在七日内……将行政处罚决定书送达当事人",
        ),
        Period(
            "withdraw_publication",
            3,
            Unit.WORKING_DAYS,
            "第四十八条第二款、第八十五条",
            "行政机关应当在三日内撤回行政处罚决定信息并公开说明理由",
        ),
        Period(
            "decision",
            90,
            Unit.CALENDAR_DAYS,
            "第六十条",
            "行政机关应当自行政处罚案件立案之日起九十日内作出行政处罚决定",
        ),
    )
}


@dataclass(frozen=True)
class HolidayCalendar:
    """Public holidays and 调休 workdays for the years in ``years`` (the covered years)."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # weekend days that are working days (调休)
    years: frozenset[int] = frozenset()
    source: str = ""

    @property
    def span(self) -> str:
        return f"{min(self.years)}–{max(self.years)}" if self.years else "—"


WEEKENDS_ONLY = HolidayCalendar(source="仅按周末计算（未载入节假日安排）")


@dataclass(frozen=True)
class Deadline:
    """A computed deadline and the warnings a person must see beside it."""

    on: date
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {"on": self.on.isoformat(), "warnings": list(self.warnings)}


def uncovered_warning(year: int, calendar: HolidayCalendar) -> str:
    return (
        f"{year}年节假日安排未载入（节假日数据覆盖{calendar.span}年），"
        "该年按周一至周五为工作日计算，请人工核对"
    )


def is_workday(calendar: HolidayCalendar, day: date) -> bool:
    """A working day: a 调休 workday, or Monday–Friday and not a public holiday (weekdays only
    for a year the calendar does not cover)."""
    if day.year in calendar.years:
        if day in calendar.workdays:
            return True
        if day in calendar.holidays:
            return False
    return day.weekday() < 5


def warnings_for(calendar: HolidayCalendar, days: Iterable[date]) -> tuple[str, ...]:
    years = sorted({d.year for d in days if d.year not in calendar.years})
    return tuple(uncovered_warning(y, calendar) for y in years)


def add_working_days(calendar: HolidayCalendar, start: date, n: int) -> Deadline:
    """The ``n``-th working day after ``start`` (the day of the event is not counted: a period
    "告知后五日内" starts the next day)."""
    if n < 0:
        raise ValueError("a period cannot be negative")
    day = start
    seen = [start]
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        seen.append(day)
        if is_workday(calendar, day):
            counted += 1
    return Deadline(day, warnings_for(calendar, seen))


def count_working_days(
    calendar: HolidayCalendar, start: date, end: date
) -> tuple[int, tuple[str, ...]]:
    """Working days strictly after ``start`` up to and including ``end`` (0 if end ≤ start)."""
    n = 0
    day = start
    seen = [start]
    while day < end:
        day += timedelta(days=1)
        seen.append(day)
        if is_workday(calendar, day):
            n += 1
    return n, warnings_for(calendar, seen)


def period_deadline(calendar: HolidayCalendar, key: str, start: date) -> Deadline:
    """The last day of the statutory period ``key`` starting on ``start``."""
    period = STATUTORY_PERIODS[key]
    if period.unit is Unit.CALENDAR_DAYS:
        return Deadline(start + timedelta(days=period.days))
    return add_working_days(calendar, start, period.days)


def workdays_of_month(calendar: HolidayCalendar, year: int, month: int) -> list[date]:
    """Every working day of a month (the inspection planner draws its dates from these)."""
    day = date(year, month, 1)
    out = []
    while day.month == month:
        if is_workday(calendar, day):
            out.append(day)
        day += timedelta(days=1)
    return out

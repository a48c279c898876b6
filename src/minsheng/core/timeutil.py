"""Beijing time, the one time zone people read: the constant every system uses and the Chinese
ways of writing dates and times on pages and documents (2026年12月1日, 2026年12月1日 08:30).

China keeps no daylight saving time, so a fixed +08:00 offset named after Asia/Shanghai is exact
for every date the platform handles and needs no tz database. Storage stays in UTC; convert only
where a person reads the value.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def now() -> datetime:
    """The current moment, aware, in UTC: the boundary's one reading of the wall clock.

    Commands and requests read it once and hand it (or ``today()``) down; rules and services
    take the time as an argument. Tests freeze it (``MINSHENG_TEST_NOW``).
    """
    return datetime.now(UTC)


def today() -> date:
    """Today's date in Beijing (not the machine's zone: a server in UTC is 8 hours behind)."""
    return now().astimezone(BEIJING).date()


def to_beijing(moment: datetime) -> datetime:
    """An aware datetime in Beijing time; naive values are taken to be UTC (how they are stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING)


def date_cn(day: date | datetime) -> str:
    """``2026年12月1日`` (a datetime is first converted to Beijing time)."""
    if isinstance(day, datetime):
        day = to_beijing(day).date()
    return f"{day.year}年{day.month}月{day.day}日"


def datetime_cn(moment: datetime) -> str:
    """``2026年12月1日 08:30`` in Beijing time."""
    local = to_beijing(moment)
    return f"{date_cn(local.date())} {local:%H:%M}"

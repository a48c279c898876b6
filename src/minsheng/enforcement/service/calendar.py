"""The national holiday calendar (法定节假日 and 调休) for the working-day rules, read from the
``chinesecalendar`` package (PyPI, MIT, https://github.com/LKI/chinese-calendar).

``chinesecalendar`` 1.11.0 carries the 国务院办公厅 holiday arrangements for 2004–2026; it raises
``NotImplementedError`` for later years. This module reads its tables once and hands them to the
pure ``rules.workdays`` as data, so a year outside them falls back to weekends-only with a warning
(the rules print it) instead of failing or guessing.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

from minsheng.enforcement.rules import workdays as wd


@lru_cache(maxsize=1)
def holiday_calendar() -> wd.HolidayCalendar:
    """The holiday calendar of ``chinesecalendar`` (its covered years included)."""
    try:
        from chinese_calendar import constants
    except ImportError:  # pragma: no cover - a declared dependency; weekends-only without it
        return wd.WEEKENDS_ONLY
    holidays: dict[date, object] = constants.holidays
    workdays: dict[date, object] = constants.workdays
    years = frozenset(d.year for d in holidays)
    try:
        release = version("chinesecalendar")
    except PackageNotFoundError:  # pragma: no cover - metadata missing in an odd install
        release = "?"
    return wd.HolidayCalendar(
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        years=years,
        source=f"chinesecalendar {release}（国务院办公厅节假日安排 {min(years)}–{max(years)}年）",
    )

"""Beijing time and the Chinese date formats."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import time_machine

from minsheng.core import timeutil
from minsheng.core.timeutil import BEIJING, date_cn, datetime_cn, to_beijing


def test_utc_evening_is_next_day_in_beijing() -> None:
    moment = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    assert to_beijing(moment).date() == date(2026, 12, 1)
    assert date_cn(moment) == "2026年12月1日"
    assert datetime_cn(moment) == "2026年12月1日 00:30"


def test_naive_values_are_utc() -> None:
    assert to_beijing(datetime(2026, 12, 31, 16, 0)).tzinfo is BEIJING
    assert date_cn(datetime(2026, 12, 31, 16, 0)) == "2027年1月1日"


def test_plain_date() -> None:
    assert date_cn(date(2026, 1, 9)) == "2026年1月9日"


def test_today_is_beijings_date_whatever_the_machines_zone() -> None:
    # 09:00 on 31 December in Los Angeles is already 01:00 on 1 January in Beijing.
    moment = datetime(2026, 12, 31, 9, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    with time_machine.travel(moment, tick=False):
        assert date.today() == date(2026, 12, 31)  # the machine's zone
        assert timeutil.today() == date(2027, 1, 1)
        assert timeutil.now() == datetime(2026, 12, 31, 17, 0, tzinfo=UTC)

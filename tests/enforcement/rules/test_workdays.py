"""Working days (《行政处罚法》第八十五条): the law's 二日/三日/五日/七日 are working days without
public holidays; 调休 weekend workdays count; a year without holiday data falls back to weekdays
with a warning; inspection plans skip holidays."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minsheng.enforcement.rules import workdays as wd
from minsheng.enforcement.rules.planning import Inspector, Target, plan_year
from minsheng.enforcement.service import catalog
from minsheng.enforcement.service.calendar import holiday_calendar

# National Day 2026 as published (国务院办公厅): 10-01…10-07 off, Saturday 10-10 worked.
OCTOBER = wd.HolidayCalendar(
    holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
    workdays=frozenset({date(2026, 10, 10)}),
    years=frozenset({2026}),
    source="test",
)


class TestPeriods:
    def test_which_periods_are_working_days(self) -> None:
        p = wd.STATUTORY_PERIODS
        assert (p["hearing_request"].days, p["hearing_request"].unit) == (5, wd.Unit.WORKING_DAYS)
        assert (p["hearing_notice"].days, p["hearing_notice"].unit) == (7, wd.Unit.WORKING_DAYS)
        assert (p["service"].days, p["service"].unit) == (7, wd.Unit.WORKING_DAYS)
        assert (p["withdraw_publication"].days, p["withdraw_publication"].unit) == (
            3,
            wd.Unit.WORKING_DAYS,
        )
        # Art. 60's 九十日 is not in Art. 85's list: calendar days.
        assert (p["decision"].days, p["decision"].unit) == (90, wd.Unit.CALENDAR_DAYS)
        assert wd.period_deadline(OCTOBER, "decision", date(2026, 9, 30)) == wd.Deadline(
            date(2026, 12, 29)
        )

    def test_five_working_days_skip_the_national_day_holiday(self) -> None:
        # Notice on Wed 30 Sep: Oct 1–7 are holidays, Thu 8, Fri 9, Sat 10 (调休), Mon 12, Tue 13.
        due = wd.period_deadline(OCTOBER, "hearing_request", date(2026, 9, 30))
        assert due == wd.Deadline(date(2026, 10, 13))
        # Weekends only (no holiday data) would have said Wed 7 Oct.
        assert wd.add_working_days(wd.WEEKENDS_ONLY, date(2026, 9, 30), 5).on == date(2026, 10, 7)

    def test_a_calendar_day_period_is_not_moved_by_holidays(self) -> None:
        assert wd.add_working_days(OCTOBER, date(2026, 10, 9), 0).on == date(2026, 10, 9)

    def test_outside_the_covered_years_weekdays_with_a_visible_warning(self) -> None:
        due = wd.add_working_days(OCTOBER, date(2026, 12, 28), 7)
        assert due.on == date(2027, 1, 6)  # Mon–Fri only in 2027
        assert len(due.warnings) == 1
        assert "2027年节假日安排未载入" in due.warnings[0]
        assert "人工核对" in due.warnings[0]
        inside = wd.add_working_days(OCTOBER, date(2026, 10, 8), 2)
        assert inside.warnings == ()

    @given(
        start=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
        n=st.integers(min_value=1, max_value=30),
    )
    def test_the_deadline_is_a_working_day_exactly_n_working_days_on(
        self, start: date, n: int
    ) -> None:
        due = wd.add_working_days(OCTOBER, start, n)
        assert wd.is_workday(OCTOBER, due.on)
        assert wd.count_working_days(OCTOBER, start, due.on)[0] == n
        assert wd.count_working_days(OCTOBER, start, due.on - timedelta(days=1))[0] == n - 1


class TestChineseCalendar:
    """The shipped calendar (chinesecalendar 1.11.0: 2004–2026)."""

    def test_2026_holidays_and_adjusted_workdays(self) -> None:
        cal = holiday_calendar()
        assert {2004, 2026} <= cal.years
        assert 2027 not in cal.years
        assert not wd.is_workday(cal, date(2026, 10, 1))  # 国庆节
        assert wd.is_workday(cal, date(2026, 10, 10))  # Saturday 调休 workday
        assert wd.is_workday(cal, date(2026, 1, 4))  # Sunday 调休 workday
        assert "chinesecalendar" in cal.source

    def test_a_december_2026_period_crossing_into_2027_warns(self) -> None:
        cal = holiday_calendar()
        due = wd.period_deadline(cal, "service", date(2026, 12, 28))
        assert due.on.year == 2027
        assert any("2027年" in w for w in due.warnings)


class TestPlanningSkipsHolidays:
    def test_no_visit_on_a_holiday_and_adjusted_workdays_may_be_used(self) -> None:
        targets = [Target(id=i, domain="construction", grade="ABCD"[i % 4]) for i in range(200)]
        roster = [Inspector(id=i, code=f"I{i:02d}") for i in range(1, 21)]
        cal = holiday_calendar()
        plan = plan_year(
            catalog.planning_policy(), targets, roster, year=2026, seed=5, holidays=cal
        )
        assert plan.visits
        for v in plan.visits:
            assert wd.is_workday(cal, v.on), v.on
            assert v.on not in cal.holidays
        assert plan.warnings == ()
        assert "chinesecalendar" in plan.to_dict()["calendar"]

    def test_a_year_without_holiday_data_is_planned_on_weekdays_with_a_warning(self) -> None:
        targets = [Target(id=i, domain="construction", grade="C") for i in range(20)]
        roster = [Inspector(id=i, code=f"I{i:02d}") for i in range(1, 6)]
        plan = plan_year(
            catalog.planning_policy(),
            targets,
            roster,
            year=2027,
            seed=1,
            holidays=holiday_calendar(),
        )
        assert all(v.on.weekday() < 5 for v in plan.visits)
        assert plan.to_dict()["warnings"] == [
            wd.uncovered_warning(2027, holiday_calendar()),
        ]

    def test_negative_periods_are_refused(self) -> None:
        with pytest.raises(ValueError):
            wd.add_working_days(OCTOBER, date(2026, 1, 1), -1)

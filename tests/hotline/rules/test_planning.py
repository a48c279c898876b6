"""Seat planning, pure part: forecast from arrivals, sizing per half hour, advice wording."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minsheng.hotline.rules import erlang, planning
from minsheng.hotline.rules.planning import PlanTarget

ALL_DAY = {d: (0, 1440) for d in planning.WEEKDAYS}


def flat(calls_per_slot: float) -> list[list[float]]:
    return [[calls_per_slot] * 48 for _ in range(7)]


def demand(calls: list[list[float]]) -> planning.ForecastResult:
    return planning.ForecastResult(calls, 4, date(2026, 11, 2), date(2026, 11, 30), [4] * 7)


class TestForecast:
    def test_counts_by_beijing_half_hour(self) -> None:
        counts = planning.count_arrivals(
            [
                datetime(2026, 11, 2, 18, 0),
                datetime(2026, 11, 2, 18, 29),
                datetime(2026, 11, 2, 18, 30),
            ]
        )
        assert counts[date(2026, 11, 2)][36] == 2
        assert counts[date(2026, 11, 2)][37] == 1

    def test_mean_of_same_weekday_and_half_hour(self) -> None:
        mondays = [date(2026, 11, 2) + timedelta(weeks=k) for k in range(4)]
        counts = {d: [0] * 48 for d in mondays}
        for k, d in enumerate(mondays):
            counts[d][36] = k + 1  # 1, 2, 3, 4 calls at 18:00 on four Mondays
        f = planning.forecast(counts, as_of=date(2026, 11, 30), weeks=4, smooth=0)
        assert f.calls[0][36] == pytest.approx(2.5)
        assert f.days_per_weekday == [4] * 7
        assert f.calls[1] == [0.0] * 48

    def test_window_excludes_older_weeks_and_as_of_day(self) -> None:
        counts = {
            date(2026, 10, 5): [9] * 48,
            date(2026, 11, 30): [9] * 48,
            date(2026, 11, 23): [4] * 48,
        }
        f = planning.forecast(counts, as_of=date(2026, 11, 30), weeks=2, smooth=0)
        # Only 2026-11-23 (a Monday) is in [11-16, 11-30); the window starts at the first record.
        assert f.window_start == date(2026, 11, 23)
        assert f.days_per_weekday[0] == 1
        assert f.calls[0][0] == pytest.approx(4)

    def test_new_line_is_not_diluted_by_weeks_before_it_existed(self) -> None:
        counts = {date(2026, 11, 23): [2] * 48}
        f = planning.forecast(counts, as_of=date(2026, 11, 30), weeks=8)
        assert f.calls[0][10] == pytest.approx(2)

    def test_no_records(self) -> None:
        f = planning.forecast({}, as_of=date(2026, 11, 30))
        assert f.window_start is None and f.daily_totals() == [0.0] * 7

    def test_smoothing_keeps_the_weekly_total(self) -> None:
        counts = {date(2026, 11, 23) + timedelta(days=d): [0] * 48 for d in range(7)}
        counts[date(2026, 11, 23)][36] = 6
        counts[date(2026, 11, 29)][47] = 3  # Sunday 23:30 spills into Monday 00:00
        f = planning.forecast(counts, as_of=date(2026, 11, 30), weeks=1, smooth=1)
        assert f.calls[0][35:38] == pytest.approx([2, 2, 2])
        assert f.calls[0][0] == pytest.approx(1) and f.calls[6][46] == pytest.approx(1)
        assert sum(map(sum, f.calls)) == pytest.approx(9)

    def test_pooled_weekdays(self) -> None:
        counts = {date(2026, 11, 23) + timedelta(days=d): [0] * 48 for d in range(7)}
        counts[date(2026, 11, 23)][36] = 5  # Monday only
        counts[date(2026, 11, 28)][10] = 4  # Saturday only
        f = planning.forecast(
            counts, as_of=date(2026, 11, 30), weeks=1, smooth=0, pool_weekdays=True
        )
        assert [f.calls[wd][36] for wd in range(5)] == pytest.approx([1.0] * 5)
        assert f.calls[5][10] == f.calls[6][10] == pytest.approx(2.0)
        assert sum(map(sum, f.calls)) == pytest.approx(9)

    def test_bad_weeks(self) -> None:
        with pytest.raises(planning.PlanningError) as info:
            planning.forecast({}, as_of=date(2026, 11, 30), weeks=0)
        assert info.value.field == "weeks"

    @settings(max_examples=50, deadline=None)
    @given(st.lists(st.integers(0, 60 * 24 * 28 - 1), max_size=200))
    def test_total_is_preserved(self, minutes: list[int]) -> None:
        start = datetime(2026, 11, 2)
        counts = planning.count_arrivals(start + timedelta(minutes=m) for m in minutes)
        f = planning.forecast(counts, as_of=date(2026, 11, 30), weeks=4, smooth=0)
        if minutes:
            first = min(counts)
            days = (date(2026, 11, 30) - first).days
            # Each weekday mean divides by its own count of days; summed back it gives the total.
            back = sum(sum(f.calls[wd]) * f.days_per_weekday[wd] for wd in range(7))
            assert back == pytest.approx(len(minutes))
            assert sum(f.days_per_weekday) == days


class TestOpenSlots:
    def test_span_crossing_midnight(self) -> None:
        slots = planning.open_slots_from_spans({"mon": (8 * 60, 26 * 60)})
        assert (0, 16) in slots and (0, 47) in slots and (1, 3) in slots
        assert (1, 4) not in slots and (0, 15) not in slots
        assert planning.open_hours_per_day(slots)[0] == 16 and len(slots) == 36

    def test_round_the_clock(self) -> None:
        assert len(planning.open_slots_from_spans(ALL_DAY)) == 7 * 48


class TestSizing:
    def test_quiet_line_gets_the_official_minimum(self) -> None:
        open_ = planning.open_slots_from_spans(ALL_DAY)
        slots = planning.size_slots(flat(0.05), seats=1, open_slots=open_, target=PlanTarget())
        assert all(s.needed == 2 and s.decided_by == "official-minimum" for s in slots)

    def test_needs_match_erlang_a(self) -> None:
        open_ = planning.open_slots_from_spans(ALL_DAY)
        target = PlanTarget()
        slots = planning.size_slots(flat(3.0), seats=2, open_slots=open_, target=target)
        expected = erlang.size_a(
            erlang.Load(3.0, 1800, target.aht_s),
            erlang.Target(30, 0.8, max_abandon=0.05),
            target.patience_s,
        ).seats
        assert expected > 2
        assert {s.needed for s in slots} == {expected}
        assert all(s.service_level_now is not None and s.service_level_now < 0.8 for s in slots)

    def test_closed_half_hours_need_nothing(self) -> None:
        slots = planning.size_slots(flat(3.0), seats=2, open_slots=set(), target=PlanTarget())
        assert all(not s.open and s.shortfall == 0 for s in slots)

    def test_bad_target_is_refused(self) -> None:
        with pytest.raises(erlang.FractionOutOfRange):
            planning.size_slots(
                flat(1), seats=2, open_slots=set(), target=PlanTarget(service_level=1.2)
            )


class TestAdvice:
    def test_evening_peak_on_weekdays(self) -> None:
        calls = flat(0.3)
        for wd in range(5):
            for s in range(36, 44):  # 18:00-22:00
                calls[wd][s] = 4.0
        open_ = planning.open_slots_from_spans(ALL_DAY)
        plan = planning.plan_hotline("bj", seats=2, open_slots=open_, demand=demand(calls))
        assert len(plan.advice) == 1
        a = plan.advice[0]
        assert a.text.endswith("18:00–22:00 on weekdays")
        assert a.text.startswith(f"add {a.seats} seats") and a.seats >= 2
        assert a.ranges == (("18:00", "22:00"),) and a.rule == "erlang-a-sizing"
        assert plan.to_dict()["enough"] is False

    def test_enough_seats_gives_no_advice(self) -> None:
        open_ = planning.open_slots_from_spans(ALL_DAY)
        plan = planning.plan_hotline("x", seats=10, open_slots=open_, demand=demand(flat(1.0)))
        assert plan.advice == []
        assert plan.to_dict()["summary"] == ["10 seats meet the target in every open half hour"]

    def test_below_minimum_advice_names_the_rule(self) -> None:
        open_ = planning.open_slots_from_spans(ALL_DAY)
        plan = planning.plan_hotline("x", seats=1, open_slots=open_, demand=demand(flat(0.0)))
        assert [a.text for a in plan.advice] == [
            "add 1 seat 00:00–24:00 every day (official minimum of 2 seats)"
        ]
        assert plan.advice[0].rule == "official-minimum"

    def test_short_hours_are_flagged(self) -> None:
        spans: dict[str, tuple[int, int] | None] = {d: (480, 1320) for d in planning.WEEKDAYS}
        open_ = planning.open_slots_from_spans(spans)  # 08:00-22:00: 14 hours
        plan = planning.plan_hotline("x", seats=4, open_slots=open_, demand=demand(flat(0.2)))
        hours = [a for a in plan.advice if a.action == "extend_hours"]
        assert [a.text for a in hours] == [
            "open at least 18 hours every day (now 14 h; official minimum)"
        ]
        assert any("while the line is closed" in n for n in plan.notes)

    @pytest.mark.parametrize(
        ("days", "text"),
        [
            (range(7), "every day"),
            (range(5), "on weekdays"),
            ([5, 6], "at weekends"),
            ([0], "on Mon"),
            ([1, 2, 3], "on Tue–Thu"),
            ([0, 3], "on Mon, Thu"),
        ],
    )
    def test_day_names(self, days: list[int], text: str) -> None:
        assert planning.describe_days(days) == text

    def test_ranges_share_one_sentence(self) -> None:
        calls = flat(0.3)
        for wd in range(7):
            for s in (*range(16, 18), *range(40, 42)):
                calls[wd][s] = 3.0
        open_ = planning.open_slots_from_spans(ALL_DAY)
        plan = planning.plan_hotline("x", seats=2, open_slots=open_, demand=demand(calls))
        assert len(plan.advice) == 1
        # Each one-hour peak becomes a two-hour block (a shift), on whole hours.
        assert "08:00–10:00 and 20:00–22:00 every day" in plan.advice[0].text

    def test_scattered_half_hours_become_one_block(self) -> None:
        calls = flat(0.3)
        for s in (36, 38, 41):  # 18:00, 19:00 and 20:30: gaps of at most one hour
            calls[2][s] = 3.0
        spans: dict[str, tuple[int, int] | None] = {d: (480, 1320) for d in planning.WEEKDAYS}
        open_ = planning.open_slots_from_spans(spans)  # closes at 22:00
        plan = planning.plan_hotline("x", seats=2, open_slots=open_, demand=demand(calls))
        adds = [a for a in plan.advice if a.action == "add_seats"]
        assert len(adds) == 1 and adds[0].ranges == (("18:00", "21:00"),)
        assert adds[0].days == ("wed",)

    @settings(max_examples=30, deadline=None)
    @given(
        st.lists(st.floats(0, 6), min_size=48, max_size=48),
        st.integers(0, 6),
    )
    def test_advice_covers_every_shortfall(self, day: list[float], seats: int) -> None:
        calls = [list(day) for _ in range(7)]
        open_ = planning.open_slots_from_spans(ALL_DAY)
        plan = planning.plan_hotline("x", seats=seats, open_slots=open_, demand=demand(calls))
        added = [[0] * 48 for _ in range(7)]
        for a in plan.advice:
            for name in a.days:
                wd = planning.WEEKDAYS.index(name)
                for start, end in a.ranges:
                    a0 = int(start[:2]) * 2 + int(start[3:]) // 30
                    b0 = int(end[:2]) * 2 + int(end[3:]) // 30
                    for s in range(a0, b0):
                        added[wd][s] += a.seats
        for s in plan.slots:
            # Blocks may add more than a half hour needs, never less, and never while closed.
            assert added[s.weekday][s.slot] >= s.shortfall
            assert s.needed >= planning.MIN_SEATS

"""Eligibility and compliance from facts (rules/workforce.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from minsheng.core.timeutil import BEIJING
from minsheng.hotline.rules import workforce as wf

DAY = date(2025, 12, 31)  # a year end
MIDNIGHT = datetime(2025, 12, 31, tzinfo=BEIJING)  # 2025-12-30T16:00Z


def facts(**kw: object) -> wf.CounsellorFacts:
    base: dict[str, object] = {
        "id": "c1",
        "active": True,
        "qualification_kind": "counsellor",
        "certificate_no": "X-1",
        "certificate_date": date(2020, 1, 1),
        "training_hours": 40.0,
        "supervision_hours_month": 2.0,
    }
    base.update(kw)
    return wf.CounsellorFacts(**base)  # type: ignore[arg-type]


class TestEligibility:
    def test_qualified_and_trained(self) -> None:
        verdict = wf.eligibility(facts(), DAY)
        assert verdict.eligible
        assert verdict.rule == "staff-eligibility"

    def test_each_missing_condition_is_named(self) -> None:
        verdict = wf.eligibility(
            facts(certificate_no="", training_hours=10.0, supervision_hours_month=0.0), DAY
        )
        assert not verdict.eligible
        assert "缺少资质证书编号" in verdict.reasons
        assert any("岗前培训 10" in r and "本地政策" in r for r in verdict.reasons)
        assert any("督导" in r for r in verdict.reasons)

    def test_a_certificate_dated_after_the_shift_does_not_count(self) -> None:
        verdict = wf.eligibility(facts(certificate_date=date(2026, 1, 1)), DAY)
        assert not verdict.eligible
        assert any("晚于排班日" in r for r in verdict.reasons)

    def test_no_qualification_or_inactive(self) -> None:
        assert "未登记资质" in wf.eligibility(facts(qualification_kind=None), DAY).reasons
        assert "已停用" in wf.eligibility(facts(active=False), DAY).reasons

    def test_a_line_may_recognise_fewer_qualifications(self) -> None:
        strict = wf.Requirement(qualifications=frozenset({"psychotherapist", "psychiatrist"}))
        verdict = wf.eligibility(facts(), DAY, strict)
        assert not verdict.eligible
        assert "心理咨询师" in verdict.reasons[0]


def iv(who: str, start_h: float, end_h: float) -> wf.Interval:
    return wf.Interval(who, MIDNIGHT + timedelta(hours=start_h), MIDNIGHT + timedelta(hours=end_h))


ALL_DAY = list(range(48))


class TestCompliance:
    def test_a_gap_fails_the_day_even_when_declared_seats_suffice(self) -> None:
        # Two people 00:00–12:00 and two 19:00–24:00: 17 h at two seats; the line declares 4.
        actual = [iv("a", 0, 12), iv("b", 0, 12), iv("c", 19, 24), iv("d", 19, 24)]
        rostered = [iv("a", 0, 12), iv("b", 0, 12), iv("c", 12, 24), iv("d", 12, 24)]
        day = wf.judge_day(
            DAY,
            MIDNIGHT,
            declared_seats=4,
            open_half_hours=ALL_DAY,
            rostered=rostered,
            actual=actual,
        )
        out = day.to_dict(BEIJING)
        assert out["declared_ok"] is True
        assert out["compliant"] is False
        assert out["hours_at_minimum_actual"] == 17.0
        assert out["hours_at_minimum_rostered"] == 24.0
        assert out["gaps_actual"] == [{"from": "12:00", "to": "19:00", "minutes": 420, "seats": 0}]
        assert out["gaps_rostered"] == []
        assert out["seats_actual"][23] == 2 and out["seats_actual"][24] == 0

    def test_one_seat_is_not_two(self) -> None:
        day = wf.judge_day(
            DAY,
            MIDNIGHT,
            declared_seats=2,
            open_half_hours=ALL_DAY,
            rostered=[],
            actual=[iv("a", 0, 24)],
        )
        assert not day.compliant
        assert day.actual.gaps[0].seats == 1

    def test_a_late_sign_in_shows_to_the_minute(self) -> None:
        actual = [iv("a", 0, 24), iv("b", 0, 8), iv("c", 8 + 10 / 60, 24)]
        day = wf.measure_day(actual, MIDNIGHT, ALL_DAY)
        assert day.hours_at_minimum == round(24 - 10 / 60, 3)
        assert day.compliant
        assert [(g.start.astimezone(BEIJING).strftime("%H:%M"), g.seats) for g in day.gaps] == [
            ("08:00", 1)
        ]
        assert day.seats_per_half_hour[16] == 1  # the fewest at any moment of 08:00–08:30

    def test_times_are_beijing_days_not_utc_days(self) -> None:
        # 16:00Z–16:00Z is exactly the Beijing day.
        start = datetime(2025, 12, 30, 16, tzinfo=UTC)
        ivs = [wf.Interval(w, start, start + timedelta(days=1)) for w in ("a", "b")]
        assert wf.measure_day(ivs, MIDNIGHT, ALL_DAY).hours_at_minimum == 24.0

    def test_stretches_on_duty_are_merged(self) -> None:
        parts = [iv("a", 0, 1), iv("a", 1, 2), iv("a", 3, 4), iv("b", 0, 4)]
        merged = wf.merge_intervals(parts)
        assert [(m.who, m.start.hour, m.end.hour) for m in merged] == [
            ("a", 0, 2),
            ("a", 3, 4),
            ("b", 0, 4),
        ]

    @given(st.lists(st.tuples(st.integers(0, 47), st.integers(1, 48)), max_size=8))
    def test_hours_at_minimum_match_counting_minutes(self, spans: list[tuple[int, int]]) -> None:
        intervals = [iv(f"p{i}", a / 2, min(48, a + n) / 2) for i, (a, n) in enumerate(spans)]
        day = wf.measure_day(intervals, MIDNIGHT, ALL_DAY)
        minutes = 0
        for m in range(1440):
            t = MIDNIGHT + timedelta(minutes=m)
            if sum(1 for i in intervals if i.start <= t < i.end) >= 2:
                minutes += 1
        assert day.hours_at_minimum == round(minutes / 60, 3)
        gap_minutes = sum((g.end - g.start).total_seconds() / 60 for g in day.gaps)
        assert gap_minutes == 1440 - minutes

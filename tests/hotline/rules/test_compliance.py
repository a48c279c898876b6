"""The official minimums of a 12356 line and which line serves a prefecture city (pure)."""

from __future__ import annotations

from minsheng.core import regions
from minsheng.hotline.rules import compliance, planning
from tests.hotline.factories import hotline_row, index, info

T = regions.table()


class TestCompliance:
    def test_minimums(self) -> None:
        ok = info(hotline_row("ok", hours="06:00-24:00"))
        assert compliance.hotline_problems(ok) == []
        bad = info(
            hotline_row(
                "bad", seats=1, hours="08:00-22:00", connected_at="2025-05-01T00:00:00+08:00"
            )
        )
        problems = compliance.hotline_problems(bad)
        assert any("1 seat" in p for p in problems)
        assert "open 14 h on every day: at least 18 h a day" in problems
        assert any("after the deadline" in p for p in problems)

    def test_city_coverage(self) -> None:
        idx = index()
        assert compliance.city_served_by(idx, T.by_code("440300")) == "city"
        assert compliance.city_served_by(idx, T.by_code("440100")) == "province"
        assert compliance.city_served_by(idx, T.by_code("320400")) == "none"

    def test_one_definition_of_the_minimums(self) -> None:
        # The planner sizes and advises against the same minimums the compliance report checks.
        assert planning.MIN_SEATS is compliance.MIN_SEATS
        assert planning.MIN_HOURS_PER_DAY is compliance.MIN_HOURS_PER_DAY

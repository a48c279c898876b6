"""Pure routing rules: opening hours, caller location, route plans."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minsheng.core import regions
from minsheng.core.timeutil import BEIJING
from minsheng.hotline.errors import InvalidHours, InvalidNumber
from minsheng.hotline.rules import routing
from minsheng.hotline.rules.routing import LocationSource, RouteSettings
from tests.hotline.factories import hotline_row, index

T = regions.table()
SETTINGS = RouteSettings(step_timeout_s=30, backup_timeout_s=300)
NOON = datetime(2025, 6, 4, 12, 0, tzinfo=BEIJING)  # a Wednesday
NIGHT = datetime(2025, 6, 4, 3, 0, tzinfo=BEIJING)


def route(number: str, at: datetime = NOON, **kw: str) -> dict[str, object]:
    caller, plan = routing.route_call(index(), T, number, at=at, settings=SETTINGS, **kw)
    return {
        "source": plan.location.source,
        "city": plan.location.city.code if plan.location.city else None,
        "province": plan.location.province.code if plan.location.province else None,
        "steps": [(s.hotline_id, s.rule, s.timeout_s) for s in plan.steps],
        "skipped": [s.hotline_id for s in plan.skipped],
        "version": plan.version,
        "digits": caller.digits,
    }


class TestHours:
    def test_cross_midnight(self) -> None:
        hours = routing.normalise_hours("08:00-02:00")
        assert routing.is_open(hours, datetime(2025, 6, 4, 23, 59, tzinfo=BEIJING))
        assert routing.is_open(hours, datetime(2025, 6, 5, 1, 30, tzinfo=BEIJING))
        assert not routing.is_open(hours, datetime(2025, 6, 5, 2, 0, tzinfo=BEIJING))
        assert not routing.is_open(hours, datetime(2025, 6, 5, 7, 59, tzinfo=BEIJING))

    def test_round_the_clock_and_per_day(self) -> None:
        hours = routing.normalise_hours(
            {
                "mon": "00:00-24:00",
                "tue": "",
                "wed": "08:00-20:00",
                "thu": "closed",
                "fri": "00:00-24:00",
                "sat": "00:00-24:00",
                "sun": "00:00-24:00",
            }
        )
        assert routing.is_open(hours, datetime(2025, 6, 2, 23, 0, tzinfo=BEIJING))  # Monday
        assert not routing.is_open(hours, datetime(2025, 6, 3, 12, 0, tzinfo=BEIJING))  # Tuesday
        assert routing.parse_span("00:00-24:00") == routing.Span(0, 1440)

    @pytest.mark.parametrize(
        "bad", ["25:00-26:00", "08:00-08:00", "8-20", "08:60-09:00", "24:00-02:00", "08:00-24:30"]
    )
    def test_impossible_hours_refused(self, bad: str) -> None:
        with pytest.raises(InvalidHours) as exc:
            routing.normalise_hours({**dict.fromkeys(routing.WEEKDAYS, "00:00-24:00"), "tue": bad})
        assert exc.value.field == "hours.tue"

    def test_missing_weekday_refused(self) -> None:
        with pytest.raises(InvalidHours, match="missing weekdays"):
            routing.normalise_hours({"mon": "00:00-24:00"})

    @given(st.integers(0, 23), st.integers(0, 59), st.integers(1, 1439))
    def test_span_hours_match_is_open(self, h: int, m: int, length: int) -> None:
        start = h * 60 + m
        end = (start + length) % 1440
        text = f"{h:02d}:{m:02d}-{end // 60:02d}:{end % 60:02d}"
        if end == start:
            return
        span = routing.parse_span(text)
        assert span is not None
        hours = dict.fromkeys(routing.WEEKDAYS, text)
        minutes_open = sum(
            routing.is_open(hours, datetime(2025, 6, 4, hh, mm, tzinfo=BEIJING))
            for hh in range(24)
            for mm in range(0, 60, 15)
        )
        assert abs(minutes_open * 15 - min(span.end - span.start, 1440)) <= 15


class TestLocation:
    @pytest.mark.parametrize(
        ("number", "digits"),
        [
            ("13800138000", "13800138000"),
            ("+86 138 0013 8000", "13800138000"),
            ("0086-138-0013-8000", "13800138000"),
            ("+86 755 8300 1234", "075583001234"),
            ("0755-83001234", "075583001234"),
        ],
    )
    def test_number_forms(self, number: str, digits: str) -> None:
        assert routing.parse_caller(number).digits == digits

    def test_mobile_home_city(self) -> None:
        r = route("+8613912345678")
        assert (r["source"], r["city"], r["province"]) == (
            LocationSource.NUMBER,
            "320400",
            "320000",
        )

    def test_landline_shenzhen_goes_to_city_line(self) -> None:
        r = route("0755-83001234")
        assert r["steps"][0] == ("sz", "city_line", 30)

    def test_carrier_origin_wins_over_number(self) -> None:
        r = route("13800138000", origin="0755")
        assert (r["source"], r["city"]) == (LocationSource.CARRIER, "440300")
        r = route("13800138000", origin="440305")  # a district code
        assert r["city"] == "440300"

    @pytest.mark.parametrize("number", ["19912345678", "", "8612", "+85291234567", "abc"])
    def test_unknown_is_never_refused(self, number: str) -> None:
        r = route(number)
        assert r["source"] is LocationSource.UNKNOWN
        assert r["steps"] == [("national", "national_backup", 300)]

    def test_legacy_number_goes_to_its_line_first(self) -> None:
        r = route("13912345678", dialled="0755-25629459")
        assert r["source"] is LocationSource.LEGACY_NUMBER
        assert [s[0] for s in r["steps"]] == ["sz", "gd", "national"]
        assert r["steps"][0][1] == "legacy_number"

    def test_check_number_syntax(self) -> None:
        with pytest.raises(InvalidNumber) as exc:
            routing.check_number_syntax("call me")
        assert exc.value.field == "number"
        routing.check_number_syntax("+86 138-0013-8000")


class TestRoutePlan:
    def test_city_province_national_with_timeouts_and_version(self) -> None:
        r = route("0755-83001234")
        assert r["steps"] == [
            ("sz", "city_line", 30),
            ("gd", "province_line", 30),
            ("national", "national_backup", 300),
        ]
        assert r["version"] == routing.RULES_VERSION

    def test_closed_city_line_is_skipped_with_reason(self) -> None:
        _caller, plan = routing.route_call(index(), T, "0755-83001234", at=NIGHT, settings=SETTINGS)
        assert [s.hotline_id for s in plan.steps] == ["gd", "national"]
        assert plan.skipped[0].hotline_id == "sz"
        assert "closed at Wed 03:00" in plan.skipped[0].reason

    def test_city_without_line_falls_to_province_rule(self) -> None:
        r = route("020-81899120")  # Guangzhou: no city line in this directory
        assert r["steps"][0] == ("gd", "province_for_city", 30)

    def test_unconnected_line_skipped(self) -> None:
        rows = [
            hotline_row("sz", "city", ["440300"], connected_at=None),
            hotline_row("national", "national", []),
        ]
        _caller, plan = routing.route_call(
            index(rows), T, "0755-83001234", at=NOON, settings=SETTINGS
        )
        assert plan.skipped[0].reason == "not yet connected to 12356"
        assert [s.hotline_id for s in plan.steps] == ["national"]

    @given(st.text(alphabet="0123456789+- ", max_size=16), st.integers(0, 7 * 24 - 1))
    def test_every_number_gets_a_route_ending_at_national(self, number: str, hour: int) -> None:
        at = datetime(2025, 6, 2, tzinfo=BEIJING).replace(hour=hour % 24, day=2 + hour // 24)
        _, plan = routing.route_call(index(), T, number, at=at, settings=SETTINGS)
        assert plan.steps
        assert plan.steps[-1].hotline_id == "national"
        assert len({s.hotline_id for s in plan.steps}) == len(plan.steps)


def test_prefix_geocoding_agrees_with_phonenumbers() -> None:
    import random

    import phonenumbers
    from phonenumbers import geocoder

    rng = random.Random(7)
    areas = ["010", "020", "021", "0755", "0571", "0898", "0311", "0991", "0931", "023"]
    checked = 0
    for i in range(3000):
        if i % 2:
            head = rng.choice(["13", "15", "18", "17", "19", "14", "16"])
            number = head + f"{rng.randrange(10**9):09d}"
        else:
            number = rng.choice(areas) + f"{rng.randrange(10**8):08d}"[: rng.choice([7, 8])]
        parsed = phonenumbers.parse(number, "CN")
        if not phonenumbers.is_valid_number(parsed):
            continue
        checked += 1
        expected = geocoder.description_for_number(parsed, "zh")
        assert routing._geo(number) == (True, "" if expected == "中国" else expected), number
    assert checked > 1000

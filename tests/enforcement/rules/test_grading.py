"""Grading rules: points table, forced D, new entrants, explanations, bad summaries."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minsheng.core.errors import InvalidInput
from minsheng.enforcement.rules.grading import (
    GRADES,
    IndustryRecord,
    Penalty,
    Summary,
    grade,
    parse_summary,
)
from minsheng.enforcement.service import catalog

TABLE = catalog.grading_table()


def test_clean_firm_with_good_record_gets_a() -> None:
    r = grade(TABLE, Summary(inspections=3, industry_records=(IndustryRecord("award"),)))
    assert r.grade == "A"
    assert r.points == 80 + 6 + 5
    items = [b["item"] for b in r.breakdown]
    assert items == [
        "base",
        "inspections_passed",
        "inspection_failure_rate",
        "record:award",
        "band",
    ]
    assert sum(b["points"] for b in r.breakdown[:-1]) == r.points
    assert r.rule_version == TABLE.version


def test_failures_and_penalties_lower_the_grade() -> None:
    r = grade(
        TABLE,
        Summary(inspections=4, inspections_failed=2, penalties=(Penalty("standard", 30000),)),
    )
    # 80 + 4 − 15 − 6 − 3
    assert r.points == 60
    assert r.grade == "C"


def test_serious_accident_forces_d_whatever_the_points() -> None:
    r = grade(
        TABLE,
        Summary(
            inspections=5,
            industry_records=(IndustryRecord("award"), IndustryRecord("serious_accident", "x")),
        ),
    )
    assert r.points >= 85
    assert r.grade == "D"
    assert r.forced_by == ("serious_accident",)
    assert r.breakdown[-1]["item"] == "forced"


def test_new_entrant_gets_the_default_and_no_records_too() -> None:
    assert grade(TABLE, Summary(new_entrant=True, inspections=2)).grade == TABLE.new_entrant_grade
    r = grade(TABLE, Summary())
    assert r.grade == TABLE.new_entrant_grade
    assert "no records" in r.breakdown[1]["note"]


def test_new_entrant_with_forcing_record_is_still_d() -> None:
    r = grade(TABLE, Summary(new_entrant=True, industry_records=(IndustryRecord("bid_rigging"),)))
    assert r.grade == "D"


def test_good_records_are_capped() -> None:
    r = grade(TABLE, Summary(inspections=1, industry_records=(IndustryRecord("award"),) * 5))
    assert r.points == 80 + 2 + TABLE.good_points_cap


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"inspections": 1, "inspections_failed": 2}, "inspections_failed"),
        ({"inspections": -1}, "inspections"),
        ({"inspections": "3"}, "inspections"),
        ({"penalties": [{"tier": "huge", "fine_yuan": 1}]}, "penalties[0]"),
        ({"penalties": [{"tier": "standard"}]}, "penalties[0]"),
        ({"industry_records": [{"kind": "medal"}]}, "industry_records[0].kind"),
        ({"new_entrant": "no"}, "new_entrant"),
    ],
)
def test_bad_summary_is_refused_with_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        grade(TABLE, parse_summary(raw))
    assert info.value.field == field


summaries = st.builds(
    Summary,
    inspections=st.integers(0, 12),
    penalties=st.lists(
        st.builds(
            Penalty, st.sampled_from(["lighter", "standard", "heavier"]), st.integers(0, 10**5)
        ),
        max_size=3,
    ).map(tuple),
    industry_records=st.lists(
        st.builds(IndustryRecord, st.sampled_from(sorted(TABLE.records))), max_size=3
    ).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(summaries, st.sampled_from(["lighter", "standard", "heavier"]), st.integers(0, 10**5))
def test_another_penalty_never_improves_the_grade(s: Summary, tier: str, fine: int) -> None:
    if s.inspections == 0 and not s.penalties and not s.industry_records:
        return  # the no-records default is a policy choice, not a score
    before = grade(TABLE, s)
    after = grade(
        TABLE,
        Summary(
            inspections=s.inspections,
            inspections_failed=s.inspections_failed,
            penalties=(*s.penalties, Penalty(tier, fine)),
            industry_records=s.industry_records,
        ),
    )
    assert after.points <= before.points
    assert GRADES.index(after.grade) >= GRADES.index(before.grade)
    assert grade(TABLE, s) == before  # deterministic

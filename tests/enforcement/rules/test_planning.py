"""Inspection planning: reproducible 双随机, inspectors, rotation, caps, 综合查一次, burden."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minsheng.enforcement.errors import InsufficientInspectors
from minsheng.enforcement.rules.planning import Inspector, Target, plan_year
from minsheng.enforcement.service import catalog

POLICY = catalog.planning_policy()


def targets(n: int = 400) -> list[Target]:
    return [Target(id=i, domain="construction", grade="ABCD"[i % 4]) for i in range(1, n + 1)]


def roster(n: int = 20, conflicts: dict[int, set[int]] | None = None) -> list[Inspector]:
    conflicts = conflicts or {}
    return [
        Inspector(id=i, code=f"I{i:02d}", conflicts=frozenset(conflicts.get(i, set())))
        for i in range(1, n + 1)
    ]


def dump(seed: int) -> str:
    p = plan_year(POLICY, targets(), roster(), year=2026, seed=seed)
    return json.dumps(p.to_dict(), sort_keys=True)


def test_same_seed_same_bytes_other_seed_other_plan() -> None:
    assert dump(42) == dump(42)
    assert dump(42) != dump(43)


def test_input_order_does_not_matter() -> None:
    a = plan_year(POLICY, targets(), roster(), year=2026, seed=1)
    b = plan_year(POLICY, list(reversed(targets())), list(reversed(roster())), year=2026, seed=1)
    assert a.to_dict() == b.to_dict()


def test_shares_visits_and_caps_follow_the_grade() -> None:
    p = plan_year(POLICY, targets(), roster(), year=2026, seed=5)
    b = p.burden
    assert b["firms_by_grade"] == {"A": 100, "B": 100, "C": 100, "D": 100}
    assert b["selected_by_grade"] == {"A": 5, "B": 15, "C": 40, "D": 80}
    assert b["visits_by_grade"] == {"A": 5, "B": 15, "C": 80, "D": 240}
    per_firm: dict[int, int] = {}
    for v in p.visits:
        per_firm[v.target] = per_firm.get(v.target, 0) + 1
        assert v.on.year == 2026
        assert v.on.weekday() < 5
    assert max(per_firm.values()) <= POLICY.cap_per_firm_per_year
    assert b["visits"] < b["visits_without_grading"]


def test_combined_visits_and_general_items_once_a_year() -> None:
    p = plan_year(POLICY, targets(), roster(), year=2026, seed=5)
    d_firm = next(v.target for v in p.visits if v.grade == "D")
    visits = [v for v in p.visits if v.target == d_firm]
    assert len(visits) == 3
    assert len({v.on.month for v in visits}) == 3
    assert visits[0].items == ("GC-01", "GC-02", "GC-03")
    assert visits[0].combined
    assert all(v.items == ("GC-01", "GC-03") for v in visits[1:])
    assert p.burden["item_checks"] == sum(len(v.items) for v in p.visits)


def test_two_inspectors_without_conflict_and_rotation() -> None:
    conflicted = {1: set(range(1, 401)), 2: {3, 7, 11}}
    p = plan_year(
        POLICY,
        targets(),
        roster(conflicts=conflicted),
        year=2026,
        seed=9,
        previous={4: frozenset({3, 4, 5})},
    )
    seen: dict[int, set[str]] = {}
    for v in p.visits:
        assert len(set(v.inspectors)) == 2
        assert "I01" not in v.inspectors
        if v.target in (3, 7, 11):
            assert "I02" not in v.inspectors
        if v.target == 4:
            assert not {"I03", "I04", "I05"} & set(v.inspectors)
        # Rotation: with 19 free inspectors, a firm never sees the same inspector twice a year.
        assert not seen.get(v.target, set()) & set(v.inspectors)
        seen.setdefault(v.target, set()).update(v.inspectors)


def test_not_enough_inspectors_is_refused() -> None:
    with pytest.raises(InsufficientInspectors):
        plan_year(POLICY, targets(4), roster(1), year=2026, seed=1)
    everyone_conflicted = {i: {4} for i in range(1, 4)}
    with pytest.raises(InsufficientInspectors) as info:
        plan_year(POLICY, targets(4), roster(3, everyone_conflicted), year=2026, seed=1)
    assert "target 4" in info.value.detail


def test_ungraded_firms_use_the_default_grade() -> None:
    p = plan_year(
        POLICY,
        [Target(id=i, domain="construction", grade=None) for i in range(1, 21)],
        roster(),
        year=2026,
        seed=1,
    )
    assert p.burden["firms_by_grade"][POLICY.default_grade] == 20


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32),
    st.lists(st.sampled_from("ABCD"), min_size=1, max_size=60),
    st.dictionaries(st.integers(1, 8), st.sets(st.integers(1, 60), max_size=20), max_size=6),
)
def test_any_seed_gives_valid_reproducible_plans(
    seed: int, grades: list[str], conflicts: dict[int, set[int]]
) -> None:
    firms = [Target(id=i + 1, domain="construction", grade=g) for i, g in enumerate(grades)]
    pool = roster(8, conflicts)
    a = plan_year(POLICY, firms, pool, year=2027, seed=seed)
    assert a.to_dict() == plan_year(POLICY, firms, pool, year=2027, seed=seed).to_dict()
    per_firm: dict[int, int] = {}
    for v in a.visits:
        assert len(set(v.inspectors)) >= POLICY.min_inspectors
        for code in v.inspectors:
            assert v.target not in conflicts.get(int(code[1:]), set())
        per_firm[v.target] = per_firm.get(v.target, 0) + 1
    assert all(n <= POLICY.cap_per_firm_per_year for n in per_firm.values())

"""Rosters from the seat plan (rules/roster.py): cover, rules, and distance from the optimum."""

from __future__ import annotations

import itertools
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minsheng.hotline.rules import roster
from minsheng.hotline.rules.compliance import MIN_SEATS

SMALL = roster.RosterPolicy(
    lengths_h=(1.0, 1.5, 2.5),
    break_over_h=2.0,
    break_after_h=(1.0,),
    start_step_h=0.5,
    min_rest_h=1.0,
)


def random_plan(rng: random.Random, days: int) -> tuple[list[int], list[bool]]:
    """A plan a line might have: open hours, a quiet night, an evening peak, noise."""
    opens = rng.choice((0, 16, 18))  # 00:00, 08:00, 09:00
    closes = rng.choice((48, 52, 44))  # 24:00, 02:00 next day, 22:00
    need: list[int] = []
    is_open: list[bool] = []
    for _d in range(days):
        for s in range(48):
            o = opens <= s < closes or (closes > 48 and s < closes - 48)
            peak = 1 + int(2 * max(0.0, 1 - abs(s - 40) / 8))
            need.append(peak + rng.randint(0, 2) if o else 0)
            is_open.append(o)
    return need, is_open


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**9), days=st.integers(1, 3))
def test_generated_roster_covers_every_half_hour_near_the_proven_optimum(
    seed: int, days: int
) -> None:
    rng = random.Random(seed)
    need, is_open = random_plan(rng, days)
    need = roster.effective_need(need, is_open)
    solution = roster.solve_shifts(need)
    assert solution.status in ("OPTIMAL", "FEASIBLE")
    cover = roster.coverage(solution.shifts, len(need), assigned_only=False)
    assert all(c >= n for c, n in zip(cover, need, strict=True))
    assert all(c >= MIN_SEATS for c, o in zip(cover, is_open, strict=True) if o)
    allowed = set(roster.RosterPolicy().shift_types())
    assert all(s.type in allowed for s in solution.shifts)
    assert solution.staffed_slots == sum(s.type.work for s in solution.shifts)
    # CP-SAT's bound is a lower bound on every roster: within 5 % of the optimum.
    assert solution.bound_slots > 0
    assert solution.staffed_slots <= 1.05 * solution.bound_slots


def brute_force_min(need: list[int], policy: roster.RosterPolicy) -> int:
    """The fewest staffed half hours over every multiset of shifts (tiny cases only)."""
    horizon = len(need)
    options = [
        roster.PlannedShift(s, t)
        for t in policy.shift_types()
        for s in range(0, horizon, policy.start_step)
        if any(need[x] for x in t.working_slots(s) if x < horizon)
    ]
    best = 10**9
    for k in range(1, sum(need) + 1):
        for combo in itertools.combinations_with_replacement(options, k):
            cost = sum(p.type.work for p in combo)
            if cost >= best:
                continue
            cover = roster.coverage(combo, horizon, assigned_only=False)
            if all(c >= n for c, n in zip(cover, need, strict=True)):
                best = cost
        if best <= k * 2:  # no larger multiset can be cheaper (every shift works ≥ 2 slots)
            break
    return best


def test_small_cases_match_a_brute_force_optimum() -> None:
    rng = random.Random(19)
    for _ in range(6):
        need = [rng.randint(0, 2) for _ in range(6)]
        if not any(need):
            need[2] = 1
        solution = roster.solve_shifts(need, policy=SMALL)
        assert solution.status == "OPTIMAL"
        assert solution.staffed_slots == brute_force_min(need, SMALL)


def test_capacity_caps_the_roster_and_names_the_slots_short_of_people() -> None:
    need = [3] * 8 + [0] * 40
    solution = roster.solve_shifts(need, capacity=[2] * 48)
    cover = roster.coverage(solution.shifts, 48, assigned_only=False)
    assert max(cover) <= 2
    assert solution.short_slots == list(range(8))


def test_kept_shifts_count_as_cover() -> None:
    need = [2] * 16 + [0] * 32
    alone = roster.solve_shifts(need)
    helped = roster.solve_shifts(need, covered=[1] * 16 + [0] * 32)
    assert helped.staffed_slots < alone.staffed_slots


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**9))
def test_assignment_never_breaks_a_rule(seed: int) -> None:
    rng = random.Random(seed)
    days = 7
    need, is_open = random_plan(rng, days)
    need = roster.effective_need(need, is_open)
    shifts = roster.solve_shifts(need).shifts
    people = []
    for i in range(rng.randint(4, 25)):
        avail = None
        if rng.random() < 0.3:  # some work days only (08:00–20:00)
            avail = frozenset(t for t in range(days * 48 + 48) if 16 <= t % 48 < 40)
        eligible = None if rng.random() < 0.9 else frozenset(range(0, days, 2))
        people.append(
            roster.Person(
                f"c{i}",
                weekly_hours_max=rng.choice((20.0, 32.0, 40.0)),
                available=avail,
                eligible_days=eligible,
            )
        )
    first_weekday = rng.randrange(7)
    result = roster.assign(shifts, people, first_weekday=first_weekday)
    assert len(result.shifts) == len(shifts)
    assert roster.shift_problems(result.shifts, people, first_weekday=first_weekday) == []
    assert result.filled_slots + result.open_slots == sum(s.type.work for s in shifts)


def test_enough_people_fill_every_shift() -> None:
    need = [2] * (7 * 48)
    shifts = roster.solve_shifts(need).shifts
    people = [roster.Person(f"c{i}") for i in range(14)]
    result = roster.assign(shifts, people, first_weekday=0)
    assert result.open_slots == 0
    assert roster.coverage(result.shifts, 7 * 48, assigned_only=True) == need


def test_shift_problems_names_each_broken_rule() -> None:
    t = roster.ShiftType(8)
    people = [roster.Person("a", weekly_hours_max=4.0)]
    shifts = [roster.PlannedShift(0, t, "a"), roster.PlannedShift(10, t, "a")]
    problems = roster.shift_problems(shifts, people, first_weekday=0)
    assert any("two shifts on day 0" in p for p in problems)
    assert any("rest" in p for p in problems)
    assert any("over 4" in p for p in problems)
    odd = [roster.PlannedShift(0, roster.ShiftType(30), None)]
    assert roster.shift_problems(odd, people, first_weekday=0) == [
        "shift at 0: shape 15h not allowed"
    ]


def test_days_under_eighteen_hours_are_flagged() -> None:
    cover = [2] * 48 + [2] * 34 + [1] * 14
    flags = roster.short_days(cover, 2)
    assert [f.day for f in flags] == [1]
    assert flags[0].hours_at_minimum == 17.0
    assert flags[0].rule == "official-minimum"


def test_shift_types_follow_the_policy() -> None:
    types = roster.RosterPolicy().shift_types()
    assert roster.ShiftType(17, 8) in types  # 8.5 h with a break after 4 h: 8 h of work
    assert all(t.work <= 16 for t in types)
    assert all(t.break_at is not None for t in types if t.length > 12)


def brute_force_assignment(
    shifts: list[roster.PlannedShift],
    people: list[roster.Person],
    policy: roster.RosterPolicy,
) -> int:
    """The most working half hours any rule-keeping assignment fills (tiny cases only)."""
    best = 0
    choices: list[str | None] = [None, *(p.id for p in people)]
    for who in itertools.product(choices, repeat=len(shifts)):
        done = [roster.PlannedShift(s.start, s.type, c) for s, c in zip(shifts, who, strict=True)]
        filled = sum(s.type.work for s in done if s.counsellor is not None)
        if filled <= best:
            continue
        if not roster.shift_problems(done, people, first_weekday=0, policy=policy):
            best = filled
    return best


def test_the_assignment_bound_holds_and_the_matching_is_near_the_best() -> None:
    """On small unseen cases: no assignment beats ``bound_slots``; what ``assign`` fills keeps
    every rule, equals the brute-force best when it says OPTIMAL and is never more than the
    policy's tolerance below the bound when no solver ran."""
    policy = roster.RosterPolicy(
        lengths_h=(1.0, 2.0, 3.0),
        break_over_h=5.0,
        start_step_h=0.5,
        max_work_h=3.0,
        min_rest_h=2.0,
        weekly_hours_max=5.0,
        assign_time_limit_s=0,  # the matching alone
    )
    types = policy.shift_types()
    rng = random.Random(1912)
    for _case in range(25):
        days = rng.randint(1, 3)
        shifts = [
            roster.PlannedShift(rng.randrange(days * 48) // 2 * 2, rng.choice(types))
            for _ in range(rng.randint(3, 6))
        ]
        people = [
            roster.Person(
                f"c{j}",
                weekly_hours_max=rng.choice((2.0, 3.0, 5.0)),
                available=None
                if rng.random() < 0.6
                else frozenset(t for t in range(days * 48 + 48) if rng.random() < 0.8),
            )
            for j in range(rng.randint(1, 3))
        ]
        result = roster.assign(shifts, people, first_weekday=0, policy=policy)
        best = brute_force_assignment(shifts, people, policy)
        assert roster.shift_problems(result.shifts, people, first_weekday=0, policy=policy) == []
        assert best <= result.bound_slots
        assert result.filled_slots <= best
        if result.status == "OPTIMAL":
            assert result.filled_slots == best


def test_scarce_counsellors_are_assigned_without_the_solver_and_proven_near_the_best() -> None:
    need = [4] * (7 * 48)
    shifts = roster.solve_shifts(need).shifts
    people = [roster.Person(f"c{i}") for i in range(5)]  # far fewer than the plan needs
    result = roster.assign(shifts, people, first_weekday=0)
    assert roster.shift_problems(result.shifts, people, first_weekday=0) == []
    assert result.method == "matching"
    assert result.bound_slots == 5 * 80  # every counsellor's 40 hours
    assert result.filled_slots >= (1 - roster.RosterPolicy().assign_gap_tolerance) * 400
    assert result.open_slots > 0

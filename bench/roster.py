"""Benchmark: a month of rosters for 500 hotlines (about 3,000 counsellors) — time and staffed
hours — side by side with pyworkforce's ``MinRequiredResources`` on the same inputs (baseline;
``pip install -e ".[bench]"``).

Each line gets a seat plan: a random daily volume on a 12356-like day (peak 18:00–22:00), sized
half hour by half hour with the planner's Erlang A rule (``rules.planning.size_slots``, never below
2 seats while open), opening hours 24 h, 06:00–02:00 or 08:00–02:00. Counsellors (3,000 in all)
are shared out in proportion to each line's need, 40 h a week each, a fifth of them only
available 08:00–20:00.

minsheng: ``rules.roster.solve_shifts`` (step 1, shifts at the fewest staffed hours, CP-SAT with
its proven bound) and ``rules.roster.assign`` (step 2, people), a week at a time with the shifts
running over from the week before counted as cover (the bound is then each week's, given the
week before). pyworkforce:
the same shift shapes (4 h, 6 h, 8.5 h with a 30-minute break after 4 h; starts on the hour) as
coverage rows of one day, the same need per day and half hour, cost = working half hours, one
CP-SAT worker as for minsheng. pyworkforce schedules each calendar day on its own: a shift cannot
run past midnight, nor does it know people, days off or weekly hours (its count of shifts is all
it returns). Printed: time and staffed hours of both, their ratio, and what step 2 could fill.

The 500 lines are rostered by ``--jobs`` processes (default: one per CPU; lines are
independent); the CPU seconds summed over them are printed too. pyworkforce gets the first
``--baseline-lines`` (50) lines in the same run (its time per line is the cost of its own
month-long model), and the ratio is taken on those lines.

Run: .venv/bin/python bench/roster.py [--quick] [--hotlines N] [--counsellors N] [--jobs N]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import date

import _table
from minsheng.hotline.rules import planning, roster

HOURLY = [3, 2, 1.5, 1, 1, 1, 1.5, 2, 3, 3.5, 4, 4, 4, 4, 4.5, 5, 5.5, 6, 8, 9, 9, 8, 6, 4]
MONTH_START = date(2025, 9, 1)  # a Monday
DAYS = 30
OPENINGS = {"24h": (0, 48), "06-02": (12, 52), "08-02": (16, 52)}


def line_plan(rng: random.Random) -> tuple[list[list[int]], str]:
    """Seats needed per weekday and half hour of one line, and its opening hours."""
    name = rng.choices(list(OPENINGS), weights=(6, 2, 2))[0]
    a, b = OPENINGS[name]
    open_slots: set[tuple[int, int]] = set()
    for wd in range(7):
        for s in range(a, b):
            open_slots.add(((wd + s // 48) % 7, s % 48))
    daily = rng.uniform(20, 260)
    total = sum(HOURLY)
    calls = [[daily * HOURLY[s // 2] / total / 2 for s in range(48)] for _ in range(7)]
    slots = planning.size_slots(calls, seats=0, open_slots=open_slots, target=planning.PlanTarget())
    need = [[0] * 48 for _ in range(7)]
    for s in slots:
        need[s.weekday][s.slot] = s.needed if s.open else 0
    return need, name


def month_need(week: list[list[int]]) -> list[int]:
    out: list[int] = []
    for d in range(DAYS):
        out.extend(week[(MONTH_START.weekday() + d) % 7])
    return out


def people_for(line: int, n: int, rng: random.Random) -> list[roster.Person]:
    day_only = frozenset(t for t in range(DAYS * 48 + 48) if 16 <= t % 48 < 40)
    return [
        roster.Person(
            f"l{line}-c{i}",
            weekly_hours_max=40.0,
            available=day_only if rng.random() < 0.2 else None,
        )
        for i in range(n)
    ]


@dataclass
class LineResult:
    cpu_s: float = 0.0
    staffed: float = 0.0  # hours
    bound: float = 0.0
    filled: float = 0.0
    open_: float = 0.0
    fill_bound: float = 0.0  # no assignment fills more hours than this
    solver_weeks: int = 0  # line-weeks whose assignment ran CP-SAT
    weeks: int = 0


def roster_line(i: int, need: list[int], staff: int, seed: int) -> LineResult:
    """One line's month, a week at a time as the staff page does: each week's step 1 counts the
    shifts of the week before that run into it as cover, and step 2 keeps each counsellor's rest
    after them. Identical weeks (the plan repeats weekly) are solved once (cached)."""
    c0 = time.process_time()
    policy = roster.RosterPolicy()
    people = people_for(i, staff, random.Random(seed * 100_003 + i))
    out = LineResult()
    carried: list[roster.PlannedShift] = []  # last week's shifts, in this week's slots
    for first in range(0, DAYS, 7):
        days = min(7, DAYS - first)
        lo, hi = first * 48, (first + days) * 48
        covered = roster.coverage(carried, hi - lo, assigned_only=False)
        sol = roster.solve_shifts(need[lo:hi], policy=policy, covered=covered)
        busy: dict[str, set[int]] = {}
        for sh in carried:
            if sh.counsellor is not None:
                busy.setdefault(sh.counsellor, set()).update(range(sh.start, sh.end))
        week_people = [
            roster.Person(
                p.id,
                weekly_hours_max=p.weekly_hours_max,
                available=None
                if p.available is None
                else frozenset(t - lo for t in p.available if lo <= t < hi + 48),
                busy=frozenset(busy.get(p.id, ())),
            )
            for p in people
        ]
        result = roster.assign(
            sol.shifts, week_people, first_weekday=MONTH_START.weekday(), policy=policy
        )
        out.staffed += sol.staffed_hours
        out.bound += sol.bound_slots / 2
        out.filled += result.filled_slots / 2
        out.open_ += result.open_slots / 2
        out.fill_bound += result.bound_slots / 2
        out.solver_weeks += result.method != "matching"
        out.weeks += 1
        carried = [
            roster.PlannedShift(sh.start - days * 48, sh.type, sh.counsellor)
            for sh in result.shifts
            if sh.end > days * 48
        ]
    out.cpu_s = time.process_time() - c0
    return out


def run_minsheng(
    needs: list[list[int]], staff: list[int], seed: int, jobs: int
) -> tuple[float, list[LineResult]]:
    """(wall seconds, one result per line); lines are independent, so ``jobs`` processes share
    them (each CP-SAT solve uses one worker)."""
    t0 = time.perf_counter()
    args = [(i, need, staff[i], seed) for i, need in enumerate(needs)]
    if jobs <= 1:
        results = [roster_line(*a) for a in args]
    else:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(jobs) as pool:
            results = pool.starmap(roster_line, args, chunksize=4)
    return time.perf_counter() - t0, results


def run_pyworkforce(needs: list[list[int]]) -> tuple[float, float, int]:
    """(CPU seconds, staffed hours, lines not solved to optimality) with MinRequiredResources."""
    from pyworkforce.scheduling import MinRequiredResources

    coverage: dict[str, list[int]] = {}
    cost: dict[str, int] = {}
    for t in roster.RosterPolicy().shift_types():
        for start in range(0, 48, 2):
            if start + t.length > 48:
                continue  # a calendar day's shift cannot pass midnight in pyworkforce
            row = [0] * 48
            for s in t.working_slots(start):
                row[s] = 1
            name = f"{t.name}@{start}"
            coverage[name] = row
            cost[name] = t.work
    t0 = time.process_time()
    staffed = 0.0
    not_optimal = 0
    for need in needs:
        required = [need[d * 48 : (d + 1) * 48] for d in range(DAYS)]
        peak = max(need)
        scheduler = MinRequiredResources(
            num_days=DAYS,
            periods=48,
            shifts_coverage=coverage,
            required_resources=required,
            max_period_concurrency=max(peak * 3, 10),
            max_shift_concurrency=max(peak * 2, 10),
            cost_dict=cost,
            max_search_time=20.0,
            num_search_workers=1,
        )
        solution = scheduler.solve()
        not_optimal += solution["status"] != "OPTIMAL"
        staffed += sum(r["resources"] * cost[r["shift"]] for r in solution["resources_shifts"]) / 2
    return time.process_time() - t0, staffed, not_optimal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 hotlines, 300 counsellors")
    parser.add_argument("--hotlines", type=int, default=500)
    parser.add_argument("--counsellors", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument(
        "--baseline-lines", type=int, default=50, help="lines given to pyworkforce too (first N)"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes")
    parser.add_argument("--no-baseline", action="store_true", help="skip pyworkforce")
    args = parser.parse_args()
    hotlines = 50 if args.quick else args.hotlines
    counsellors = 300 if args.quick else args.counsellors
    rng = random.Random(args.seed)
    weeks = [line_plan(rng) for _ in range(hotlines)]
    needs = [month_need(w) for w, _ in weeks]
    seat_hours = [sum(n) / 2 for n in needs]
    total = sum(seat_hours)
    staff = [max(3, math.floor(counsellors * h / total)) for h in seat_hours]
    print(
        f"{hotlines} hotlines, {sum(staff)} counsellors, {DAYS} days from {MONTH_START}; "
        f"seat-hours needed {total:,.0f}; openings "
        + ", ".join(f"{k} {sum(1 for _, n in weeks if n == k)}" for k in OPENINGS)
        + f"; {args.jobs} process(es), load average {os.getloadavg()[0]:.1f}"
    )
    load = _table.machine_load()
    secs, lines = run_minsheng(needs, staff, args.seed, args.jobs)
    staffed = sum(r.staffed for r in lines)
    bound = sum(r.bound for r in lines)
    filled = sum(r.filled for r in lines)
    open_ = sum(r.open_ for r in lines)
    fill_bound = sum(r.fill_bound for r in lines)
    cpu = sum(r.cpu_s for r in lines)
    print(
        f"minsheng    {secs:8.1f} s wall ({cpu:.1f} CPU-s)   staffed {staffed:12,.1f} h   "
        f"proven bound {bound:12,.1f} h"
        f"   (at most {100 * (staffed / max(bound, 1) - 1):.2f} % above the weekly optima)"
    )
    print(
        f"            people: {filled:,.1f} h filled, {open_:,.1f} h of open shifts "
        f"({100 * open_ / max(staffed, 1):.1f} %) — with {sum(staff)} counsellors at 40 h/week; "
        f"no assignment fills more than {fill_bound:,.1f} h "
        f"(filled within {100 * (1 - filled / max(fill_bound, 1)):.2f} %); CP-SAT ran for "
        f"{sum(r.solver_weeks for r in lines)} of {sum(r.weeks for r in lines)} line-weeks"
    )
    figure = f"Month of rosters (`solve_shifts` + `assign`), {hotlines} hotlines"
    if args.no_baseline:
        _table.skipped(__file__, figure, "`--no-baseline`: pyworkforce not run")
        return
    try:
        import pyworkforce  # noqa: F401
    except ImportError:
        _table.skipped(__file__, figure, 'pyworkforce missing: pip install -e ".[bench]"')
        sys.exit('pyworkforce is missing: pip install -e ".[bench]"')
    n = min(args.baseline_lines, hotlines)
    p_secs, p_staffed, p_not_optimal = run_pyworkforce(needs[:n])
    m_staffed = sum(r.staffed for r in lines[:n])
    m_cpu = sum(r.cpu_s for r in lines[:n])
    print(
        f"on the first {n} lines: minsheng staffed {m_staffed:12,.1f} h in {m_cpu:.1f} CPU-s "
        f"(shifts and people); pyworkforce {p_secs:.1f} CPU-s staffed "
        f"{p_staffed:12,.1f} h ({p_not_optimal} lines not proven optimal)"
    )
    print(
        f"ratio minsheng / pyworkforce on {n} lines: staffed hours {m_staffed / p_staffed:.4f}, "
        f"CPU time {m_cpu / p_secs:.3f}"
    )
    _table.row(
        __file__,
        f"{figure}, {sum(staff):,} counsellors: the first {n} lines, CPU time",
        f"{m_cpu:.1f} CPU s (shifts and people); all {hotlines} lines {secs:.1f} s wall on "
        f"{args.jobs} process(es)",
        f"pyworkforce `MinRequiredResources`, day by day, shifts only: {p_secs:.1f} CPU s",
        p_secs / m_cpu,
        ratio_note="speed on CPU",
        load=load,
    )
    _table.row(
        __file__,
        f"{figure}: the first {n} lines, staffed hours",
        f"{m_staffed:,.1f} h staffed (all lines: at most "
        f"{100 * (staffed / max(bound, 1) - 1):.2f} % above the weekly optima)",
        f"pyworkforce: {p_staffed:,.1f} h ({p_not_optimal} lines not proven optimal)",
        m_staffed / p_staffed,
        ratio_note="staffed hours / pyworkforce's, lower is better",
        load=load,
    )


if __name__ == "__main__":
    main()

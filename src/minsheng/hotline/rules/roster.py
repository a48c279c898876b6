"""Rosters (排班) from the seat plan: which shifts cover every half hour at the fewest staffed
hours, and who works each of them. Pure: no database, web, clock or I/O (OR-Tools is computation).

Time is counted in half hours ("slots") from the roster's first Beijing midnight; slot 48 is the
next day's 00:00, so a shift may run past midnight (a line open 08:00–02:00 needs that).

**Step 1 — shifts** (rule ``roster-min-hours``): integer counts ``y[type, start]`` of each shift
type starting at each slot, minimising the staffed (working) half hours, such that every slot has
at least its need (the seat plan's seats, never fewer than ``MIN_SEATS`` while the line is open)
and no more people at once than counsellors available then. Solved with OR-Tools CP-SAT, which
proves its result: the reported ``bound`` is a lower bound on any roster's staffed hours, so
``staffed / bound - 1`` is the largest possible excess over the optimum.

**Step 2 — people** (rule ``roster-assignment``): each shift goes to at most one eligible counsellor
who is available for the whole shift, with at most one shift per day, at least ``min_rest_h``
between two shifts and at most the counsellor's weekly hours (per Monday–Sunday week),
maximising the hours filled: a maximum-weight matching day by day, a few improving moves, and an
upper bound that proves it best in most cases; CP-SAT only when the matching may be far from
that bound (see ``assign``). A shift nobody can take stays open (``counsellor=None``) and shows
as a gap in the roster — never silently dropped.

Shift rules (``RosterPolicy``): a working day of at most 8 hours and a week of at most 40 hours
(《国务院关于职工工作时间的规定》1995 第三条：每日工作8小时、每周工作40小时); a 30-minute break in
every shift longer than 6 hours, and 11 hours' rest between shifts — the last two are **local
policy** (common practice for telephone counselling; no national 12356 figure exists).
"""

from __future__ import annotations

import functools
import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from minsheng.hotline.rules.compliance import MIN_HOURS_PER_DAY, MIN_SEATS

ROSTER_VERSION = "12356-roster/2026.1"
SLOTS_PER_DAY = 48
_INF = 10**9

RULES: dict[str, str] = {
    "roster-min-hours": (
        "覆盖每个半小时的所需坐席（开放时不少于2个），"
        "在此前提下排班总在岗时长最少（OR-Tools CP-SAT）"
    ),
    "roster-assignment": (
        "每个班次只排给资质合格、该时段可上班的咨询员；每人每天至多一班、两班间休息不少于"
        "规定时长、每周工时不超过上限"
    ),
    "working-time": "国务院关于职工工作时间的规定（1995）第三条：每日工作8小时、每周工作40小时",
    "break-and-rest": "班次超过6小时含30分钟休息、两班之间休息不少于11小时：本地政策",
    "official-minimum": "12356通知（2024-12）：每条热线至少2个坐席，每日提供不少于18小时",
}


class RosterInputError(ValueError):
    """The roster request cannot be solved as given (names the field)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class ShiftType:
    """A shift shape: ``length`` half hours from its start, with a 30-minute break at offset
    ``break_at`` (half hours after the start) or none."""

    length: int
    break_at: int | None = None

    @property
    def work(self) -> int:
        return self.length - (0 if self.break_at is None else 1)

    @property
    def name(self) -> str:
        h = self.length / 2
        return f"{h:g}h" if self.break_at is None else f"{h:g}h/break+{self.break_at / 2:g}h"

    def working_slots(self, start: int) -> list[int]:
        return [
            start + k for k in range(self.length) if self.break_at is None or k != self.break_at
        ]


@dataclass(frozen=True)
class RosterPolicy:
    """Shift lengths, breaks, rest and limits; the defaults are described in the module doc."""

    lengths_h: tuple[float, ...] = (4.0, 6.0, 8.5)
    break_over_h: float = 6.0  # a shift longer than this has a 30-minute break
    break_after_h: tuple[float, ...] = (4.0,)  # where that break may start, from the shift start
    start_step_h: float = 1.0  # shifts start on the hour (0.5: on any half hour)
    max_work_h: float = 8.0
    min_rest_h: float = 11.0
    weekly_hours_max: float = 40.0
    min_seats: int = MIN_SEATS
    time_limit_s: float = 10.0  # step 1 (proves its optimum well within this in practice)
    assign_time_limit_s: float = 0.5  # step 2's solver, only when the matching may be beaten
    assign_max_pairs: int = 4000  # (shift, person) pairs above which that solver is not tried
    assign_gap_tolerance: float = 0.05  # the solver runs only if the matching may be this short
    version: str = ROSTER_VERSION

    def validate(self) -> None:
        if not self.lengths_h:
            raise RosterInputError("at least one shift length is needed", "lengths_h")
        for h in (*self.lengths_h, *self.break_after_h, self.start_step_h):
            if h <= 0 or (h * 2) != int(h * 2):
                raise RosterInputError(f"{h} h is not a whole number of half hours", "lengths_h")

    @property
    def start_step(self) -> int:
        return int(self.start_step_h * 2)

    def shift_types(self) -> list[ShiftType]:
        self.validate()
        types: list[ShiftType] = []
        for h in sorted(set(self.lengths_h)):
            length = int(h * 2)
            if h <= self.break_over_h:
                if h <= self.max_work_h:
                    types.append(ShiftType(length))
                continue
            for after in sorted(set(self.break_after_h)):
                at = int(after * 2)
                t = ShiftType(length, at)
                if 0 < at < length - 1 and t.work <= self.max_work_h * 2:
                    types.append(t)
        if not types:
            raise RosterInputError("no shift length fits the working-time rules", "lengths_h")
        return types

    def to_dict(self) -> dict[str, Any]:
        return {
            "lengths_h": list(self.lengths_h),
            "break_over_h": self.break_over_h,
            "break_after_h": list(self.break_after_h),
            "start_step_h": self.start_step_h,
            "max_work_h": self.max_work_h,
            "min_rest_h": self.min_rest_h,
            "weekly_hours_max": self.weekly_hours_max,
            "min_seats": self.min_seats,
            "version": self.version,
        }


@dataclass(frozen=True, slots=True)
class PlannedShift:
    start: int  # slot
    type: ShiftType
    counsellor: str | None = None

    @property
    def end(self) -> int:
        return self.start + self.type.length

    @property
    def break_slot(self) -> int | None:
        return None if self.type.break_at is None else self.start + self.type.break_at

    @property
    def day(self) -> int:
        return self.start // SLOTS_PER_DAY


@dataclass
class ShiftSolution:
    """Step 1's result: shifts (unassigned), staffed half hours and the solver's proof."""

    shifts: list[PlannedShift]
    staffed_slots: int
    bound_slots: float
    status: str  # OPTIMAL | FEASIBLE | INFEASIBLE
    short_slots: list[int] = field(default_factory=list)  # need above what capacity allows
    wall_s: float = 0.0

    @property
    def staffed_hours(self) -> float:
        return self.staffed_slots / 2

    @property
    def gap(self) -> float:
        """Largest possible excess over the optimum (0 when proven optimal)."""
        if self.bound_slots <= 0:
            return 0.0
        return max(0.0, self.staffed_slots / self.bound_slots - 1)


def effective_need(
    need: Sequence[int], open_: Sequence[bool], min_seats: int = MIN_SEATS
) -> list[int]:
    """The plan's seats, raised to the official minimum in every open slot."""
    if len(need) != len(open_):
        raise RosterInputError("need and open differ in length", "need")
    return [max(n, min_seats) if o else max(n, 0) for n, o in zip(need, open_, strict=True)]


def solve_shifts(
    need: Sequence[int],
    *,
    policy: RosterPolicy | None = None,
    capacity: Sequence[int] | None = None,
    covered: Sequence[int] | None = None,
    people_per_day: Sequence[int] | None = None,
) -> ShiftSolution:
    """Step 1: the fewest staffed half hours covering ``need`` (per slot), given counsellors
    ``capacity`` per slot (default unlimited), seats already ``covered`` by kept shifts, and
    ``people_per_day`` who may work each day (at most one shift each, so at most that many
    shifts start on the day).

    Identical inputs (many lines share hours, seats and staff size) are solved once."""
    policy = policy or RosterPolicy()
    horizon = len(need)
    cov = tuple(covered) if covered is not None else (0,) * horizon
    cap = tuple(capacity) if capacity is not None else (10**6,) * horizon
    if len(cov) != horizon or len(cap) != horizon:
        raise RosterInputError("capacity and covered must match need in length", "capacity")
    per_day = tuple(people_per_day) if people_per_day is not None else None
    found = _solve_cached(tuple(need), cap, cov, per_day, policy)
    if found.status == "INFEASIBLE" and per_day is not None:
        # Too few people to cover each day with one shift each: cover the need anyway; the
        # assignment then leaves the shifts nobody can take open.
        found = _solve_cached(tuple(need), cap, cov, None, policy)
    return ShiftSolution(
        list(found.shifts),
        found.staffed_slots,
        found.bound_slots,
        found.status,
        list(found.short_slots),
        found.wall_s,
    )


@functools.lru_cache(maxsize=512)
def _solve_cached(
    need: tuple[int, ...],
    cap: tuple[int, ...],
    covered: tuple[int, ...],
    per_day: tuple[int, ...] | None,
    policy: RosterPolicy,
) -> ShiftSolution:
    types = policy.shift_types()
    horizon = len(need)
    residual = [max(0, n - c) for n, c in zip(need, covered, strict=True)]
    room = [max(0, c - k) for c, k in zip(cap, covered, strict=True)]
    # A slot that needs more people than can be there is covered as far as possible and listed.
    short = [t for t in range(horizon) if residual[t] > room[t]]
    target = [min(r, m) for r, m in zip(residual, room, strict=True)]
    if not any(target):
        return ShiftSolution([], 0, 0.0, "OPTIMAL", short)
    model = cp_model.CpModel()
    cover: dict[int, list[tuple[cp_model.IntVar, int]]] = defaultdict(list)
    present: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    variables: list[tuple[cp_model.IntVar, int, ShiftType]] = []
    for st in types:
        for s in range(0, horizon, policy.start_step):
            work = [t for t in st.working_slots(s) if t < horizon]
            useful = max((target[t] for t in work), default=0)
            if useful == 0:
                continue  # a shift that covers no unmet need only adds hours
            span = [t for t in range(s, min(s + st.length, horizon))]
            ub = min(useful, min(room[t] for t in span))
            if ub <= 0:
                continue
            y = model.new_int_var(0, ub, f"y_{st.name}_{s}")
            variables.append((y, s, st))
            for t in work:
                cover[t].append((y, 1))
            for t in span:
                present[t].append(y)
    if per_day is not None:
        starting: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for y, s, _st in variables:
            starting[s // SLOTS_PER_DAY].append(y)
        for d, ys in starting.items():
            if d < len(per_day):
                model.add_linear_constraint(cp_model.LinearExpr.sum(ys), 0, per_day[d])
    for t in range(horizon):
        if target[t] > 0:
            model.add_linear_constraint(
                cp_model.LinearExpr.sum([y for y, _ in cover[t]]), target[t], _INF
            )
        if present[t] and room[t] < 10**6:
            model.add_linear_constraint(cp_model.LinearExpr.sum(present[t]), 0, room[t])
    model.minimize(
        cp_model.LinearExpr.weighted_sum(
            [y for y, _, _ in variables], [st.work for *_, st in variables]
        )
    )
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = policy.time_limit_s
    solver.parameters.num_workers = 1
    # The covering LP is nearly integral: CP-SAT's root LP and search prove the optimum at once,
    # and presolve and probing only cost time (about 4x on a week of a 24-hour line).
    solver.parameters.cp_model_presolve = False
    solver.parameters.cp_model_probing_level = 0
    status = solver.solve(model)
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ShiftSolution([], 0, 0.0, name, short, solver.wall_time)
    shifts: list[PlannedShift] = []
    for y, s, st in variables:
        for _ in range(int(solver.value(y))):
            shifts.append(PlannedShift(s, st))
    shifts.sort(key=lambda p: (p.start, p.type.length, p.type.break_at or 0))
    staffed = sum(p.type.work for p in shifts)
    return ShiftSolution(
        shifts, staffed, float(solver.best_objective_bound), name, short, solver.wall_time
    )


# ------------------------------------------------------------------------------------------------
# step 2: people


@dataclass(frozen=True)
class Person:
    """A counsellor as the assignment sees them.

    ``available`` holds the slots they may work (None: any); ``eligible_days`` the day indexes on
    which they may be rostered (None: all); ``busy`` the slots of shifts already theirs (kept) and
    ``booked_hours`` per week index the hours those shifts already use.
    """

    id: str
    weekly_hours_max: float = 40.0
    available: frozenset[int] | None = None
    eligible_days: frozenset[int] | None = None
    busy: frozenset[int] = frozenset()
    booked_hours: dict[int, float] = field(default_factory=dict)


def week_of(day: int, first_weekday: int) -> int:
    """Index of the Monday–Sunday week holding day ``day`` when day 0 is ``first_weekday``."""
    return (day + first_weekday) // 7


def can_work(p: Person, shift: PlannedShift, policy: RosterPolicy) -> bool:
    if p.eligible_days is not None and shift.day not in p.eligible_days:
        return False
    span = range(shift.start, shift.end)
    if p.available is not None and any(t not in p.available for t in span):
        return False
    if not p.busy:
        return True
    rest = int(policy.min_rest_h * 2)
    return not any(t in p.busy for t in range(shift.start - rest, shift.end + rest))


@dataclass
class Assignment:
    shifts: list[PlannedShift]  # the same shifts, each with its counsellor (or None)
    filled_slots: int
    open_slots: int
    status: str  # OPTIMAL (proven: no assignment fills more) | FEASIBLE
    wall_s: float = 0.0
    bound_slots: int = 0  # no assignment fills more working half hours than this
    method: str = "matching"  # matching | matching+cp-sat

    @property
    def gap(self) -> float:
        """Largest possible shortfall of ``filled_slots`` against the best assignment."""
        if self.bound_slots <= 0:
            return 0.0
        return max(0.0, 1 - self.filled_slots / self.bound_slots)


def assign(
    shifts: Sequence[PlannedShift],
    people: Sequence[Person],
    *,
    first_weekday: int,
    policy: RosterPolicy | None = None,
) -> Assignment:
    """Step 2: give each shift to at most one counsellor, maximising the hours filled.

    Day by day, a maximum-weight matching of the day's shifts to the people who may take them
    (one shift a day makes each day a bipartite matching; since a shift's weight is its hours
    whatever the person, taking shifts longest first and keeping each one that an augmenting
    path can place is exact for the day). The days are coupled only by the rest between shifts
    and the weekly hours; ``assignment_bound`` bounds what any assignment can fill, so when the
    matching reaches it (every shift filled, or every counsellor's hours used) it is proven
    best and no solver runs. Only when it may fall more than ``assign_gap_tolerance`` short of
    that bound, and the model is small enough to help within ``assign_time_limit_s``, does
    CP-SAT improve it, started from the matching (on the benchmark's lines the matching is
    within 5 % of the bound, mostly within 2 %, and the solver rarely finds 1 % more)."""
    policy = policy or RosterPolicy()
    if not shifts:
        return Assignment([], 0, 0, "OPTIMAL")
    hint = _day_matching(shifts, people, first_weekday, policy)
    _repair(shifts, people, first_weekday, policy, hint)
    total = sum(sh.type.work for sh in shifts)
    bound = assignment_bound(shifts, people, first_weekday, policy)
    filled = sum(shifts[i].type.work for i in hint)
    method = "matching"
    status = "OPTIMAL" if filled >= bound else "FEASIBLE"
    wall = 0.0
    if (
        status == "FEASIBLE"
        and policy.assign_time_limit_s > 0
        and filled < (1 - policy.assign_gap_tolerance) * bound
    ):
        better = _improve(shifts, people, first_weekday, policy, hint)
        if better is not None:
            found, proven, wall = better
            gained = sum(shifts[i].type.work for i in found)
            if gained >= filled:
                hint, filled, method = found, gained, "matching+cp-sat"
                status = "OPTIMAL" if proven or filled >= bound else "FEASIBLE"
    out = [
        PlannedShift(sh.start, sh.type, people[hint[i]].id if i in hint else None)
        for i, sh in enumerate(shifts)
    ]
    return Assignment(out, filled, total - filled, status, wall, bound, method)


def assignment_bound(
    shifts: Sequence[PlannedShift],
    people: Sequence[Person],
    first_weekday: int,
    policy: RosterPolicy,
) -> int:
    """An upper bound on the working half hours any assignment fills: the smaller of (a) the sum
    over days of the day's best matching of shifts to the people who may take them (rest and
    weekly hours ignored) and (b) the sum over people and weeks of their hours left, or of the
    longest shift they could take each day if that is less."""
    by_day: dict[int, list[int]] = defaultdict(list)
    for i, sh in enumerate(shifts):
        by_day[sh.day].append(i)
    per_person_week: dict[tuple[int, int], int] = defaultdict(int)
    by_days = 0
    for d, todays in by_day.items():
        w = week_of(d, first_weekday)
        todays.sort(key=lambda i: -shifts[i].type.work)
        options: dict[int, list[int]] = defaultdict(list)
        best: dict[int, int] = {}
        for i in todays:
            for j, p in enumerate(people):
                if can_work(p, shifts[i], policy):
                    options[i].append(j)
                    best.setdefault(j, shifts[i].type.work)  # the first is the longest
        holder: dict[int, int] = {}
        for i in todays:
            if options[i]:
                _augment(i, options, holder, set())
        by_days += sum(shifts[i].type.work for i in holder.values())
        for j, slots in best.items():
            per_person_week[j, w] += slots
    by_people = 0
    for (j, w), slots in per_person_week.items():
        left = int((people[j].weekly_hours_max - people[j].booked_hours.get(w, 0.0)) * 2)
        by_people += min(slots, max(0, left))
    return min(by_people, by_days)


def _day_matching(
    shifts: Sequence[PlannedShift],
    people: Sequence[Person],
    first_weekday: int,
    policy: RosterPolicy,
) -> dict[int, int]:
    """Shift index → person index, one day after the other (see ``assign``). Among the people
    an augmenting path may use, those with the fewest hours so far are tried first."""
    rest = int(policy.min_rest_h * 2)
    last_end: dict[int, int] = {}
    hours: list[int] = [0] * len(people)
    week_left: dict[tuple[int, int], int] = {}
    by_day: dict[int, list[int]] = defaultdict(list)
    for i, sh in enumerate(shifts):
        by_day[sh.day].append(i)
    shortest = min(sh.type.work for sh in shifts)
    out: dict[int, int] = {}
    for d in sorted(by_day):
        w = week_of(d, first_weekday)
        todays = sorted(by_day[d], key=lambda i: (-shifts[i].type.work, shifts[i].start))
        options: dict[int, list[int]] = {}
        for i in todays:
            sh = shifts[i]
            cands = []
            for j, p in enumerate(people):
                if j in last_end and sh.start < last_end[j] + rest:
                    continue
                key = (j, w)
                if key not in week_left:
                    week_left[key] = int((p.weekly_hours_max - p.booked_hours.get(w, 0.0)) * 2)
                if sh.type.work > week_left[key] or not can_work(p, sh, policy):
                    continue
                cands.append(j)
            # A person left with fewer hours this week than the shortest shift loses them:
            # prefer those whom this shift leaves with none or with enough for another.
            cands.sort(key=lambda j: (0 < week_left[j, w] - sh.type.work < shortest, hours[j]))
            options[i] = cands
        holder: dict[int, int] = {}  # person → shift, today

        for i in todays:
            if options[i]:
                _augment(i, options, holder, set())
        for j, i in holder.items():
            out[i] = j
            last_end[j] = shifts[i].end
            hours[j] += shifts[i].type.work
            week_left[j, w] -= shifts[i].type.work
    return out


def _repair(
    shifts: Sequence[PlannedShift],
    people: Sequence[Person],
    first_weekday: int,
    policy: RosterPolicy,
    out: dict[int, int],
) -> None:
    """Local moves after the matching, each filling strictly more hours (so it ends): an open
    shift goes to someone free that day, or replaces a shorter shift of theirs that day (which
    becomes open), when their week's hours and the rest around it allow."""
    rest = int(policy.min_rest_h * 2)
    mine: dict[int, dict[int, int]] = defaultdict(dict)  # person → day → shift
    used: dict[tuple[int, int], int] = defaultdict(int)
    for i, j in out.items():
        mine[j][shifts[i].day] = i
        used[j, week_of(shifts[i].day, first_weekday)] += shifts[i].type.work

    def fits(j: int, i: int, day: int) -> bool:
        sh = shifts[i]
        for d in (day - 1, day + 1):
            k = mine[j].get(d)
            if k is None:
                continue
            other = shifts[k]
            if other.start < sh.start and sh.start < other.end + rest:
                return False
            if other.start > sh.start and other.start < sh.end + rest:
                return False
        return True

    queue = sorted(
        (i for i in range(len(shifts)) if i not in out), key=lambda i: -shifts[i].type.work
    )
    while queue:
        i = queue.pop(0)
        sh = shifts[i]
        w = week_of(sh.day, first_weekday)
        for j, p in enumerate(people):
            left = int((p.weekly_hours_max - p.booked_hours.get(w, 0.0)) * 2) - used[j, w]
            k = mine[j].get(sh.day)
            freed = 0 if k is None else shifts[k].type.work
            if sh.type.work <= freed or sh.type.work - freed > left:
                continue
            if not fits(j, i, sh.day) or not can_work(p, sh, policy):
                continue
            if k is not None:
                del out[k]
                queue.append(k)
                queue.sort(key=lambda n: -shifts[n].type.work)
            out[i] = j
            mine[j][sh.day] = i
            used[j, w] += sh.type.work - freed
            break


def _augment(i: int, options: dict[int, list[int]], holder: dict[int, int], seen: set[int]) -> bool:
    """Kuhn's augmenting path: place shift ``i``, moving holders along the way if needed."""
    for j in options[i]:
        if j in seen:
            continue
        seen.add(j)
        if j not in holder or _augment(holder[j], options, holder, seen):
            holder[j] = i
            return True
    return False


def _improve(
    shifts: Sequence[PlannedShift],
    people: Sequence[Person],
    first_weekday: int,
    policy: RosterPolicy,
    hint: dict[int, int],
) -> tuple[dict[int, int], bool, float] | None:
    """CP-SAT over the whole horizon, started from ``hint``; None when the model is too large
    to gain anything within the time limit (then the matching stands)."""
    rest = int(policy.min_rest_h * 2)
    pairs = [
        (i, j)
        for i, sh in enumerate(shifts)
        for j, p in enumerate(people)
        if can_work(p, sh, policy)
    ]
    if len(pairs) > policy.assign_max_pairs:
        return None
    model = cp_model.CpModel()
    longest = max(sh.type.length for sh in shifts)
    x = {(i, j): model.new_bool_var(f"x_{i}_{j}") for i, j in pairs}
    by_person: dict[int, list[int]] = defaultdict(list)
    by_shift: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for (i, j), v in x.items():
        by_person[j].append(i)
        by_shift[i].append(v)
    for options in by_shift.values():
        if len(options) > 1:
            model.add_at_most_one(options)
    for j, mine in by_person.items():
        p = people[j]
        mine.sort(key=lambda i: shifts[i].start)
        # One shift a day, and the rest between two shifts (cliques at each shift's start: the
        # shifts that started earlier and end less than the rest before it).
        per_day: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for pos, i in enumerate(mine):
            per_day[shifts[i].day].append(x[i, j])
            s_i = shifts[i].start
            clique = [x[i, j]]
            k = pos - 1
            while k >= 0 and shifts[mine[k]].start >= s_i - longest - rest:
                if s_i < shifts[mine[k]].end + rest:
                    clique.append(x[mine[k], j])
                k -= 1
            if len(clique) > 1:
                model.add_at_most_one(clique)
        for same_day in per_day.values():
            if len(same_day) > 1:
                model.add_at_most_one(same_day)
        weeks: dict[int, list[int]] = defaultdict(list)
        for i in mine:
            weeks[week_of(shifts[i].day, first_weekday)].append(i)
        for w, members in weeks.items():
            left = int((p.weekly_hours_max - p.booked_hours.get(w, 0.0)) * 2)
            model.add(
                cp_model.LinearExpr.weighted_sum(
                    [x[i, j] for i in members], [shifts[i].type.work for i in members]
                )
                <= max(0, left)
            )
    keys = list(x)
    model.maximize(
        cp_model.LinearExpr.weighted_sum(
            [x[k] for k in keys], [shifts[k[0]].type.work for k in keys]
        )
    )
    for (i, j), v in x.items():
        model.add_hint(v, hint.get(i) == j)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = policy.assign_time_limit_s
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    found = {i: j for (i, j), v in x.items() if solver.value(v)}
    return found, status == cp_model.OPTIMAL, solver.wall_time


# ------------------------------------------------------------------------------------------------
# checks


def coverage(shifts: Sequence[PlannedShift], horizon: int, *, assigned_only: bool) -> list[int]:
    """Seats staffed per slot by ``shifts`` (breaks excluded)."""
    out = [0] * horizon
    for sh in shifts:
        if assigned_only and sh.counsellor is None:
            continue
        for t in sh.type.working_slots(sh.start):
            if t < horizon:
                out[t] += 1
    return out


@dataclass(frozen=True)
class DayFlag:
    day: int
    hours_at_minimum: float
    rule: str = "official-minimum"

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "hours_at_minimum": self.hours_at_minimum,
            "rule": self.rule,
            "text": f"仅 {self.hours_at_minimum:g} 小时有不少于{MIN_SEATS}个坐席，低于每日"
            f"{MIN_HOURS_PER_DAY:g}小时",
        }


def short_days(cover: Sequence[int], days: int) -> list[DayFlag]:
    """Days on which fewer than ``MIN_HOURS_PER_DAY`` hours have at least ``MIN_SEATS`` seats."""
    flags = []
    for d in range(days):
        window = cover[d * SLOTS_PER_DAY : (d + 1) * SLOTS_PER_DAY]
        hours = sum(1 for c in window if c >= MIN_SEATS) / 2
        if hours < MIN_HOURS_PER_DAY:
            flags.append(DayFlag(d, hours))
    return flags


def shift_problems(
    shifts: Sequence[PlannedShift],
    people: Sequence[Person],
    *,
    first_weekday: int,
    policy: RosterPolicy | None = None,
) -> list[str]:
    """Every rule a set of assigned shifts breaks (empty when none): shape, availability,
    eligibility, one shift a day, rest, weekly hours."""
    policy = policy or RosterPolicy()
    allowed = set(policy.shift_types())
    by_id = {p.id: p for p in people}
    problems: list[str] = []
    mine: dict[str, list[PlannedShift]] = defaultdict(list)
    for sh in shifts:
        if sh.type not in allowed:
            problems.append(f"shift at {sh.start}: shape {sh.type.name} not allowed")
        if sh.counsellor is None:
            continue
        p = by_id.get(sh.counsellor)
        if p is None:
            problems.append(f"shift at {sh.start}: unknown counsellor {sh.counsellor}")
            continue
        if not can_work(p, sh, policy):
            problems.append(f"shift at {sh.start}: {p.id} not eligible or not available")
        mine[p.id].append(sh)
    rest = int(policy.min_rest_h * 2)
    for pid, own in mine.items():
        own.sort(key=lambda s: s.start)
        for a, b in itertools.pairwise(own):
            if a.day == b.day:
                problems.append(f"{pid}: two shifts on day {a.day}")
            if b.start < a.end + rest:
                problems.append(f"{pid}: less than {policy.min_rest_h:g} h rest before {b.start}")
        weeks: dict[int, int] = defaultdict(int)
        for sh in own:
            weeks[week_of(sh.day, first_weekday)] += sh.type.work
        p = by_id[pid]
        for w, slots in weeks.items():
            if slots / 2 + p.booked_hours.get(w, 0.0) > p.weekly_hours_max:
                problems.append(f"{pid}: {slots / 2:g} h in week {w} over {p.weekly_hours_max:g}")
    return problems

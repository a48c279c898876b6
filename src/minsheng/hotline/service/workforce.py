"""Workforce of the hotlines: the counsellor register, rosters (by hand and generated from the seat
plan) and compliance judged on who was really signed in. The decisions live in
``rules/workforce.py`` (eligibility, staffed minimum) and ``rules/roster.py`` (CP-SAT); this module
reads and writes the rows and converts between Beijing days and half-hour slots."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from minsheng.core import audit
from minsheng.core.scope import Scope
from minsheng.core.timeutil import BEIJING
from minsheng.hotline.errors import (
    CounsellorNotEligible,
    InvalidRoster,
    ShiftBreaksRule,
    ShiftNotFound,
)
from minsheng.hotline.models import Counsellor, Hotline, SeatState, Shift
from minsheng.hotline.rules import planning, roster
from minsheng.hotline.rules import workforce as wf
from minsheng.hotline.rules.snapshot import WEEKDAYS
from minsheng.hotline.schemas import CounsellorUpdate, ShiftCreate
from minsheng.hotline.service.directory import get_hotline, list_hotlines
from minsheng.hotline.service.planning import arrivals, default_as_of, open_slots
from minsheng.hotline.service.scoping import (
    check_counsellor,
    check_hotline,
    hotline_filter,
    hotline_in_scope,
)

SLOT = timedelta(minutes=30)


def midnight(day: date) -> datetime:
    """Beijing midnight starting ``day``."""
    return datetime.combine(day, time(0), tzinfo=BEIJING)


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


# register ---------------------------------------------------------------------------------------
def facts_of(c: Counsellor) -> wf.CounsellorFacts:
    return wf.CounsellorFacts(
        id=c.id,
        active=c.active,
        qualification_kind=c.qualification_kind,
        certificate_no=c.certificate_no,
        certificate_date=c.certificate_date,
        training_hours=c.training_hours,
        supervision_hours_month=c.supervision_hours_month,
    )


def get_counsellor(session: Session, counsellor_id: str, *, scope: Scope = Scope.ALL) -> Counsellor:
    """The counsellor; CounsellorNotFound when missing or their line is outside the scope."""
    return check_counsellor(session, counsellor_id, scope)


def register_dict(c: Counsellor, *, on: date) -> dict[str, Any]:
    """A counsellor's register entry with whether they may be rostered on ``on``."""
    return {
        "id": c.id,
        "name": c.name,
        "hotline_id": c.hotline_id,
        "skills": list(c.skills),
        "dialects": list(c.dialects or []),
        "qualification": c.qualification,
        "qualification_kind": c.qualification_kind,
        "qualification_label": wf.QUALIFICATIONS.get(c.qualification_kind or "", "未登记"),
        "certificate_no": c.certificate_no,
        "certificate_date": c.certificate_date.isoformat() if c.certificate_date else None,
        "training_hours": c.training_hours,
        "supervision_hours_month": c.supervision_hours_month,
        "active": c.active,
        "weekly_hours_max": c.weekly_hours_max,
        "availability": c.availability,
        "state": c.state,
        "eligibility": wf.eligibility(facts_of(c), on).to_dict(),
    }


def update_counsellor(
    session: Session,
    counsellor_id: str,
    data: CounsellorUpdate,
    *,
    actor: str,
    scope: Scope = Scope.ALL,
) -> Counsellor:
    c = get_counsellor(session, counsellor_id, scope=scope)
    changes = data.model_dump(exclude_unset=True)
    if "availability" in changes and changes["availability"] is not None:
        availability_slots(changes["availability"])  # refuses a bad range now, naming it
    for key, value in changes.items():
        if key == "skills" and value is not None:
            value = sorted({s.strip().lower() for s in value if s.strip()})
        setattr(c, key, value)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="counsellor.update",
        table="hotline_counsellors",
        record_id=c.id,
        detail={k: str(v) for k, v in changes.items() if k != "certificate_no"},
    )
    return c


def _minutes(text: str, field: str) -> int:
    try:
        hh, mm = text.split(":")
        value = int(hh) * 60 + int(mm)
    except ValueError:
        raise InvalidRoster(f"{text!r} is not HH:MM", field=field) from None
    if not 0 <= value <= 1440:
        raise InvalidRoster(f"{text!r} is not a time of day", field=field)
    return value


def availability_slots(availability: dict[str, list[str]]) -> set[tuple[int, int]]:
    """(weekday, half hour) pairs a counsellor may work; ``"20:00-02:00"`` runs past midnight."""
    out: set[tuple[int, int]] = set()
    for day, ranges in availability.items():
        if day not in WEEKDAYS:
            raise InvalidRoster(f"unknown weekday {day!r}", field="availability")
        wd = WEEKDAYS.index(day)
        for text in ranges:
            a, _, b = text.partition("-")
            lo, hi = _minutes(a, "availability"), _minutes(b, "availability")
            if hi <= lo:
                hi += 1440
            for m in range(lo - lo % 30, hi, 30):
                if m >= lo or m + 30 <= hi:
                    out.add(((wd + m // 1440) % 7, (m % 1440) // 30))
    return out


# shifts -----------------------------------------------------------------------------------------
def shift_dict(s: Shift) -> dict[str, Any]:
    start, end = s.start_at.astimezone(BEIJING), s.end_at.astimezone(BEIJING)
    brk = None
    if s.break_start_at and s.break_end_at:
        brk = {
            "from": s.break_start_at.astimezone(BEIJING).isoformat(),
            "to": s.break_end_at.astimezone(BEIJING).isoformat(),
        }
    return {
        "id": s.id,
        "hotline_id": s.hotline_id,
        "counsellor_id": s.counsellor_id,
        "day": s.day.isoformat(),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "break": brk,
        "work_hours": round(work_seconds(s) / 3600, 2),
        "source": s.source,
        "rule_version": s.rule_version,
    }


def work_seconds(s: Shift) -> float:
    total = (s.end_at - s.start_at).total_seconds()
    if s.break_start_at and s.break_end_at:
        total -= (s.break_end_at - s.break_start_at).total_seconds()
    return total


def working_intervals(s: Shift) -> list[tuple[datetime, datetime]]:
    if s.break_start_at and s.break_end_at:
        return [(s.start_at, s.break_start_at), (s.break_end_at, s.end_at)]
    return [(s.start_at, s.end_at)]


def list_shifts(
    session: Session,
    *,
    start: date,
    end: date,
    hotline_id: str | None = None,
    counsellor_id: str | None = None,
    scope: Scope = Scope.ALL,
) -> list[Shift]:
    """Shifts that overlap the Beijing days [start, end) (of the lines in ``scope``)."""
    lo, hi = midnight(start), midnight(end)
    stmt = select(Shift).where(
        Shift.start_at < hi, Shift.end_at > lo, hotline_filter(session, scope, Shift.hotline_id)
    )
    if hotline_id:
        stmt = stmt.where(Shift.hotline_id == hotline_id)
    if counsellor_id:
        stmt = stmt.where(Shift.counsellor_id == counsellor_id)
    return list(session.scalars(stmt.order_by(Shift.start_at, Shift.id)))


def get_shift(session: Session, shift_id: int, *, scope: Scope = Scope.ALL) -> Shift:
    s = session.get(Shift, shift_id)
    if s is None or not hotline_in_scope(get_hotline(session, s.hotline_id), scope):
        raise ShiftNotFound(f"no shift {shift_id}", field="shift_id")
    return s


def delete_shift(session: Session, shift_id: int, *, actor: str, scope: Scope = Scope.ALL) -> None:
    s = get_shift(session, shift_id, scope=scope)
    audit.record(
        session,
        actor=actor,
        action="shift.delete",
        table="hotline_shifts",
        record_id=str(s.id),
        detail={"hotline_id": s.hotline_id, "counsellor_id": s.counsellor_id},
    )
    session.delete(s)
    session.flush()


def _zoned(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=BEIJING)


def create_shift(
    session: Session, data: ShiftCreate, *, actor: str, scope: Scope = Scope.ALL
) -> Shift:
    """A shift by hand, checked against the same rules as a generated roster."""
    policy = roster.RosterPolicy()
    h = check_hotline(session, data.hotline_id, scope)
    c = get_counsellor(session, data.counsellor_id)
    if c.hotline_id != h.id:
        raise ShiftBreaksRule(
            f"counsellor {c.id!r} answers for {c.hotline_id!r}, not {h.id!r}", field="counsellor_id"
        )
    start, end = _zoned(data.start), _zoned(data.end)
    day = start.astimezone(BEIJING).date()
    verdict = wf.eligibility(facts_of(c), day)
    if not verdict.eligible:
        raise CounsellorNotEligible(
            f"{c.id} 不能排班：" + "；".join(verdict.reasons),
            field="counsellor_id",
            extra={"rule": verdict.rule, "version": verdict.version},
        )
    if end <= start:
        raise ShiftBreaksRule("the shift ends before it starts", field="end")
    length_h = (end - start).total_seconds() / 3600
    brk_start = _zoned(data.break_start) if data.break_start else None
    brk_end = brk_start + timedelta(minutes=data.break_minutes) if brk_start else None
    if brk_start and (brk_start <= start or brk_end is None or brk_end >= end):
        raise ShiftBreaksRule("the break must lie inside the shift", field="break_start")
    work_h = length_h - (data.break_minutes / 60 if brk_start else 0)
    rule = {"rule": "working-time", "version": roster.ROSTER_VERSION}
    if work_h > policy.max_work_h:
        raise ShiftBreaksRule(
            f"{work_h:g} h of work: at most {policy.max_work_h:g} h a day",
            field="end",
            extra=rule,
        )
    if length_h > policy.break_over_h and (not brk_start or data.break_minutes < 30):
        raise ShiftBreaksRule(
            f"a shift over {policy.break_over_h:g} h needs a break of at least 30 minutes",
            field="break_start",
            extra={"rule": "break-and-rest", "version": roster.ROSTER_VERSION},
        )
    if c.availability is not None:
        allowed = availability_slots(c.availability)
        t = start
        while t < end:
            local = t.astimezone(BEIJING)
            if (local.weekday(), local.hour * 2 + local.minute // 30) not in allowed:
                raise ShiftBreaksRule(
                    f"{c.id} is not available at {local.strftime('%a %H:%M')}",
                    field="start",
                    extra={"rule": "roster-assignment", "version": roster.ROSTER_VERSION},
                )
            t += SLOT
    rest = timedelta(hours=policy.min_rest_h)
    near = session.scalars(
        select(Shift).where(
            Shift.counsellor_id == c.id,
            Shift.start_at < end + rest,
            Shift.end_at > start - rest,
        )
    ).all()
    for other in near:
        if other.day == day:
            raise ShiftBreaksRule(
                f"{c.id} already has a shift on {day.isoformat()}",
                field="start",
                extra={"rule": "roster-assignment", "version": roster.ROSTER_VERSION},
            )
        raise ShiftBreaksRule(
            f"less than {policy.min_rest_h:g} h rest between this shift and shift {other.id}",
            field="start",
            extra={"rule": "break-and-rest", "version": roster.ROSTER_VERSION},
        )
    monday = day - timedelta(days=day.weekday())
    week = list_shifts(session, start=monday, end=monday + timedelta(days=7), counsellor_id=c.id)
    booked = sum(work_seconds(s) for s in week if monday <= s.day < monday + timedelta(days=7))
    if booked / 3600 + work_h > c.weekly_hours_max:
        raise ShiftBreaksRule(
            f"{c.id} would work {booked / 3600 + work_h:g} h in the week of {monday.isoformat()}: "
            f"at most {c.weekly_hours_max:g} h",
            field="end",
            extra=rule,
        )
    s = Shift(
        hotline_id=h.id,
        counsellor_id=c.id,
        day=day,
        start_at=start,
        end_at=end,
        break_start_at=brk_start,
        break_end_at=brk_end,
        source="manual",
        rule_version=roster.ROSTER_VERSION,
        created_by=actor,
        demo=False,
    )
    audit.add_and_record(
        session, s, actor=actor, action="shift.create", detail={"hotline_id": h.id}
    )
    return s


# generation -------------------------------------------------------------------------------------
def weekly_need(
    session: Session, h: Hotline, *, need_from: str, as_of: date
) -> tuple[list[list[int]], set[tuple[int, int]], str]:
    """Seats needed per weekday and half hour, the open half hours, and what decided the need."""
    opened = open_slots(h.hours)
    if need_from == "declared":
        need = [
            [h.seats if (wd, s) in opened else 0 for s in range(planning.SLOTS_PER_DAY)]
            for wd in range(7)
        ]
        return need, opened, "declared-seats"
    if need_from != "plan":
        raise InvalidRoster(
            f"need_from must be plan or declared, not {need_from!r}", field="need_from"
        )
    weeks = 4
    start = as_of - timedelta(days=7 * weeks)
    counts = planning.count_arrivals(arrivals(session, h.id, start=start, end=as_of))
    demand = planning.forecast(counts, as_of=as_of, weeks=weeks, smooth=1)
    result = planning.plan_hotline(h.id, seats=h.seats, open_slots=opened, demand=demand)
    need = [[0] * planning.SLOTS_PER_DAY for _ in range(7)]
    for s in result.slots:
        need[s.weekday][s.slot] = s.needed if s.open else 0
    return need, opened, f"{planning.PLANNING_VERSION} (as of {as_of.isoformat()})"


def _slot_of(t0: datetime, t: datetime) -> int:
    return int((t - t0).total_seconds() // 1800)


def generate_roster(
    session: Session,
    *,
    hotline_id: str,
    start: date,
    days: int = 7,
    need_from: str = "plan",
    policy: roster.RosterPolicy | None = None,
    replace: bool = True,
    actor: str,
    demo: bool = False,
    scope: Scope = Scope.ALL,
) -> dict[str, Any]:
    """Shifts for ``days`` Beijing days from ``start`` covering the seat plan at the fewest
    staffed hours, given to eligible, available counsellors; open shifts stay unassigned.

    Generated shifts already in the period are replaced (``replace``); shifts made by hand are
    kept and count as cover, as do shifts of the day before that run into the period.
    """
    check_hotline(session, hotline_id, scope)
    if days < 1 or days > 62:
        raise InvalidRoster("a roster covers 1 to 62 days", field="days")
    policy = policy or roster.RosterPolicy()
    try:
        policy.validate()
    except roster.RosterInputError as exc:
        raise InvalidRoster(str(exc), field=exc.field) from None
    h = get_hotline(session, hotline_id)
    end = start + timedelta(days=days)
    as_of = min(start, default_as_of(session))
    week_need, opened, need_rule = weekly_need(session, h, need_from=need_from, as_of=as_of)
    t0 = midnight(start)
    horizon = days * roster.SLOTS_PER_DAY
    need: list[int] = []
    is_open: list[bool] = []
    for d in range(days):
        wd = (start + timedelta(days=d)).weekday()
        need.extend(week_need[wd])
        is_open.extend((wd, s) in opened for s in range(roster.SLOTS_PER_DAY))
    need = roster.effective_need(need, is_open, policy.min_seats)
    if replace:
        session.execute(
            delete(Shift).where(
                Shift.hotline_id == h.id,
                Shift.source == "generated",
                Shift.day >= start,
                Shift.day < end,
            )
        )
        session.flush()
    # Kept shifts of the line (by hand, or of the day before) cover part of the need.
    kept = list_shifts(session, start=start - timedelta(days=1), end=end, hotline_id=h.id)
    covered = [0] * horizon
    for s in kept:
        if s.counsellor_id is None:
            continue
        for a_at, b_at in working_intervals(s):
            first_slot, last_slot = _slot_of(t0, a_at), _slot_of(t0, b_at - SLOT)
            for t in range(max(0, first_slot), min(horizon, last_slot + 1)):
                covered[t] += 1
    counsellors = [c for c in h.counsellors if c.active]
    first_weekday = start.weekday()
    monday = start - timedelta(days=first_weekday)
    last_sunday = end + timedelta(days=(7 - end.weekday()) % 7)
    own = defaultdict(list)
    # A counsellor answers for one line, so their other shifts are this line's shifts.
    week_shifts = list_shifts(
        session, start=monday - timedelta(days=1), end=last_sunday, hotline_id=h.id
    )
    for s in week_shifts:
        if s.counsellor_id is not None:
            own[s.counsellor_id].append(s)
    people: list[roster.Person] = []
    capacity = [0] * horizon
    for c in sorted(counsellors, key=lambda c: c.id):
        eligible = frozenset(
            d
            for d in range(days)
            if wf.eligibility(facts_of(c), start + timedelta(days=d)).eligible
        )
        if not eligible:
            continue
        avail_week = availability_slots(c.availability) if c.availability is not None else None
        available: frozenset[int] | None = None
        if avail_week is not None:
            available = frozenset(
                t
                for t in range(horizon + 48)
                if (((first_weekday + t // 48) % 7), t % 48) in avail_week
            )
        busy: set[int] = set()
        booked: dict[int, float] = defaultdict(float)
        for s in own.get(c.id, []):
            a, b = _slot_of(t0, s.start_at), _slot_of(t0, s.end_at - SLOT)
            busy.update(range(a, b + 1))
            booked[roster.week_of((s.day - start).days, first_weekday)] += work_seconds(s) / 3600
        people.append(
            roster.Person(
                c.id,
                weekly_hours_max=c.weekly_hours_max,
                available=available,
                eligible_days=eligible,
                busy=frozenset(busy),
                booked_hours=dict(booked),
            )
        )
        for t in range(horizon):
            if t // 48 in eligible and (available is None or t in available):
                capacity[t] += 1
    per_day = [
        sum(1 for p in people if p.eligible_days is None or d in p.eligible_days)
        for d in range(days)
    ]
    solution = roster.solve_shifts(
        need, policy=policy, capacity=capacity, covered=covered, people_per_day=per_day
    )
    if solution.status not in ("OPTIMAL", "FEASIBLE"):
        raise InvalidRoster(f"the solver found no roster ({solution.status})", field="hotline_id")
    assignment = roster.assign(solution.shifts, people, first_weekday=first_weekday, policy=policy)
    for p in assignment.shifts:
        s_at = t0 + SLOT * p.start
        brk = p.break_slot
        session.add(
            Shift(
                hotline_id=h.id,
                counsellor_id=p.counsellor,
                day=start + timedelta(days=p.day),
                start_at=s_at,
                end_at=t0 + SLOT * p.end,
                break_start_at=None if brk is None else t0 + SLOT * brk,
                break_end_at=None if brk is None else t0 + SLOT * (brk + 1),
                source="generated",
                rule_version=roster.ROSTER_VERSION,
                created_by=actor,
                demo=demo,
            )
        )
    session.flush()
    filled_cover = roster.coverage(assignment.shifts, horizon, assigned_only=True)
    planned_cover = roster.coverage(assignment.shifts, horizon, assigned_only=False)
    total_filled = [a + b for a, b in zip(filled_cover, covered, strict=True)]
    total_planned = [a + b for a, b in zip(planned_cover, covered, strict=True)]
    short_of_people = set(solution.short_slots)
    uncovered = [t for t in range(horizon) if total_filled[t] < need[t]]
    flags = roster.short_days(total_filled, days)
    result = {
        "hotline_id": h.id,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "need_from": need_rule,
        "policy": policy.to_dict(),
        "solver": {
            "status": solution.status,
            "staffed_hours": solution.staffed_hours,
            "bound_hours": solution.bound_slots / 2,
            "gap": round(solution.gap, 5),
            "wall_s": round(solution.wall_s + assignment.wall_s, 3),
        },
        "shifts": len(assignment.shifts),
        "open_shifts": sum(1 for p in assignment.shifts if p.counsellor is None),
        "needed_seat_hours": sum(need) / 2,
        "staffed_hours_planned": sum(p.type.work for p in assignment.shifts) / 2,
        "staffed_hours_filled": assignment.filled_slots / 2,
        "half_hours_not_covered": len(uncovered),
        "half_hours_short_of_people": len(solution.short_slots),
        "planned_covers_need": all(
            total_planned[t] >= need[t] for t in range(horizon) if t not in short_of_people
        ),
        "days_under_minimum": [
            {**f.to_dict(), "day": (start + timedelta(days=f.day)).isoformat()} for f in flags
        ],
        "counsellors_eligible": len(people),
        "counsellors_active": len(counsellors),
        "rules": {k: roster.RULES[k] for k in ("roster-min-hours", "roster-assignment")},
        "version": roster.ROSTER_VERSION,
    }
    audit.record(
        session,
        actor=actor,
        action="roster.generate",
        table="hotline_shifts",
        record_id=h.id,
        detail={k: result[k] for k in ("from", "to", "shifts", "open_shifts")},
    )
    return result


# compliance from facts ----------------------------------------------------------------------------
def _seat_rows(
    session: Session, hotline_ids: Sequence[str], lo: datetime, hi: datetime
) -> list[SeatState]:
    stmt = select(SeatState).where(
        SeatState.from_at < hi,
        or_(SeatState.to_at.is_(None), SeatState.to_at > lo),
        SeatState.state.in_(sorted(wf.ON_DUTY)),
    )
    if len(hotline_ids) == 1:
        stmt = stmt.where(SeatState.hotline_id == hotline_ids[0])
    return list(session.scalars(stmt))


def staffing(
    session: Session,
    *,
    start: date,
    days: int,
    hotline_id: str | None = None,
    now: datetime | None = None,
    scope: Scope = Scope.ALL,
) -> dict[str, Any]:
    """Per line and Beijing day: seats per half hour from the roster and from the seat states,
    hours with ≥ 2 seats, gaps, and the verdict (decided by the seat states alone).

    A seat state still open counts until ``now`` (default: the end of the period)."""
    if days < 1 or days > 62:
        raise InvalidRoster("between 1 and 62 days at a time", field="days")
    end = start + timedelta(days=days)
    lo, hi = midnight(start), midnight(end)
    until = min(hi, now) if now is not None else hi
    hotlines = (
        [check_hotline(session, hotline_id, scope)]
        if hotline_id
        else [h for h in list_hotlines(session) if hotline_in_scope(h, scope)]
    )
    ids = [h.id for h in hotlines]
    actual: dict[str, list[wf.Interval]] = defaultdict(list)
    for row in _seat_rows(session, ids, lo, hi):
        row_end = _aware(row.to_at) if row.to_at is not None else until
        actual[row.hotline_id].append(wf.Interval(row.counsellor_id, _aware(row.from_at), row_end))
    rostered: dict[str, list[wf.Interval]] = defaultdict(list)
    for s in list_shifts(session, start=start, end=end, hotline_id=hotline_id, scope=scope):
        if s.counsellor_id is not None:
            for a, b in working_intervals(s):
                rostered[s.hotline_id].append(wf.Interval(s.counsellor_id, a, b))

    def by_day(intervals: list[wf.Interval]) -> dict[int, list[wf.Interval]]:
        out: dict[int, list[wf.Interval]] = defaultdict(list)
        for iv in wf.merge_intervals(intervals):
            first = max(0, (iv.start.astimezone(BEIJING).date() - start).days)
            last = min(days - 1, (iv.end.astimezone(BEIJING).date() - start).days)
            for d in range(first, last + 1):
                out[d].append(iv)
        return out

    lines = []
    for h in hotlines:
        opened = open_slots(h.hours)
        day_rows = []
        actual_by_day = by_day(actual.get(h.id, []))
        rostered_by_day = by_day(rostered.get(h.id, []))
        for d in range(days):
            day = start + timedelta(days=d)
            wd = day.weekday()
            verdict = wf.judge_day(
                day,
                midnight(day),
                declared_seats=h.seats,
                open_half_hours=[s for s in range(48) if (wd, s) in opened],
                rostered=rostered_by_day.get(d, []),
                actual=actual_by_day.get(d, []),
            )
            day_rows.append(verdict.to_dict(BEIJING))
        lines.append(
            {
                "hotline_id": h.id,
                "name": h.name,
                "declared_seats": h.seats,
                "days": day_rows,
                "days_compliant": sum(r["compliant"] for r in day_rows),
                "days_declared_ok": sum(r["declared_ok"] for r in day_rows),
            }
        )
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "rule": wf.RULES["staffed-minimum"],
        "version": wf.WORKFORCE_VERSION,
        "on_duty_states": sorted(wf.ON_DUTY),
        "hotlines": lines,
    }


def rostered_not_signed_in(
    session: Session, *, at: datetime, hotline_id: str | None = None
) -> list[dict[str, Any]]:
    """Counsellors whose shift (outside its break) covers ``at`` but who are offline now."""
    stmt = select(Shift, Counsellor).join(Counsellor, Counsellor.id == Shift.counsellor_id)
    stmt = stmt.where(Shift.start_at <= at, Shift.end_at > at)
    if hotline_id:
        stmt = stmt.where(Shift.hotline_id == hotline_id)
    out = []
    for s, c in session.execute(stmt.order_by(Shift.hotline_id, Shift.start_at)).all():
        if s.break_start_at and s.break_end_at and s.break_start_at <= at < s.break_end_at:
            continue
        if c.state in wf.ON_DUTY:
            continue
        out.append(
            {
                "hotline_id": s.hotline_id,
                "counsellor_id": c.id,
                "name": c.name,
                "state": c.state,
                "shift_from": s.start_at.astimezone(BEIJING).strftime("%H:%M"),
                "shift_to": s.end_at.astimezone(BEIJING).strftime("%H:%M"),
            }
        )
    return out


def staffed_seat_hours(
    session: Session, hotline_ids: Iterable[str], lo: datetime, hi: datetime
) -> dict[str, float]:
    """Seat-hours actually staffed per line in [lo, hi) (sum over counsellors signed in)."""
    ids = list(hotline_ids)
    out: dict[str, float] = dict.fromkeys(ids, 0.0)
    for row in _seat_rows(session, ids, lo, hi):
        if row.hotline_id not in out:
            continue
        a = max(_aware(row.from_at), lo)
        b = min(_aware(row.to_at) if row.to_at is not None else hi, hi)
        if b > a:
            out[row.hotline_id] += (b - a).total_seconds() / 3600
    return out

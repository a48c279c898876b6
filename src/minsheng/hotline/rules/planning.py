"""Seat planning for 12356 hotlines: demand forecast from arrivals, and "add N seats" advice.

Pure functions (no database, no web): the service layer feeds them arrival times read from the call
records and each hotline's hours and seats; the CLI and the API print what they return.

* **Forecast** (rule ``forecast-same-slot-mean``): the expected calls of a hotline in a half hour of
  a weekday are the mean of that weekday's and half hour's arrivals over the last ``weeks`` weeks
  before ``as_of`` (Beijing dates; default 4 weeks). Weeks before the hotline's first record are
  not counted, so a new line is not diluted by weeks when it did not exist; a day inside the window
  with no record counts as zero calls.
* **Sizing** (rule ``erlang-a-sizing``, :mod:`minsheng.hotline.rules.erlang`): each open half hour
  gets the fewest seats for the target (default 80% answered within 30 s and abandonment at most
  5%, Erlang A with an 18-minute handling time and a mean patience that is a planning
  assumption), never fewer than the official minimum.
* **Official minimum** (rule ``official-minimum``): at least ``MIN_SEATS`` seats whenever open and
  ``MIN_HOURS_PER_DAY`` hours open each day, as defined (with their sources) in
  :mod:`minsheng.hotline.rules.compliance`.
* **Advice**: half hours with the same shortfall are joined into ranges, and ranges shared by
  several weekdays are said once ("add 2 seats 18:00–22:00 on weekdays").
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from minsheng.hotline.rules import erlang
from minsheng.hotline.rules.compliance import MIN_HOURS_PER_DAY, MIN_SEATS
from minsheng.hotline.rules.snapshot import WEEKDAYS

PLANNING_VERSION = "12356-planning/2026.1"
SLOTS_PER_DAY = 48
SLOT_S = 1800

RULES: dict[str, str] = {
    "forecast-same-slot-mean": (
        "expected calls = mean arrivals of the same weekday and half hour over the last N weeks"
    ),
    "erlang-a-sizing": (
        f"fewest seats meeting the target under Erlang A ({erlang.RULE_VERSION}); "
        "Palm 1943, Mandelbaum & Zeltyn 2005"
    ),
    "shift-blocks": (
        "extra seats are advised in blocks of whole hours, at least 2 hours long, bridging gaps "
        "of up to 1 hour: a counsellor is rostered for a shift, not for a half hour"
    ),
    "official-minimum": (
        "国家卫生健康委 12356 通知 (2024-12): 每条热线至少设置2个坐席，每日提供不少于18小时; "
        "心理援助热线技术指南（试行）2021: 至少安排2个坐席"
    ),
}

Forecast = list[list[float]]  # [weekday 0=Mon][half hour 0..47] -> expected calls


class PlanningError(erlang.PlanningInputError):
    """A planning request broke a rule (the field is named)."""


@dataclass(frozen=True, slots=True)
class PlanTarget:
    """What the seats must achieve, and the assumptions behind the sizing (seconds)."""

    target_s: float = 30.0
    service_level: float = 0.8
    max_abandon: float = 0.05
    aht_s: float = 18 * 60.0  # average call at a Shanghai site (reference notes §4)
    patience_s: float = 180.0  # planning assumption: no published 12356 figure
    max_occupancy: float = 1.0
    shrinkage: float = 0.0

    def validate(self) -> None:
        erlang.validate(
            erlang.Load(0.0, SLOT_S, self.aht_s),
            erlang.Target(
                self.target_s,
                self.service_level,
                self.max_occupancy,
                self.shrinkage,
                self.max_abandon,
            ),
            self.patience_s,
        )

    def to_dict(self) -> dict[str, float]:
        return {
            "target_s": self.target_s,
            "service_level": self.service_level,
            "max_abandon": self.max_abandon,
            "aht_s": self.aht_s,
            "patience_s": self.patience_s,
            "max_occupancy": self.max_occupancy,
            "shrinkage": self.shrinkage,
        }


# --------------------------------------------------------------------------------------------
# forecast


def slot_of(local: datetime) -> tuple[date, int]:
    """The Beijing date and half-hour index (0..47) of a Beijing-local time."""
    return local.date(), local.hour * 2 + local.minute // 30


def slot_label(slot: int) -> str:
    """``"18:30"`` for slot 37; slot 48 is ``"24:00"`` (the end of the day)."""
    return f"{slot // 2:02d}:{30 * (slot % 2):02d}"


def count_arrivals(local_times: Iterable[datetime]) -> dict[date, list[int]]:
    """Arrivals per Beijing date and half hour, from Beijing-local arrival times."""
    counts: dict[date, list[int]] = {}
    for t in local_times:
        day, slot = slot_of(t)
        counts.setdefault(day, [0] * SLOTS_PER_DAY)[slot] += 1
    return counts


@dataclass(frozen=True)
class ForecastResult:
    """The expected calls per weekday and half hour, and how they were obtained."""

    calls: Forecast
    weeks: int
    window_start: date | None
    window_end: date
    days_per_weekday: list[int]
    rule: str = "forecast-same-slot-mean"
    smooth: int = 0
    pooled: bool = False

    def daily_totals(self) -> list[float]:
        return [sum(day) for day in self.calls]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "weeks": self.weeks,
            "smooth_half_hours": self.smooth,
            "weekdays_pooled": self.pooled,
            "window": {
                "from": self.window_start.isoformat() if self.window_start else None,
                "to": self.window_end.isoformat(),
            },
            "days_per_weekday": dict(zip(WEEKDAYS, self.days_per_weekday, strict=True)),
            "calls_per_day": {
                d: round(t, 3) for d, t in zip(WEEKDAYS, self.daily_totals(), strict=True)
            },
            "calls": {
                d: [round(x, 4) for x in day] for d, day in zip(WEEKDAYS, self.calls, strict=True)
            },
        }


WEEKDAY_GROUPS = ((0, 1, 2, 3, 4), (5, 6))


def forecast(
    counts: Mapping[date, list[int]],
    *,
    as_of: date,
    weeks: int = 4,
    smooth: int = 1,
    pool_weekdays: bool = False,
) -> ForecastResult:
    """Mean arrivals per weekday and half hour over the ``weeks`` weeks before ``as_of``.

    The window is ``[as_of - 7·weeks days, as_of)``, shortened to start at the first day with a
    record; each weekday's mean divides by the number of such weekdays in the window. The means
    are then averaged with their ``smooth`` neighbours on each side along the week (a centred
    moving average, wrapping from Sunday night to Monday morning): a few weeks of a line with a
    hundred calls a day leave each half hour with a handful of calls, and sizing on that noise
    would chase chance peaks. ``smooth=0`` keeps the raw means; totals are preserved either way.
    ``pool_weekdays`` averages Monday–Friday together and Saturday–Sunday together (for lines with
    few weeks of records: five samples per half hour instead of one).
    """
    if smooth < 0 or smooth > 6:
        raise PlanningError(f"smooth must be between 0 and 6, got {smooth}", field="smooth")
    if weeks < 1:
        raise PlanningError(f"weeks must be 1 or more, got {weeks}", field="weeks")
    end = as_of
    start = as_of - timedelta(days=7 * weeks)
    in_window = [d for d in counts if start <= d < end]
    calls = [[0.0] * SLOTS_PER_DAY for _ in range(7)]
    if not in_window:
        return ForecastResult(calls, weeks, None, end, [0] * 7, smooth=smooth, pooled=pool_weekdays)
    first = min(in_window)
    days_per_weekday = [0] * 7
    day = first
    while day < end:
        days_per_weekday[day.weekday()] += 1
        day += timedelta(days=1)
    for d in in_window:
        row = counts[d]
        target = calls[d.weekday()]
        for s in range(SLOTS_PER_DAY):
            target[s] += row[s]
    groups = WEEKDAY_GROUPS if pool_weekdays else tuple((wd,) for wd in range(7))
    for group in groups:
        n = sum(days_per_weekday[wd] for wd in group)
        if n:
            mean = [sum(calls[wd][s] for wd in group) / n for s in range(SLOTS_PER_DAY)]
            for wd in group:
                calls[wd] = list(mean)
    if smooth:
        flat = [x for day in calls for x in day]
        size = len(flat)
        width = 2 * smooth + 1
        flat = [
            sum(flat[(i + k) % size] for k in range(-smooth, smooth + 1)) / width
            for i in range(size)
        ]
        calls = [flat[d * SLOTS_PER_DAY : (d + 1) * SLOTS_PER_DAY] for d in range(7)]
    return ForecastResult(
        calls, weeks, first, end, days_per_weekday, smooth=smooth, pooled=pool_weekdays
    )


# --------------------------------------------------------------------------------------------
# opening hours as half hours


def open_slots_from_spans(spans: Mapping[str, tuple[int, int] | None]) -> set[tuple[int, int]]:
    """Half hours open in a week, from per-weekday spans in minutes after midnight.

    ``spans["mon"] = (480, 1560)`` is 08:00–02:00 (the end passes 1440: the rest falls on the next
    day). A half hour counts as open when the line is open at its start.
    """
    open_: set[tuple[int, int]] = set()
    for wd, name in enumerate(WEEKDAYS):
        span = spans.get(name)
        if span is None:
            continue
        start, end = span
        for minute in range(start - start % 30 + (30 if start % 30 else 0), end, 30):
            day = (wd + minute // 1440) % 7
            open_.add((day, (minute % 1440) // 30))
    return open_


def open_hours_per_day(open_slots: set[tuple[int, int]]) -> list[float]:
    hours = [0.0] * 7
    for wd, _slot in open_slots:
        hours[wd] += 0.5
    return hours


# --------------------------------------------------------------------------------------------
# sizing and advice


@dataclass(frozen=True)
class SlotNeed:
    """One half hour of one weekday: its forecast, the seats it needs and what it has."""

    weekday: int
    slot: int
    open: bool
    calls: float
    needed: int
    has: int
    decided_by: str
    service_level_now: float | None
    abandon_rate_now: float | None

    @property
    def shortfall(self) -> int:
        return max(0, self.needed - self.has) if self.open else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": WEEKDAYS[self.weekday],
            "from": slot_label(self.slot),
            "open": self.open,
            "calls": round(self.calls, 3),
            "needed": self.needed,
            "has": self.has,
            "add": self.shortfall,
            "decided_by": self.decided_by,
            "service_level_now": _round(self.service_level_now),
            "abandon_rate_now": _round(self.abandon_rate_now),
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 5)


@dataclass(frozen=True)
class Advice:
    """One sentence of advice, with the ranges it covers and the rule behind it."""

    action: str  # "add_seats" | "extend_hours"
    text: str
    rule: str
    seats: int = 0
    ranges: tuple[tuple[str, str], ...] = ()
    days: tuple[str, ...] = ()
    peak_calls: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "text": self.text,
            "seats": self.seats,
            "ranges": [{"from": a, "to": b} for a, b in self.ranges],
            "days": list(self.days),
            "peak_calls_per_half_hour": round(self.peak_calls, 3),
            "rule": self.rule,
            "shaped_by": "shift-blocks" if self.action == "add_seats" else None,
        }


@dataclass(frozen=True)
class HotlinePlan:
    hotline_id: str
    seats: int
    target: PlanTarget
    forecast: ForecastResult
    slots: list[SlotNeed]
    advice: list[Advice]
    peak_needed: int
    version: str = PLANNING_VERSION
    notes: list[str] = field(default_factory=list)

    def to_dict(self, *, detail: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "hotline_id": self.hotline_id,
            "seats": self.seats,
            "peak_seats_needed": self.peak_needed,
            "enough": not any(a.action == "add_seats" for a in self.advice),
            "advice": [a.to_dict() for a in self.advice],
            "summary": [a.text for a in self.advice]
            or [f"{self.seats} seats meet the target in every open half hour"],
            "calls_per_day": {
                d: round(t, 2) for d, t in zip(WEEKDAYS, self.forecast.daily_totals(), strict=True)
            },
            "notes": self.notes,
            "target": self.target.to_dict(),
            "forecast": {k: v for k, v in self.forecast.to_dict().items() if k != "calls"},
            "version": self.version,
        }
        if detail:
            out["slots"] = [s.to_dict() for s in self.slots if s.open or s.calls > 0]
        return out


def size_slots(
    calls: Forecast,
    *,
    seats: int,
    open_slots: set[tuple[int, int]],
    target: PlanTarget,
) -> list[SlotNeed]:
    """Seats needed in every half hour of the week, never below the minimum while open."""
    target.validate()
    if isinstance(seats, bool) or seats < 0:
        raise PlanningError(f"seats must be zero or more, got {seats}", field="seats")
    cache: dict[float, erlang.Staffing] = {}
    now_cache: dict[float, erlang.Performance | None] = {}
    goal = erlang.Target(
        target.target_s, target.service_level, target.max_occupancy, 0.0, target.max_abandon
    )
    out: list[SlotNeed] = []
    for wd in range(7):
        for s in range(SLOTS_PER_DAY):
            c = calls[wd][s]
            is_open = (wd, s) in open_slots
            if not is_open:
                out.append(SlotNeed(wd, s, False, c, 0, seats, "closed", None, None))
                continue
            key = round(c, 6)
            if key not in cache:
                load = erlang.Load(key, SLOT_S, target.aht_s)
                cache[key] = erlang.size_a(load, goal, target.patience_s)
                now_cache[key] = (
                    erlang.evaluate_a(seats, load, target.target_s, target.patience_s)
                    if seats > 0
                    else None
                )
            sized = cache[key]
            now = now_cache[key]
            needed, decided = sized.seats, "erlang-a-sizing"
            if needed < MIN_SEATS:
                needed, decided = MIN_SEATS, "official-minimum"
            out.append(
                SlotNeed(
                    wd,
                    s,
                    True,
                    c,
                    needed,
                    seats,
                    decided,
                    now.service_level if now else 0.0,
                    now.abandon_rate if now else 1.0,
                )
            )
    return out


def describe_days(days: Iterable[int]) -> str:
    """``on weekdays``, ``at weekends``, ``every day``, ``on Mon–Wed``, ``on Mon, Thu``."""
    ds = sorted(set(days))
    names = [WEEKDAYS[d].capitalize() for d in ds]
    if ds == list(range(7)):
        return "every day"
    if ds == [0, 1, 2, 3, 4]:
        return "on weekdays"
    if ds == [5, 6]:
        return "at weekends"
    if len(ds) == 1:
        return f"on {names[0]}"
    if len(ds) >= 3 and ds == list(range(ds[0], ds[-1] + 1)):
        return f"on {names[0]}–{names[-1]}"
    return "on " + ", ".join(names)


def _blocks(day: list[SlotNeed], bridge: int = 2, min_len: int = 4) -> list[int]:
    """Seats to add in each half hour of one day, as staffable blocks (rule ``shift-blocks``).

    A counsellor cannot be rostered for half an hour, and advice of scattered half hours is
    unreadable, so each extra seat ``k`` (the half hours whose shortfall is at least ``k``) is
    turned into blocks: gaps of up to ``bridge`` half hours are filled, blocks are widened to
    whole hours, and blocks shorter than ``min_len`` half hours are lengthened, always within
    opening hours. The result never adds fewer seats than a half hour needs.
    """
    top = max((s.shortfall for s in day), default=0)
    is_open = [s.open for s in day]
    levels: list[list[bool]] = []
    for k in range(1, top + 1):
        mask = [s.shortfall >= k for s in day]
        true = [i for i, m in enumerate(mask) if m]
        # Bridge short gaps between two blocks (only across open half hours).
        for a, b in itertools.pairwise(true):
            if 1 < b - a <= bridge + 1 and all(is_open[a:b]):
                for i in range(a + 1, b):
                    mask[i] = True
        runs: list[list[int]] = []
        i = 0
        while i < SLOTS_PER_DAY:
            if mask[i]:
                j = i
                while j < SLOTS_PER_DAY and mask[j]:
                    j += 1
                runs.append([i, j])
                i = j
            else:
                i += 1
        for run in runs:
            if run[0] % 2 and is_open[run[0] - 1]:
                run[0] -= 1
            if run[1] % 2 and run[1] < SLOTS_PER_DAY and is_open[run[1]]:
                run[1] += 1
            while run[1] - run[0] < min_len:
                if run[1] < SLOTS_PER_DAY and is_open[run[1]]:
                    run[1] += 1
                elif run[0] > 0 and is_open[run[0] - 1]:
                    run[0] -= 1
                else:
                    break
            for i in range(run[0], run[1]):
                mask[i] = True
        levels.append(mask)
    # Keep the levels nested: wherever seat k+1 is added, seat k is too.
    for k in range(len(levels) - 2, -1, -1):
        levels[k] = [a or b for a, b in zip(levels[k], levels[k + 1], strict=True)]
    return [sum(level[i] for level in levels) for i in range(SLOTS_PER_DAY)]


def _runs(slots: list[SlotNeed]) -> list[tuple[int, int, int, int, float]]:
    """(weekday, first slot, end slot, seats to add, peak calls) per run of equal addition."""
    runs: list[tuple[int, int, int, int, float]] = []
    for wd in range(7):
        day = sorted((s for s in slots if s.weekday == wd), key=lambda x: x.slot)
        add = _blocks(day)
        s = 0
        while s < SLOTS_PER_DAY:
            short = add[s]
            if short == 0:
                s += 1
                continue
            e = s
            peak = 0.0
            while e < SLOTS_PER_DAY and add[e] == short:
                peak = max(peak, day[e].calls)
                e += 1
            runs.append((wd, s, e, short, peak))
            s = e
    return runs


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def advise(slots: list[SlotNeed], open_slots: set[tuple[int, int]]) -> list[Advice]:
    """Plain advice: seats to add per range of half hours, and days open under 18 hours.

    Runs of equal shortfall are found per weekday; a run shared by several weekdays is said once,
    and runs of the same shortfall on the same days share one sentence (largest shortfall first).
    """
    days_of: dict[tuple[int, int, int], list[tuple[int, float]]] = defaultdict(list)
    for wd, s, e, short, peak in _runs(slots):
        days_of[(s, e, short)].append((wd, peak))
    sentences: dict[tuple[int, tuple[int, ...]], list[tuple[int, int, float]]] = defaultdict(list)
    for (s, e, short), members in days_of.items():
        days = tuple(sorted(wd for wd, _ in members))
        sentences[(short, days)].append((s, e, max(p for _, p in members)))
    advice: list[Advice] = []
    order = sorted(sentences.items(), key=lambda kv: (-kv[0][0], min(r[0] for r in kv[1])))
    for (short, days), ranges in order:
        ranges.sort()
        covered = [
            x for x in slots if x.weekday in days and any(a <= x.slot < b for a, b, _ in ranges)
        ]
        deciding = {x.decided_by for x in covered if x.shortfall > 0}
        rule = "official-minimum" if deciding == {"official-minimum"} else "erlang-a-sizing"
        seat_word = "seat" if short == 1 else "seats"
        spans = [f"{slot_label(a)}–{slot_label(b)}" for a, b, _ in ranges]
        text = f"add {short} {seat_word} {_join(spans)} {describe_days(days)}"
        if rule == "official-minimum":
            text += f" (official minimum of {MIN_SEATS} seats)"
        advice.append(
            Advice(
                action="add_seats",
                text=text,
                rule=rule,
                seats=short,
                ranges=tuple((slot_label(a), slot_label(b)) for a, b, _ in ranges),
                days=tuple(WEEKDAYS[d] for d in days),
                peak_calls=max(p for _, _, p in ranges),
            )
        )
    hours = open_hours_per_day(open_slots)
    short_days = [wd for wd in range(7) if hours[wd] < MIN_HOURS_PER_DAY]
    by_hours: dict[float, list[int]] = defaultdict(list)
    for wd in short_days:
        by_hours[hours[wd]].append(wd)
    for h, short_on in sorted(by_hours.items()):
        advice.append(
            Advice(
                action="extend_hours",
                text=(
                    f"open at least {MIN_HOURS_PER_DAY:g} hours {describe_days(short_on)} "
                    f"(now {h:g} h; official minimum)"
                ),
                rule="official-minimum",
                days=tuple(WEEKDAYS[d] for d in short_on),
            )
        )
    return advice


def plan_hotline(
    hotline_id: str,
    *,
    seats: int,
    open_slots: set[tuple[int, int]],
    demand: ForecastResult,
    target: PlanTarget | None = None,
) -> HotlinePlan:
    """The whole plan of one hotline: sized half hours and the advice that follows."""
    target = target or PlanTarget()
    slots = size_slots(demand.calls, seats=seats, open_slots=open_slots, target=target)
    notes: list[str] = []
    closed_calls = sum(s.calls for s in slots if not s.open)
    if closed_calls > 0:
        notes.append(
            f"{closed_calls:.1f} calls a week arrive while the line is closed "
            "(they are routed to the province line or the national backup)"
        )
    if demand.window_start is None:
        notes.append("no call records in the forecast window: sizing shows the official minimum")
    peak = max((s.needed for s in slots if s.open), default=0)
    return HotlinePlan(
        hotline_id=hotline_id,
        seats=seats,
        target=target,
        forecast=demand,
        slots=slots,
        advice=advise(slots, open_slots),
        peak_needed=peak,
        notes=notes,
    )

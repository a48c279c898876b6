"""Run a scenario through the real routing rules and the real queueing engine, in virtual time.

There is no second model of the queue here: every call is routed by ``rules.routing.plan_route`` and
queued, offered, answered, rolled over, abandoned or handed to the last resort by ``engine.Engine``,
exactly as behind the SIP front. This module only plays the outside world in virtual time:

* callers arrive as a non-homogeneous Poisson process whose rate follows the scenario's hourly
  profile (piecewise constant per Beijing hour; exact sampling by integrating the rate);
* each caller draws a handling time (lognormal by default, mean 18 minutes), a patience
  (exponential; the caller hangs up when it runs out before an answer) and a crisis flag;
* counsellors log in and out following the rosters (by default each line's ``seats`` during its
  opening hours), pick up ``pickup_s`` after a ring, and end the call after its handling time.

Each caller origin draws from its own random stream seeded from (seed, origin), so the same seed
gives the same result, and every variant of a scenario sees the same callers (common random
numbers), which keeps comparisons between variants sharp.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import time
import tracemalloc
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from heapq import heappush
from typing import Any

from minsheng.core import regions
from minsheng.core.regions import Region
from minsheng.core.timeutil import BEIJING
from minsheng.hotline.engine import (
    CallRecord,
    CancelRing,
    CounsellorState,
    Engine,
    EngineSettings,
    Recorded,
    Ring,
    VirtualClock,
)
from minsheng.hotline.rules import planning, routing
from minsheng.hotline.rules.snapshot import CounsellorInfo, Directory, HotlineInfo, Level, Step
from minsheng.hotline.sim.kpi import KpiBook
from minsheng.hotline.sim.scenario import (
    Scenario,
    ScenarioError,
    Shift,
    Variant,
    check_against,
)

ProgressFn = Callable[[float], None]
_log = math.log

_ARRIVAL, _ANSWER, _END, _ABANDON, _ROSTER = range(5)


@dataclass(frozen=True)
class Origin:
    """Where a stream of callers comes from: the home line whose demand it is, and the region."""

    key: str
    home: str | None
    province: Region | None
    city: Region | None
    calls_per_day: float


@dataclass(slots=True)
class SimCall:
    """The engine tag of a simulated call: what the KPIs need to know about its caller."""

    origin: int
    home: str | None
    province_code: str | None
    hour: int
    handle_s: float
    patience_s: float | None
    crisis: bool


@dataclass
class VariantResult:
    """One variant's KPIs and how hard the simulator worked.

    ``events`` counts every event processed, as a discrete-event simulator such as SimPy counts
    its ``step()``s: each entry taken off one of the run's event queues — the outside world's
    heap (arrivals, pickups, ends of talk, roster changes, and the ends of patience, also those
    of callers answered meanwhile), the engine's timer heap (fired or dropped as void, like
    SimPy's patience timeout of a caller already served) and the engine's queue of events
    handed to the simulator (``Ring``, ``CancelRing``, ``Recorded``: the zero-delay events,
    like SimPy's granted request or ended process). ``timed_events`` counts only the timed
    happenings that fired (the world's events and the engine timers that fired).
    """

    name: str
    kpis: dict[str, Any]
    calls: int
    events: int
    wall_s: float
    peak_memory_mb: float | None
    plan_seats_added: int = 0
    timed_events: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "variant": self.name,
            "calls": self.calls,
            "events": self.events,
            "timed_events": self.timed_events,
            "wall_s": round(self.wall_s, 3),
            "events_per_s": round(self.events / self.wall_s) if self.wall_s > 0 else None,
            "peak_memory_mb": (
                round(self.peak_memory_mb, 1) if self.peak_memory_mb is not None else None
            ),
            "plan_seat_hours_added": self.plan_seats_added / 2,
            **self.kpis,
        }


@dataclass
class _Roster:
    """How many counsellors each hotline should have on duty at a given minute."""

    hotline: HotlineInfo
    shifts: tuple[Shift, ...] | None
    extra: int
    plan: list[list[int]] | None  # [weekday][half hour] -> seats the plan asks for

    def __post_init__(self) -> None:
        self.spans = routing.day_spans(self.hotline.hours)

    def wanted(self, at: datetime) -> int:
        local = at.astimezone(BEIJING)
        return self.wanted_local(local.weekday(), local.hour * 60 + local.minute)

    def wanted_local(self, weekday: int, minute: int) -> int:
        """:meth:`wanted` at a Beijing weekday and minute (worked out once for all rosters)."""
        if self.shifts is not None:
            base = sum(
                s.seats
                for s in self.shifts
                if s.start <= minute < s.end or s.start <= minute + 1440 < s.end
            )
        else:
            base = self.hotline.seats if routing.open_in(self.spans, weekday, minute) else 0
        if base == 0:
            return 0
        if self.plan is not None:
            base = max(base, self.plan[weekday][minute // 30])
        return base + self.extra


def build_origins(
    scenario: Scenario, hotlines: tuple[HotlineInfo, ...]
) -> tuple[list[Origin], list[str]]:
    """Caller origins and their daily calls; a city line's callers are in its city, a province
    line's in its province, and ``unknown_share`` of all calls come from nowhere known."""
    table = regions.table()
    notes: list[str] = []
    local = [h for h in hotlines if h.level is not Level.NATIONAL]
    total_seats = sum(h.seats for h in local) or 1
    origins: list[Origin] = []
    for h in local:
        if h.id in scenario.demand:
            per_day = scenario.demand[h.id]
        elif scenario.calls_per_day is not None:
            # Lines were sized by their authorities: their seats are the best weight we have.
            per_day = scenario.calls_per_day * (1 - scenario.unknown_share) * h.seats / total_seats
        else:
            per_day = 0.0
        if per_day <= 0:
            continue
        region = table.get(h.regions[0]) if h.regions else None
        if region is None:
            notes.append(f"{h.id}: no known region, its callers are routed as unknown")
            origins.append(Origin(h.id, h.id, None, None, per_day))
            continue
        province = table.province_of(region)
        city = table.city_of(region) if h.level is Level.CITY else None
        origins.append(Origin(h.id, h.id, province, city, per_day))
    unknown = (scenario.calls_per_day or sum(scenario.demand.values())) * scenario.unknown_share
    if unknown > 0:
        origins.append(Origin("(unknown)", None, None, None, unknown))
    return origins, notes


class _Arrivals:
    """Non-homogeneous Poisson arrivals with a piecewise-constant hourly rate (per origin)."""

    def __init__(self, scenario: Scenario, per_day: float) -> None:
        weights = scenario.profile
        total = sum(weights)
        self.rates = [per_day * w / total / 3600.0 for w in weights]
        start = scenario.start.astimezone(BEIJING)
        self.offset = start.hour * 3600 + start.minute * 60 + start.second
        self.horizon = scenario.duration_s

    def next(self, t: float, rng: random.Random) -> float | None:
        need = -_log(1.0 - rng.random())  # rng.expovariate(1.0) without the call: same draw
        while t < self.horizon:
            clock = self.offset + t
            hour = int(clock // 3600) % 24
            seg_end = t + (3600 - clock % 3600)
            if seg_end >= self.horizon:
                seg_end = self.horizon
            rate = self.rates[hour]
            if rate > 0:
                if t + need / rate < seg_end:
                    return t + need / rate
                need -= rate * (seg_end - t)
            t = seg_end
        return None


def _handle_time(variant: Variant) -> Callable[[random.Random], float]:
    """The variant's handling-time draw (its parameters worked out once, not once a call)."""
    h = variant.handling
    mean_s = h.mean_s
    if h.distribution == "fixed":
        return lambda rng: mean_s
    if h.distribution == "exponential":
        rate = 1.0 / mean_s
        return lambda rng: rng.expovariate(rate)
    sigma2 = math.log(1.0 + h.cv * h.cv)
    mu, sigma = math.log(mean_s) - sigma2 / 2.0, math.sqrt(sigma2)
    exp = math.exp
    # random.lognormvariate(mu, sigma) is exp(normalvariate(mu, sigma)): the same draw.
    return lambda rng: exp(rng.normalvariate(mu, sigma))


def _plan_seats(
    scenario: Scenario, variant: Variant, origins: list[Origin], hotlines: tuple[HotlineInfo, ...]
) -> dict[str, list[list[int]]]:
    """Seats per weekday and half hour that the planner asks for, from the scenario's own rates."""
    target = planning.PlanTarget(
        target_s=scenario.service_level_s,
        aht_s=variant.handling.mean_s,
        patience_s=variant.patience.mean_s,
    )
    total = sum(scenario.profile)
    out: dict[str, list[list[int]]] = {}
    by_id = {h.id: h for h in hotlines}
    for o in origins:
        if o.home is None:
            continue
        per_slot = [o.calls_per_day * scenario.profile[s // 2] / total / 2 for s in range(48)]
        calls = [list(per_slot) for _ in range(7)]
        every = {(d, s) for d in range(7) for s in range(48)}
        slots = planning.size_slots(
            calls, seats=by_id[o.home].seats, open_slots=every, target=target
        )
        grid = [[0] * 48 for _ in range(7)]
        for s in slots:
            grid[s.weekday][s.slot] = s.needed
        out[o.home] = grid
    return out


class _Simulation:
    """One variant of a scenario in virtual time: sets the world up, then plays it out."""

    def __init__(
        self,
        scenario: Scenario,
        variant: Variant,
        hotlines: tuple[HotlineInfo, ...],
        on_record: Callable[[CallRecord], None] | None,
    ) -> None:
        self.scenario = scenario
        self.variant = variant
        self.start = scenario.start
        self.horizon = scenario.duration_s
        self.on_record = on_record
        self.origins, self.notes = build_origins(scenario, hotlines)
        self.index = routing.DirectoryIndex.build(hotlines)
        self.route_settings = routing.RouteSettings(
            step_timeout_s=int(variant.routing.step_timeout_s),
            backup_timeout_s=int(variant.routing.backup_timeout_s),
        )
        start_local = self.start.astimezone(BEIJING)
        midnight = start_local.replace(hour=0, minute=0, second=0, microsecond=0)
        self.offset = (start_local - midnight).total_seconds()  # seconds after Beijing midnight

        # Opening hours (minutes of the day) and connection dates decide routes; rosters also
        # change on the half hour (the plan) and at shift boundaries.
        opening: set[int] = set()
        self.joins: list[float] = []
        for h in hotlines:
            if h.connected_at is not None:
                t = (h.connected_at - self.start).total_seconds()
                if 0 < t < self.horizon:
                    self.joins.append(t)
            for text in h.hours.values():
                span = routing.parse_span(text)
                if span is not None:
                    opening.update({span.start % 1440, span.end % 1440})
        roster_minutes = opening | set(range(0, 1440, 30))
        for shifts in variant.rosters.values():
            for shift in shifts:
                roster_minutes.update({shift.start % 1440, shift.end % 1440})
        # A route depends only on the origin and on which lines are open and connected, which
        # change only at opening-hour boundaries and connection dates: plan_route's answer is
        # memoised per origin and interval between such points.
        self.route_bounds = self._times_of(opening)
        self.route_cache: dict[tuple[int, int], tuple[Step, ...]] = {}
        self.locations = [
            routing.Location(
                routing.LocationSource.CARRIER if o.province else routing.LocationSource.UNKNOWN,
                o.province,
                o.city,
                "simulated caller",
            )
            for o in self.origins
        ]

        plan = (
            _plan_seats(scenario, variant, self.origins, hotlines)
            if variant.seats_from_plan
            else {}
        )
        rosters = {
            h.id: _Roster(
                h, variant.rosters.get(h.id), variant.extra_seats.get(h.id, 0), plan.get(h.id)
            )
            for h in hotlines
        }
        self.max_seats: dict[str, int] = {h.id: 0 for h in hotlines}
        self.roster_events: list[tuple[float, str, int]] = []
        last: dict[str, int] = {}
        for t in self._times_of(roster_minutes):
            local = (self.start + timedelta(seconds=t)).astimezone(BEIJING)
            weekday, minute = local.weekday(), local.hour * 60 + local.minute
            for hid, r in rosters.items():
                n = r.wanted_local(weekday, minute)
                if last.get(hid) != n:
                    self.roster_events.append((t, hid, n))
                    last[hid] = n
                    self.max_seats[hid] = max(self.max_seats[hid], n)
        self.plan_added = 0  # half-hour seats the plan added over the base rosters
        if plan:
            base = {h.id: _Roster(h, variant.rosters.get(h.id), 0, None) for h in hotlines}
            for slot in range(math.ceil(self.horizon / 1800)):
                at = self.start + timedelta(seconds=slot * 1800)
                for hid in plan:
                    self.plan_added += rosters[hid].wanted(at) - base[hid].wanted(at)

        counsellors = [
            CounsellorInfo(f"{h.id}#{k}", h.id, frozenset({"crisis"}) if k == 0 else frozenset())
            for h in hotlines
            for k in range(self.max_seats[h.id])
        ]
        self.on_duty: dict[str, list[int]] = {h.id: [] for h in hotlines}
        self.clock = VirtualClock(0.0)
        self.book = KpiBook(hotlines, scenario.service_level_s)
        self.heap: list[tuple[float, int, int, Any]] = []
        self.seq = itertools.count(1)  # ties in time keep the order of pushing
        # Calls in the engine not answered yet: only they can be abandoned. A call leaves when
        # it is answered, abandoned, or finished by the engine (no answer: its record comes at
        # once); an answered call always ends by its own end event.
        self.unanswered: set[str] = set()
        self.ringing: dict[str, int] = {}  # call -> number of its current ring
        self.tags: dict[str, SimCall] = {}
        self.rings = 0
        self.cancels = 0
        self.recorded = 0
        self.calls = 0
        # Only these events need the outside world; the engine does not even build the others,
        # and calls each one's handler itself.
        handlers: dict[type, Callable[[Any], None]] = {
            Ring: self._on_ring,
            CancelRing: self._on_cancel,
            Recorded: self._on_recorded,
        }
        self.engine = Engine(
            Directory(hotlines, tuple(counsellors)),
            EngineSettings(
                wrapup_s=variant.wrapup_s,
                offer_timeout_s=variant.offer_timeout_s,
                default_handle_s=variant.handling.mean_s,
            ),
            # The bound method: the engine reads the clock a few times a call, and a bound
            # Python method is called inline where calling the instance is not.
            clock=self.clock.__call__,
            keep_records=False,
            call_id_prefix="",
        )
        self.engine.set_handlers(handlers)

        for t, hid, n in self.roster_events:
            self._push(t, _ROSTER, (hid, n))
        self.handle_time = _handle_time(variant)
        self.crisis_share = variant.crisis_share
        self.patience_s = (
            variant.patience.mean_s if variant.patience.distribution != "none" else None
        )
        self.province_codes = [o.province.code if o.province else None for o in self.origins]
        self.streams: list[random.Random] = []
        self.arrivals: list[_Arrivals] = []
        for i, o in enumerate(self.origins):
            # Simulation streams, not secrets: reproducible by design.
            rng = random.Random(f"{scenario.seed}:{o.key}")  # noqa: S311
            self.streams.append(rng)
            self.arrivals.append(_Arrivals(scenario, o.calls_per_day))
            first = self.arrivals[i].next(0.0, rng)
            if first is not None:
                self._push(first, _ARRIVAL, i)

    def _times_of(self, minutes: set[int]) -> list[float]:
        """Simulation times (s) of these minutes of every Beijing day, plus connection times."""
        out = [0.0, *self.joins]
        day = 0
        while day * 86400 - self.offset < self.horizon:
            for m in minutes:
                t = day * 86400 + m * 60 - self.offset
                if 0 < t < self.horizon:
                    out.append(t)
            day += 1
        return sorted(set(out))

    def _push(self, t: float, kind: int, data: Any) -> None:
        heappush(self.heap, (t, next(self.seq), kind, data))

    # engine events ---------------------------------------------------------------------------
    def _on_ring(self, ev: Any) -> None:
        # The ring number makes a late pickup of an earlier, cancelled ring harmless.
        self.rings += 1
        self.ringing[ev.call_id] = self.rings
        heappush(
            self.heap,
            (ev.at + self.variant.pickup_s, next(self.seq), _ANSWER, (ev.call_id, self.rings)),
        )

    def _on_cancel(self, ev: Any) -> None:
        self.cancels += 1
        self.ringing.pop(ev.call_id, None)

    def _on_recorded(self, ev: Any) -> None:
        record = ev.record
        self.recorded += 1
        self.book.add(record)
        self.tags.pop(record.call_id, None)
        self.unanswered.discard(record.call_id)  # a call the engine ended (no answer)
        if self.on_record is not None:
            self.on_record(record)

    # the outside world -----------------------------------------------------------------------
    def _route(self, i: int, t: float) -> tuple[Step, ...]:
        key = (i, bisect_right(self.route_bounds, t))
        steps = self.route_cache.get(key)
        if steps is None:
            at = self.start + timedelta(seconds=t)
            steps = routing.plan_route(self.index, self.locations[i], at, self.route_settings).steps
            policy = self.variant.routing
            if policy.mode == "city_only" and steps:
                first = steps[0]
                steps = (Step(first.hotline_id, policy.city_only_wait_s, first.rule, first.level),)
            self.route_cache[key] = steps
        return steps

    def _arrival(self, t: float, i: int) -> None:
        o = self.origins[i]
        rng = self.streams[i]
        # Fixed draw order per caller, so that every variant sees the same callers.
        handle = self.handle_time(rng)
        patience_draw = -_log(1.0 - rng.random())  # rng.expovariate(1.0), the same draw
        crisis = rng.random() < self.crisis_share
        nxt = self.arrivals[i].next(t, rng)
        if nxt is not None:
            heappush(self.heap, (nxt, next(self.seq), _ARRIVAL, i))
        patience = patience_draw * self.patience_s if self.patience_s is not None else None
        hour = int(((t + self.offset) // 3600) % 24)
        tag = SimCall(i, o.home, self.province_codes[i], hour, handle, patience, crisis)
        self.calls += 1
        cid = f"c{self.calls}"
        # Listed first: a call with nowhere to go ends (and is recorded) inside offer_call.
        self.unanswered.add(cid)
        self.tags[cid] = tag
        self.engine.offer_call(self._route(i, t), crisis=crisis, tag=tag, call_id=cid)
        if patience is not None and cid in self.unanswered:
            heappush(self.heap, (t + patience, next(self.seq), _ABANDON, cid))

    def _roster(self, hid: str, n: int) -> None:
        duty = self.on_duty[hid]
        while len(duty) < n:
            k = next(j for j in range(self.max_seats[hid]) if j not in duty)
            duty.append(k)
            self.engine.set_state(f"{hid}#{k}", CounsellorState.AVAILABLE)
        while len(duty) > n:
            k = max(duty)
            duty.remove(k)
            # The engine lets a counsellor finish the call and wrap-up before leaving.
            self.engine.set_state(f"{hid}#{k}", CounsellorState.OFFLINE)

    def run(self, progress: ProgressFn | None) -> tuple[int, int, int]:
        """Play every event out (calls still in progress at the horizon finish); returns the
        number of calls, of events processed and of timed events fired (:class:`VariantResult`
        says what each counts)."""
        engine, heap, clock = self.engine, self.heap, self.clock
        advance, heappop = engine.advance, heapq.heappop
        ringing, unanswered, tags, seq = (
            self.ringing,
            self.unanswered,
            self.tags,
            self.seq,
        )
        # Engine.next_timer_at() inline (once an event, its call cost 3% of a run): the same
        # heap, its voided timers dropped at the head.
        timers = engine.timer_heap()
        events = fired = 0
        next_report = 0.0
        while True:
            if timers:
                head = timers[0]
                if head[3].token != head[4]:
                    heappop(timers)  # a voided timer
                    continue
                # An engine timer first when it is due strictly earlier (ties: the world first).
                if not heap or head[0] < heap[0][0]:
                    clock.now = t_eng = head[0]
                    fired += advance(t_eng)
                    continue
            elif not heap:
                break
            t, _, kind, data = heappop(heap)
            clock.now = t
            events += 1
            if progress is not None and next_report <= t < self.horizon:
                progress(t / self.horizon)
                next_report = t + self.horizon / 200
            if kind == _ARRIVAL:
                self._arrival(t, data)
            elif kind == _ABANDON:
                if data in unanswered:
                    unanswered.remove(data)
                    engine.caller_hangup(data)
            elif kind == _ANSWER:  # the pickup of a ring, unless it was cancelled meanwhile
                cid, ring = data
                if ringing.get(cid) == ring:
                    del ringing[cid]
                    unanswered.remove(cid)
                    engine.answer(cid)
                    heappush(heap, (t + tags[cid].handle_s, next(seq), _END, cid))
            elif kind == _END:
                engine.call_ended(data)
            else:
                self._roster(*data)
        if progress is not None:
            progress(1.0)
        # Both heaps are empty now: every timer ever set was taken off once.
        handed = self.rings + self.cancels + self.recorded
        return self.calls, events + engine.timers_set + handed, events + fired


def run_variant(
    scenario: Scenario,
    variant: Variant,
    hotlines: tuple[HotlineInfo, ...],
    *,
    progress: ProgressFn | None = None,
    measure_memory: bool = False,
    on_record: Callable[[CallRecord], None] | None = None,
) -> VariantResult:
    """Simulate one variant; returns its KPIs and how hard the simulator worked."""
    check_against(scenario, hotlines)
    if measure_memory:
        tracemalloc.start()
    wall0 = time.perf_counter()
    sim = _Simulation(scenario, variant, hotlines, on_record)
    calls, events, timed = sim.run(progress)
    wall = time.perf_counter() - wall0
    peak = None
    if measure_memory:
        _, peak_bytes = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        peak = peak_bytes / 1e6
    kpis = sim.book.result()
    kpis["notes"] = sim.notes
    return VariantResult(variant.name, kpis, calls, events, wall, peak, sim.plan_added, timed)


def run(
    scenario: Scenario,
    hotlines: tuple[HotlineInfo, ...],
    *,
    progress: Callable[[str, float], None] | None = None,
    measure_memory: bool = False,
) -> list[VariantResult]:
    """Every variant of a scenario, in order."""
    if not hotlines:
        raise ScenarioError("the directory has no hotline to simulate", field="hotlines")
    results = []
    for v in scenario.variants:
        cb = None if progress is None else _bind(progress, v.name)
        results.append(
            run_variant(scenario, v, hotlines, progress=cb, measure_memory=measure_memory)
        )
    return results


def _bind(progress: Callable[[str, float], None], name: str) -> ProgressFn:
    def cb(x: float) -> None:
        progress(name, x)

    return cb

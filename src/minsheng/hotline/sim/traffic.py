"""Synthetic call traffic pushed through the engine in virtual time (pure; no I/O).

This is a small driver, not the seat-planning simulator: it plays callers (arrivals, patience,
hang-ups) and counsellors (shifts, answer delay, missed offers, talk time) around an
:class:`~minsheng.hotline.engine.Engine` so that the demo data and ``bench/hotline_engine.py``
have realistic finished-call records. Everything is drawn from one seeded ``random.Random``, so
a run is reproducible.

Caller behaviour follows the reference notes: talk time log-normal around 18 minutes (a Shanghai
site's average call), more calls in the evening and at night (Beijing: peak 18:00–22:00, over 60 %
at night), patience exponential.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from minsheng.core.timeutil import BEIJING
from minsheng.hotline.engine import (
    CallRecord,
    CallState,
    CancelRing,
    Connected,
    CounsellorState,
    Engine,
    EngineError,
    Event,
    Recorded,
    Ring,
)
from minsheng.hotline.rules.routing import parse_span
from minsheng.hotline.rules.snapshot import WEEKDAYS, HotlineInfo, Step

# Share of a day's calls in each hour (Beijing time): quiet early morning, evening peak.
HOURLY_WEIGHTS = (
    2.0, 1.6, 1.2, 0.9, 0.7, 0.6, 0.8, 1.5, 2.6, 3.4, 3.8, 3.9,
    3.5, 3.6, 4.0, 4.1, 4.2, 4.6, 5.6, 6.4, 6.8, 6.6, 5.4, 3.6,
)  # fmt: skip


@dataclass(frozen=True)
class Behaviour:
    talk_median_s: float = 15 * 60.0
    talk_sigma: float = 0.6  # log-normal: mean ≈ 18 min with a 15 min median
    patience_mean_s: float = 150.0
    answer_delay_s: tuple[float, float] = (2.0, 9.0)
    p_missed_offer: float = 0.04
    p_crisis_at_arrival: float = 0.01
    p_crisis_while_waiting: float = 0.01
    p_skill: float = 0.08
    skills: tuple[str, ...] = ("youth", "elderly")


@dataclass(frozen=True)
class Arrival:
    """A call arriving at ``at``; ``route`` turns it into engine steps and a tag when it
    arrives (so that opening hours are judged at the real arrival time)."""

    at: float
    payload: Any


RouteFn = Callable[[Any, float], tuple[Sequence[Step], Any]]


def arrival_times(
    rng: random.Random,
    n: int,
    start: float,
    days: int = 1,
    weights: Sequence[float] = HOURLY_WEIGHTS,
) -> list[float]:
    """``n`` arrival times over ``days`` days from ``start`` (a Beijing midnight), shaped by
    the hourly weights (a non-homogeneous Poisson process conditioned on ``n``)."""
    hours = list(range(24 * days))
    w = [weights[h % 24] for h in hours]
    picks = rng.choices(hours, weights=w, k=n)
    return sorted(start + h * 3600 + rng.random() * 3600 for h in picks)


def open_intervals(h: HotlineInfo, start: float, days: int) -> list[tuple[float, float]]:
    """The hotline's open intervals (epoch seconds) over ``days`` days from the Beijing midnight
    ``start``, touching intervals merged (a 24-hour line is one interval)."""
    from datetime import datetime

    first = datetime.fromtimestamp(start, BEIJING)
    spans: list[tuple[float, float]] = []
    for d in range(days):
        day = WEEKDAYS[(first.weekday() + d) % 7]
        span = parse_span(h.hours.get(day, ""))
        if span is None:
            continue
        base = start + d * 86400
        spans.append((base + span.start * 60, base + span.end * 60))
    merged: list[tuple[float, float]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


class TrafficDriver:
    """Plays callers and counsellors around an engine, in virtual time."""

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[float], None],
        rng: random.Random,
        behaviour: Behaviour | None = None,
        *,
        on_record: Callable[[CallRecord], None] | None = None,
    ) -> None:
        self.engine = engine
        self.set_clock = clock
        self.rng = rng
        self.b = behaviour or Behaviour()
        self.on_record = on_record
        self._queue: list[tuple[float, int, str, Any]] = []
        self._seq = itertools.count()
        self._ringing: dict[str, str] = {}
        self._route: RouteFn | None = None
        self._arrivals: list[Arrival] = []
        self._next_arrival = 0
        self.now = engine.now
        self.offered = 0
        self.stale_actions = 0
        self.events_handled = 0
        self.finished = 0
        self.outcomes: dict[str, int] = {}
        engine.set_listener(self._on_event, {Ring, CancelRing, Connected, Recorded})

    # scheduling --------------------------------------------------------------------------------
    def at(self, t: float, kind: str, payload: Any) -> None:
        heapq.heappush(self._queue, (t, next(self._seq), kind, payload))

    def shifts(
        self, counsellors: Iterable[tuple[str, HotlineInfo]], start: float, days: int
    ) -> None:
        """Log each counsellor in when their hotline opens and out when it closes."""
        cache: dict[str, list[tuple[float, float]]] = {}
        for cid, h in counsellors:
            if h.id not in cache:
                cache[h.id] = open_intervals(h, start, days)
            for a, b in cache[h.id]:
                # A few seconds' spread so that logins are not all simultaneous.
                self.at(a + self.rng.random() * 5, "state", (cid, CounsellorState.AVAILABLE))
                self.at(b, "state", (cid, CounsellorState.OFFLINE))

    def arrivals(self, items: Iterable[Arrival], route: RouteFn) -> None:
        """Calls to come, in time order; kept outside the event heap (a day holds 100,000)."""
        self._route = route
        self._arrivals = sorted(items, key=lambda a: a.at)
        self._next_arrival = 0

    # running -----------------------------------------------------------------------------------
    def run(self, until: float) -> None:
        engine = self.engine
        queue = self._queue
        arrivals = self._arrivals
        inf = math.inf
        while True:
            nd = queue[0][0] if queue else inf
            na = arrivals[self._next_arrival].at if self._next_arrival < len(arrivals) else inf
            nt = engine.next_timer_at()
            nt = inf if nt is None else nt
            t = min(nd, na, nt)
            if t > until:
                break
            self.events_handled += 1
            if t > self.now:
                self.now = t
                self.set_clock(t)
            if nt <= nd and nt <= na:
                engine.advance(t)
                continue
            if na < nd:
                kind, payload = "arrive", arrivals[self._next_arrival].payload
                self._next_arrival += 1
            else:
                _, _, kind, payload = heapq.heappop(queue)
            try:
                self._do(kind, payload)
            except EngineError:
                # The call moved on (rolled over, ended) before this action: nothing to do.
                self.stale_actions += 1
        self.now = max(self.now, until)
        self.set_clock(self.now)
        engine.advance(self.now)

    def _do(self, kind: str, payload: Any) -> None:
        engine = self.engine
        if kind == "arrive":
            assert self._route is not None
            steps, tag = self._route(payload, self.now)
            b, rng = self.b, self.rng
            crisis = rng.random() < b.p_crisis_at_arrival
            skill = rng.choice(b.skills) if rng.random() < b.p_skill else None
            cid = engine.offer_call(steps, crisis=crisis, skill=skill, tag=tag)
            self.offered += 1
            self.at(self.now + rng.expovariate(1 / b.patience_mean_s), "abandon", cid)
            if not crisis and rng.random() < b.p_crisis_while_waiting:
                self.at(self.now + rng.uniform(5, 60), "crisis", cid)
        elif kind == "abandon":
            if engine.call_state(payload) in (CallState.WAITING, CallState.RINGING):
                engine.caller_hangup(payload)
        elif kind == "crisis":
            engine.mark_crisis(payload)
        elif kind == "answer":
            cid, counsellor = payload
            if self._ringing.get(cid) == counsellor:
                engine.answer(cid)
        elif kind == "hangup":
            engine.call_ended(payload)
        elif kind == "state":
            engine.set_state(*payload)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, Ring):
            self._ringing[event.call_id] = event.counsellor_id
            if self.rng.random() >= self.b.p_missed_offer:
                delay = self.rng.uniform(*self.b.answer_delay_s)
                self.at(self.now + delay, "answer", (event.call_id, event.counsellor_id))
        elif isinstance(event, CancelRing):
            self._ringing.pop(event.call_id, None)
        elif isinstance(event, Connected):
            self._ringing.pop(event.call_id, None)
            talk = self.rng.lognormvariate(math.log(self.b.talk_median_s), self.b.talk_sigma)
            self.at(self.now + talk, "hangup", event.call_id)
        elif isinstance(event, Recorded):
            self._ringing.pop(event.record.call_id, None)
            self.finished += 1
            key = event.record.outcome.value
            self.outcomes[key] = self.outcomes.get(key, 0) + 1
            if self.on_record is not None:
                self.on_record(event.record)

"""The ACD state machine itself (``Engine``); see ``minsheng.hotline.engine`` for the API and
the queueing rules."""

from __future__ import annotations

import functools
import heapq
import itertools
import secrets
import time
from bisect import insort
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from operator import attrgetter
from typing import Any, TypeVar, cast

from minsheng.hotline.engine.types import (
    _SETTABLE,
    ALL_EVENTS,
    CRISIS_SKILL,
    STAFFED,
    Attempt,
    CallEnded,
    CallRecord,
    CallState,
    CancelRing,
    Connected,
    CounsellorChanged,
    CounsellorState,
    EndedBy,
    EngineError,
    EngineSettings,
    Event,
    InvalidTransition,
    Outcome,
    Queued,
    QueueInfo,
    Recorded,
    Ring,
    RolledOver,
    StepResult,
    UnknownCall,
    UnknownCounsellor,
)
from minsheng.hotline.rules.snapshot import CounsellorInfo, Directory, HotlineInfo, Step

F = TypeVar("F", bound=Callable[..., Any])


def _public(method: F) -> F:
    """Deliver the events a public method produced once it has finished."""

    @functools.wraps(method)
    def wrapper(self: Engine, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        finally:
            if self._pending:
                self._flush()

    return cast(F, wrapper)


# internal state --------------------------------------------------------------------------------
class _Timer(IntEnum):
    STEP = 1
    RING = 2
    SKILL = 3
    WRAPUP = 4
    RETRY = 5


# Enum members as module constants (the same objects): in Python 3.11 reading a member off its
# class, ``CallState.WAITING``, costs ≈ 0.3 µs (the enum metaclass), a module global ≈ 0.02 µs,
# and a call meets some thirty of them on its way through the engine.
_CALL_WAITING = CallState.WAITING
_CALL_RINGING = CallState.RINGING
_CALL_TALKING = CallState.TALKING
_CALL_ENDED = CallState.ENDED
_SEAT_AVAILABLE = CounsellorState.AVAILABLE
_SEAT_BREAK = CounsellorState.BREAK
_SEAT_OFFLINE = CounsellorState.OFFLINE
_SEAT_RINGING = CounsellorState.RINGING
_SEAT_TALKING = CounsellorState.TALKING
_SEAT_WRAPUP = CounsellorState.WRAPUP
_BY_CALLER = EndedBy.CALLER
_BY_SYSTEM = EndedBy.SYSTEM
_ABANDONED = Outcome.ABANDONED
_ANSWERED = Outcome.ANSWERED
_NO_ANSWER = Outcome.NO_ANSWER
_STEP_ABANDONED = StepResult.ABANDONED
_STEP_ANSWERED = StepResult.ANSWERED
_STEP_TIMEOUT = StepResult.TIMEOUT
_STEP_UNSTAFFED = StepResult.UNSTAFFED
_T_RETRY = _Timer.RETRY
_T_RING = _Timer.RING
_T_SKILL = _Timer.SKILL
_T_STEP = _Timer.STEP
_T_WRAPUP = _Timer.WRAPUP


@dataclass(eq=False, slots=True)
class _Call:
    id: str
    seq: int
    steps: tuple[Step, ...]
    tag: Any
    arrived_at: float
    crisis: bool
    skill: str | None
    state: CallState = _CALL_WAITING
    step_index: int = -1
    step_entered_at: float = 0.0
    attempts: list[Attempt] = field(default_factory=list)
    counsellor: _Counsellor | None = None
    token: int = 0  # bumped on every move, so stale timers are ignored
    offers: int = 0
    answered_at: float | None = None
    ended_at: float | None = None
    outcome: Outcome | None = None
    last_resort: bool = False
    ended_by: EndedBy | None = None
    # The queue order (crisis first, then arrival), kept up to date by set_key: the queues are
    # sorted with a C-level getter of it instead of a Python method per comparison.
    key: tuple[int, float, int] = (1, 0.0, 0)

    def set_key(self) -> None:
        self.key = (0 if self.crisis else 1, self.arrived_at, self.seq)


@dataclass(eq=False, slots=True)
class _Counsellor:
    info: CounsellorInfo
    seq: int
    state: CounsellorState = _SEAT_OFFLINE
    idle_since: float = 0.0
    missed: int = 0
    call: _Call | None = None
    token: int = 0
    after_wrapup: CounsellorState | None = None
    rest_until: float = 0.0  # no new offer before this, after a rejected or missed one
    key: tuple[float, int] = (0.0, 0)  # longest idle first: (idle_since, seq), set with idle_since


_BY_KEY = attrgetter("key")


def _place(queue: list[Any], item: _Call | _Counsellor) -> None:
    """Insert ``item`` in its queue by key, after equal keys (``insort``); most items go last (a
    call behind earlier arrivals, a counsellor idle since now): appended without a search."""
    if not queue or queue[-1].key <= item.key:
        queue.append(item)
    else:
        insort(queue, item, key=_BY_KEY)


@dataclass(eq=False, slots=True)
class _Hotline:
    info: HotlineInfo
    waiting: list[_Call] = field(default_factory=list)
    available: list[_Counsellor] = field(default_factory=list)
    staffed: int = 0
    handle_s: float = 0.0


class Engine:
    """The ACD. See the module docstring for the API and the rules."""

    def __init__(
        self,
        directory: Directory,
        settings: EngineSettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
        listener: Callable[[Event], None] | None = None,
        keep_records: bool = True,
        call_id_prefix: str | None = None,
        events: Iterable[type] | None = None,
    ) -> None:
        self.settings = settings or EngineSettings()
        # Call ids must stay unique across engine runs (records are keyed by them): a random
        # prefix per engine unless the driver gives one (or passes its own ids, e.g. SIP Call-IDs).
        self._id_prefix = call_id_prefix if call_id_prefix is not None else secrets.token_hex(4)
        self._clock = clock
        self._listener = listener
        self._keep_records = keep_records
        self._wanted: frozenset[type] = frozenset()
        self._handlers: dict[type, Callable[[Any], None]] | None = None
        self.set_listener(listener, events)
        self._records: list[CallRecord] = []
        self._now = clock()
        self._seq = itertools.count(1)
        self._timers: list[tuple[float, int, _Timer, Any, int]] = []
        # Every timer ever set; each leaves the heap once, fired or dropped as void (a driver
        # that counts the events it processes, as a discrete-event simulator does, reads it).
        self.timers_set = 0
        self._hotlines: dict[str, _Hotline] = {}
        self._counsellors: dict[str, _Counsellor] = {}
        self._calls: dict[str, _Call] = {}
        self._pending: deque[Event] = deque()
        self._flushing = False
        handle = self.settings.default_handle_s + self.settings.wrapup_s
        for info in directory.hotlines:
            if info.id in self._hotlines:
                raise EngineError(f"hotline {info.id!r} appears twice")
            self._hotlines[info.id] = _Hotline(info, handle_s=handle)
        for c in directory.counsellors:
            self._add(c)

    # directory ---------------------------------------------------------------------------------
    @_public
    def add_counsellor(self, info: CounsellorInfo) -> None:
        self._sync()
        self._add(info)

    def _add(self, info: CounsellorInfo) -> None:
        if info.id in self._counsellors:
            raise EngineError(f"counsellor {info.id!r} already exists (one hotline each)")
        if info.hotline_id not in self._hotlines:
            raise EngineError(f"counsellor {info.id!r}: unknown hotline {info.hotline_id!r}")
        c = _Counsellor(info, next(self._seq))
        c.key = (c.idle_since, c.seq)
        self._counsellors[info.id] = c

    @property
    def now(self) -> float:
        return self._now

    def set_listener(
        self, listener: Callable[[Event], None] | None, events: Iterable[type] | None = None
    ) -> None:
        """Replace the event listener (a driver built after the engine plugs itself in);
        ``events`` limits it to those event classes (the others are not even built)."""
        self._listener = listener
        self._handlers = None
        if listener is None:
            self._wanted = frozenset()
        else:
            self._wanted = frozenset(events) if events is not None else ALL_EVENTS

    def set_handlers(self, handlers: dict[type, Callable[[Any], None]]) -> None:
        """One handler per event class instead of a listener: the engine calls the event's own
        handler (a driver that would only dispatch on the type saves a call per event); the
        other classes are not built."""
        table = dict(handlers)

        def listener(event: Event) -> None:
            table[type(event)](event)

        self.set_listener(listener, table)
        self._handlers = table

    # calls -------------------------------------------------------------------------------------
    # The three methods every call goes through flush their events themselves, as _public does
    # (a simulated day calls them 300,000 times; the wrapper's frame cost 3% of the run).
    def offer_call(
        self,
        steps: Sequence[Step],
        *,
        crisis: bool = False,
        skill: str | None = None,
        tag: Any = None,
        call_id: str | None = None,
    ) -> str:
        """A new call with its route; returns its id. An empty route goes to the last resort."""
        try:
            # self._sync(), inline on the three methods every call goes through.
            now = self._clock()
            if self._timers and self._timers[0][0] <= now:
                self._advance(now)
            elif now > self._now:
                self._now = now
            for step in steps:
                if step.hotline_id not in self._hotlines:
                    raise EngineError(f"route names unknown hotline {step.hotline_id!r}")
            seq = next(self._seq)
            cid = call_id if call_id is not None else f"{self._id_prefix}-{seq}"
            if cid in self._calls:
                raise EngineError(f"call {cid!r} is already active")
            call = _Call(cid, seq, tuple(steps), tag, self._now, crisis, skill)
            call.set_key()
            self._calls[cid] = call
            self._enter_next_step(call, None, "start")
            return cid
        finally:
            if self._pending:
                self._flush()

    @_public
    def mark_crisis(self, call_id: str) -> None:
        self._sync()
        call = self._call(call_id)
        if call.crisis:
            return
        call.crisis = True
        call.set_key()
        if call.state is _CALL_WAITING:
            hl = self._hotlines[call.steps[call.step_index].hotline_id]
            hl.waiting.remove(call)
            insort(hl.waiting, call, key=_BY_KEY)
            self._dispatch(hl)

    def answer(self, call_id: str) -> None:
        try:
            now = self._clock()
            if self._timers and self._timers[0][0] <= now:
                self._advance(now)
            elif now > self._now:
                self._now = now
            call = self._calls.get(call_id)
            if call is None:
                raise UnknownCall(f"no active call {call_id!r}")
            if call.state is not _CALL_RINGING or call.counsellor is None:
                raise InvalidTransition(f"call {call_id!r} is {call.state}, not ringing")
            c = call.counsellor
            call.state = _CALL_TALKING
            call.answered_at = self._now
            call.token += 1
            self._leave_step(call, _STEP_ANSWERED)
            c.state = _SEAT_TALKING
            c.missed = 0
            c.token += 1
            if CounsellorChanged in self._wanted:
                self._emit(CounsellorChanged(self._now, c.info.id, c.state, "answered"))
            if Connected in self._wanted:
                self._emit(Connected(self._now, call.id, c.info.id, c.info.hotline_id))
        finally:
            if self._pending:
                self._flush()

    @_public
    def reject(self, call_id: str) -> None:
        """The ringing counsellor declined (busy here); not counted as a missed offer."""
        self._failed_offer(call_id, missed=False)

    @_public
    def no_answer(self, call_id: str) -> None:
        """The offer rang out; counts towards the counsellor's automatic break."""
        self._failed_offer(call_id, missed=True)

    @_public
    def caller_hangup(self, call_id: str) -> None:
        """The caller left: abandoned while waiting or ringing, or the end of the talk."""
        self._hang_up(call_id, _BY_CALLER)

    @_public
    def system_hangup(self, call_id: str) -> None:
        """The platform tore the call down (watchdog, shutdown), in whatever state it is."""
        self._hang_up(call_id, _BY_SYSTEM)

    def _hang_up(self, call_id: str, by: EndedBy) -> None:
        self._sync()
        call = self._call(call_id)
        call.ended_by = by
        if call.state is _CALL_TALKING:
            self._end_talk(call)
            return
        if call.state is _CALL_RINGING:
            self._cancel_ring(call, "caller_hangup", requeue=False)
        elif call.state is _CALL_WAITING:
            self._hotlines[call.steps[call.step_index].hotline_id].waiting.remove(call)
        self._leave_step(call, _STEP_ABANDONED)
        self._finish(call, _ABANDONED)

    def call_ended(self, call_id: str, by: EndedBy | str | None = None) -> None:
        """A connected call ended; ``by`` says who hung up (None: not known)."""
        try:
            now = self._clock()
            if self._timers and self._timers[0][0] <= now:
                self._advance(now)
            elif now > self._now:
                self._now = now
            call = self._calls.get(call_id)
            if call is None:
                raise UnknownCall(f"no active call {call_id!r}")
            if call.state is not _CALL_TALKING:
                raise InvalidTransition(f"call {call_id!r} is {call.state}, not connected")
            call.ended_by = EndedBy(by) if by is not None else None
            self._end_talk(call)
        finally:
            if self._pending:
                self._flush()

    # counsellors -------------------------------------------------------------------------------
    def counsellor_login(self, counsellor_id: str) -> None:
        self.set_state(counsellor_id, _SEAT_AVAILABLE)

    def counsellor_logout(self, counsellor_id: str) -> None:
        self.set_state(counsellor_id, _SEAT_OFFLINE)

    @_public
    def set_state(self, counsellor_id: str, state: CounsellorState) -> None:
        """Log in (available), take a break, or log out; during a call the change waits for the
        end of the wrap-up, and a ringing offer goes back to the queue."""
        self._sync()
        c = self._counsellor(counsellor_id)
        target = CounsellorState(state)
        if target not in _SETTABLE:
            raise InvalidTransition(f"a counsellor cannot be set to {target}")
        if c.state is _SEAT_TALKING:
            c.after_wrapup = target
            return
        if c.state is _SEAT_RINGING:
            assert c.call is not None
            self._cancel_ring(c.call, "counsellor_" + target, requeue=True, to=target)
            return
        if c.state is _SEAT_WRAPUP:
            self._end_wrapup(c, target, "wrapup_ended_early")
            return
        if c.state is target:
            return
        if target is _SEAT_AVAILABLE:
            c.missed = 0
            c.rest_until = 0.0
        self._set_idle_state(c, target, "requested")

    # timers ------------------------------------------------------------------------------------
    def next_timer_at(self) -> float | None:
        """When the next live timer is due (timers voided by a later move are dropped here, so
        a driver never wakes up for nothing), or None."""
        timers = self._timers
        while timers:
            head = timers[0]
            if head[3].token == head[4]:
                return head[0]
            heapq.heappop(timers)
        return None

    def timer_heap(self) -> list[tuple[float, int, Any, Any, int]]:
        """The engine's timers as a heap of ``(due, seq, kind, owner, token)``, for a driver
        that polls it on every event (the simulator): read only; a timer whose token differs
        from its owner's current ``token`` is void. :meth:`next_timer_at` is the plain way."""
        return self._timers

    def advance(self, until: float | None = None) -> int:
        """Fire every timer due at or before ``until`` (default: the clock's now), in order;
        returns how many fired."""
        try:
            return self._advance(self._clock() if until is None else until)
        finally:
            if self._pending:
                self._flush()

    def _advance(self, until: float) -> int:
        fired = 0
        timers = self._timers
        while timers and timers[0][0] <= until:
            due, _seq, kind, obj, token = heapq.heappop(timers)
            if due > self._now:
                self._now = due
            if obj.token != token:
                continue  # superseded
            fired += 1
            if kind is _T_STEP:
                self._step_timeout(obj)
            elif kind is _T_RING:
                self._failed_offer(obj.id, missed=True, sync=False)
            elif kind is _T_SKILL:
                self._dispatch(self._hotlines[obj.steps[obj.step_index].hotline_id])
            elif kind is _T_RETRY:
                self._dispatch(self._hotlines[obj.info.hotline_id])
            else:
                self._end_wrapup(obj, obj.after_wrapup or _SEAT_AVAILABLE, "wrapup_done")
        if until > self._now:
            self._now = until
        return fired

    # queries -----------------------------------------------------------------------------------
    def queue_position(self, call_id: str) -> QueueInfo | None:
        """Position (1 = next) and expected wait of a waiting call; None once it is ringing."""
        call = self._call(call_id)
        if call.state is not _CALL_WAITING:
            return None
        hl = self._hotlines[call.steps[call.step_index].hotline_id]
        return self._queue_info(hl, call, hl.waiting.index(call) + 1)

    def queue_snapshot(self, hotline_id: str) -> list[QueueInfo]:
        hl = self._hotline(hotline_id)
        return [self._queue_info(hl, call, i + 1) for i, call in enumerate(hl.waiting)]

    def counsellor_state(self, counsellor_id: str) -> CounsellorState:
        return self._counsellor(counsellor_id).state

    def call_state(self, call_id: str) -> CallState:
        return self._call(call_id).state

    def active_call_ids(self) -> list[str]:
        return list(self._calls)

    def counsellor_ids(self, hotline_id: str | None = None) -> list[str]:
        return [
            cid
            for cid, c in self._counsellors.items()
            if hotline_id is None or c.info.hotline_id == hotline_id
        ]

    def status(self) -> dict[str, dict[str, int]]:
        """Per hotline: calls waiting, counsellors available and staffed (for dashboards)."""
        return {
            hid: {
                "waiting": len(hl.waiting),
                "available": len(hl.available),
                "staffed": hl.staffed,
            }
            for hid, hl in self._hotlines.items()
        }

    def staffed(self, hotline_id: str) -> int:
        """How many of the hotline's counsellors are logged in and not on break."""
        return self._hotline(hotline_id).staffed

    def drain_records(self) -> list[CallRecord]:
        records, self._records = self._records, []
        return records

    def check_invariants(self) -> None:
        """Assert that every active call is in exactly one place (used by the property tests)."""
        places: dict[str, int] = {}
        for hl in self._hotlines.values():
            for call in hl.waiting:
                assert call.state is _CALL_WAITING
                assert call.steps[call.step_index].hotline_id == hl.info.id
                places[call.id] = places.get(call.id, 0) + 1
            for c in hl.available:
                assert c.state is _SEAT_AVAILABLE
                assert c.info.hotline_id == hl.info.id
            assert hl.staffed == sum(
                1
                for c in self._counsellors.values()
                if c.info.hotline_id == hl.info.id and c.state in STAFFED
            )
        for c in self._counsellors.values():
            if c.state in (_SEAT_RINGING, _SEAT_TALKING):
                assert c.call is not None
                assert c.call.counsellor is c
                assert c.call.state.value == c.state.value
                places[c.call.id] = places.get(c.call.id, 0) + 1
            if c.state is _SEAT_AVAILABLE:
                assert c in self._hotlines[c.info.hotline_id].available
        for cid, call in self._calls.items():
            assert call.state is not _CALL_ENDED
            assert places.get(cid) == 1, f"call {cid} is in {places.get(cid, 0)} places"
        assert set(places) == set(self._calls)

    # internals ---------------------------------------------------------------------------------
    def _sync(self) -> None:
        now = self._clock()
        if self._timers and self._timers[0][0] <= now:
            self._advance(now)
        elif now > self._now:
            self._now = now

    def _emit(self, event: Event) -> None:
        # Hot sites test ``X in self._wanted`` (empty without a listener) and append themselves.
        if self._listener is not None and type(event) in self._wanted:
            self._pending.append(event)

    def _flush(self) -> None:
        # Events go out only once the engine's state is consistent again, so a listener may call
        # back into the engine (its events join the same queue).
        if self._flushing or self._listener is None:
            return
        self._flushing = True
        pending, handlers, listener = self._pending, self._handlers, self._listener
        try:
            if handlers is not None:
                while pending:
                    event = pending.popleft()
                    handlers[type(event)](event)
            else:
                while pending:
                    listener(pending.popleft())
        finally:
            self._flushing = False

    def _call(self, call_id: str) -> _Call:
        call = self._calls.get(call_id)
        if call is None:
            raise UnknownCall(f"no active call {call_id!r}")
        return call

    def _counsellor(self, counsellor_id: str) -> _Counsellor:
        c = self._counsellors.get(counsellor_id)
        if c is None:
            raise UnknownCounsellor(f"no counsellor {counsellor_id!r}")
        return c

    def _hotline(self, hotline_id: str) -> _Hotline:
        hl = self._hotlines.get(hotline_id)
        if hl is None:
            raise EngineError(f"no hotline {hotline_id!r}")
        return hl

    def _timer(self, due: float, kind: _Timer, obj: _Call | _Counsellor) -> None:
        self.timers_set += 1
        heapq.heappush(self._timers, (due, next(self._seq), kind, obj, obj.token))

    def _queue_info(self, hl: _Hotline, call: _Call, position: int) -> QueueInfo:
        # Each staffed seat clears one call per average handling time (talk + wrap-up).
        expected = position * hl.handle_s / max(1, hl.staffed)
        if hl.available:
            expected = 0.0 if position <= len(hl.available) else expected
        return QueueInfo(call.id, hl.info.id, position, round(expected, 1))

    def _leave_step(self, call: _Call, result: StepResult) -> None:
        attempt = call.attempts[-1] if call.attempts else None
        if attempt is not None and attempt.left_at is None:
            attempt.left_at = self._now
            attempt.result = result

    def _enter_next_step(self, call: _Call, prev: str | None, reason: str) -> None:
        # Steps whose hotline has nobody logged in are passed over at once, except the last one,
        # which waits its timeout in case someone logs in.
        while True:
            call.step_index += 1
            call.token += 1
            if call.step_index >= len(call.steps):
                call.last_resort = True
                call.ended_by = _BY_SYSTEM
                if RolledOver in self._wanted:
                    self._emit(RolledOver(self._now, call.id, prev, None, reason))
                self._finish(call, _NO_ANSWER)
                return
            step = call.steps[call.step_index]
            hl = self._hotlines[step.hotline_id]
            if (prev is not None or reason != "start") and RolledOver in self._wanted:
                self._emit(RolledOver(self._now, call.id, prev, step.hotline_id, reason))
            call.attempts.append(Attempt(step.hotline_id, step.rule, step.level, self._now))
            last = call.step_index == len(call.steps) - 1
            if self.settings.leave_when_unstaffed and hl.staffed == 0 and not last:
                self._leave_step(call, _STEP_UNSTAFFED)
                prev, reason = step.hotline_id, "unstaffed"
                continue
            break
        call.state = _CALL_WAITING
        now = call.step_entered_at = self._now
        self.timers_set += 1
        heapq.heappush(
            self._timers, (now + step.timeout_s, next(self._seq), _T_STEP, call, call.token)
        )
        if call.skill is not None:
            self._timer(now + self.settings.skill_wait_s, _T_SKILL, call)
        _place(hl.waiting, call)
        if hl.available:
            self._dispatch(hl)
        if call.state is _CALL_WAITING and Queued in self._wanted:
            info = self._queue_info(hl, call, hl.waiting.index(call) + 1)
            self._emit(Queued(self._now, call.id, hl.info.id, info.position, info.expected_wait_s))

    def _step_timeout(self, call: _Call) -> None:
        if call.state is _CALL_RINGING:
            self._cancel_ring(call, "step_timeout", requeue=False)
        elif call.state is _CALL_WAITING:
            self._hotlines[call.steps[call.step_index].hotline_id].waiting.remove(call)
        else:  # pragma: no cover - a talking call's token moved on
            return
        self._leave_step(call, _STEP_TIMEOUT)
        self._enter_next_step(call, call.steps[call.step_index].hotline_id, "timeout")

    def _dispatch(self, hl: _Hotline) -> None:
        waiting, available = hl.waiting, hl.available
        i = 0
        # _ring only buffers events, so the lists change only here while we walk them.
        while available and i < len(waiting):
            call = waiting[i]
            counsellor = self._pick(hl, call)
            if counsellor is None:
                i += 1  # this call waits for a skill (or everyone free is resting)
                continue
            del waiting[i]
            self._ring(call, counsellor, hl)

    def _pick(self, hl: _Hotline, call: _Call) -> _Counsellor | None:
        # hl.available is sorted longest-idle first; counsellors resting after a failed offer wait.
        now = self._now
        if call.skill is not None and now - call.step_entered_at < self.settings.skill_wait_s:
            for c in hl.available:
                if call.skill in c.info.skills and c.rest_until <= now:
                    return c
            return None
        first = None
        for c in hl.available:
            if c.rest_until <= now:
                if not call.crisis or CRISIS_SKILL in c.info.skills:
                    return c
                if first is None:
                    first = c
        return first

    def _ring(self, call: _Call, c: _Counsellor, hl: _Hotline) -> None:
        hl.available.remove(c)
        c.state = _SEAT_RINGING
        c.call = call
        c.token += 1
        call.state = _CALL_RINGING
        call.counsellor = c
        call.offers += 1
        # The ring timer hangs off the call's token: any later move of the call voids it.
        due = self._now + self.settings.offer_timeout_s
        self.timers_set += 1
        heapq.heappush(self._timers, (due, next(self._seq), _T_RING, call, call.token))
        if CounsellorChanged in self._wanted:
            self._emit(CounsellorChanged(self._now, c.info.id, c.state, "offered"))
        if Ring in self._wanted:
            self._pending.append(Ring(self._now, call.id, c.info.id, hl.info.id))

    def _cancel_ring(
        self,
        call: _Call,
        reason: str,
        *,
        requeue: bool,
        to: CounsellorState = _SEAT_AVAILABLE,
    ) -> None:
        c = call.counsellor
        assert c is not None
        call.counsellor = None
        c.call = None
        if CancelRing in self._wanted:
            self._emit(CancelRing(self._now, call.id, c.info.id, reason))
        # Not the counsellor's fault: they keep their place in the longest-idle order.
        self._set_idle_state(c, to, reason, keep_idle=True)
        if requeue:
            self._requeue(call)

    def _requeue(self, call: _Call) -> None:
        call.state = _CALL_WAITING
        call.token += 1
        hl = self._hotlines[call.steps[call.step_index].hotline_id]
        last = call.step_index == len(call.steps) - 1
        if self.settings.leave_when_unstaffed and hl.staffed == 0 and not last:
            self._leave_step(call, _STEP_UNSTAFFED)
            self._enter_next_step(call, hl.info.id, "unstaffed")
            return
        _place(hl.waiting, call)
        # The step timer was voided by the token change: re-arm it for the time left.
        step = call.steps[call.step_index]
        self._timer(max(self._now, call.step_entered_at + step.timeout_s), _T_STEP, call)
        if call.skill is not None:
            self._timer(call.step_entered_at + self.settings.skill_wait_s, _T_SKILL, call)
        self._dispatch(hl)

    def _failed_offer(self, call_id: str, *, missed: bool, sync: bool = True) -> None:
        if sync:
            self._sync()
        call = self._call(call_id)
        if call.state is not _CALL_RINGING or call.counsellor is None:
            raise InvalidTransition(f"call {call_id!r} is {call.state}, not ringing")
        c = call.counsellor
        call.counsellor = None
        c.call = None
        if CancelRing in self._wanted:
            self._emit(
                CancelRing(self._now, call.id, c.info.id, "no_answer" if missed else "rejected")
            )
        if missed:
            c.missed += 1
        if c.missed >= self.settings.max_no_answer:
            c.missed = 0
            self._set_idle_state(c, _SEAT_BREAK, "max_no_answer")
        else:
            # A seat that just refused (busy, 486) or rang out is not offered again at once, or a
            # phone that always refuses would spin; meanwhile the call tries other counsellors.
            delay = self.settings.offer_retry_delay_s
            c.rest_until = self._now + delay
            reason = "no_answer" if missed else "rejected"
            self._set_idle_state(c, _SEAT_AVAILABLE, reason)
            if delay > 0:
                self._timer(c.rest_until, _T_RETRY, c)
        self._requeue(call)

    def _end_talk(self, call: _Call) -> None:
        c = call.counsellor
        assert c is not None
        self._finish(call, _ANSWERED, record=False)
        c.state = _SEAT_WRAPUP
        c.token += 1
        if CounsellorChanged in self._wanted:
            self._emit(CounsellorChanged(self._now, c.info.id, c.state, "call_ended"))
        if self.settings.wrapup_s <= 0:
            self._end_wrapup(c, c.after_wrapup or _SEAT_AVAILABLE, "wrapup_done")
        else:
            self._timer(self._now + self.settings.wrapup_s, _T_WRAPUP, c)

    def _end_wrapup(self, c: _Counsellor, target: CounsellorState, reason: str) -> None:
        call = c.call
        assert call is not None
        assert call.ended_at is not None
        c.call = None
        c.after_wrapup = None
        record = self._record(call, wrapup_s=self._now - call.ended_at)
        hl = self._hotlines[c.info.hotline_id]
        # Moving average of the handling time, for expected-wait announcements.
        hl.handle_s = 0.9 * hl.handle_s + 0.1 * (record.talk_s + record.wrapup_s)
        self._store(record)
        self._set_idle_state(c, target, reason)

    def _set_idle_state(
        self, c: _Counsellor, target: CounsellorState, reason: str, *, keep_idle: bool = False
    ) -> None:
        hl = self._hotlines[c.info.hotline_id]
        was_staffed = c.state in STAFFED
        if c.state is _SEAT_AVAILABLE and target is not _SEAT_AVAILABLE:
            hl.available.remove(c)
        c.token += 1
        c.state = target
        if target is _SEAT_AVAILABLE:
            if not keep_idle:
                c.idle_since = self._now
                c.key = (self._now, c.seq)
            _place(hl.available, c)
        hl.staffed += (target in STAFFED) - was_staffed
        if CounsellorChanged in self._wanted:
            self._emit(CounsellorChanged(self._now, c.info.id, target, reason))
        if target is _SEAT_AVAILABLE:
            self._dispatch(hl)
        elif hl.staffed == 0 and self.settings.leave_when_unstaffed:
            self._evacuate(hl)

    def _evacuate(self, hl: _Hotline) -> None:
        # Nobody is left at this hotline: calls with later steps move on at once.
        for call in list(hl.waiting):
            if call.step_index < len(call.steps) - 1:
                hl.waiting.remove(call)
                self._leave_step(call, _STEP_UNSTAFFED)
                self._enter_next_step(call, hl.info.id, "unstaffed")

    def _finish(self, call: _Call, outcome: Outcome, *, record: bool = True) -> None:
        call.state = _CALL_ENDED
        call.token += 1
        call.ended_at = self._now
        call.outcome = outcome
        del self._calls[call.id]
        if CallEnded in self._wanted:
            self._pending.append(CallEnded(self._now, call.id, outcome, call.last_resort))
        if record:
            self._store(self._record(call, wrapup_s=0.0))

    def _record(self, call: _Call, *, wrapup_s: float) -> CallRecord:
        assert call.ended_at is not None
        assert call.outcome is not None
        answered = call.answered_at
        c = call.counsellor
        # Positional: this runs once a call, and keyword passing costs more than the rest.
        return CallRecord(
            call.id,
            call.tag,
            call.arrived_at,
            call.ended_at,
            call.outcome,
            call.crisis,
            call.skill,
            call.last_resort,
            call.attempts,
            c.info.hotline_id if (c and answered is not None) else None,
            c.info.id if (c and answered is not None) else None,
            answered,
            (answered if answered is not None else call.ended_at) - call.arrived_at,
            call.ended_at - answered if answered is not None else 0.0,
            wrapup_s,
            call.offers,
            call.ended_by,
        )

    def _store(self, record: CallRecord) -> None:
        if self._keep_records:
            self._records.append(record)
        if Recorded in self._wanted:
            self._pending.append(Recorded(self._now, record))

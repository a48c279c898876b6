"""Directory-driven call control for the SIP server: routing, per-hotline queues, seats, records.

This is the :class:`~minsheng.hotline.sip.control.CallControl` the B2BUA drives. For each call:

1. **Where the caller is** — the carrier's origin area (a header, or the area code dialled in front
   of 12356, e.g. ``0755``12356), else the caller number's home location (``phonenumbers``
   geocoding), else ``unknown``; a legacy number goes to its own hotline first.
2. **Steps** — city line, province line, national backup (a legacy number's own line first), each
   with its ring time (setting ``hotline_step_timeout_s``). A call whose step times out rolls over
   to the next step and keeps its arrival time; after the last step it ends ``no_answer`` with
   480 (the last resort is the national line, which is always in the list).
3. **Queues** — one per hotline, crisis calls ahead of every ordinary call (also when marked while
   waiting), then by arrival. The longest-idle available seat gets the next call; a seat that is
   busy (486), declines (603), rings out or is unreachable is skipped for that call and the next
   seat is tried; after ``hotline_max_no_answer`` missed offers in a row it goes on break.
   After a call it is in wrap-up for ``hotline_wrapup_s``.
4. **Records** — one :class:`~minsheng.hotline.sip.records.SipCallRecord` per call, with the SIP
   Call-ID, the caller as a keyed hash and a masked number, every step and seat tried.

Time comes from an injectable monotonic clock, so the unit tests drive it without SIP.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import phonenumbers
from phonenumbers import geocoder

from minsheng.core import privacy, regions
from minsheng.core.errors import DomainError
from minsheng.hotline.sip.control import (
    Admission,
    InboundCall,
    Party,
    QueueInfo,
    SeatOutcome,
    SeatTarget,
    SipActions,
)
from minsheng.hotline.sip.directory import Directory, Hotline
from minsheng.hotline.sip.records import SeatAttempt, SipCallRecord, StepRecord

Clock = Callable[[], float]


class SeatState(StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    RINGING = "ringing"
    TALKING = "talking"
    WRAP_UP = "wrap_up"
    BREAK = "break"


@dataclass
class Seat:
    counsellor_id: str
    hotline_id: str
    target: SeatTarget | None
    state: SeatState = SeatState.OFFLINE
    idle_since: float = 0.0
    wrap_up_until: float = 0.0
    missed: int = 0


@dataclass(frozen=True)
class Step:
    hotline_id: str
    timeout_s: float
    rule: str


@dataclass(frozen=True)
class Location:
    source: str  # carrier | number | legacy_number | unknown
    province_code: str | None
    city_code: str | None


@dataclass
class _Call:
    inbound: InboundCall
    steps: list[Step]
    record: SipCallRecord
    arrived: float  # monotonic
    crisis: bool
    step: int = 0
    step_deadline: float = 0.0
    seat_id: str | None = None  # the seat ringing or talking
    tried: set[str] = field(default_factory=set)  # seats already offered in this step
    answered_at: float | None = None
    waiting: bool = True

    @property
    def hotline_id(self) -> str:
        return self.steps[self.step].hotline_id


@dataclass(frozen=True)
class AcdSettings:
    step_timeout_s: float = 30.0
    seat_ring_s: float = 15.0
    wrap_up_s: float = 60.0
    max_no_answer: int = 3


def _area_to_region(area: str) -> regions.Region | None:
    """An origin area: a GB/T 2260 region code, or a long-distance area code such as 0755."""
    table = regions.table()
    area = area.strip()
    if len(area) == 6 and area.isdigit():
        return table.get(area)
    if area.startswith("0") and area.isdigit() and 3 <= len(area) <= 4:
        # An area code is geocoded as the landline numbers that carry it (8 digits follow it).
        try:
            number = phonenumbers.parse(f"+86{area[1:]}62345678")
        except phonenumbers.NumberParseException:
            return None
        return _geo_region(number)
    return None


def _geo_region(number: phonenumbers.PhoneNumber) -> regions.Region | None:
    description = geocoder.description_for_number(number, "zh")
    if not description or description == "中国":
        return None
    try:
        return regions.table().lookup(description)
    except DomainError:
        return None


def locate(inbound: InboundCall) -> Location:
    """Where the caller is, and which source decided (carrier area, number, or unknown)."""
    if inbound.origin_area:
        region = _area_to_region(inbound.origin_area)
        if region is not None:
            return Location("carrier", region.province_code, region.city_code)
    digits = privacy.phone_digits(inbound.caller)
    if digits:
        try:
            number = phonenumbers.parse(digits, "CN")
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and phonenumbers.is_valid_number(number):
            region = _geo_region(number)
            if region is not None:
                return Location("number", region.province_code, region.city_code)
    return Location("unknown", None, None)


def plan_steps(
    directory: Directory, inbound: InboundCall, location: Location, timeout_s: float
) -> list[Step]:
    """City → province → national, a legacy number's own line first; no line twice."""
    steps: list[Step] = []
    seen: set[str] = set()

    def add(line: Hotline | None, rule: str) -> None:
        if line is not None and line.id not in seen:
            seen.add(line.id)
            steps.append(Step(line.id, timeout_s, rule))

    legacy = directory.by_legacy_number(inbound.called)
    add(legacy, "legacy-number-first")
    lines = list(directory.hotlines.values())
    if location.city_code:
        add(
            next((h for h in lines if h.level == "city" and location.city_code in h.regions), None),
            "city-line",
        )
    if location.province_code:
        add(
            next(
                (h for h in lines if h.level == "province" and location.province_code in h.regions),
                None,
            ),
            "province-line",
        )
    for line in lines:
        if line.level == "national":
            add(line, "national-backup")
    return steps


class DirectoryCallControl:
    """Routing, queueing and records for the B2BUA, from a :class:`Directory`."""

    def __init__(
        self,
        directory: Directory,
        *,
        hmac_key: bytes,
        record: Callable[[SipCallRecord], None],
        settings: AcdSettings | None = None,
        clock: Clock = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.directory = directory
        self.hmac_key = hmac_key
        self.record = record
        self.settings = settings or AcdSettings()
        self.clock = clock
        self.wall = wall
        self.actions: SipActions | None = None
        self.calls: dict[str, _Call] = {}
        self.queues: dict[str, list[str]] = {h: [] for h in directory.hotlines}
        self.seats: dict[str, Seat] = {}
        now = clock()
        for c in directory.counsellors.values():
            seat = Seat(c.id, c.hotline_id, c.contact)
            if c.contact is not None:
                seat.state, seat.idle_since = SeatState.AVAILABLE, now
            self.seats[c.id] = seat
        self.finished = 0

    # CallControl ---------------------------------------------------------------------------
    def attach(self, actions: SipActions) -> None:
        self.actions = actions

    def credentials(self, user: str) -> str | None:
        counsellor = self.directory.by_user(user)
        return counsellor.sip_password if counsellor else None

    def register_contact(self, user: str, seat: SeatTarget | None, expires_s: int) -> None:
        counsellor = self.directory.by_user(user)
        if counsellor is None:
            return
        state = self.seats[counsellor.id]
        if seat is None:
            if counsellor.contact is None and state.state in (SeatState.AVAILABLE, SeatState.BREAK):
                state.state = SeatState.OFFLINE
            state.target = counsellor.contact
            return
        state.target = SeatTarget(counsellor.id, seat.host, seat.port, seat.user, seat.transport)
        if state.state in (SeatState.OFFLINE, SeatState.BREAK):
            # registering (again) is how a softphone logs in, also back from a break
            state.state, state.idle_since, state.missed = SeatState.AVAILABLE, self.clock(), 0
        self._dispatch()

    def call_arrived(self, call: InboundCall) -> Admission:
        location = locate(call)
        steps = plan_steps(self.directory, call, location, self.settings.step_timeout_s)
        if not steps:
            return Admission.refuse(503, "Service Unavailable")
        digits = privacy.phone_digits(call.caller)
        record = SipCallRecord(
            sip_call_id=call.call_id,
            arrived_at=call.arrived_at,
            caller_hash=privacy.keyed_hash(digits, self.hmac_key, purpose="phone"),
            caller_masked=privacy.mask_phone(digits),
            called=call.called,
            location_source=(
                "legacy_number" if steps[0].rule == "legacy-number-first" else location.source
            ),
            province_code=location.province_code,
            city_code=location.city_code,
            crisis=call.crisis,
            crisis_source="header" if call.crisis else None,
        )
        state = _Call(call, steps, record, self.clock(), call.crisis)
        self.calls[call.call_id] = state
        self._enter_step(state, 0)
        return Admission.accept()

    def seat_ringing(self, call_id: str, counsellor_id: str) -> None:
        return None

    def seat_answered(self, call_id: str, counsellor_id: str) -> None:
        call = self.calls.get(call_id)
        if call is None:
            return
        now = self.clock()
        call.answered_at = now
        call.waiting = False
        self._leave_queue(call)
        seat = self.seats.get(counsellor_id)
        if seat is not None:
            seat.state, seat.missed = SeatState.TALKING, 0
        rec = call.record
        rec.answered_at = self._wall_at(now)
        rec.hotline_id, rec.counsellor_id = call.hotline_id, counsellor_id
        rec.wait_s = round(now - call.arrived, 3)
        rec.seats[-1].outcome = "answered"
        rec.steps[-1].ended_at, rec.steps[-1].result = rec.answered_at, "answered"

    def seat_failed(self, call_id: str, counsellor_id: str, outcome: SeatOutcome) -> None:
        call = self.calls.get(call_id)
        seat = self.seats.get(counsellor_id)
        if seat is not None and seat.state == SeatState.RINGING:
            seat.missed += 1
            if seat.missed >= self.settings.max_no_answer:
                seat.state = SeatState.BREAK
            else:
                seat.state, seat.idle_since = SeatState.AVAILABLE, self.clock()
        if call is None:
            return
        call.seat_id = None
        call.record.seats[-1].outcome = str(outcome)
        self._dispatch()
        if call.waiting and call.seat_id is None:
            self._announce(call)

    def call_ended(self, call_id: str, by: Party) -> None:
        call = self.calls.pop(call_id, None)
        if call is None:
            return
        now = self.clock()
        rec = call.record
        rec.ended_at, rec.ended_by = self._wall_at(now), str(by)
        if call.answered_at is not None:
            rec.outcome = "answered"
            rec.talk_s = round(now - call.answered_at, 3)
            seat = self.seats.get(call.seat_id or "")
            if seat is not None and seat.state == SeatState.TALKING:
                seat.state = SeatState.WRAP_UP
                seat.wrap_up_until = now + self.settings.wrap_up_s
        else:
            rec.outcome = "abandoned" if by == Party.CALLER else "no_answer"
            rec.wait_s = round(now - call.arrived, 3)
            self._leave_queue(call)
            if call.seat_id is not None:
                self._release_ringing(call.seat_id, missed=False)
                rec.seats[-1].outcome = "cancelled"
            if rec.steps and rec.steps[-1].ended_at is None:
                rec.steps[-1].ended_at = rec.ended_at
                rec.steps[-1].result = rec.outcome
        self._finish(call)
        self._dispatch()

    def mark_crisis(self, call_id: str) -> bool:
        call = self.calls.get(call_id)
        if call is None or not call.waiting:
            return False
        if not call.crisis:
            call.crisis = True
            call.record.crisis = True
            call.record.crisis_source = "staff"
            queue = self.queues[call.hotline_id]
            if call_id in queue:
                queue.remove(call_id)
                self._enqueue(call)
            self._dispatch()
        return True

    def tick(self) -> None:
        now = self.clock()
        for seat in self.seats.values():
            if seat.state == SeatState.WRAP_UP and seat.wrap_up_until <= now:
                seat.state, seat.idle_since = SeatState.AVAILABLE, now
        for call in [c for c in self.calls.values() if c.waiting and c.step_deadline <= now]:
            self._roll_over(call)
        self._dispatch()

    def close(self) -> None:
        return None

    # views -----------------------------------------------------------------------------------
    def waiting_calls(self) -> list[dict[str, object]]:
        now = self.clock()
        result: list[dict[str, object]] = []
        for hotline_id, queue in self.queues.items():
            for position, call_id in enumerate(queue, start=1):
                call = self.calls[call_id]
                result.append(
                    {
                        "sip_call_id": call_id,
                        "hotline_id": hotline_id,
                        "position": position,
                        "caller": call.record.caller_masked,
                        "crisis": call.crisis,
                        "waited_s": round(now - call.arrived, 1),
                    }
                )
        return result

    def seat_states(self) -> dict[str, str]:
        return {s.counsellor_id: str(s.state) for s in self.seats.values()}

    # internals -------------------------------------------------------------------------------
    def _wall_at(self, mono: float) -> datetime:
        return self.wall() - timedelta(seconds=self.clock() - mono)

    def _enter_step(self, call: _Call, index: int) -> None:
        call.step = index
        call.tried = set()
        step = call.steps[index]
        call.step_deadline = self.clock() + step.timeout_s
        call.record.steps.append(
            StepRecord(step.hotline_id, step.rule, self._wall_at(self.clock()))
        )
        self._enqueue(call)
        self._dispatch()
        if call.waiting and call.seat_id is None:
            self._announce(call)

    def _enqueue(self, call: _Call) -> None:
        queue = self.queues[call.hotline_id]
        # crisis calls first, each group in arrival order (original arrival kept across steps)
        key = (not call.crisis, call.arrived)
        index = len(queue)
        for i, other_id in enumerate(queue):
            other = self.calls[other_id]
            if key < (not other.crisis, other.arrived):
                index = i
                break
        queue.insert(index, call.inbound.call_id)

    def _leave_queue(self, call: _Call) -> None:
        queue = self.queues.get(call.hotline_id, [])
        if call.inbound.call_id in queue:
            queue.remove(call.inbound.call_id)

    def _roll_over(self, call: _Call) -> None:
        assert self.actions is not None
        if call.seat_id is not None:
            self.actions.stop_ringing(call.inbound.call_id)
            self._release_ringing(call.seat_id, missed=True)
            call.record.seats[-1].outcome = "no_answer"
            call.seat_id = None
        self._leave_queue(call)
        call.record.steps[-1].ended_at = self._wall_at(self.clock())
        if call.step + 1 < len(call.steps):
            call.record.steps[-1].result = "rolled_over"
            self._enter_step(call, call.step + 1)
            return
        call.record.steps[-1].result = "no_answer"
        call.waiting = False
        call_id = call.inbound.call_id
        self.actions.end(call_id, 480, "Temporarily Unavailable")
        self.call_ended(call_id, Party.SYSTEM)

    def _release_ringing(self, seat_id: str, *, missed: bool) -> None:
        seat = self.seats.get(seat_id)
        if seat is None or seat.state != SeatState.RINGING:
            return
        if missed:
            seat.missed += 1
        if seat.missed >= self.settings.max_no_answer:
            seat.state = SeatState.BREAK
        else:
            seat.state, seat.idle_since = SeatState.AVAILABLE, self.clock()

    def _announce(self, call: _Call) -> None:
        assert self.actions is not None
        queue = self.queues[call.hotline_id]
        if call.inbound.call_id in queue:
            position = queue.index(call.inbound.call_id) + 1
            self.actions.queued(call.inbound.call_id, QueueInfo(call.hotline_id, position))

    def _dispatch(self) -> None:
        """Give waiting calls to available seats, longest-idle seat first, queue order.

        A call stays in its queue while a seat rings for it (so positions stay true) and leaves
        it when answered, rolled over or ended.
        """
        assert self.actions is not None
        for hotline_id, queue in self.queues.items():
            if not queue:
                continue
            free = sorted(
                (
                    s
                    for s in self.seats.values()
                    if s.hotline_id == hotline_id
                    and s.state == SeatState.AVAILABLE
                    and s.target is not None
                ),
                key=lambda s: s.idle_since,
            )
            if not free:
                continue
            for call_id in list(queue):
                call = self.calls[call_id]
                if call.seat_id is not None:
                    continue
                seat = next((s for s in free if s.counsellor_id not in call.tried), None)
                if seat is None:
                    continue
                free.remove(seat)
                call.tried.add(seat.counsellor_id)
                self._ring(call, seat)
                if not free:
                    break

    def _ring(self, call: _Call, seat: Seat) -> None:
        assert self.actions is not None
        assert seat.target is not None
        seat.state = SeatState.RINGING
        call.seat_id = seat.counsellor_id
        call.record.seats.append(
            SeatAttempt(seat.counsellor_id, seat.hotline_id, self._wall_at(self.clock()))
        )
        # A seat rings for its ring time but never past the step's deadline.
        ring_s = max(0.5, min(self.settings.seat_ring_s, call.step_deadline - self.clock()))
        try:
            self.actions.ring(call.inbound.call_id, seat.target, ring_s)
        except Exception:
            # an unusable contact: skip the seat like an unreachable one
            call.seat_id = None
            call.record.seats[-1].outcome = str(SeatOutcome.UNREACHABLE)
            seat.state, seat.idle_since = SeatState.AVAILABLE, self.clock()

    def _finish(self, call: _Call) -> None:
        self.finished += 1
        self.record(call.record)

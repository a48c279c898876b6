"""The hotline engine behind the B2BUA: routing rules decide, the queueing engine queues and rings.

This is the :class:`~minsheng.hotline.sip.control.CallControl` of ``minsheng hotline sip serve``.
It translates, in both directions, between SIP happenings and the engine
(:mod:`minsheng.hotline.engine`, which knows nothing of SIP):

==============================  ===========================================================
SIP (from the B2BUA)            engine
==============================  ===========================================================
INVITE to 12356 / legacy no.    ``routing.route_call`` → ``Engine.offer_call(steps, crisis)``
seat 200                        ``answer``
seat 486/600/603                ``reject`` (not counted as a missed offer)
seat rang out / unreachable     ``no_answer`` (counts towards the automatic break)
caller CANCEL or BYE            ``caller_hangup`` (record: ended_by caller)
counsellor BYE                  ``call_ended(by=counsellor)`` (ended_by counsellor)
watchdog / shutdown teardown    ``system_hangup`` (ended_by system; also the last resort)
REGISTER / unREGISTER           ``counsellor_login`` / ``counsellor_logout``
staff crisis mark               ``mark_crisis``
==============================  ===========================================================

and engine events back to SIP: ``Ring`` → INVITE the counsellor's contact, ``CancelRing`` →
CANCEL it, ``Queued`` → 182 Queued, ``CallEnded`` at the last resort → 480 to the caller,
``Recorded`` → the record writer (``service.save_records``), ``CounsellorChanged`` → the seat
state to the same writer (``service.record_seat_state``: signed in, talking, wrap-up, break,
signed out; ringing is left out — it lies between two on-duty states and changes nothing for
compliance, and the SIP detail records hold every ring). The engine runs on the wall clock
(epoch seconds), which is what the call records store.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from minsheng.core import regions
from minsheng.core.config import Settings
from minsheng.hotline import service
from minsheng.hotline.engine import (
    CallEnded,
    CallRecord,
    CallState,
    CancelRing,
    CounsellorChanged,
    CounsellorState,
    EndedBy,
    Engine,
    EngineError,
    EngineSettings,
    Event,
    Queued,
    Recorded,
    Ring,
)
from minsheng.hotline.rules import routing
from minsheng.hotline.rules.snapshot import CallTag, Directory, Step
from minsheng.hotline.sip.control import (
    Admission,
    Credentials,
    HandoverFacts,
    InboundCall,
    Party,
    Preview,
    QueueInfo,
    SeatOutcome,
    SeatTarget,
    SipActions,
)
from minsheng.hotline.sip.seats import SeatBook

log = logging.getLogger(__name__)

# The call record's reference column holds 100 characters; longer SIP Call-IDs are stored as
# their hash (RFC 3261 puts no bound on a Call-ID's length).
MAX_REF = 100


def call_ref(sip_call_id: str) -> str:
    """The engine's and the record's id of a SIP call: its Call-ID, or a hash of a long one."""
    if len(sip_call_id) <= MAX_REF:
        return sip_call_id
    return "sha256:" + hashlib.sha256(sip_call_id.encode()).hexdigest()


class EngineCallControl:
    """Routes with ``rules``, queues with ``Engine``, records with ``record``."""

    def __init__(
        self,
        directory: Directory,
        seats: SeatBook,
        *,
        settings: Settings,
        record: Callable[[CallRecord], None],
        seat_state: Callable[[str, str, float], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.seats = seats
        self.record = record
        self.seat_state = seat_state
        self.clock = clock
        self.engine_settings = EngineSettings.from_settings(settings)
        self.engine = Engine(
            directory,
            self.engine_settings,
            clock=clock,
            listener=self._on_event,
            keep_records=False,
        )
        self.index = routing.DirectoryIndex.build(directory.hotlines)
        self.route_settings = service.route_settings(settings)
        self.actions: SipActions | None = None
        self.contacts: dict[str, SeatTarget] = {}
        self.supervisor_contacts: dict[str, SeatTarget] = {}  # supervisors' phones (never queued)
        self.media_notes: dict[str, str] = {}  # engine call id → media state (note_media)
        self.sip_ids: dict[str, str] = {}  # engine call id → SIP Call-ID, while SIP is up
        self.tags: dict[str, CallTag] = {}  # engine call id → tag, while the engine has the call
        self.crisis: set[str] = set()
        self.ringing: dict[str, str] = {}  # engine call id → counsellor the engine is ringing
        self.finished = 0
        # each line's own recording setting (refreshed by the server: set_recording) and the
        # line each counsellor answers for: the answering line decides whether a call is recorded
        self.recording = {h.id: h.recording for h in directory.hotlines}
        self.hotline_of = {c.id: c.hotline_id for c in directory.counsellors}

    # CallControl: life cycle --------------------------------------------------------------------
    def attach(self, actions: SipActions) -> None:
        self.actions = actions
        # Static seats are logged in from the start; a browser seat when its counsellor signs
        # in on the staff page (set_seat_state, forwarded by the app).
        for seat in self.seats.by_counsellor.values():
            if seat.contact is not None:
                self.contacts[seat.counsellor_id] = seat.contact
                if not seat.browser:
                    self.engine.counsellor_login(seat.counsellor_id)
        for seat in self.seats.supervisors.values():
            if seat.contact is not None:
                self.supervisor_contacts[seat.counsellor_id] = seat.contact

    def tick(self) -> None:
        self.engine.advance()

    def close(self) -> None:
        """Stopping: end every call still up, end wrap-ups early, so every record goes out."""
        assert self.actions is not None
        for ref in list(self.engine.active_call_ids()):
            sip_id = self.sip_ids.pop(ref, None)
            if sip_id is not None:
                self.actions.end(sip_id, 503, "Service Unavailable")
            self._quietly(self.engine.system_hangup, ref)
        for cid in self.engine.counsellor_ids():
            if self.engine.counsellor_state(cid) is CounsellorState.WRAPUP:
                self._quietly(self.engine.set_state, cid, CounsellorState.OFFLINE)

    # CallControl: calls -------------------------------------------------------------------------
    def _route(self, call: InboundCall) -> tuple[routing.CallerNumber, routing.RoutePlan]:
        return routing.route_call(
            self.index,
            regions.table(),
            call.caller,
            at=call.arrived_at,
            settings=self.route_settings,
            origin=call.origin_area,
            dialled=call.called,
        )

    def preview(self, call: InboundCall) -> Preview:
        _caller, plan = self._route(call)
        first = plan.steps[0].hotline_id if plan.steps else None
        closed = any(s.reason.startswith("closed") for s in plan.skipped)
        return Preview(first, closed)

    def queue_info(self, call_id: str) -> QueueInfo | None:
        try:
            info = self.engine.queue_position(call_ref(call_id))
        except EngineError:
            return None
        if info is None:
            return None
        return QueueInfo(info.hotline_id, info.position, round(info.expected_wait_s))

    def handover_facts(self, call_id: str) -> HandoverFacts | None:
        ref = call_ref(call_id)
        tag = self.tags.get(ref)
        if tag is None:
            return None
        return HandoverFacts(tag.city_code, tag.province_code, ref in self.crisis)

    def call_arrived(self, call: InboundCall) -> Admission:
        ref = call_ref(call.call_id)
        if ref in self.sip_ids:
            return Admission.refuse(482, "Loop Detected")
        caller, plan = self._route(call)
        tag = service.call_tag(self.settings, caller, plan, call.called)
        self.sip_ids[ref] = call.call_id
        self.tags[ref] = tag
        if call.crisis:
            self.crisis.add(ref)
        try:
            self.engine.offer_call(
                self.route_steps(call, ref, plan.steps),
                crisis=call.crisis,
                skill=call.skill,
                tag=tag,
                call_id=ref,
            )
        except EngineError:
            log.exception("the engine refused a call")
            self._forget(ref)
            return Admission.refuse(500, "Server Internal Error")
        return Admission.accept()

    def route_steps(self, call: InboundCall, ref: str, steps: tuple[Step, ...]) -> tuple[Step, ...]:
        """The steps this process queues the call through (a cluster node keeps its own)."""
        return steps

    def seat_ringing(self, call_id: str, counsellor_id: str) -> None:
        return None

    def seat_answered(self, call_id: str, counsellor_id: str) -> bool:
        ref = call_ref(call_id)
        if self.ringing.get(ref) != counsellor_id:
            return False  # the engine gave up on this seat (ring time over) a moment before
        try:
            self.engine.answer(ref)
        except EngineError:
            return False
        self.ringing.pop(ref, None)
        return True

    def seat_failed(self, call_id: str, counsellor_id: str, outcome: SeatOutcome) -> None:
        ref = call_ref(call_id)
        if self.ringing.get(ref) != counsellor_id:
            return  # stale: the engine already moved the call on
        # Either way the engine lets the seat rest (offer_retry_delay_s) before offering it a
        # call again, so a phone that always answers 486 cannot spin.
        if outcome in (SeatOutcome.BUSY, SeatOutcome.DECLINED):
            self._quietly(self.engine.reject, ref)
        else:
            self._quietly(self.engine.no_answer, ref)

    def call_ended(self, call_id: str, by: Party) -> None:
        ref = call_ref(call_id)
        self.sip_ids.pop(ref, None)
        state = self._state(ref)
        if state is None:
            return  # the engine had already ended it (e.g. the last resort)
        if by is Party.COUNSELLOR and state is CallState.TALKING:
            self._quietly(self.engine.call_ended, ref, EndedBy.COUNSELLOR)
        elif by is Party.SYSTEM:
            self._quietly(self.engine.system_hangup, ref)
        else:
            self._quietly(self.engine.caller_hangup, ref)

    def mark_crisis(self, call_id: str) -> bool:
        ref = call_ref(call_id)
        if self._state(ref) not in (CallState.WAITING, CallState.RINGING):
            return False
        self.engine.mark_crisis(ref)
        self.crisis.add(ref)
        return True

    # CallControl: seats -------------------------------------------------------------------------
    def credentials(self, user: str) -> Credentials | None:
        return self.seats.credentials(user)

    def register_contact(self, user: str, seat: SeatTarget | None, expires_s: int) -> None:
        book = self.seats.by_user.get(user)
        if book is None:
            return
        cid = book.counsellor_id
        if cid in self.seats.supervisors:
            if seat is not None:
                self.supervisor_contacts[cid] = SeatTarget(
                    cid, seat.host, seat.port, seat.user, seat.transport
                )
            elif book.contact is not None:
                self.supervisor_contacts[cid] = book.contact
            else:
                self.supervisor_contacts.pop(cid, None)
            return
        state = self.engine.counsellor_state(cid)
        if seat is None:
            if book.contact is not None:
                self.contacts[cid] = book.contact  # back to the static contact, still logged in
                return
            self.contacts.pop(cid, None)
            self._quietly(self.engine.counsellor_logout, cid)
            return
        self.contacts[cid] = SeatTarget(cid, seat.host, seat.port, seat.user, seat.transport)
        if state in (CounsellorState.OFFLINE, CounsellorState.BREAK):
            # Registering (again) is how a softphone logs in, also back from a break.
            self._quietly(self.engine.counsellor_login, cid)

    def records(self, hotline_id: str | None) -> bool:
        """Whether this line records its answered calls (its directory setting)."""
        return hotline_id is not None and self.recording.get(hotline_id, False)

    def seat_hotline(self, counsellor_id: str | None) -> str | None:
        """The line a counsellor answers for."""
        return self.hotline_of.get(counsellor_id) if counsellor_id is not None else None

    def set_recording(self, settings: dict[str, bool]) -> None:
        """The lines' recording settings as the database has them now (the server re-reads them
        every minute); a call already answered keeps what it had."""
        self.recording = dict(settings)

    def note_media(self, call_id: str, note: str) -> None:
        """The SIP front's media state of a call (anchored, recorded, supervised, hand-over),
        shown on the live board and kept in its record."""
        self.media_notes[call_ref(call_id)] = note[:200]

    def supervisor_phone(self, supervisor_id: str) -> SeatTarget | None:
        """Where a supervisor's phone is now (registered or static), None when it is not."""
        return self.supervisor_contacts.get(supervisor_id)

    def set_seat_state(self, counsellor_id: str, state: str) -> str:
        """Staff log a seat in or out, or put it on a break (e.g. a static seat after a break)."""
        target = CounsellorState(state)
        self.engine.set_state(counsellor_id, target)
        return str(self.engine.counsellor_state(counsellor_id))

    # views --------------------------------------------------------------------------------------
    def waiting_calls(self) -> list[dict[str, object]]:
        now = self.clock()
        result: list[dict[str, object]] = []
        for hotline in self.index.hotlines:
            for info in self.engine.queue_snapshot(hotline):
                tag = self.tags.get(info.call_id)
                result.append(
                    {
                        "sip_call_id": self.sip_ids.get(info.call_id, info.call_id),
                        "hotline_id": info.hotline_id,
                        "position": info.position,
                        "expected_wait_s": info.expected_wait_s,
                        "caller": tag.caller_masked if tag else None,
                        "crisis": info.call_id in self.crisis,
                        "now": datetime.fromtimestamp(now, UTC).isoformat(),
                    }
                )
        return result

    def seat_states(self) -> dict[str, str]:
        return {cid: str(self.engine.counsellor_state(cid)) for cid in self.engine.counsellor_ids()}

    @property
    def active_calls(self) -> int:
        return len(self.engine.active_call_ids())

    # engine events ------------------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        assert self.actions is not None
        if isinstance(event, Ring):
            self.ringing[event.call_id] = event.counsellor_id
            self._ring(event)
        elif isinstance(event, CancelRing):
            if self.ringing.get(event.call_id) == event.counsellor_id:
                del self.ringing[event.call_id]
            sip_id = self.sip_ids.get(event.call_id)
            if sip_id is not None:
                self.actions.stop_ringing(sip_id)
        elif isinstance(event, Queued):
            sip_id = self.sip_ids.get(event.call_id)
            if sip_id is not None:
                info = QueueInfo(event.hotline_id, event.position, round(event.expected_wait_s))
                self.actions.queued(sip_id, info)
        elif isinstance(event, CallEnded):
            sip_id = self.sip_ids.pop(event.call_id, None)
            if sip_id is not None and event.last_resort:
                self.actions.end(sip_id, 480, "Temporarily Unavailable")
        elif isinstance(event, Recorded):
            note = self.media_notes.pop(event.record.call_id, None)
            if note is not None:
                event.record.media = note
            self._forget(event.record.call_id)
            self.finished += 1
            self.record(event.record)
        elif (
            isinstance(event, CounsellorChanged)
            and self.seat_state is not None
            and event.state is not CounsellorState.RINGING
        ):
            self.seat_state(event.counsellor_id, str(event.state), event.at)

    def _ring(self, event: Ring) -> None:
        assert self.actions is not None
        sip_id = self.sip_ids.get(event.call_id)
        target = self.contacts.get(event.counsellor_id)
        if sip_id is None:
            return
        if target is None:
            # logged in without a way to reach them (should not happen): count it as missed
            self._quietly(self.engine.no_answer, event.call_id)
            return
        # The engine's own ring timer decides; the SIP leg's timer is only a safety net.
        ring_s = self.engine_settings.offer_timeout_s + 1.0
        try:
            self.actions.ring(sip_id, target, ring_s)
        except Exception:
            log.exception("cannot ring counsellor %s", event.counsellor_id)
            self._quietly(self.engine.no_answer, event.call_id)

    def _state(self, ref: str) -> CallState | None:
        if ref not in self.tags:
            return None
        try:
            return self.engine.call_state(ref)
        except EngineError:
            return None  # ended, its record waiting for the counsellor's wrap-up

    def _forget(self, ref: str) -> None:
        self.ringing.pop(ref, None)
        self.tags.pop(ref, None)
        self.crisis.discard(ref)
        self.sip_ids.pop(ref, None)

    @staticmethod
    def _quietly(fn: Callable[..., object], *args: object) -> None:
        # A SIP happening may arrive after the engine moved on (a race between a ring timer and
        # a response): the engine refuses it and changes nothing, which is right.
        try:
            fn(*args)
        except EngineError as exc:
            log.debug("engine refused %s%s: %s", fn.__name__, args, exc)

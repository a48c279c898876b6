"""The 12356 queueing engine (ACD): counsellor states, one queue per hotline, crisis priority,
skill routing, step timeouts with rollover, and a finished-call record for every call.

The engine is a pure, event-driven state machine: no I/O, no SIP, no database, no threads. Time
comes from an injectable clock (``time.time`` by default, a :class:`VirtualClock` in the
simulator), so the same code runs in real time behind the SIP front (issue 5) and in virtual time
inside the simulator (issue 4). Drivers tell the engine what happened; the engine answers with
events to a listener.

API (all times are seconds on the clock's scale; the default clock gives Unix epoch seconds)::

    engine = Engine(directory, EngineSettings.from_settings(settings), clock=clock,
                    listener=on_event,          # directory: snapshot.Directory
                    events={Ring, Recorded})    # optional: only these events are built
    engine.set_listener(on_event, events=None)  # or plug a listener in later
    # steps: the route from routing.route_call(...).steps; tag: e.g. a snapshot.CallTag that
    # service.save_records needs; call_id: the driver's own id (a SIP Call-ID) or a generated one
    call_id = engine.offer_call(steps, crisis=False, skill=None, tag=anything, call_id=None)
    engine.counsellor_login(cid) / counsellor_logout(cid) / set_state(cid, CounsellorState.BREAK)
    engine.add_counsellor(CounsellorInfo(...))
    engine.answer(call_id)                      # the ringing counsellor picked up
    engine.reject(call_id) / engine.no_answer(call_id)   # the offer failed; the call waits on
    engine.caller_hangup(call_id)               # the caller left (abandoned, or end of talk)
    engine.call_ended(call_id, by=EndedBy.COUNSELLOR)   # a connected call ended; by: who hung up
    engine.system_hangup(call_id)               # the platform tore it down (any state)
    engine.mark_crisis(call_id)                 # jumps ahead of every ordinary call at once
    engine.advance(until=None)                  # fire timers due up to ``until`` (default: now)
    engine.next_timer_at()                      # when the next timer is due, or None
    engine.queue_position(call_id)              # QueueInfo(hotline_id, position, expected_wait_s)
    engine.drain_records()                      # finished CallRecords since the last drain
    engine.status()                             # per hotline: waiting, available, staffed

A lost BYE must not leave a counsellor talking for ever (a known failure of other ACDs): the SIP
front's watchdog calls ``system_hangup(call_id)`` (or ``caller_hangup``) when it tears a dialog
down for any reason, which always frees the counsellor. Each record says who ended the call
(``CallRecord.ended_by``: caller, counsellor, system, or None when the driver did not say).

Events are delivered after the method that caused them has finished, so a listener may call back
into the engine (its events join the same queue). ``keep_records=False`` stops the engine from
keeping records for ``drain_records`` (the ``Recorded`` event still carries each one).

Every public method first fires the timers that are already due, so a driver may call
``advance`` lazily. Invalid requests (unknown call, answering a call that is not ringing...)
raise :class:`EngineError` and change nothing.

Events out (``listener(event)``): :class:`Ring` (ring counsellor X for call Y), :class:`CancelRing`,
:class:`Queued`, :class:`RolledOver` (moved on to the next step, or to the last resort),
:class:`Connected`, :class:`CallEnded` (outcome known; tear down the legs),
:class:`CounsellorChanged`, and :class:`Recorded` (the finished :class:`CallRecord`, sent after the
counsellor's wrap-up so that it holds the wrap-up time).

Rules (after Asterisk app_queue and FreeSWITCH mod_callcenter, see docs/hotline.md):

- the longest-idle available counsellor of the hotline gets the next call;
- waiting calls are served crisis first, then by their *original* arrival time (a rolled-over call
  keeps its place in time); marking a call crisis re-sorts it at once;
- a call asking for a skill waits up to ``skill_wait_s`` at each hotline for a counsellor with that
  skill, then takes anyone; a crisis call prefers a ``crisis``-skilled counsellor but never waits;
- an offer rings ``offer_timeout_s`` at most; a counsellor who refused or missed an offer gets
  no new one for ``offer_retry_delay_s``; ``max_no_answer`` missed offers in a row put the
  counsellor on break; after each call the counsellor is in wrap-up for ``wrapup_s``;
- a step ends after its ``timeout_s`` (or at once when no counsellor of that hotline is logged
  in and later steps exist) and the call moves to the next step; after the last step it is given
  to the last resort (outcome ``no_answer``). No call is ever lost: every call ends ``answered``,
  ``abandoned`` or ``no_answer`` and is recorded.
"""

from __future__ import annotations

from minsheng.hotline.engine.acd import Engine
from minsheng.hotline.engine.types import (
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
    VirtualClock,
)

__all__ = [
    "ALL_EVENTS",
    "CRISIS_SKILL",
    "STAFFED",
    "Attempt",
    "CallEnded",
    "CallRecord",
    "CallState",
    "CancelRing",
    "Connected",
    "CounsellorChanged",
    "CounsellorState",
    "EndedBy",
    "Engine",
    "EngineError",
    "EngineSettings",
    "Event",
    "InvalidTransition",
    "Outcome",
    "QueueInfo",
    "Queued",
    "Recorded",
    "Ring",
    "RolledOver",
    "StepResult",
    "UnknownCall",
    "UnknownCounsellor",
    "VirtualClock",
]

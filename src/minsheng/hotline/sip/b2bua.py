"""The back-to-back user agent: answers INVITEs to the hotline and bridges them to counsellor seats.

Pattern of ``sippy/b2bua_simple.py``: a ``SipTransactionManager`` hands every new request to
:meth:`B2BUA.recv_request`; each INVITE gets a caller-side ``UA`` (leg A); each attempt to ring a
seat gets a fresh outgoing ``UA`` (leg O) fed a ``CCEventTry``. The hotline logic is behind the
:class:`~minsheng.hotline.sip.control.CallControl` interface; this module implements
:class:`~minsheng.hotline.sip.control.SipActions` for it.

What the caller hears: 100 Trying at once (sippy), 182 Queued while the call waits, the seat's 180,
then the seat's 200 bridged through, and BYE relayed in either direction. A seat that answers 486,
603 or does not answer in its ring time is reported to the control as failed and the caller stays
on leg A, still waiting, while the control picks the next seat.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from minsheng.hotline.sip import stack
from minsheng.hotline.sip.control import (
    Admission,
    CallControl,
    InboundCall,
    Party,
    QueueInfo,
    SeatOutcome,
    SeatTarget,
)
from minsheng.hotline.sip.registrar import Registrar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class B2BUAConfig:
    """What the B2BUA needs to know that is not about hotlines."""

    hotline_numbers: frozenset[str]  # called numbers that reach the hotline (12356 + legacy)
    area_prefixed: bool = True  # accept <area code><number>, e.g. 075512356
    origin_header: str = "x-origin-area"  # carrier's origin area (area code or region code)
    crisis_header: str = "x-crisis"  # set by an IVR in front of the platform: "1"/"yes"/"true"
    skill_header: str = "x-skill"  # requested skill, e.g. youth
    no_reply_s: float = 2.0  # a seat that sends nothing at all in this time is unreachable
    max_call_s: float = 4 * 3600.0  # watchdog: a dialog whose BYE was lost is torn down
    realm: str = "12356"
    user_agent: str = "minsheng-12356"
    partition_header: str = "x-partition"  # set by the Kamailio front (sip/kamailio.py)
    handover_header: str = "x-handover"  # a call handed on by another node (sip/nodestate.py)


def _seat_outcome(code: int) -> SeatOutcome:
    if code in (486, 600):
        return SeatOutcome.BUSY
    if code == 603:
        return SeatOutcome.DECLINED
    if code in (408, 480, 487):
        return SeatOutcome.NO_ANSWER
    if code >= 500:
        return SeatOutcome.UNREACHABLE
    return SeatOutcome.FAILED


def split_called(
    called: str, numbers: frozenset[str], area_prefixed: bool
) -> tuple[str, str] | None:
    """Split a dialled number into (hotline number, area code prefix or "").

    ``12356`` → ("12356", ""); ``075512356`` → ("12356", "0755"); a legacy number is matched as is
    (dashes ignored). An area code is 0 followed by 2 or 3 digits (GB/T long-distance codes).
    """
    plain = called.replace("-", "")
    if plain in numbers:
        return plain, ""
    if area_prefixed and plain.startswith("0"):
        for size in (3, 4):
            prefix, rest = plain[:size], plain[size:]
            if rest in numbers:
                return rest, prefix
    return None


@dataclass
class _Call:
    """One caller's call: leg A (caller) and at most one seat leg at a time."""

    b2b: B2BUA
    call_id: str = ""
    ua_a: Any = None
    ua_o: Any = None
    seat_id: str | None = None
    attempt: int = 0
    e_try: Any = None
    inbound: InboundCall | None = None
    answered: bool = False
    ended: bool = False
    legs_ignored: set[int] = field(default_factory=set)
    seats: list[dict[str, Any]] = field(default_factory=list)  # for the SIP detail record

    # leg A (caller side) -------------------------------------------------------------------
    def event_a(self, event: Any, ua: Any) -> None:
        from sippy.CCEvents import CCEventDisconnect, CCEventFail, CCEventTry

        if self.e_try is None:
            if not isinstance(event, CCEventTry):
                ua.recvEvent(CCEventDisconnect())
                return
            self.e_try = event
            self.b2b.start_call(self, event)
            return
        if isinstance(event, (CCEventDisconnect, CCEventFail)):
            if self.ua_o is not None and id(self.ua_o) not in self.legs_ignored:
                if not self.answered:
                    self.seat_result("cancelled", None)
                self.legs_ignored.add(id(self.ua_o))
                self.ua_o.recvEvent(CCEventDisconnect(rtime=event.rtime))
                self.ua_o = None
            # A disconnect with no origin comes from the UA itself, not from a BYE or CANCEL of
            # the caller: the max_call_s watchdog (sippy's credit timer) or no ACK for our 200.
            local = isinstance(event, CCEventDisconnect) and event.origin is None
            self.finish(Party.SYSTEM if local else Party.CALLER)
            return
        if self.answered and self.ua_o is not None:
            # re-INVITE, INFO and the like travel to the seat once the call is bridged
            self.ua_o.recvEvent(event)

    def a_dead(self, ua: Any) -> None:
        self.b2b.forget(self)

    # leg O (seat side) ---------------------------------------------------------------------
    def event_o(self, event: Any, ua: Any) -> None:
        from sippy.CCEvents import (
            CCEventConnect,
            CCEventDisconnect,
            CCEventFail,
            CCEventPreConnect,
            CCEventRedirect,
            CCEventRing,
        )

        if id(ua) in self.legs_ignored or ua is not self.ua_o or self.ended:
            return
        control = self.b2b.control
        seat_id = self.seat_id or ""
        if isinstance(event, CCEventRing):
            ring_code = event.getData()[0] if event.getData() else 180
            if ring_code <= 100:
                return
            self.ua_a.recvEvent(event)
            control.seat_ringing(self.call_id, seat_id)
            return
        if isinstance(event, (CCEventConnect, CCEventPreConnect)):
            if not control.seat_answered(self.call_id, seat_id):
                # too late: the call moved on; hang up on this seat, the caller keeps waiting
                self.legs_ignored.add(id(ua))
                self.ua_o = None
                self.seat_id = None
                self.seat_result("late_answer", 200)
                ua.recvEvent(CCEventDisconnect(rtime=event.rtime))
                return
            self.answered = True
            self.seat_result("answered", 200)
            self.ua_a.recvEvent(event)
            return
        if isinstance(event, (CCEventFail, CCEventRedirect, CCEventDisconnect)):
            if self.answered:
                # the counsellor hung up
                self.ua_a.recvEvent(CCEventDisconnect(rtime=event.rtime))
                self.finish(Party.COUNSELLOR)
                return
            self.legs_ignored.add(id(ua))
            self.ua_o = None
            self.seat_id = None
            code: int | None = None
            if isinstance(event, CCEventFail):
                code = int(event.getData()[0])
                outcome = _seat_outcome(code)
            elif isinstance(event, CCEventRedirect):
                code = int(event.getData()[0])
                outcome = SeatOutcome.FAILED
            elif ua.p100_ts is None and ua.p1xx_ts is None:
                outcome = SeatOutcome.UNREACHABLE
            else:
                outcome = SeatOutcome.NO_ANSWER
            self.seat_result(str(outcome), code)
            control.seat_failed(self.call_id, seat_id, outcome)
            return
        if self.answered:
            self.ua_a.recvEvent(event)

    def seat_result(self, outcome: str, code: int | None) -> None:
        if self.seats and "outcome" not in self.seats[-1]:
            self.seats[-1]["outcome"] = outcome
            if code is not None:
                self.seats[-1]["sip_code"] = code

    def finish(self, by: Party) -> None:
        if self.ended:
            return
        self.ended = True
        if self.ua_o is not None and not self.answered:
            self.seat_result("cancelled", None)
        self.b2b.detail(self, by)
        self.b2b.control.call_ended(self.call_id, by)


class B2BUA:
    """The SIP side of the hotline. Create, then :meth:`start` on the SIP thread."""

    def __init__(
        self,
        control: CallControl,
        config: B2BUAConfig,
        *,
        details: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.control = control
        self.config = config
        self.details = details
        self.calls: dict[str, _Call] = {}
        self.global_config: dict[str, Any] = {}
        self.registrar = Registrar(control, realm=config.realm)
        self.stats = {"invites": 0, "refused": 0, "bad_requests": 0}
        # A draining node answers the front's OPTIONS probes 503, so Kamailio sends it no new call.
        self.options_code = (200, "OK")
        self._ticker: Any = None

    # life cycle ----------------------------------------------------------------------------
    def start(self, listen: stack.ListenAddress) -> None:
        """Bind the UDP port and start receiving (call before :func:`stack.run_loop`)."""
        from sippy.SipTransactionManager import SipTransactionManager

        self.global_config = stack.make_global_config(listen, user_agent=self.config.user_agent)
        self.global_config["_sip_tm"] = SipTransactionManager(self.global_config, self.recv_request)
        self.control.attach(self)
        self._ticker = stack.call_every(0.1, self._tick)

    def _tick(self) -> None:
        self.registrar.expire()
        self.control.tick()

    def shutdown(self) -> None:
        """Stop the timers, let the control end every call and flush its records, close the port."""
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        # the control ends the calls still up first, so their BYEs and 503s leave before the
        # transport closes (the sender drains its queue on shutdown)
        self.control.close()
        tm = self.global_config.get("_sip_tm")
        if tm is not None:
            tm.shutdown()

    # requests ------------------------------------------------------------------------------
    def recv_request(self, req: Any, sip_t: Any) -> Any:
        method = req.getMethod()
        if req.getHFBody("to").getTag() is not None:
            # in-dialog request for a dialog we do not (or no longer) know
            return (req.genResponse(481, "Call Leg/Transaction Does Not Exist"), None, None)
        if method == "INVITE":
            return self._invite(req, sip_t)
        if method == "REGISTER":
            return (self.registrar.handle(req), None, None)
        if method == "OPTIONS":
            return (req.genResponse(*self.options_code), None, None)
        if method in ("ACK", "CANCEL"):
            return None
        return (req.genResponse(501, "Not Implemented"), None, None)

    def _invite(self, req: Any, sip_t: Any) -> Any:
        from sippy.UA import UA

        self.stats["invites"] += 1
        try:
            ruri_user = req.getRURI().username or ""
            req.getHFBody("contact").getUrl()
            from_user = req.getHFBody("from").getUrl().username or ""
        except Exception:  # a header sippy cannot parse: the request is malformed
            self.stats["bad_requests"] += 1
            return (req.genResponse(400, "Bad Request"), None, None)
        if split_called(ruri_user, self.config.hotline_numbers, self.config.area_prefixed) is None:
            self.stats["refused"] += 1
            return (req.genResponse(404, "Not Found"), None, None)
        call = _Call(self)
        # credit_time: a connected call is torn down after max_call_s even if a BYE is lost, so a
        # counsellor can never be stuck "talking" (a known failure of other ACDs)
        call.ua_a = UA(
            self.global_config,
            event_cb=call.event_a,
            dead_cbs=(call.a_dead,),
            credit_time=self.config.max_call_s,
        )
        call.ua_a.local_ua = self.config.user_agent
        call.inbound = self._inbound(req, ruri_user, from_user)
        return call.ua_a.recvRequest(req, sip_t)

    def _header(self, req: Any, name: str) -> str | None:
        if req.countHFs(name) == 0:
            return None
        return str(req.getHFBody(name)).strip()

    def _inbound(self, req: Any, called: str, from_user: str) -> InboundCall:
        caller, caller_source = from_user, "from"
        pai = self._header(req, "p-asserted-identity")
        if pai:
            match = re.search(r"(?:sip|tel):\+?([0-9]+)", pai)
            if match:
                caller, caller_source = match.group(1), "p-asserted-identity"
        origin = self._header(req, self.config.origin_header)
        origin_source: str | None = "header" if origin else None
        split = split_called(called, self.config.hotline_numbers, self.config.area_prefixed)
        if not origin and split is not None and split[1]:
            origin, origin_source = split[1], "called_prefix"
        crisis_value = (self._header(req, self.config.crisis_header) or "").lower()
        return InboundCall(
            call_id=str(req.getHFBody("call-id")),
            caller=caller,
            caller_source=caller_source,
            called=split[0] if split else called,
            origin_area=origin or None,
            origin_source=origin_source,
            crisis=crisis_value in ("1", "yes", "true", "crisis"),
            skill=self._header(req, self.config.skill_header) or None,
            arrived_at=datetime.now(UTC),
            partition=self._header(req, self.config.partition_header) or None,
            handover=self._header(req, self.config.handover_header) or None,
        )

    def start_call(self, call: _Call, event: Any) -> None:
        """Leg A produced its CCEventTry: ask the control whether and how to take the call."""
        from sippy.CCEvents import CCEventFail

        inbound = call.inbound
        assert inbound is not None
        call.call_id = inbound.call_id
        self.calls[call.call_id] = call
        try:
            admission = self.control.call_arrived(inbound)
        except Exception:
            log.exception("call control failed on a new call")
            admission = Admission.refuse(500, "Server Internal Error")
        if not admission.accepted:
            from sippy.SipHeader import SipHeader

            self.stats["refused"] += 1
            call.ended = True
            fail = CCEventFail((admission.code, admission.reason))
            if admission.headers:
                fail.extra_headers = tuple(
                    SipHeader(name=n.lower(), bodys=v) for n, v in admission.headers
                )
            call.ua_a.recvEvent(fail)

    def detail(self, call: _Call, by: Party, final_code: int | None = None) -> None:
        """Hand the SIP detail record of a finished call to ``details`` (no caller number)."""
        if self.details is None or call.inbound is None:
            return
        self.details(
            {
                "sip_call_id": call.call_id,
                "arrived_at": call.inbound.arrived_at.isoformat(),
                "ended_at": datetime.now(UTC).isoformat(),
                "called": call.inbound.called,
                "origin_area": call.inbound.origin_area,
                "crisis_header": call.inbound.crisis,
                "answered": call.answered,
                "ended_by": str(by),
                "final_code": final_code,
                "seats": call.seats,
            }
        )

    def forget(self, call: _Call) -> None:
        if self.calls.get(call.call_id) is call:
            del self.calls[call.call_id]

    # SipActions ----------------------------------------------------------------------------
    def ring(self, call_id: str, seat: SeatTarget, ring_timeout_s: float) -> None:
        from sippy.CCEvents import CCEventTry
        from sippy.SipCallId import SipCallId
        from sippy.UA import UA

        call = self.calls.get(call_id)
        if call is None or call.ended or call.ua_o is not None:
            raise RuntimeError(f"cannot ring a seat for call {call_id}")
        call.attempt += 1
        call.seat_id = seat.counsellor_id
        call.seats.append(
            {"counsellor_id": seat.counsellor_id, "at": datetime.now(UTC).isoformat()}
        )
        ua_o = UA(
            self.global_config,
            event_cb=call.event_o,
            nh_address=(seat.host, seat.port),
            expire_time=ring_timeout_s,
            nh_transport=seat.transport,
        )
        ua_o.local_ua = self.config.user_agent
        ua_o.no_reply_time = min(self.config.no_reply_s, ring_timeout_s)
        call.ua_o = ua_o
        c_id, _cli, _cld, body, _auth, _name = call.e_try.getData()
        # The counsellor sees the hotline number, never the caller's (the caller's identity is
        # kept only as a keyed hash in the record).
        leg_id = SipCallId(f"{c_id}-seat{call.attempt}")
        event = CCEventTry(
            (leg_id, "12356", seat.user, body.getCopy() if body else None, None, "12356")
        )
        ua_o.recvEvent(event)

    def stop_ringing(self, call_id: str) -> None:
        from sippy.CCEvents import CCEventDisconnect

        call = self.calls.get(call_id)
        if call is None or call.ua_o is None or call.answered:
            return
        ua_o = call.ua_o
        call.legs_ignored.add(id(ua_o))
        call.ua_o = None
        call.seat_id = None
        call.seat_result("no_answer", None)  # the engine's ring time ran out
        ua_o.recvEvent(CCEventDisconnect())

    def queued(self, call_id: str, info: QueueInfo) -> None:
        from sippy.CCEvents import CCEventRing
        from sippy.SipHeader import SipHeader

        call = self.calls.get(call_id)
        if call is None or call.ended or call.answered:
            return
        event = CCEventRing((182, "Queued", None))
        value = f"hotline={info.hotline_id};position={info.position}"
        if info.expected_wait_s is not None:
            value += f";expected-wait={info.expected_wait_s}"
        event.extra_headers = (SipHeader(name="x-queue", bodys=value),)
        call.ua_a.recvEvent(event)

    def end(
        self, call_id: str, code: int, reason: str, headers: dict[str, str] | None = None
    ) -> None:
        from sippy.CCEvents import CCEventDisconnect, CCEventFail
        from sippy.SipHeader import SipHeader

        call = self.calls.get(call_id)
        if call is None or call.ended:
            return
        call.ended = True
        if call.ua_o is not None:
            if not call.answered:
                call.seat_result("cancelled", None)
            call.legs_ignored.add(id(call.ua_o))
            call.ua_o.recvEvent(CCEventDisconnect())
        self.detail(call, Party.SYSTEM, None if call.answered else code)
        if call.answered:
            call.ua_a.recvEvent(CCEventDisconnect())
        else:
            fail = CCEventFail((code, reason))
            if headers:
                fail.extra_headers = tuple(
                    SipHeader(name=name.lower(), bodys=value) for name, value in headers.items()
                )
            call.ua_a.recvEvent(fail)

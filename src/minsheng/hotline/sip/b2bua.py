"""The back-to-back user agent: answers INVITEs to the hotline and bridges them to counsellor seats.

Pattern of ``sippy/b2bua_simple.py``: a ``SipTransactionManager`` hands every new request to
:meth:`B2BUA.recv_request`; each INVITE gets a caller-side ``UA`` (leg A); each attempt to ring a
seat gets a fresh outgoing ``UA`` (leg O) fed a ``CCEventTry``. The hotline logic is behind the
:class:`~minsheng.hotline.sip.control.CallControl` interface; this module implements
:class:`~minsheng.hotline.sip.control.SipActions` for it.

Signalling only (no rtpengine): 100 Trying at once (sippy), 182 Queued while the call waits, the
seat's 180, then the seat's 200 bridged through, and BYE relayed in either direction. A seat that
answers 486, 603 or does not answer in its ring time is reported to the control as failed and the
caller stays on leg A, still waiting, while the control picks the next seat.

With media (``media``: an rtpengine; docs/hotline-media.md): the caller is answered at once (200
with rtpengine's SDP), hears the greeting, the recording notice and the crisis key prompt, and only
then joins the queue (``CallControl.call_arrived``), as an Asterisk queue does after its greeting;
while waiting it hears its position and expected wait every ``announce_interval_s``, comfort audio
in between. Seats are INVITEd with rtpengine's SDP; the seat's 200 is handed to rtpengine, which
bridges the two sides on the ports the caller already uses (no re-INVITE). DTMF 1 (RFC 4733,
reported by rtpengine, or SIP INFO) marks the call crisis. The rtpengine session is deleted on
every end and every failure.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from minsheng.hotline.sip import stack
from minsheng.hotline.sip import supervision as sv
from minsheng.hotline.sip.control import (
    Admission,
    CallControl,
    InboundCall,
    Party,
    QueueInfo,
    SeatOutcome,
    SeatTarget,
)
from minsheng.hotline.sip.media import (
    CALLER_TAG,
    SEAT_TAG,
    CallerMedia,
    MediaRelay,
    offer_direction,
)
from minsheng.hotline.sip.mixer import Mixer
from minsheng.hotline.sip.ngproto import NgError
from minsheng.hotline.sip.prompts import COMFORT, PromptSet, position_pieces
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
    announce_interval_s: float = 30.0  # media: queue position spoken at most this often
    # media: a recorder runs, so calls can be recorded; which are is the answering line's own
    # setting (CallControl ``records``), and only after the caller heard the recording notice
    record: bool = False
    crisis_digit: int = 1  # media: the DTMF key that marks a waiting call crisis
    partition_header: str = "x-partition"  # set by the Kamailio front (sip/kamailio.py)
    # Behind the Kamailio front (a cluster node): the caller's last provisional answer is sent
    # again this often while the call is unanswered. Kamailio gives up on a node that has sent
    # nothing for its INVITE timer after a provisional (kamailio.py ``alive_ms``) and sends the
    # call to the standby: a node killed after its 100/180 no longer holds the caller.
    provisional_every_s: float | None = None
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


def media_note(call: _Call) -> str:
    """The media state of a call in a few words (see :meth:`B2BUA.note_media`)."""
    parts = ["anchored"]
    if call.recording:
        parts.append("recorded")
    modes = [s["mode"] for s in call.supervisions if s.get("connected")]
    if call.supervision is not None:
        modes.append(call.supervision["mode"])
    if modes:
        parts.append("supervised:" + ",".join(dict.fromkeys(modes)))
    t = call.transfer
    if t is not None:
        if t.get("connected"):
            status = "connected"
        elif t.get("returned_by"):
            status = "returned"
        elif call.consult is not None:
            status = "consulting" if t.get("consulted") else "ringing"
        elif t.get("connected") is None:
            status = "ringing"
        else:
            status = "failed"
        parts.append(f"handover:{t['to']}:{status}")
    return " ".join(parts)


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
    # media mode ------------------------------------------------------------------------------
    media: CallerMedia | None = None  # rtpengine anchors the call (deleted once, at the end)
    connected: bool = False  # the platform answered the caller (200 with rtpengine's SDP)
    admitted: bool = False  # the greeting is over and the call control has the call
    prompt_hotline: str | None = None  # whose prompt folder
    timer: Any = None  # the next step of what the caller hears
    last_announced: float | None = None  # monotonic time of the last position announcement
    heard: list[str] = field(default_factory=list)  # prompts played, for the detail record
    playing_until: float = 0.0  # monotonic end of the prompt being played
    dtmf_crisis: bool = False  # the caller pressed the crisis key
    recording: bool = False  # rtpengine records the conversation
    notice_until: float | None = None  # monotonic end of the recording notice, once played
    recording_skipped: str | None = None  # the answering line records, but this call was not
    pending_ring: tuple[SeatTarget, float] | None = None  # a seat rung once the notice is over
    ring_timer: Any = None
    ua_t: Any = None  # the emergency service being rung for a hand-over
    transfer: dict[str, Any] | None = None  # the hand-over, for the SIP detail record
    counsellor_sdp: str | None = None  # the counsellor's phone's latest SDP (its 200)
    sdp_version: int = 1  # o= version of what the counsellor's phone was last offered
    reinvite: str | None = None  # a re-INVITE of the counsellor under way: "in" or "out"
    ua_s: Any = None  # the supervisor's phone
    supervision: dict[str, Any] | None = None  # the supervision under way
    supervisions: list[dict[str, Any]] = field(default_factory=list)  # for the detail record
    consult: dict[str, Any] | None = None  # an attended hand-over's consultation under way
    relayed_update: bool = False  # signalling only: a caller's re-INVITE relayed to the seat
    reinvites: list[dict[str, Any]] = field(default_factory=list)  # the caller's, answered
    last_ring: tuple[Any, Any] | None = None  # (data, extra headers) of the caller's last 18x
    ring_sent_at: float = 0.0  # monotonic time the caller was last sent a provisional answer

    def rang(self, event: Any) -> None:
        """The caller was sent ``event`` (a provisional answer): what the keep-alive repeats."""
        self.last_ring = (event.getData(), getattr(event, "extra_headers", None))
        self.ring_sent_at = time.monotonic()

    # leg A (caller side) -------------------------------------------------------------------
    def event_a(self, event: Any, ua: Any) -> None:
        from sippy.CCEvents import CCEventDisconnect, CCEventFail, CCEventTry, CCEventUpdate

        if self.e_try is None:
            if not isinstance(event, CCEventTry):
                ua.recvEvent(CCEventDisconnect())
                return
            self.e_try = event
            self.b2b.start_call(self, event)
            return
        if isinstance(event, (CCEventDisconnect, CCEventFail)):
            if self.ua_t is not None:  # a hand-over under way: the emergency service's leg too
                self.ua_t.recvEvent(CCEventDisconnect(rtime=event.rtime))
                self.ua_t = None
                if self.transfer is not None:
                    self.transfer["connected"] = False
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
        if self.media is not None and isinstance(event, CCEventUpdate):
            # media: rtpengine answers the caller's re-INVITE, waiting or talking
            self.b2b.caller_reinvite(self, event)
            return
        if self.answered and self.ua_o is not None:
            # re-INVITE, INFO and the like travel to the seat once the call is bridged
            if isinstance(event, CCEventUpdate):
                self.relayed_update = True
            self.ua_o.recvEvent(event)
            return
        if self.connected:
            self.b2b.caller_event_waiting(self, event)

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
            if not self.connected:
                self.ua_a.recvEvent(event)
                self.rang(event)
            control.seat_ringing(self.call_id, seat_id)
            return
        if self.answered and isinstance(event, (CCEventConnect, CCEventPreConnect)):
            # the answer to a re-INVITE (ours for supervision, or the caller's relayed one)
            if self.reinvite is not None:
                self.b2b.reinvite_answered(self, event)
            elif self.media is None:
                self.relayed_update = False
                self.ua_a.recvEvent(event)
            return
        if self.answered and self.reinvite is not None and isinstance(event, CCEventFail):
            self.b2b.reinvite_failed(self, event)
            return
        if self.answered and self.relayed_update and isinstance(event, CCEventFail):
            # the seat refused the caller's relayed re-INVITE (signalling only): the caller
            # gets the refusal and the call goes on as it was
            self.relayed_update = False
            self.ua_a.recvEvent(event)
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
            if self.connected:
                self.b2b.bridge_media(self, event)
            else:
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

    # leg T (an emergency service taking the caller over) --------------------------------------
    def event_t(self, event: Any, ua: Any) -> None:
        from sippy.CCEvents import (
            CCEventConnect,
            CCEventDisconnect,
            CCEventFail,
            CCEventPreConnect,
            CCEventRedirect,
        )

        if ua is self.ua_o:
            self.event_o(event, ua)  # handed over: the emergency service is the other side now
            return
        if ua is not self.ua_t or self.ended or self.transfer is None:
            return
        if isinstance(event, (CCEventConnect, CCEventPreConnect)):
            if self.consult is not None:
                self.b2b.consult_answered(self, event)
            else:
                self.b2b.handed_over(self, ua, event)
        elif isinstance(event, (CCEventFail, CCEventRedirect, CCEventDisconnect)):
            code = None
            if isinstance(event, (CCEventFail, CCEventRedirect)):
                code = int(event.getData()[0])
            self.transfer.update(connected=False, sip_code=code)
            self.ua_t = None  # the counsellor is still with the caller
            if self.consult is not None:  # the consultation failed or 120 hung up: back
                self.b2b.return_to_caller(self, "gateway")

    # leg S (a supervisor's phone) -------------------------------------------------------------
    def event_s(self, event: Any, ua: Any) -> None:
        from sippy.CCEvents import (
            CCEventConnect,
            CCEventDisconnect,
            CCEventFail,
            CCEventPreConnect,
            CCEventRedirect,
        )

        if ua is not self.ua_s or self.supervision is None:
            return
        if isinstance(event, (CCEventConnect, CCEventPreConnect)):
            self.b2b.supervisor_answered(self, event)
        elif isinstance(event, (CCEventFail, CCEventRedirect, CCEventDisconnect)):
            code = None
            if isinstance(event, (CCEventFail, CCEventRedirect)):
                code = int(event.getData()[0])
            self.ua_s = None  # its leg is over already
            self.b2b.end_supervision(self, "supervisor", code)

    def seat_result(self, outcome: str, code: int | None) -> None:
        if self.seats and "outcome" not in self.seats[-1]:
            self.seats[-1]["outcome"] = outcome
            if code is not None:
                self.seats[-1]["sip_code"] = code

    def finish(self, by: Party) -> None:
        if self.ended:
            # e.g. the caller hung up during the last-resort message: nothing more to play
            self.b2b.release_media(self)
            return
        self.ended = True
        if self.ua_o is not None and not self.answered:
            self.seat_result("cancelled", None)
        self.b2b.release_media(self)
        self.b2b.detail(self, by)
        self.b2b.note_media(self)
        if self.admitted or self.media is None:
            self.b2b.control.call_ended(self.call_id, by)


class B2BUA:
    """The SIP side of the hotline. Create, then :meth:`start` on the SIP thread."""

    def __init__(
        self,
        control: CallControl,
        config: B2BUAConfig,
        *,
        details: Callable[[dict[str, Any]], None] | None = None,
        media: MediaRelay | None = None,
        prompts: PromptSet | None = None,
        recorded: Callable[[str, int], None] | None = None,
        mixer: Mixer | None = None,
    ) -> None:
        self.control = control
        self.config = config
        self.details = details
        self.media = media
        self.prompts = prompts
        self.recorded = recorded  # (SIP Call-ID, rtpengine's caller-side port) of a recorded call
        self.mixer = mixer  # supervision's audio (sip/mixer.py); made on first use with media
        self.calls: dict[str, _Call] = {}
        self.global_config: dict[str, Any] = {}
        self.registrar = Registrar(control, realm=config.realm)
        self.stats = {"invites": 0, "refused": 0, "bad_requests": 0}
        self.media_stats = {
            "media_failed": 0,
            "media_lost": 0,
            "prompts_played": 0,
            "dtmf_crisis": 0,
        }
        # A draining node answers the front's OPTIONS probes 503, so Kamailio sends it no new call.
        self.options_code = (200, "OK")
        self._ticker: Any = None
        self.media_check_s = 5.0
        self._next_media_check = 0.0
        self._next_keepalive = 0.0

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
        every = self.config.provisional_every_s
        if every is not None and time.monotonic() >= self._next_keepalive:
            self._next_keepalive = time.monotonic() + every / 2
            self.keep_alive(every)
        if self.media is not None:
            now = time.monotonic()
            if now >= self._next_media_check:
                self._next_media_check = now + self.media_check_s
                self.check_media()

    def keep_alive(self, every_s: float) -> None:
        """Send each unanswered caller its last provisional answer again (180 Ringing when it
        had none but sippy's 100) once ``every_s`` has passed since the last one: the front's
        sign that this node still holds the call (see ``B2BUAConfig.provisional_every_s``)."""
        from sippy.CCEvents import CCEventRing

        now = time.monotonic()
        for call in list(self.calls.values()):
            if call.answered or call.ended or call.connected or call.ua_a is None:
                continue
            if call.e_try is None or now - call.ring_sent_at < every_s:
                continue
            data, headers = call.last_ring or ((180, "Ringing", None), None)
            event = CCEventRing(data)
            if headers:
                event.extra_headers = headers
            call.ua_a.recvEvent(event)
            call.rang(event)

    def shutdown(self) -> None:
        """Stop the timers, let the control end every call and flush its records, close the port."""
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        # calls still hearing their greeting are not the control's yet: end them here
        for call in list(self.calls.values()):
            if call.connected and not call.admitted and not call.ended:
                self.end(call.call_id, 503, "Service Unavailable")
        # the control ends the calls still up first, so their BYEs and 503s leave before the
        # transport closes (the sender drains its queue on shutdown)
        self.control.close()
        # callers hearing the last-resort message: hang up now, the timer will not run
        for call in list(self.calls.values()):
            if call.ended and call.timer is not None:
                self._stop_program(call)
                self._hang_up(call)
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
        if self.media is not None:
            self._answer_with_media(call, event)
            return
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
                **({"transfer": call.transfer} if call.transfer is not None else {}),
                **({"supervision": call.supervisions} if call.supervisions else {}),
                **(
                    {
                        "media": {
                            "admitted": call.admitted,
                            "heard": call.heard,
                            "dtmf_crisis": call.dtmf_crisis,
                            "recorded": call.recording,
                            **({"reinvites": call.reinvites} if call.reinvites else {}),
                            **(
                                {"recording_skipped": call.recording_skipped}
                                if call.recording_skipped
                                else {}
                            ),
                        }
                    }
                    if call.media is not None
                    else {}
                ),
            }
        )

    def forget(self, call: _Call) -> None:
        if self.calls.get(call.call_id) is call:
            del self.calls[call.call_id]

    # SipActions ----------------------------------------------------------------------------
    def ring(self, call_id: str, seat: SeatTarget, ring_timeout_s: float) -> None:
        call = self.calls.get(call_id)
        if call is None or call.ended or call.ua_o is not None:
            raise RuntimeError(f"cannot ring a seat for call {call_id}")
        self._cancel_pending_ring(call)
        if call.connected and not self._notice_heard(call, seat.counsellor_id):
            # the seat's line records and its notice is (now) playing: ring when it is over
            assert call.notice_until is not None
            call.pending_ring = (seat, ring_timeout_s)
            delay = max(call.notice_until - time.monotonic(), 0.0) + 0.2
            call.ring_timer = stack.call_later(delay, self._ring_pending, call)
            return
        self._send_ring(call, seat, ring_timeout_s)

    def _ring_pending(self, call: _Call) -> None:
        call.ring_timer = None
        pending, call.pending_ring = call.pending_ring, None
        if pending is None or call.ended or call.answered or call.ua_o is not None:
            return
        self._send_ring(call, *pending)

    def _cancel_pending_ring(self, call: _Call) -> bool:
        if call.ring_timer is not None:
            call.ring_timer.cancel()
            call.ring_timer = None
        pending, call.pending_ring = call.pending_ring, None
        return pending is not None

    def _send_ring(self, call: _Call, seat: SeatTarget, ring_timeout_s: float) -> None:
        from sippy.CCEvents import CCEventTry
        from sippy.SipCallId import SipCallId
        from sippy.UA import UA

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
        if call.media is not None:
            from sippy.MsgBody import MsgBody

            body = MsgBody(call.media.seat_sdp)
        # The counsellor sees the hotline number, never the caller's (the caller's identity is
        # kept only as a keyed hash in the record).
        leg_id = SipCallId(f"{c_id}-seat{call.attempt}")
        event = CCEventTry(
            (leg_id, "12356", seat.user, body.getCopy() if body else None, None, "12356")
        )
        event.extra_headers = (self._seat_call_header(call),)
        ua_o.recvEvent(event)

    @staticmethod
    def _seat_call_header(call: _Call) -> Any:
        """``X-Seat-Call``: what the seat shows while it rings (the browser seat's alert): the
        call's reference, the crisis mark, the masked number (never the number), the origin area,
        the arrival."""
        from sippy.SipHeader import SipHeader

        from minsheng.core.privacy import mask_phone

        inbound = call.inbound
        parts = []
        if call.call_id:
            parts.append(f"call={call.call_id}")  # the call record's reference (wrap-up)
        if inbound is not None:
            crisis = inbound.crisis or call.dtmf_crisis
            parts.append(f"crisis={1 if crisis else 0}")
            if inbound.caller:
                parts.append(f"caller={mask_phone(inbound.caller)}")
            if inbound.origin_area:
                parts.append(f"origin={inbound.origin_area}")
            parts.append(f"arrived={inbound.arrived_at.strftime('%Y-%m-%dT%H:%M:%SZ')}")
        return SipHeader(name="x-seat-call", bodys=";".join(parts) or "none")

    def stop_ringing(self, call_id: str) -> None:
        from sippy.CCEvents import CCEventDisconnect

        call = self.calls.get(call_id)
        if call is not None and self._cancel_pending_ring(call):
            return  # not rung yet (its line's recording notice was playing)
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
        if call.connected:
            # a caller answered by the platform hears its position instead; a line it rolled
            # over to that records is announced first
            self._notice_for(call, info.hotline_id)
            return
        event = CCEventRing((182, "Queued", None))
        value = f"hotline={info.hotline_id};position={info.position}"
        if info.expected_wait_s is not None:
            value += f";expected-wait={info.expected_wait_s}"
        event.extra_headers = (SipHeader(name="x-queue", bodys=value),)
        call.ua_a.recvEvent(event)
        call.rang(event)

    def end(
        self, call_id: str, code: int, reason: str, headers: dict[str, str] | None = None
    ) -> None:
        from sippy.CCEvents import CCEventDisconnect, CCEventFail
        from sippy.SipHeader import SipHeader

        call = self.calls.get(call_id)
        if call is None or call.ended:
            return
        call.ended = True
        if call.ua_t is not None:
            call.ua_t.recvEvent(CCEventDisconnect())
            call.ua_t = None
        if call.ua_o is not None:
            if not call.answered:
                call.seat_result("cancelled", None)
            call.legs_ignored.add(id(call.ua_o))
            call.ua_o.recvEvent(CCEventDisconnect())
        self.detail(call, Party.SYSTEM, None if call.answered or call.connected else code)
        if call.connected and not call.answered and code == 480:
            # the last resort: the caller hears why before the platform hangs up
            self._stop_program(call)
            wait = self._play(call, "last_resort")
            call.timer = stack.call_later(wait, self._hang_up, call)
            return
        self.release_media(call)
        if call.answered or call.connected:
            call.ua_a.recvEvent(CCEventDisconnect())
        else:
            fail = CCEventFail((code, reason))
            if headers:
                fail.extra_headers = tuple(
                    SipHeader(name=name.lower(), bodys=value) for name, value in headers.items()
                )
            call.ua_a.recvEvent(fail)

    # hand-over to 110/119/120 --------------------------------------------------------------------
    def transfer(
        self, call_id: str, number: str, target: SeatTarget, headers: dict[str, str], by: str
    ) -> None:
        """Ring the emergency service for a call in conversation; when it answers, the caller is
        bridged to it and the counsellor's leg ends (the counsellor stays on until then)."""
        from sippy.CCEvents import CCEventTry
        from sippy.MsgBody import MsgBody
        from sippy.SipCallId import SipCallId
        from sippy.SipHeader import SipHeader
        from sippy.UA import UA

        call = self.calls.get(call_id)
        if call is None or call.ended or not call.answered or call.ua_o is None:
            raise LookupError("no call in conversation with this SIP Call-ID")
        if call.media is None:
            raise ValueError("a hand-over needs the media relay (rtpengine)")
        if call.ua_t is not None:
            raise ValueError("a hand-over of this call is under way")
        if call.supervision is not None:
            raise ValueError("the call is being supervised: end the supervision first")
        extra = tuple(SipHeader(name=k.lower(), bodys=v) for k, v in headers.items())
        ua_t = UA(
            self.global_config,
            event_cb=call.event_t,
            nh_address=(target.host, target.port),
            expire_time=60.0,
            nh_transport=target.transport,
            extra_headers=extra,
        )
        ua_t.local_ua = self.config.user_agent
        ua_t.no_reply_time = self.config.no_reply_s * 2
        call.ua_t = ua_t
        call.transfer = {
            "to": number,
            "by": by,
            "at": datetime.now(UTC).isoformat(),
            "connected": None,
            "sip_code": None,
        }
        self.note_media(call)
        c_id = call.e_try.getData()[0]
        leg_id = SipCallId(f"{c_id}-handover")
        ua_t.recvEvent(
            CCEventTry((leg_id, "12356", target.user, MsgBody(call.media.seat_sdp), None, "12356"))
        )

    def handed_over(self, call: _Call, ua: Any, event: Any) -> None:
        """The emergency service answered: point rtpengine's seat side at it, end the
        counsellor's leg; the caller now talks to the emergency service."""
        from sippy.CCEvents import CCEventDisconnect

        assert self.media is not None
        assert call.transfer is not None
        body = event.getData()[2] if len(event.getData()) > 2 else None
        if body is not None:
            try:
                self.media.seat_answered(call.call_id, str(body))
            except NgError as exc:
                self.media_stats["media_failed"] += 1
                log.warning("rtpengine did not take the emergency service's answer: %s", exc)
        old = call.ua_o
        if old is not None:
            call.legs_ignored.add(id(old))
            old.recvEvent(CCEventDisconnect())
        call.ua_o = ua
        call.ua_t = None
        call.transfer.update(
            connected=True, sip_code=200, connected_at=datetime.now(UTC).isoformat()
        )
        self.note_media(call)
        # the counsellor's part of the call ends here (record, wrap-up); the caller stays on
        self.control.call_ended(call.call_id, Party.COUNSELLOR)

    # media mode ----------------------------------------------------------------------------
    def _answer_with_media(self, call: _Call, event: Any) -> None:
        """Anchor the call in rtpengine, answer the caller, start the greeting."""
        from sippy.CCEvents import CCEventConnect, CCEventFail
        from sippy.MsgBody import MsgBody

        assert self.media is not None
        assert call.inbound is not None
        body = event.getData()[3]
        try:
            call.media = self.media.anchor(call.call_id, str(body) if body else "")
        except (NgError, ValueError) as exc:
            self.media_stats["media_failed"] += 1
            self.stats["refused"] += 1
            call.ended = True
            call.media = None
            log.warning("no media for a call: %s", exc)
            if isinstance(exc, ValueError):
                call.ua_a.recvEvent(CCEventFail((488, "Not Acceptable Here")))
            else:
                call.ua_a.recvEvent(CCEventFail((503, "Service Unavailable")))
            return
        call.connected = True
        call.ua_a.recvEvent(CCEventConnect((200, "OK", MsgBody(call.media.caller_sdp))))
        try:
            preview = self.control.preview(call.inbound)
        except Exception:
            log.exception("call control failed to preview a call")
            self.end(call.call_id, 500, "Server Internal Error")
            return
        call.prompt_hotline = preview.hotline_id
        names = ["greeting"]
        if self._records(preview.hotline_id):
            names.append("recording_notice")
        if preview.local_closed:
            names.append("closed")
        names.append("crisis_key")
        self._play_sequence(call, names, self._admit)

    def _play(self, call: _Call, name: str, path: str | None = None) -> float:
        """Play one prompt to the caller; returns how long to wait before the next step."""
        if self.media is None or self.prompts is None or call.media is None:
            return 0.0
        if path is None:
            found = self.prompts.path(name, call.prompt_hotline)
            if found is None:
                return 0.0  # no such prompt (a hotline without prompts): nothing to hear
            path = str(found)
        if time.monotonic() < call.playing_until:
            # a second ``play media`` over a running one is not heard: stop the first
            with contextlib.suppress(NgError):
                self.media.stop(call.call_id)
            if call.notice_until == call.playing_until:
                call.notice_until = None  # the recording notice was cut: not heard
        try:
            duration = self.media.play(call.call_id, path)
        except NgError as exc:
            self.media_stats["media_failed"] += 1
            log.warning("cannot play %s: %s", name, exc)
            return 0.0
        self.media_stats["prompts_played"] += 1
        call.heard.append(name)
        call.playing_until = time.monotonic() + duration
        if name == "recording_notice":
            call.notice_until = call.playing_until
        return duration

    def _play_sequence(self, call: _Call, names: list[str], then: Callable[[_Call], None]) -> None:
        if call.ended or call.answered:
            return
        if not names:
            then(call)
            return
        wait = self._play(call, names[0])
        rest = names[1:]
        if wait <= 0:
            self._play_sequence(call, rest, then)
            return
        call.timer = stack.call_later(wait + 0.2, self._play_sequence, call, rest, then)

    def _admit(self, call: _Call) -> None:
        """The greeting is over: the call joins the queue, the caller hears the waiting program."""
        call.timer = None
        if call.ended or call.inbound is None:
            return
        inbound = call.inbound
        if call.dtmf_crisis and not inbound.crisis:
            inbound = dataclasses.replace(inbound, crisis=True)
        try:
            admission = self.control.call_arrived(inbound)
        except Exception:
            log.exception("call control failed on a new call")
            admission = Admission.refuse(500, "Server Internal Error")
        if not admission.accepted:
            self.stats["refused"] += 1
            self.end(call.call_id, admission.code, admission.reason)
            return
        call.admitted = True
        if not call.ended and not call.answered and call.timer is None:
            # (a timer here: the call went to a line that records and its notice is playing)
            self._waiting_program(call)

    def _waiting_program(self, call: _Call) -> None:
        """Position and expected wait every announce_interval_s, comfort audio in between."""
        call.timer = None
        if call.ended or call.answered or self.prompts is None:
            return
        now = time.monotonic()
        info = self.control.queue_info(call.call_id)
        due = (
            call.last_announced is None
            or now - call.last_announced >= self.config.announce_interval_s
        )
        wait = 0.0
        if info is not None and call.notice_until is None and self._records(info.hotline_id):
            # the line it waits for records and the notice was not heard (cut short): first
            wait = self._play(call, "recording_notice")
            due = False
        if info is not None and due:
            names = [*position_pieces(info.position, info.expected_wait_s), "crisis_key"]
            path = self.prompts.assemble(names, call.prompt_hotline)
            if path is not None:
                call.last_announced = now
                wait = self._play(call, "position", str(path))
        if wait <= 0:
            wait = self._play(call, COMFORT)
        # nothing to play (no prompts at all): look again in a second
        call.timer = stack.call_later(max(wait, 1.0), self._waiting_program, call)

    # recording: the answering line's setting, the notice first ---------------------------------
    def _records(self, hotline_id: str | None) -> bool:
        """Whether calls answered by this line are recorded: a recorder must run and the line's
        own setting say so (a call control that knows no lines: the recorder decides)."""
        if not self.config.record:
            return False
        records = getattr(self.control, "records", None)
        return True if records is None else bool(records(hotline_id))

    def _seat_hotline(self, counsellor_id: str | None) -> str | None:
        seat_hotline = getattr(self.control, "seat_hotline", None)
        return None if seat_hotline is None else seat_hotline(counsellor_id)

    def _notice_for(self, call: _Call, hotline_id: str | None) -> None:
        """The call now waits for (or rings) a line that records, and its caller has not heard
        the recording notice (its first line does not record): play it now, then go on with the
        waiting program. A seat answering before the notice is over is not recorded."""
        if call.ended or call.answered or call.notice_until is not None:
            return
        if not self._records(hotline_id):
            return
        self._stop_program(call)
        wait = self._play(call, "recording_notice")
        if call.notice_until is None:
            return  # no notice prompt to play: the call will not be recorded
        call.timer = stack.call_later(wait + 0.2, self._waiting_program, call)

    def _notice_heard(self, call: _Call, counsellor_id: str) -> bool:
        """Whether this seat may ring now: its line does not record, or the caller has heard
        the recording notice (played now when not yet: see :meth:`_notice_for`)."""
        if not self._records(self._seat_hotline(counsellor_id)):
            return True
        self._notice_for(call, self._seat_hotline(counsellor_id))
        return call.notice_until is None or time.monotonic() >= call.notice_until

    def _start_recording(self, call: _Call) -> None:
        """The counsellor answered: record if the answering line records and the caller heard
        the whole notice before (docs/hotline-media.md, Recording)."""
        assert self.media is not None
        if not self._records(self._seat_hotline(call.seat_id)):
            return
        if call.notice_until is None or time.monotonic() < call.notice_until:
            call.recording_skipped = "notice_not_heard"
            return
        try:
            self.media.start_recording(call.call_id)
            call.recording = True
        except NgError as exc:
            self.media_stats["media_failed"] += 1
            log.warning("rtpengine did not start recording: %s", exc)

    def _stop_program(self, call: _Call) -> None:
        if call.timer is not None:
            call.timer.cancel()
            call.timer = None

    def bridge_media(self, call: _Call, event: Any) -> None:
        """The seat answered: stop the prompts, point rtpengine's seat side at the seat."""
        self._stop_program(call)
        assert self.media is not None
        body = event.getData()[2] if len(event.getData()) > 2 else None
        if time.monotonic() < call.playing_until:
            with contextlib.suppress(NgError):  # it ended in the meantime
                self.media.stop(call.call_id)
        if body is None:
            return  # no SDP in the 200: rtpengine learns the seat's address from its packets
        call.counsellor_sdp = str(body)
        try:
            self.media.seat_answered(call.call_id, str(body))
        except NgError as exc:
            self.media_stats["media_failed"] += 1
            log.warning("rtpengine did not take the seat's answer: %s", exc)
        self._start_recording(call)
        self.note_media(call)

    def check_media(self) -> None:
        """Calls whose rtpengine session is gone (rtpengine restarted) are lost: end them.

        Their audio stopped with the old rtpengine; ending them (BYE both ways, ``ended_by``
        system) frees the counsellor and the record says so, instead of silence until someone
        hangs up.
        """
        assert self.media is not None
        if not self.media.live:
            return
        try:
            listed = set(self.media.list_calls(limit=len(self.media.live) + 100))
        except NgError:
            return  # down right now: nothing can be told until it answers again
        for call_id in sorted(self.media.live - listed):
            call = self.calls.get(call_id)
            self.media.live.discard(call_id)
            if call is None or call.ended:
                continue
            self.media_stats["media_lost"] += 1
            admitted = call.admitted
            self.end(call_id, 503, "Service Unavailable")
            if admitted:
                self.control.call_ended(call_id, Party.SYSTEM)

    def release_media(self, call: _Call) -> None:
        """Stop the prompts and delete the rtpengine session (once per call)."""
        self._stop_program(call)
        self._cancel_pending_ring(call)
        if call.supervision is not None:
            self.end_supervision(call, "call_ended")
        if call.consult is not None:
            from sippy.CCEvents import CCEventDisconnect

            if call.ua_t is not None:  # the emergency service being consulted
                ua_t, call.ua_t = call.ua_t, None
                ua_t.recvEvent(CCEventDisconnect())
            if self.mixer is not None:
                self.mixer.close_bridge(call.consult["bridge"])
            call.consult = None
        if call.media is not None and self.media is not None and call.call_id in self.media.live:
            deleted = self.media.delete(call.call_id)
            if call.recording and deleted and self.recorded is not None:
                # the delete closes rtpengine's pcap: convert and encrypt it (off this thread)
                self.recorded(call.call_id, call.media.caller_port)

    def _hang_up(self, call: _Call) -> None:
        from sippy.CCEvents import CCEventDisconnect

        call.timer = None
        self.release_media(call)
        if call.ua_a is not None and call.ua_a.state is not None:
            call.ua_a.recvEvent(CCEventDisconnect())

    def caller_reinvite(self, call: _Call, event: Any) -> None:
        """The caller's re-INVITE (hold, unhold, new address or codec) while waiting or talking:
        rtpengine answers it on the caller's leg only (``MediaRelay.caller_reoffer``), the
        counsellor's leg is not touched; 200 with our SDP, 488 when the call's codec is dropped,
        500 when rtpengine fails (RFC 3261 §14.2: the session goes on as before)."""
        from sippy.CCEvents import CCEventConnect, CCEventFail
        from sippy.MsgBody import MsgBody

        assert call.media is not None
        body = event.getData()
        offer = str(body) if body is not None else ""
        code = 200
        try:
            if self.media is None or call.ended:
                raise NgError("no media relay")
            answer = self.media.caller_reoffer(call.call_id, call.media, offer)
        except ValueError as exc:
            code = 488
            log.info("a caller's re-INVITE refused: %s", exc)
            call.ua_a.recvEvent(CCEventFail((488, "Not Acceptable Here")))
        except NgError as exc:
            code = 500
            self.media_stats["media_failed"] += 1
            log.warning("rtpengine did not take a caller's re-INVITE: %s", exc)
            call.ua_a.recvEvent(CCEventFail((500, "Server Internal Error")))
        else:
            call.ua_a.recvEvent(CCEventConnect((200, "OK", MsgBody(answer))))
        state = "talking" if call.answered else "waiting" if call.admitted else "greeting"
        call.reinvites.append(
            {"at": datetime.now(UTC).isoformat(), "state": state, "code": code,
             "direction": offer_direction(offer)}
        )  # fmt: skip

    def caller_event_waiting(self, call: _Call, event: Any) -> None:
        """Something from a caller the platform answered, before a seat did: SIP INFO DTMF."""
        from sippy.CCEvents import CCEventInfo

        if not isinstance(event, CCEventInfo):
            return
        body = event.getData()
        text = str(body) if body is not None else ""
        match = re.search(r"(?im)^\s*signal\s*=\s*(\S+)", text)
        if match and match.group(1) == str(self.config.crisis_digit):
            self.crisis_key(call)

    def dtmf(self, call_id: str, source_tag: str, event: int) -> None:
        """A DTMF event rtpengine detected (RFC 4733) on a call's media."""
        call = self.calls.get(call_id)
        if call is None or source_tag != CALLER_TAG:
            return
        if event == self.config.crisis_digit:
            self.crisis_key(call)

    def crisis_key(self, call: _Call) -> None:
        """The caller pressed the crisis key while waiting: crisis now, ahead of everyone."""
        if call.ended or call.answered or call.dtmf_crisis:
            return
        call.dtmf_crisis = True
        self.media_stats["dtmf_crisis"] += 1
        if call.admitted:
            self.control.mark_crisis(call.call_id)
            # interrupt the waiting program with the acknowledgement, then carry on
            self._stop_program(call)
            wait = self._play(call, "crisis_ack")
            call.timer = stack.call_later(max(wait, 0.2), self._waiting_program, call)
        # during the greeting the call joins the queue as crisis when the greeting ends

    # supervision (sip/supervision.py) -----------------------------------------------------------
    def supervise(self, call_id: str, mode: sv.Mode, target: SeatTarget, by: str) -> dict[str, Any]:
        """Ring a supervisor's phone into a call in conversation; audio starts when it answers."""
        from sippy.CCEvents import CCEventTry
        from sippy.MsgBody import MsgBody
        from sippy.SipCallId import SipCallId
        from sippy.UA import UA

        call = self.calls.get(call_id)
        if call is None or call.ended or not call.answered or call.ua_o is None:
            raise LookupError("no call in conversation with this SIP Call-ID")
        if call.media is None or self.media is None:
            raise ValueError("supervision needs the media relay (rtpengine)")
        if call.supervision is not None:
            raise ValueError("the call is already being supervised")
        if (
            call.ua_t is not None
            or call.consult is not None
            or (call.transfer is not None and call.transfer.get("connected"))
        ):
            raise ValueError("the call is being handed over")
        if mode is not sv.Mode.LISTEN and call.counsellor_sdp is None:
            raise ValueError("the counsellor's phone gave no SDP: only listening is possible")
        payload = sv.g711_payload(call.media.seat_sdp)
        if payload is None:
            raise ValueError("the call's codec is not G.711: the supervision mixer cannot mix it")
        if self.mixer is None:
            self.mixer = Mixer(self.global_config.get("_sip_address") or "127.0.0.1")
        key = f"{call_id}#{len(call.supervisions) + 1}"  # one bridge per supervision
        bridge = self.mixer.open(key, sv.PORTS, payload)
        self.mixer.set_matrix(key, {"supervisor": sv.MATRIX[mode]["supervisor"]})
        # sendrecv in every mode: a phone offered sendonly may not play it at all (baresip 1.0
        # answers recvonly and plays nothing); in listen the mixer drops the supervisor's audio
        offer = sv.mixer_sdp(self.mixer.host, bridge.port("supervisor"), payload, "sendrecv")
        ua_s = UA(
            self.global_config,
            event_cb=call.event_s,
            nh_address=(target.host, target.port),
            expire_time=30.0,
            nh_transport=target.transport,
        )
        ua_s.local_ua = self.config.user_agent
        ua_s.no_reply_time = self.config.no_reply_s * 2
        call.ua_s = ua_s
        call.supervision = {
            "mode": str(mode),
            "supervisor": target.counsellor_id,
            "by": by,
            "at": datetime.now(UTC).isoformat(),
            "connected": None,
            "payload": payload,
            "bridge": key,
            "subscriptions": [],
        }
        c_id = call.e_try.getData()[0]
        leg_id = SipCallId(f"{c_id}-supervisor{len(call.supervisions) + 1}")
        ua_s.recvEvent(CCEventTry((leg_id, "12356", target.user, MsgBody(offer), None, "12356")))
        return {"mode": str(mode), "supervisor": target.counsellor_id, "ringing": True}

    def supervisor_answered(self, call: _Call, event: Any) -> None:
        """The supervisor's phone answered: give it the call's audio (per mode)."""
        assert self.media is not None
        assert self.mixer is not None
        assert call.media is not None
        state = call.supervision
        assert state is not None
        body = event.getData()[2] if len(event.getData()) > 2 else None
        answer = sv.sdp_address(str(body)) if body is not None else None
        key = state["bridge"]
        self.mixer.set_dest(key, "supervisor", answer)
        mode = sv.Mode(state["mode"])
        bridge = self.mixer.bridges[key]
        host, payload = self.mixer.host, int(state["payload"])
        try:
            if mode is sv.Mode.LISTEN:
                # rtpengine copies each side to the mixer; the call's own path is untouched
                for tag, port in ((CALLER_TAG, "caller"), (SEAT_TAG, "counsellor")):
                    to_tag = f"supervise-{port}"
                    offer = self.media.subscribe(call.call_id, tag, to_tag)
                    sdp = sv.mixer_sdp(host, bridge.port(port), payload, "recvonly")
                    self.media.subscribe_answer(call.call_id, to_tag, sdp)
                    state["subscriptions"].append(to_tag)
                    del offer  # rtpengine mirrors the side's SDP; the mixer takes its codec
            else:
                assert call.counsellor_sdp is not None
                self.mixer.set_dest(key, "caller", sv.sdp_address(call.media.seat_sdp))
                self.mixer.set_dest(key, "counsellor", sv.sdp_address(call.counsellor_sdp))
                self.mixer.set_follow(key, sv.FOLLOW)
                # rtpengine's seat side now talks to the mixer (the caller's leg is not touched)
                sdp = sv.mixer_sdp(host, bridge.port("caller"), payload, "sendrecv")
                self.media.seat_answered(call.call_id, sdp)
                moved = sv.readdress(
                    call.media.seat_sdp, host, bridge.port("counsellor"), call.sdp_version + 1
                )
                self._reinvite_counsellor(call, "in", moved)
        except NgError as exc:
            self.media_stats["media_failed"] += 1
            log.warning("rtpengine refused the supervision: %s", exc)
            self.end_supervision(call, "media_failed")
            return
        self.mixer.set_matrix(key, sv.MATRIX[mode])
        state.update(connected=True, connected_at=datetime.now(UTC).isoformat())
        self.note_media(call)

    def _reinvite_counsellor(self, call: _Call, purpose: str, sdp: str) -> None:
        from sippy.CCEvents import CCEventUpdate
        from sippy.MsgBody import MsgBody

        if call.ua_o is None:
            return
        call.sdp_version = sv.sdp_version(sdp)
        call.reinvite = purpose
        call.ua_o.recvEvent(CCEventUpdate(MsgBody(sdp)))

    def reinvite_answered(self, call: _Call, event: Any) -> None:
        body = event.getData()[2] if len(event.getData()) > 2 else None
        purpose, call.reinvite = call.reinvite, None
        if body is None:
            return
        bridge = (call.supervision or call.consult or {}).get("bridge")
        if purpose == "in" and self.mixer is not None and bridge is not None:
            self.mixer.set_dest(bridge, "counsellor", sv.sdp_address(str(body)))
        elif purpose == "out":
            call.counsellor_sdp = str(body)

    def reinvite_failed(self, call: _Call, event: Any) -> None:
        purpose, call.reinvite = call.reinvite, None
        log.warning("the counsellor's phone refused a re-INVITE (%s): %s", purpose, event.getData())
        if purpose == "in" and call.supervision is not None:
            self.end_supervision(call, "counsellor_refused")
        elif purpose == "in" and call.consult is not None:
            self.return_to_caller(call, "counsellor_refused")

    def end_supervision(self, call: _Call, reason: str, code: int | None = None) -> bool:
        """Undo the supervision: the call's media back as it was, the supervisor's leg ended."""
        from sippy.CCEvents import CCEventDisconnect

        state = call.supervision
        if state is None:
            return False
        call.supervision = None
        if call.ua_s is not None:
            ua_s, call.ua_s = call.ua_s, None
            ua_s.recvEvent(CCEventDisconnect())
        mode = sv.Mode(state["mode"])
        call_alive = not call.ended and call.media is not None and self.media is not None
        if call_alive and mode is not sv.Mode.LISTEN and self.mixer is not None:
            # first the bridge stops sending to the counsellor's phone, then rtpengine's seat side
            # is pointed back at it: never two streams (the bridge's and rtpengine's) reaching
            # the phone interleaved. The counsellor's voice still goes on through the bridge to
            # the caller until the phone takes its re-INVITE.
            self.mixer.set_matrix(state["bridge"], {"caller": ("counsellor",)})
        if call_alive:
            assert self.media is not None
            assert call.media is not None
            try:
                for to_tag in state["subscriptions"]:  # also those of a half-made listen
                    self.media.unsubscribe(call.call_id, to_tag)
                if (
                    state.get("connected")
                    and mode is not sv.Mode.LISTEN
                    and call.counsellor_sdp is not None
                ):
                    self.media.seat_answered(call.call_id, call.counsellor_sdp)
                    self._reinvite_counsellor(
                        call, "out", sv.with_version(call.media.seat_sdp, call.sdp_version + 1)
                    )
            except NgError as exc:
                self.media_stats["media_failed"] += 1
                log.warning("rtpengine did not take the end of a supervision: %s", exc)
        if self.mixer is not None:
            key = state["bridge"]
            bridge = self.mixer.bridges.get(key)
            if bridge is not None:
                state["frames"] = bridge.stats()
            if call_alive and mode is not sv.Mode.LISTEN:
                # the counsellor's audio comes through the mixer until its re-INVITE is answered
                stack.call_later(2.0, self.mixer.close_bridge, key)
            else:
                self.mixer.close_bridge(key)
        for private in ("subscriptions", "payload", "bridge"):
            state.pop(private, None)
        state.update(ended_at=datetime.now(UTC).isoformat(), ended_by=reason)
        if state.get("connected") is None:
            state.update(connected=False, sip_code=code)
        call.supervisions.append(state)
        if not call.ended:
            self.note_media(call)
        return True

    def media_calls(self) -> list[dict[str, Any]]:
        """The media state of each call up (for ``/status`` and the live board): greeting,
        waiting or talking; prompts heard; recorded; supervised (mode); handed over."""
        rows = []
        for c in self.calls.values():
            if c.ended or c.media is None:
                continue
            state = "talking" if c.answered else "waiting" if c.admitted else "greeting"
            rows.append(
                {
                    "sip_call_id": c.call_id,
                    "state": state,
                    "counsellor_id": c.seat_id if c.answered else None,
                    "heard": len(c.heard),
                    "recording": c.recording,
                    "supervised": c.supervision["mode"] if c.supervision else None,
                    "transfer": (c.transfer or {}).get("to"),
                    "consulting": c.consult is not None,
                    "consulted": bool(c.consult and (c.transfer or {}).get("consulted")),
                    "reinvite": c.reinvite,  # the counsellor's phone being moved (supervision)
                }
            )
        return rows

    def supervised(self) -> list[dict[str, Any]]:
        """Calls under supervision now (for ``/status``)."""
        return [
            {
                "sip_call_id": c.call_id,
                "mode": c.supervision["mode"],
                "supervisor": c.supervision["supervisor"],
                "connected": bool(c.supervision.get("connected")),
                # the audio is in place once the counsellor's phone took its re-INVITE
                "ready": bool(c.supervision.get("connected")) and c.reinvite is None,
                "at": c.supervision["at"],
            }
            for c in self.calls.values()
            if c.supervision is not None
        ]

    # attended hand-over: consult 110/119/120 first, then complete or return --------------------
    def consult(
        self, call_id: str, number: str, target: SeatTarget, headers: dict[str, str], by: str
    ) -> None:
        """Put the caller on hold (the hold prompt) and ring the emergency service for the
        counsellor alone: the counsellor's phone is re-INVITEd to a mixer bridge where only the
        counsellor and the emergency service hear each other; rtpengine's seat side points at
        the bridge, which sends the caller nothing but rtpengine's prompt."""
        from sippy.CCEvents import CCEventTry
        from sippy.MsgBody import MsgBody
        from sippy.SipCallId import SipCallId
        from sippy.SipHeader import SipHeader
        from sippy.UA import UA

        call = self.calls.get(call_id)
        if call is None or call.ended or not call.answered or call.ua_o is None:
            raise LookupError("no call in conversation with this SIP Call-ID")
        if call.media is None or self.media is None:
            raise ValueError("a hand-over needs the media relay (rtpengine)")
        if call.ua_t is not None or call.consult is not None:
            raise ValueError("a hand-over of this call is under way")
        if call.supervision is not None:
            raise ValueError("the call is being supervised: end the supervision first")
        if call.counsellor_sdp is None:
            raise ValueError("the counsellor's phone gave no SDP: hand over blind")
        payload = sv.g711_payload(call.media.seat_sdp)
        if payload is None:
            raise ValueError("the call's codec is not G.711: hand over blind")
        if self.mixer is None:
            self.mixer = Mixer(self.global_config.get("_sip_address") or "127.0.0.1")
        key = f"{call_id}#consult"
        bridge = self.mixer.open(key, ("caller", "counsellor", "gateway"), payload)
        host = self.mixer.host
        self.mixer.set_dest(key, "caller", sv.sdp_address(call.media.seat_sdp))
        self.mixer.set_dest(key, "counsellor", sv.sdp_address(call.counsellor_sdp))
        self.mixer.set_matrix(key, {"counsellor": ("gateway",), "gateway": ("counsellor",)})
        try:
            self.media.seat_answered(
                call_id, sv.mixer_sdp(host, bridge.port("caller"), payload, "sendrecv")
            )
        except NgError as exc:
            self.mixer.close_bridge(key)
            self.media_stats["media_failed"] += 1
            raise ValueError(f"rtpengine refused the consultation: {exc}") from exc
        moved = sv.readdress(
            call.media.seat_sdp, host, bridge.port("counsellor"), call.sdp_version + 1
        )
        self._reinvite_counsellor(call, "in", moved)
        offer = sv.mixer_sdp(host, bridge.port("gateway"), payload, "sendrecv")
        call.consult = {"bridge": key, "offer": offer, "answer": None}
        call.transfer = {
            "to": number,
            "by": by,
            "at": datetime.now(UTC).isoformat(),
            "attended": True,
            "consulted": None,
            "connected": None,
            "sip_code": None,
        }
        self._hold(call)
        self.note_media(call)
        extra = tuple(SipHeader(name=k.lower(), bodys=v) for k, v in headers.items())
        ua_t = UA(
            self.global_config,
            event_cb=call.event_t,
            nh_address=(target.host, target.port),
            expire_time=60.0,
            nh_transport=target.transport,
            extra_headers=extra,
        )
        ua_t.local_ua = self.config.user_agent
        ua_t.no_reply_time = self.config.no_reply_s * 2
        call.ua_t = ua_t
        leg_id = SipCallId(f"{call.e_try.getData()[0]}-consult")
        ua_t.recvEvent(CCEventTry((leg_id, "12356", target.user, MsgBody(offer), None, "12356")))

    def _hold(self, call: _Call) -> None:
        """The hold prompt to the caller, again and again, while the counsellor consults."""
        call.timer = None
        if call.ended or call.consult is None:
            return
        wait = self._play(call, "hold")
        call.timer = stack.call_later(max(wait, 1.0) + 1.0, self._hold, call)

    def consult_answered(self, call: _Call, event: Any) -> None:
        assert call.consult is not None
        assert call.transfer is not None
        body = event.getData()[2] if len(event.getData()) > 2 else None
        call.consult["answer"] = str(body) if body is not None else None
        if self.mixer is not None and body is not None:
            self.mixer.set_dest(call.consult["bridge"], "gateway", sv.sdp_address(str(body)))
        call.transfer.update(consulted=True, sip_code=200,
                             consulted_at=datetime.now(UTC).isoformat())  # fmt: skip
        self.note_media(call)

    def complete_transfer(self, call_id: str) -> dict[str, Any]:
        """The counsellor has spoken to the emergency service: join the caller to it and end
        the counsellor's leg. rtpengine's seat side points at the service, which is re-INVITEd
        from the bridge to rtpengine (the caller's leg is never touched)."""
        from sippy.CCEvents import CCEventDisconnect

        call = self.calls.get(call_id)
        if call is None or call.ended or call.consult is None or call.transfer is None:
            raise LookupError("no consultation of this call is under way")
        if not call.transfer.get("consulted") or call.ua_t is None:
            raise ValueError("the emergency service has not answered yet")
        assert self.media is not None
        assert call.media is not None
        consult, call.consult = call.consult, None
        self._stop_program(call)
        with contextlib.suppress(NgError):
            self.media.stop(call.call_id)
        old = call.ua_o
        if old is not None:
            call.legs_ignored.add(id(old))
            old.recvEvent(CCEventDisconnect())
        call.ua_o, call.ua_t = call.ua_t, None
        call.reinvite = None
        answer = consult["answer"]
        if answer is not None:
            try:
                self.media.seat_answered(call.call_id, answer)
            except NgError as exc:
                self.media_stats["media_failed"] += 1
                log.warning("rtpengine did not take the emergency service's answer: %s", exc)
            address = sv.sdp_address(call.media.seat_sdp)
            if address is not None:
                back = sv.readdress(consult["offer"], address[0], address[1],
                                    sv.sdp_version(consult["offer"]) + 1)  # fmt: skip
                self._reinvite_counsellor(call, "out", back)  # ua_o is the service's leg now
        if self.mixer is not None:
            stack.call_later(2.0, self.mixer.close_bridge, consult["bridge"])
        call.transfer.update(connected=True, connected_at=datetime.now(UTC).isoformat())
        self.note_media(call)
        self.control.call_ended(call.call_id, Party.COUNSELLOR)
        return {"to": call.transfer["to"], "connected": True}

    def return_to_caller(self, call: _Call, by: str) -> dict[str, Any]:
        """End the consultation: the emergency service's leg ends, the counsellor is back with
        the caller (rtpengine's seat side and the counsellor's phone moved back)."""
        from sippy.CCEvents import CCEventDisconnect

        consult = call.consult
        if consult is None:
            raise LookupError("no consultation of this call is under way")
        call.consult = None
        if call.ua_t is not None:
            ua_t, call.ua_t = call.ua_t, None
            ua_t.recvEvent(CCEventDisconnect())
        self._stop_program(call)
        if self.media is not None and call.media is not None and not call.ended:
            with contextlib.suppress(NgError):
                self.media.stop(call.call_id)
            try:
                if call.counsellor_sdp is not None:
                    self.media.seat_answered(call.call_id, call.counsellor_sdp)
                back = sv.with_version(call.media.seat_sdp, call.sdp_version + 1)
                self._reinvite_counsellor(call, "out", back)
            except NgError as exc:
                self.media_stats["media_failed"] += 1
                log.warning("rtpengine did not take the counsellor back: %s", exc)
        if self.mixer is not None:
            stack.call_later(2.0, self.mixer.close_bridge, consult["bridge"])
        if call.transfer is not None:
            call.transfer.update(connected=False, returned_by=by,
                                 returned_at=datetime.now(UTC).isoformat())  # fmt: skip
        if not call.ended:
            self.note_media(call)
        return {"returned": True}

    # media state, for the live board and the call record -----------------------------------
    def note_media(self, call: _Call) -> None:
        """Tell the call control the call's media state: ``anchored``, ``recorded``,
        ``supervised:<modes>``, ``handover:<number>:<ringing|consulting|connected|returned|
        failed>`` (space-separated), shown on the live board and kept in the call record."""
        note = getattr(self.control, "note_media", None)
        if call.media is None or not call.admitted or note is None:
            return
        note(call.call_id, media_note(call))

"""The seam between the SIP signalling (``b2bua``) and the hotline's call logic.

The B2BUA knows SIP and nothing about hotlines; the call control knows hotlines, queues and
records and nothing about SIP. They talk through two small interfaces:

* :class:`CallControl` — what the B2BUA tells the call logic (a call arrived, a seat answered or
  failed, somebody hung up, a periodic tick);
* :class:`SipActions` — what the call logic asks the B2BUA to do (ring a seat, stop ringing, tell
  the caller it is queued, end the call).

Both run on the SIP thread (see ``stack``), so neither needs locks. Times are seconds on the
monotonic clock of the process plus the wall-clock ``datetime`` for records.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class SeatOutcome(StrEnum):
    """How an attempt to ring a counsellor's seat ended without a conversation."""

    BUSY = "busy"  # 486 Busy Here / 600 Busy Everywhere
    DECLINED = "declined"  # 603 Decline
    NO_ANSWER = "no_answer"  # rang out (its ring time passed) or 408/480
    UNREACHABLE = "unreachable"  # no reply at all / 5xx / transport error
    FAILED = "failed"  # any other final failure response


class Party(StrEnum):
    """Who ended a call."""

    CALLER = "caller"
    COUNSELLOR = "counsellor"
    SYSTEM = "system"


@dataclass(frozen=True)
class InboundCall:
    """An INVITE that reached the platform, reduced to what the call logic needs."""

    call_id: str  # the SIP Call-ID of the caller's leg
    caller: str  # From user part, or P-Asserted-Identity when present
    caller_source: str  # "from" | "p-asserted-identity"
    called: str  # the Request-URI user part as dialled (e.g. 075512356, 12356, 12320-5)
    origin_area: str | None  # carrier origin area: header value or prefix of the called number
    origin_source: str | None  # "header" | "called_prefix" | None
    crisis: bool  # marked crisis by an IVR in front of the platform
    skill: str | None  # requested skill (e.g. youth), from a header
    arrived_at: datetime
    partition: str | None = None  # X-Partition set by the Kamailio front (cluster mode)
    handover: str | None = None  # X-Handover: the call comes on from another node's steps


@dataclass(frozen=True)
class Admission:
    """The call logic's answer to an INVITE: take it (queue it) or refuse it with a SIP code."""

    accepted: bool
    code: int = 0
    reason: str = ""
    headers: tuple[tuple[str, str], ...] = ()  # on the refusal (e.g. X-Handover on a 302)

    @classmethod
    def accept(cls) -> Admission:
        return cls(True)

    @classmethod
    def refuse(cls, code: int, reason: str, headers: dict[str, str] | None = None) -> Admission:
        return cls(False, code, reason, tuple((headers or {}).items()))


@dataclass(frozen=True)
class Preview:
    """Where a call will go first, for what the caller hears before it joins a queue."""

    hotline_id: str | None  # the first hotline of the routing plan (its prompt folder)
    local_closed: bool = False  # a line nearer the caller was skipped as closed at this hour


@dataclass(frozen=True)
class HandoverFacts:
    """What an emergency service is told about a handed-over caller."""

    city_code: str | None
    province_code: str | None
    crisis: bool


@dataclass(frozen=True)
class SeatTarget:
    """Where to ring a counsellor: a SIP contact (registered binding or static directory entry)."""

    counsellor_id: str
    host: str
    port: int
    user: str
    transport: str = "udp"


@dataclass
class QueueInfo:
    """What the caller is told while waiting (182 Queued carries it in a header)."""

    hotline_id: str
    position: int
    expected_wait_s: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Credentials:
    """What the registrar checks a digest response against: the password or its MD5 HA1."""

    password: str | None = None
    ha1: str | None = None

    @staticmethod
    def ha1_of(user: str, realm: str, password: str) -> str:
        """HA1 = MD5(user:realm:password) (RFC 2617 §3.2.2.2); MD5 is what SIP digest uses."""
        return hashlib.md5(f"{user}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()


class SipActions(Protocol):
    """What the call logic may ask of the B2BUA. Call only from the SIP thread."""

    def ring(self, call_id: str, seat: SeatTarget, ring_timeout_s: float) -> None:
        """Ring ``seat`` for the call; exactly one of seat_ringing/answered/failed follows."""

    def stop_ringing(self, call_id: str) -> None:
        """CANCEL the seat currently ringing for the call (no seat_failed follows)."""

    def queued(self, call_id: str, info: QueueInfo) -> None:
        """Tell the caller the call is waiting (182 Queued)."""

    def end(
        self, call_id: str, code: int, reason: str, headers: dict[str, str] | None = None
    ) -> None:
        """End the caller's leg (a final failure before answer, or BYE after it); ``headers``
        go on the final failure response."""


class CallControl(Protocol):
    """The hotline call logic behind the B2BUA."""

    def attach(self, actions: SipActions) -> None:
        """Receive the B2BUA's actions before the first call."""

    def call_arrived(self, call: InboundCall) -> Admission:
        """An INVITE for the hotline. Accepting it means the B2BUA has sent 100 Trying."""

    def seat_ringing(self, call_id: str, counsellor_id: str) -> None:
        """The seat sent 180/183."""

    def seat_answered(self, call_id: str, counsellor_id: str) -> bool:
        """The seat sent 200. True: the B2BUA bridges it to the caller; False: the call has moved
        on (e.g. its ring time ran out a moment earlier) and the B2BUA hangs up on the seat."""

    def seat_failed(self, call_id: str, counsellor_id: str, outcome: SeatOutcome) -> None:
        """Ringing the seat ended without an answer; the caller is still waiting."""

    def call_ended(self, call_id: str, by: Party) -> None:
        """The caller cancelled or hung up, or the counsellor hung up, or the system ended it."""

    def mark_crisis(self, call_id: str) -> bool:
        """Staff mark a waiting call as crisis; False when no such waiting call."""

    def preview(self, call: InboundCall) -> Preview:
        """Where the call would go, before it is offered (media mode: which prompts to play)."""

    def queue_info(self, call_id: str) -> QueueInfo | None:
        """The call's place in its queue now, or None when it is not waiting (e.g. ringing)."""

    def handover_facts(self, call_id: str) -> HandoverFacts | None:
        """Where the caller was located and whether the call is crisis; None if no such call."""

    def tick(self) -> None:
        """Called about every 100 ms on the SIP thread: timeouts, rollovers, dispatch."""

    def register_contact(self, user: str, seat: SeatTarget | None, expires_s: int) -> None:
        """A counsellor's softphone registered (``seat``) or unregistered (``None``)."""

    def credentials(self, user: str) -> Credentials | None:
        """The digest credentials of a counsellor's softphone user, or None if unknown."""

    def close(self) -> None:
        """The server is stopping: flush every record of a finished call."""

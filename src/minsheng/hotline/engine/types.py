"""The engine's vocabulary: errors, states, settings, the virtual clock, finished-call records
and the events it sends out. Plain data; see ``minsheng.hotline.engine`` for the API."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from minsheng.hotline.rules.snapshot import Level

if TYPE_CHECKING:
    from minsheng.core.config import Settings

CRISIS_SKILL = "crisis"


class EngineError(ValueError):
    """A request the engine cannot honour in the current state; nothing was changed."""


class UnknownCall(EngineError):
    pass


class UnknownCounsellor(EngineError):
    pass


class InvalidTransition(EngineError):
    pass


class CounsellorState(StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    RINGING = "ringing"
    TALKING = "talking"
    WRAPUP = "wrapup"
    BREAK = "break"


STAFFED = frozenset(
    {
        CounsellorState.AVAILABLE,
        CounsellorState.RINGING,
        CounsellorState.TALKING,
        CounsellorState.WRAPUP,
    }
)

_SETTABLE = frozenset({CounsellorState.AVAILABLE, CounsellorState.BREAK, CounsellorState.OFFLINE})


class CallState(StrEnum):
    WAITING = "waiting"
    RINGING = "ringing"
    TALKING = "talking"
    ENDED = "ended"


class Outcome(StrEnum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    NO_ANSWER = "no_answer"


class EndedBy(StrEnum):
    """Who ended a call: the caller hung up (or gave up while queued or ringing), the
    counsellor hung up, or the platform tore it down (last resort, watchdog, shutdown)."""

    CALLER = "caller"
    COUNSELLOR = "counsellor"
    SYSTEM = "system"


class StepResult(StrEnum):
    ANSWERED = "answered"
    TIMEOUT = "timeout"
    UNSTAFFED = "unstaffed"
    ABANDONED = "abandoned"


@dataclass(frozen=True)
class EngineSettings:
    """The engine's knobs; ``from_settings`` reads the platform's ``hotline_*`` settings."""

    wrapup_s: float = 60.0
    max_no_answer: int = 3
    skill_wait_s: float = 60.0
    offer_timeout_s: float = 20.0
    offer_retry_delay_s: float = 10.0
    default_handle_s: float = 18 * 60.0  # average call length at a Shanghai site (reference §4)
    leave_when_unstaffed: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> EngineSettings:
        return cls(
            wrapup_s=settings.hotline_wrapup_s,
            max_no_answer=settings.hotline_max_no_answer,
            skill_wait_s=settings.hotline_skill_wait_s,
            offer_timeout_s=settings.hotline_offer_timeout_s,
            offer_retry_delay_s=settings.hotline_offer_retry_delay_s,
        )


class VirtualClock:
    """A clock the simulator sets by hand: ``clock.now = t`` or ``clock.set(t)``."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def set(self, t: float) -> None:
        self.now = t


# records -------------------------------------------------------------------------------------
@dataclass(slots=True)
class Attempt:
    """One routing step as it happened."""

    hotline_id: str
    rule: str
    level: Level
    entered_at: float
    left_at: float | None = None
    result: StepResult | None = None


@dataclass(slots=True)
class CallRecord:
    """The finished call, as ``service.save_records`` persists it."""

    call_id: str
    tag: Any
    arrived_at: float
    ended_at: float
    outcome: Outcome
    crisis: bool
    skill: str | None
    last_resort: bool
    attempts: list[Attempt]
    hotline_id: str | None = None
    counsellor_id: str | None = None
    answered_at: float | None = None
    wait_s: float = 0.0
    talk_s: float = 0.0
    wrapup_s: float = 0.0
    offers: int = 0
    ended_by: EndedBy | None = None  # None: the front did not say (e.g. a simulation)
    media: str | None = None  # the SIP front's media state (anchored, recorded, ...), if any

    @property
    def rollovers(self) -> int:
        return max(0, len(self.attempts) - 1)


@dataclass(frozen=True)
class QueueInfo:
    call_id: str
    hotline_id: str
    position: int
    expected_wait_s: float


# events ----------------------------------------------------------------------------------------
# Frozen, so a listener cannot change what others see. The events a simulated call raises several
# times (Ring, CancelRing, CallEnded, Recorded) write their fields straight into the instance
# dict: the generated frozen __init__ goes through object.__setattr__ once a field, which made
# building them about three times dearer (≈ 4 % of a simulated day). Equality, hash, repr and
# the refusal to set a field are the dataclass's own, unchanged.
@dataclass(frozen=True)
class Ring:
    at: float
    call_id: str
    counsellor_id: str
    hotline_id: str

    def __init__(self, at: float, call_id: str, counsellor_id: str, hotline_id: str) -> None:
        d = self.__dict__  # frozen: see the note above the events
        d["at"] = at
        d["call_id"] = call_id
        d["counsellor_id"] = counsellor_id
        d["hotline_id"] = hotline_id


@dataclass(frozen=True)
class CancelRing:
    at: float
    call_id: str
    counsellor_id: str
    reason: str

    def __init__(self, at: float, call_id: str, counsellor_id: str, reason: str) -> None:
        d = self.__dict__  # frozen: see the note above the events
        d["at"] = at
        d["call_id"] = call_id
        d["counsellor_id"] = counsellor_id
        d["reason"] = reason


@dataclass(frozen=True)
class Queued:
    at: float
    call_id: str
    hotline_id: str
    position: int
    expected_wait_s: float


@dataclass(frozen=True)
class RolledOver:
    """The call left ``from_hotline_id``; ``to_hotline_id`` None means the last resort."""

    at: float
    call_id: str
    from_hotline_id: str | None
    to_hotline_id: str | None
    reason: str


@dataclass(frozen=True)
class Connected:
    at: float
    call_id: str
    counsellor_id: str
    hotline_id: str


@dataclass(frozen=True)
class CallEnded:
    at: float
    call_id: str
    outcome: Outcome
    last_resort: bool

    def __init__(self, at: float, call_id: str, outcome: Outcome, last_resort: bool) -> None:
        d = self.__dict__  # frozen: see the note above the events
        d["at"] = at
        d["call_id"] = call_id
        d["outcome"] = outcome
        d["last_resort"] = last_resort


@dataclass(frozen=True)
class CounsellorChanged:
    at: float
    counsellor_id: str
    state: CounsellorState
    reason: str


@dataclass(frozen=True)
class Recorded:
    at: float
    record: CallRecord

    def __init__(self, at: float, record: CallRecord) -> None:
        d = self.__dict__  # frozen: see the note above the events
        d["at"] = at
        d["record"] = record


ALL_EVENTS: frozenset[type] = frozenset(
    {Ring, CancelRing, Queued, RolledOver, Connected, CallEnded, CounsellorChanged, Recorded}
)
Event = (
    Ring | CancelRing | Queued | RolledOver | Connected | CallEnded | CounsellorChanged | Recorded
)

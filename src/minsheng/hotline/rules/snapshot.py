"""Plain, immutable snapshots of the hotline directory, shared by the pure layers.

The routing rules (``routing.py``), the queueing engine (``engine.py``), the simulator and the SIP
front all work on these dataclasses instead of database rows, so they run without a database and
in virtual or real time alike. ``service.directory_snapshot(session)`` builds them from the
database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Level(StrEnum):
    CITY = "city"
    PROVINCE = "province"
    NATIONAL = "national"


@dataclass(frozen=True)
class HotlineInfo:
    """One hotline as the rules and the engine see it.

    ``hours`` maps ``mon``..``sun`` to ``"HH:MM-HH:MM"`` in Asia/Shanghai time; an end at or before
    the start crosses midnight (``"08:00-02:00"``), ``"00:00-24:00"`` is round the clock and ``""``
    means closed all day.
    """

    id: str
    name: str
    level: Level
    regions: tuple[str, ...] = ()
    legacy_numbers: tuple[str, ...] = ()
    hours: dict[str, str] = field(default_factory=lambda: dict.fromkeys(WEEKDAYS, "00:00-24:00"))
    seats: int = 2
    sip_uri: str | None = None
    connected_at: datetime | None = None
    recording: bool = False  # the line records its answered calls (notice played first)


@dataclass(frozen=True)
class CounsellorInfo:
    """One counsellor: the hotline they answer for and their skills (``crisis``, ``youth``...)."""

    id: str
    hotline_id: str
    skills: frozenset[str] = frozenset()
    name: str = ""


class Step(NamedTuple):
    """One step of a call's route: ring ``hotline_id`` for up to ``timeout_s``; ``rule`` names the
    routing rule that put the step there (see ``routing.py``). A named tuple: the router makes
    tens of thousands a second."""

    hotline_id: str
    timeout_s: float
    rule: str
    level: Level = Level.NATIONAL


@dataclass(frozen=True)
class Directory:
    """Everything the engine needs to start: the hotlines and their counsellors."""

    hotlines: tuple[HotlineInfo, ...]
    counsellors: tuple[CounsellorInfo, ...] = ()


@dataclass(frozen=True)
class CallTag:
    """What the driver attaches to a call (``Engine.offer_call(tag=...)``) so that the finished
    record can be stored: never the number in clear, only its keyed hash and masked form."""

    caller_hash: str
    caller_masked: str
    location_source: str
    province_code: str | None
    city_code: str | None
    rule_version: str
    dialled: str | None = None

"""Demo data of the hotline system, loaded by ``minsheng demo load`` (idempotently).

A provincial line for each of the 31 mainland provinces, a city line for every prefecture city of
Guangdong and Zhejiang, one national backup, a register of counsellors (qualification, certificate,
training and supervision hours; enough people to staff every declared seat in shifts, a few of
them not yet eligible), a roster for the demo period generated from the declared seats, and a week
of call records made by running synthetic callers through the real engine and router — the
counsellors sign in and out along their shifts (a few late, a few missing a shift), and every
seat-state change the engine makes is kept as the seat-state history (so the KPIs, the seat
planner and compliance from facts have data). Everything is flagged ``demo``. A few lines
deliberately miss the official minimums so that the compliance report has something to show.
Legacy numbers are the published numbers of four long-standing local hotlines (see
data/PROVENANCE.md).
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from minsheng.core import audit, regions
from minsheng.core.config import Settings, get_settings
from minsheng.core.timeutil import BEIJING
from minsheng.hotline import service
from minsheng.hotline.engine import CallRecord, Engine, EngineSettings, VirtualClock
from minsheng.hotline.engine.types import (
    CancelRing,
    Connected,
    CounsellorChanged,
    CounsellorState,
    Recorded,
    Ring,
)
from minsheng.hotline.models import Counsellor, Hotline, SeatState, Shift
from minsheng.hotline.rules import routing
from minsheng.hotline.rules.snapshot import WEEKDAYS, Step
from minsheng.hotline.sim.traffic import Arrival, TrafficDriver, arrival_times

_DRIVER_EVENTS = (Ring, CancelRing, Connected, Recorded)  # what TrafficDriver listens to
CITY_PROVINCES = ("440000", "330000")  # Guangdong, Zhejiang: every prefecture city has a line
NATIONAL_ID = "national-backup"
DEMO_START = datetime(2025, 6, 2, tzinfo=BEIJING)  # a Monday after the 2025-05-01 launch
LEGACY = {
    "110100": ("010-82951332",),  # 北京心理危机研究与干预中心
    "310100": ("962525",),  # 上海市心理援助热线 (reference notes §4)
    "440100": ("020-81899120",),  # 广州市心理援助热线
    "330100": ("0571-85029595",),  # 杭州市心理援助热线
}
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "155", "156", "157", "158", "159", "176", "177", "180", "181", "182", "186", "187", "188",
    "189",
)  # fmt: skip


def _province_id(code: str) -> str:
    return f"prov-{code[:2]}"


def directory_rows(rng: random.Random) -> list[dict[str, Any]]:
    """The demo directory in the import format."""
    table = regions.table()
    rows: list[dict[str, Any]] = []
    provinces = [p for p in table.provinces() if p.code[:2] not in routing.NON_MAINLAND]
    for i, p in enumerate(provinces):
        seats = 17 if p.code == "110000" else rng.choice((4, 5, 6, 8))
        hours: str | dict[str, str] = "00:00-24:00"
        if i in (7, 19):  # two provinces not yet round the clock: 16 h on weekdays
            hours = dict.fromkeys(WEEKDAYS, "08:00-24:00") | {"sat": "00:00-24:00"}
            hours["sun"] = "00:00-24:00"
        rows.append(
            {
                "id": _province_id(p.code),
                "name": f"{p.name}心理援助热线（示例）",
                "level": "province",
                "regions": [p.code],
                "legacy_numbers": list(LEGACY.get(p.code[:2] + "0100", ()))
                if p.code[:2] in ("11", "31")
                else [],
                "hours": hours,
                "seats": seats,
                "sip_uri": f"sip:12356@{p.code[:2]}.hotline.example.cn",
                "connected_at": f"2025-04-{rng.randint(1, 28):02d}T10:00:00+08:00",
            }
        )
    for pcode in CITY_PROVINCES:
        for j, c in enumerate(table.cities(pcode)):
            hours = "08:00-02:00" if j % 3 else "00:00-24:00"
            if j == 5:
                hours = "08:00-22:00"  # 14 h: below the 18 h minimum
            connected: str | None = (
                f"2025-0{rng.randint(3, 4)}-{rng.randint(1, 28):02d}T09:00:00+08:00"
            )
            if j == 7:
                connected = "2025-05-20T09:00:00+08:00"  # late
            if j == 9:
                connected = None  # not yet connected: reachable only by its old number
            rows.append(
                {
                    "id": f"city-{c.code}",
                    "name": f"{c.name}心理援助热线（示例）",
                    "level": "city",
                    "regions": [c.code],
                    "legacy_numbers": list(LEGACY.get(c.code, ())),
                    "hours": hours,
                    "seats": 1 if j == 11 else rng.choice((2, 2, 3, 4)),
                    "sip_uri": f"sip:12356@{c.code}.hotline.example.cn",
                    "connected_at": connected,
                }
            )
    rows.append(
        {
            "id": NATIONAL_ID,
            "name": "12356 国家备用热线（示例）",
            "level": "national",
            "regions": [],
            "legacy_numbers": [],
            "hours": "00:00-24:00",
            "seats": 20,
            "sip_uri": "sip:12356@national.hotline.example.cn",
            "connected_at": "2025-01-01T00:00:00+08:00",
        }
    )
    return rows


QUAL_MIX = (
    ("counsellor", 0.55),
    ("psychotherapist", 0.15),
    ("social_worker", 0.12),
    ("psychiatrist", 0.06),
    ("volunteer", 0.12),
)
QUAL_TEXT = {
    "counsellor": "心理咨询师（示例）",
    "psychotherapist": "心理治疗师（示例）",
    "social_worker": "社会工作者（示例）",
    "psychiatrist": "精神科医师（示例）",
    "volunteer": "经培训的志愿者（示例）",
}


def _staff_size(h: Hotline) -> int:
    """People to staff every declared seat in shifts of at most 40 hours a week (plus slack)."""
    open_hours = len(service.open_slots(h.hours)) / 2  # per week
    return max(4, math.ceil(max(2, h.seats) * open_hours / 30) + 1)


def _register(rng: random.Random) -> dict[str, Any]:
    r, acc = rng.random(), 0.0
    kind = QUAL_MIX[-1][0]
    for k, p in QUAL_MIX:
        acc += p
        if r < acc:
            kind = k
            break
    issued = date(2015, 1, 1) + timedelta(days=rng.randrange(3650))
    return {
        "qualification": QUAL_TEXT[kind],
        "qualification_kind": kind,
        "certificate_no": f"DEMO-{rng.randrange(10**8):08d}",
        "certificate_date": issued,
        "training_hours": float(rng.choice((40, 48, 60, 80, 120))),
        "supervision_hours_month": float(rng.choice((2, 2, 4, 6))),
    }


def _counsellors(session: Session, rng: random.Random) -> int:
    n = 0
    for h in session.scalars(select(Hotline).order_by(Hotline.id)):
        for k in range(_staff_size(h)):
            skills = [
                s
                for s, p in (("crisis", 0.4), ("youth", 0.3), ("elderly", 0.2))
                if rng.random() < p
            ]
            if h.regions and h.regions[0].startswith("44") and rng.random() < 0.5:
                skills.append("cantonese")
            register = _register(rng)
            if rng.random() < 0.04:  # not yet eligible: training still under way
                register["training_hours"] = 16.0
            dialects = ["粤语"] if "cantonese" in skills else []
            session.add(
                Counsellor(
                    id=f"{h.id}-{k + 1:02d}",
                    name=f"示例咨询师{k + 1}",
                    hotline_id=h.id,
                    skills=sorted(skills),
                    dialects=dialects,
                    weekly_hours_max=40.0,
                    active=True,
                    demo=True,
                    **register,
                )
            )
            n += 1
    session.flush()
    return n


def _caller(
    rng: random.Random, cities: list[str], focus: list[str], hotlines: list[Hotline]
) -> tuple[str, str | None, str | None]:
    """A synthetic caller: (number, carrier origin, dialled number)."""
    number = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    r = rng.random()
    if r < 0.05:
        return "199" + f"{rng.randrange(10**8):08d}", None, None  # geocoded only as 中国
    if r < 0.08:
        legacy = [n for h in hotlines for n in h.legacy_numbers]
        return number, None, rng.choice(legacy)
    if r < 0.50:
        city = rng.choice(focus) if rng.random() < 0.5 else rng.choice(cities)
        return number, city, None
    return number, None, None


def _sign_in_along_roster(
    session: Session, driver: TrafficDriver, rng: random.Random, start: datetime, days: int
) -> None:
    """Counsellors sign in for their shifts (most a few minutes early, 3 % up to 20 minutes late,
    1.5 % not at all), take their break and sign out at the end."""
    lo = start.date()
    for s in session.scalars(
        select(Shift)
        .where(Shift.day >= lo, Shift.day < lo + timedelta(days=days))
        .order_by(Shift.start_at, Shift.id)
    ):
        if s.counsellor_id is None or rng.random() < 0.015:
            continue
        a, b = s.start_at.timestamp(), s.end_at.timestamp()
        # Most sign in a few minutes early; a few come late.
        late = rng.uniform(60, 1200) if rng.random() < 0.03 else -rng.uniform(60, 300)
        driver.at(a + late, "state", (s.counsellor_id, CounsellorState.AVAILABLE))
        if s.break_start_at and s.break_end_at:
            driver.at(
                s.break_start_at.timestamp(), "state", (s.counsellor_id, CounsellorState.BREAK)
            )
            driver.at(
                s.break_end_at.timestamp(), "state", (s.counsellor_id, CounsellorState.AVAILABLE)
            )
        driver.at(b, "state", (s.counsellor_id, CounsellorState.OFFLINE))


def simulate(
    session: Session,
    settings: Settings,
    *,
    start: datetime,
    days: int,
    calls_per_day: int,
    seed: int = 12356,
    seat_states: list[CounsellorChanged] | None = None,
) -> list[CallRecord]:
    """Run synthetic callers through the router and the engine; returns the finished records.

    Without ``seat_states`` every counsellor is signed in while the line is open; with it they
    sign in along the roster and each seat change the engine makes is appended to the list."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not secrets
    snapshot = service.directory_snapshot(session)
    index = routing.DirectoryIndex.build(snapshot.hotlines)
    table = regions.table()
    route_settings = service.route_settings(settings)
    t0 = start.timestamp()
    clock = VirtualClock(t0)
    engine = Engine(snapshot, EngineSettings.from_settings(settings), clock=clock)
    records: list[CallRecord] = []
    driver = TrafficDriver(engine, clock.set, rng, on_record=records.append)
    if seat_states is None:
        by_id = {h.id: h for h in snapshot.hotlines}
        driver.shifts(((c.id, by_id[c.hotline_id]) for c in snapshot.counsellors), t0, days + 1)
    else:
        _sign_in_along_roster(session, driver, rng, start, days)
        forward = driver._on_event  # the driver plays the callers; we also keep seat changes

        def listen(event: Any) -> None:
            if isinstance(event, CounsellorChanged):
                seat_states.append(event)
            else:
                forward(event)

        engine.set_listener(listen, {*_DRIVER_EVENTS, CounsellorChanged})
    cities = [c.code for c in table.cities() if c.code[:2] not in routing.NON_MAINLAND]
    focus = [c for c in cities if c[:2] + "0000" in CITY_PROVINCES]
    hotlines = list(session.scalars(select(Hotline)))

    def route(payload: tuple[str, str | None, str | None], now: float) -> tuple[list[Step], Any]:
        number, origin, dialled = payload
        when = datetime.fromtimestamp(now, BEIJING)
        caller, plan = routing.route_call(
            index, table, number, at=when, settings=route_settings, origin=origin, dialled=dialled
        )
        return list(plan.steps), service.call_tag(settings, caller, plan, dialled)

    times = arrival_times(rng, calls_per_day * days, t0, days)
    driver.arrivals((Arrival(t, _caller(rng, cities, focus, hotlines)) for t in times), route)
    # Run past the last arrival so that every call finishes and is recorded.
    driver.run(t0 + days * 86400 + 6 * 3600)
    return records


def load(
    session: Session,
    *,
    settings: Settings | None = None,
    days: int = 7,
    calls_per_day: int = 1000,
) -> dict[str, Any]:
    """Load this system's demo data unless a directory is present; returns what was loaded."""
    if session.scalar(select(Hotline.id).limit(1)) is not None:
        return {"skipped": "a hotline directory is already present"}
    settings = settings or get_settings()
    rng = random.Random(2025)  # noqa: S311 - reproducible synthetic data, not secrets
    imported = service.import_hotlines(
        session,
        directory_rows(rng),
        actor=audit.system_actor("demo"),
        default_recording=settings.hotline_recording,
    )
    for h in session.scalars(select(Hotline)):
        h.demo = True
    counsellors = _counsellors(session, rng)
    actor = audit.system_actor("demo")
    shifts = 0
    for h in session.scalars(select(Hotline).order_by(Hotline.id)):
        out = service.generate_roster(
            session,
            hotline_id=h.id,
            start=DEMO_START.date(),
            days=days,
            need_from="declared",
            actor=actor,
            demo=True,
        )
        shifts += out["shifts"]
    changes: list[CounsellorChanged] = []
    records = simulate(
        session,
        settings,
        start=DEMO_START,
        days=days,
        calls_per_day=calls_per_day,
        seat_states=changes,
    )
    service.save_records_bulk(session, records, demo=True)
    states = save_seat_states(session, changes)
    end = DEMO_START + timedelta(days=days)
    return {
        "hotlines": imported["created"],
        "counsellors": counsellors,
        "shifts": shifts,
        "seat_states": states,
        "calls": len(records),
        "period": [DEMO_START.isoformat(), end.isoformat()],
    }


def save_seat_states(session: Session, changes: list[CounsellorChanged]) -> int:
    """The engine's seat changes as the seat-state history (each row ends at the next change)."""
    hotline_of = dict(session.execute(select(Counsellor.id, Counsellor.hotline_id)).all())
    rows: list[dict[str, Any]] = []
    open_row: dict[str, dict[str, Any]] = {}
    for ev in sorted(changes, key=lambda e: e.at):
        at = datetime.fromtimestamp(ev.at, BEIJING)
        prev = open_row.get(ev.counsellor_id)
        if prev is not None:
            if prev["state"] == str(ev.state):
                continue
            prev["to_at"] = at
        row = {
            "counsellor_id": ev.counsellor_id,
            "hotline_id": hotline_of[ev.counsellor_id],
            "state": str(ev.state),
            "from_at": at,
            "to_at": None,
            "source": "demo",
        }
        rows.append(row)
        open_row[ev.counsellor_id] = row
    if rows:
        session.execute(insert(SeatState), rows)
    return len(rows)

"""Demo data of the hotline system, loaded by ``minsheng demo load`` (idempotently).

A provincial line for each of the 31 mainland provinces, a city line for every prefecture city of
Guangdong and Zhejiang, one national backup, counsellors for every seat, and a week of call
records made by running synthetic callers through the real engine and router (so the KPIs and
the seat planner have data). Everything is flagged ``demo``. A few lines deliberately miss the
official minimums so that the compliance report has something to show. Legacy numbers are the
published numbers of four long-standing local hotlines (see data/PROVENANCE.md).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import audit, regions
from minsheng.core.config import Settings, get_settings
from minsheng.core.timeutil import BEIJING
from minsheng.hotline import service
from minsheng.hotline.engine import CallRecord, Engine, EngineSettings, VirtualClock
from minsheng.hotline.models import Counsellor, Hotline
from minsheng.hotline.rules import routing
from minsheng.hotline.rules.snapshot import WEEKDAYS, Step
from minsheng.hotline.sim.traffic import Arrival, TrafficDriver, arrival_times

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


def _counsellors(session: Session, rng: random.Random) -> int:
    n = 0
    for h in session.scalars(select(Hotline).order_by(Hotline.id)):
        for k in range(max(2, h.seats)):
            skills = [
                s
                for s, p in (("crisis", 0.4), ("youth", 0.3), ("elderly", 0.2))
                if rng.random() < p
            ]
            if h.regions and h.regions[0].startswith("44") and rng.random() < 0.5:
                skills.append("cantonese")
            session.add(
                Counsellor(
                    id=f"{h.id}-{k + 1:02d}",
                    name=f"示例咨询师{k + 1}",
                    hotline_id=h.id,
                    skills=sorted(skills),
                    qualification="心理咨询相关专业背景，岗前培训合格（示例）",
                    demo=True,
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


def simulate(
    session: Session,
    settings: Settings,
    *,
    start: datetime,
    days: int,
    calls_per_day: int,
    seed: int = 12356,
) -> list[CallRecord]:
    """Run synthetic callers through the router and the engine; returns the finished records."""
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
    by_id = {h.id: h for h in snapshot.hotlines}
    driver.shifts(((c.id, by_id[c.hotline_id]) for c in snapshot.counsellors), t0, days + 1)
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
        session, directory_rows(rng), actor=audit.system_actor("demo")
    )
    for h in session.scalars(select(Hotline)):
        h.demo = True
    counsellors = _counsellors(session, rng)
    records = simulate(session, settings, start=DEMO_START, days=days, calls_per_day=calls_per_day)
    service.save_records_bulk(session, records, demo=True)
    end = DEMO_START + timedelta(days=days)
    return {
        "hotlines": imported["created"],
        "counsellors": counsellors,
        "calls": len(records),
        "period": [DEMO_START.isoformat(), end.isoformat()],
    }

"""A synthetic national directory for simulations and benchmarks (marked as such, not real data).

One provincial line for each of the 31 mainland provinces, one city line for every prefecture-level
city (GB/T 2260, through ``core.regions``), and one national backup; when more lines are asked for,
the largest provinces' cities get a second (youth) line, tried after the first. Hours and seats
follow the official minimums and common practice: provincial lines round the clock with 4 seats,
city lines 08:00–02:00 (18 hours) with 2 seats, the national backup round the clock with 10.
"""

from __future__ import annotations

from datetime import datetime

from minsheng.core import regions
from minsheng.hotline.rules.snapshot import WEEKDAYS, HotlineInfo, Level

NON_MAINLAND = ("71", "81", "82")
CONNECTED = datetime.fromisoformat("2025-04-30T00:00:00+08:00")


def _line(
    hid: str, name: str, level: Level, region: tuple[str, ...], hours: str, seats: int
) -> HotlineInfo:
    return HotlineInfo(
        id=hid,
        name=name,
        level=level,
        regions=region,
        hours=dict.fromkeys(WEEKDAYS, hours),
        seats=seats,
        connected_at=CONNECTED,
    )


def synthetic(lines: int = 0) -> tuple[HotlineInfo, ...]:
    """The full national set (about 370 lines), plus second city lines up to ``lines``."""
    table = regions.table()
    out: list[HotlineInfo] = [
        _line("national", "全国备用热线 (synthetic)", Level.NATIONAL, (), "00:00-24:00", 10)
    ]
    cities: list[regions.Region] = []
    for p in table.provinces():
        if p.code[:2] in NON_MAINLAND:
            continue
        out.append(
            _line(
                f"p{p.code[:2]}",
                f"{p.name}心理援助热线 (synthetic)",
                Level.PROVINCE,
                (p.code,),
                "00:00-24:00",
                4,
            )
        )
        for c in table.cities(p.code):
            cities.append(c)
            out.append(
                _line(
                    f"c{c.code[:4]}",
                    f"{c.name}心理援助热线 (synthetic)",
                    Level.CITY,
                    (c.code,),
                    "08:00-02:00",
                    2,
                )
            )
    k = 0
    while len(out) < lines and k < len(cities):
        c = cities[k]
        out.append(
            _line(
                f"c{c.code[:4]}y",
                f"{c.name}青少年心理热线 (synthetic)",
                Level.CITY,
                (c.code,),
                "08:00-02:00",
                2,
            )
        )
        k += 1
    return tuple(out)

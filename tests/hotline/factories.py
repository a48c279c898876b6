"""Small builders for hotline tests."""

from __future__ import annotations

from typing import Any

from minsheng.hotline.rules.routing import DirectoryIndex
from minsheng.hotline.rules.snapshot import HotlineInfo, Level


def hotline_row(
    hid: str, level: str = "city", regions: list[str] | None = None, **kw: Any
) -> dict[str, Any]:
    """One import row; defaults make a compliant, connected, round-the-clock line."""
    row: dict[str, Any] = {
        "id": hid,
        "name": f"{hid} 心理援助热线",
        "level": level,
        "regions": regions if regions is not None else ([] if level == "national" else ["440300"]),
        "legacy_numbers": [],
        "hours": "00:00-24:00",
        "seats": 2,
        "sip_uri": f"sip:12356@{hid}.example.cn",
        "connected_at": "2025-04-01T09:00:00+08:00",
    }
    row.update(kw)
    return row


def small_directory() -> list[dict[str, Any]]:
    """Shenzhen city line (08:00-02:00), Guangdong provincial line, Beijing line, national."""
    return [
        hotline_row(
            "sz", "city", ["440300"], hours="08:00-02:00", legacy_numbers=["0755-25629459"]
        ),
        hotline_row("gd", "province", ["440000"], seats=6),
        hotline_row("bj", "province", ["110000"], legacy_numbers=["010-82951332"]),
        hotline_row("national", "national", [], seats=20),
    ]


def info(row: dict[str, Any]) -> HotlineInfo:
    from datetime import datetime

    from minsheng.hotline.rules.routing import normalise_hours

    return HotlineInfo(
        id=row["id"],
        name=row["name"],
        level=Level(row["level"]),
        regions=tuple(row["regions"]),
        legacy_numbers=tuple(row["legacy_numbers"]),
        hours=normalise_hours(row["hours"]),
        seats=row["seats"],
        connected_at=datetime.fromisoformat(row["connected_at"]) if row["connected_at"] else None,
    )


def index(rows: list[dict[str, Any]] | None = None) -> DirectoryIndex:
    return DirectoryIndex.build([info(r) for r in rows or small_directory()])

"""Small builders for hotline tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from minsheng.hotline import service
from minsheng.hotline.rules.routing import DirectoryIndex
from minsheng.hotline.rules.snapshot import HotlineInfo, Level
from minsheng.hotline.schemas import CounsellorCreate
from minsheng.hotline.service import cluster as cluster_service


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


# The SIP cluster's tests ------------------------------------------------------------------------
CLUSTER_LAYOUT: dict[str, Any] = {
    "nodes": [
        {"id": "n1", "sip": "127.0.0.1:5061", "control": "127.0.0.1:5071"},
        {"id": "n2", "sip": "127.0.0.1:5062", "control": "127.0.0.1:5072"},
    ],
    "partitions": [
        {"id": "south", "provinces": ["440000", "450000"], "primary": "n1", "standby": "n2"},
        {"id": "north", "provinces": ["110000"], "primary": "n2", "standby": "n1"},
        {"id": "national", "national": True, "primary": "n2", "standby": "n1"},
    ],
}


def load_guangdong_cluster(session: Session, counsellors: Iterable[str] = ("gd-01",)) -> Session:
    """``CLUSTER_LAYOUT``, the Guangdong provincial line and its counsellors (all 陈静)."""
    cluster_service.load_cluster(session, CLUSTER_LAYOUT, actor="test")
    service.import_hotlines(
        session,
        [{"id": "gd-province", "name": "广东", "level": "province", "regions": ["440000"],
          "hours": "00:00-24:00", "seats": 2}],
        actor="test",
    )  # fmt: skip
    for cid in counsellors:
        service.create_counsellor(
            session, CounsellorCreate(id=cid, name="陈静", hotline_id="gd-province"), actor="test"
        )
    return session


def live_row(ref: str, **kw: Any) -> dict[str, Any]:
    """A call a cluster node publishes as up (talking with gd-01 unless ``kw`` says otherwise)."""
    at = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    return {
        "call_ref": ref,
        "sip_call_id": ref,
        "partition_id": "south",
        "state": "talking",
        "hotline_id": "gd-province",
        "province_code": "440000",
        "city_code": "440300",
        "position": None,
        "expected_wait_s": None,
        "crisis": False,
        "skill": None,
        "counsellor_id": "gd-01",
        "caller_hash": "h" * 64,
        "caller_masked": "138****8000",
        "location_source": "carrier",
        "rule_version": "test",
        "dialled": "12356",
        "arrived_at": at,
        "answered_at": at + timedelta(seconds=5),
        **kw,
    }

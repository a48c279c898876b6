"""Hotline workforce pages: the roster week grid, compliance from facts and the monthly report."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def staff(client: TestClient, login_token: Callable[[str], str]) -> TestClient:
    client.post("/staff/login", data={"token": login_token("hotline")})
    return client


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found
    return found.group(1)


def test_roster_staffing_and_report_pages(staff: TestClient, hotline_demo: dict[str, Any]) -> None:
    assert hotline_demo["shifts"] > 0 and hotline_demo["seat_states"] > 0
    page = staff.get(
        "/staff/hotline/roster", params={"hotline": "city-440300", "start": "2025-06-02"}
    )
    assert page.status_code == 200
    assert "排班：深圳市心理援助热线（示例）" in page.text
    assert 'id="roster-grid"' in page.text
    assert "周一 6月2日" in page.text
    assert re.search(r'<div class="shift generated">\d\d:\d\d–\d\d:\d\d', page.text)
    assert "实际≥2席时长" in page.text

    # A shift by hand that breaks the rest rule is refused beside the form, nothing written.
    token = csrf(page.text)
    refused = staff.post(
        "/staff/hotline/roster/shifts",
        data={
            "csrf_token": token,
            "hotline": "city-440300",
            "counsellor_id": "city-440300-01",
            "day": "2025-06-02",
            "start": "08:00",
            "end": "17:00",
        },
    )
    assert refused.status_code == 409
    assert "休息" in refused.text or "break" in refused.text

    week = staff.get("/staff/hotline/staffing", params={"start": "2025-06-02"})
    assert week.status_code == 200
    assert 'id="staffing-week"' in week.text
    assert "热线全周达标" in week.text
    one = staff.get(
        "/staff/hotline/staffing", params={"start": "2025-06-02", "hotline": "city-440300"}
    )
    assert "每半小时在岗坐席（排班 / 实际）" in one.text

    report = staff.get("/staff/hotline/report", params={"month": "2025-06"})
    assert report.status_code == 200
    assert "月度报表 2025-06" in report.text
    assert "广东省" in report.text
    xlsx = staff.get("/staff/hotline/report.xlsx", params={"month": "2025-06"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    pdf = staff.get("/staff/hotline/report.pdf", params={"month": "2025-06"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_generate_from_the_page_replaces_the_week(
    staff: TestClient, hotline_demo: dict[str, Any]
) -> None:
    page = staff.get(
        "/staff/hotline/roster", params={"hotline": "city-440300", "start": "2025-06-09"}
    )
    assert "待补班次" in page.text
    done = staff.post(
        "/staff/hotline/roster/generate",
        data={"csrf_token": csrf(page.text), "hotline": "city-440300", "start": "2025-06-09"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = staff.get(done.headers["location"])
    assert len(re.findall(r'class="shift generated"', after.text)) > 0

"""Issue 12 items 5 and 16 on the staff pages: dates a page parses itself (the KPI period, the
enforcement statistics, the roster week and shift day) and row ids in page paths go through
core.validation's bounded types, so ``0001-01-01``, ``9999-12-31`` or an id above 2⁶³ is a 422
page with a Chinese message beside the field — never a 500."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of

EARLY = "0001-01-01"
LATE = "9999-12-31"
BIG_ID = str(2**63)
HINT = "日期须为 YYYY-MM-DD 格式，且在 1900-01-01 至 2100-12-31 之间"


def login(client: TestClient, login_token: Callable[[str], str], role: str) -> TestClient:
    client.post("/staff/login", data={"token": login_token(role)})
    return client


def beside(field: str, page: str) -> str:
    """The error shown beside ``field`` (``<… id="e-FIELD" class="error">``)."""
    found = re.search(rf'id="e-{field}" class="error"\s*>([^<]*)', page)
    assert found, f"no error beside {field}"
    return found.group(1)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": EARLY, "to": "2025-06-01"}, "from"),
        ({"from": "2025-06-01", "to": LATE}, "to"),
        ({"from": "2025-06-01", "to": "2025-13-01"}, "to"),
    ],
)
def test_kpi_period_out_of_range(
    client: TestClient, login_token: Callable[[str], str], query: dict[str, str], field: str
) -> None:
    staff = login(client, login_token, "hotline")
    page = staff.get("/staff/hotline/kpi", params=query)
    assert page.status_code == 422, page.text[:500]
    assert HINT in beside(field, page.text)


@pytest.mark.parametrize(
    ("query", "field"), [({"from": EARLY}, "from"), ({"to": LATE}, "to"), ({"to": "0"}, "to")]
)
def test_enforcement_statistics_period_out_of_range(
    client: TestClient, login_token: Callable[[str], str], query: dict[str, str], field: str
) -> None:
    staff = login(client, login_token, "enforcement")
    page = staff.get("/staff/enforcement/stats", params=query)
    assert page.status_code == 422, page.text[:500]
    assert HINT in beside(field, page.text)


def test_roster_week_out_of_range(client: TestClient, login_token: Callable[[str], str]) -> None:
    staff = login(client, login_token, "hotline")
    page = staff.get("/staff/hotline/roster", params={"start": EARLY})
    assert page.status_code == 422, page.text[:500]
    assert HINT in page.text
    assert "<title>" in page.text  # the HTML error page, not a plain-text 500


def test_a_shift_on_an_impossible_day_is_named_beside_the_day(
    client: TestClient, login_token: Callable[[str], str]
) -> None:
    line = {
        "id": "sz",
        "name": "深圳 12356",
        "level": "city",
        "regions": ["440300"],
        "hours": "00:00-24:00",
        "seats": 4,
    }
    imported = client.post(
        "/api/hotline/import",
        json=[line],
        headers={"Authorization": f"Bearer {login_token('hotline')}"},
    )
    assert imported.status_code == 200, imported.text
    staff = login(client, login_token, "hotline")
    token = csrf_of(staff.get("/staff/hotline/roster", params={"hotline": "sz"}).text)
    page = staff.post(
        "/staff/hotline/roster/shifts",
        data={
            "csrf_token": token,
            "hotline": "sz",
            "counsellor_id": "c1",
            "day": LATE,
            "start": "08:00",
            "end": "12:00",
            "break_start": "",
            "break_minutes": "0",
        },
    )
    assert page.status_code == 422, page.text[:500]
    assert HINT in beside("day", page.text)


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("enforcement", f"/staff/enforcement/cases/{BIG_ID}"),
        ("enforcement", f"/staff/enforcement/parties/{BIG_ID}"),
        ("enforcement", f"/staff/enforcement/documents/{BIG_ID}"),
        ("enforcement", "/staff/enforcement/grades/0/1"),
        ("enforcement", f"/staff/enforcement/grades/2025/{BIG_ID}"),
    ],
)
def test_row_ids_in_page_paths_are_bounded(
    client: TestClient, login_token: Callable[[str], str], role: str, path: str
) -> None:
    staff = login(client, login_token, role)
    page = staff.get(path)
    assert page.status_code == 422, page.text[:500]
    assert "输入有误" in page.text  # the 422 page's Chinese headline

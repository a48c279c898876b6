"""Hotline pages: the public 12356 finder and the staff live board, KPIs, compliance, seats."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from minsheng.web.staff_hotline import LIVE_REFRESH_S

LEVELS = r'<span class="badge">(市级热线|省级热线|国家备份热线)</span>'


@pytest.fixture
def staff(client: TestClient, login_token: Callable[[str], str]) -> TestClient:
    token = login_token("hotline")
    client.post("/staff/login", data={"token": token})
    client.headers["Authorization"] = f"Bearer {token}"  # the JSON API takes bearer tokens only
    return client


class TestFinder:
    def test_a_city_lists_its_lines_in_routing_order(
        self, client: TestClient, hotline_demo: dict[str, Any]
    ) -> None:
        page = client.get("/hotline", params={"city": "深圳"})
        assert page.status_code == 200
        levels = re.findall(
            r'<span class="badge">(市级热线|省级热线|国家备份热线)</span>', page.text
        )
        assert levels == ["市级热线", "省级热线", "国家备份热线"]
        assert "08:00-02:00" in page.text

    def test_an_area_code_finds_the_city(
        self, client: TestClient, hotline_demo: dict[str, Any]
    ) -> None:
        page = client.get("/hotline", params={"city": "0755"})
        assert "深圳市：依次接听的热线" in page.text

    def test_a_city_without_a_city_line_goes_to_its_province(
        self, client: TestClient, hotline_demo: dict[str, Any]
    ) -> None:
        page = client.get("/hotline", params={"city": "海口"})
        levels = re.findall(
            r'<span class="badge">(市级热线|省级热线|国家备份热线)</span>', page.text
        )
        assert levels == ["省级热线", "国家备份热线"]

    def test_an_unknown_place_is_named_beside_the_field(
        self, client: TestClient, hotline_demo: dict[str, Any]
    ) -> None:
        page = client.get("/hotline", params={"city": "不存在市"})
        assert page.status_code == 404
        assert re.search(r'id="e-city" class="error" >[^<]+', page.text)


def test_the_live_board_polls_with_htmx(staff: TestClient, hotline_demo: dict[str, Any]) -> None:
    page = staff.get("/staff/hotline")
    assert page.status_code == 200
    assert f'hx-trigger="every {LIVE_REFRESH_S}s"' in page.text
    assert 'hx-get="/staff/hotline/live?hotline="' in page.text
    fragment = staff.get("/staff/hotline/live")
    assert fragment.text.startswith('<div id="live"')
    assert "<html" not in fragment.text
    assert re.search(r"<code>1\d\d\*\*\*\*\d{4}</code>", fragment.text)  # masked callers


def test_a_counsellor_is_signed_in_through_htmx(
    staff: TestClient, hotline_demo: dict[str, Any]
) -> None:
    html = staff.get("/staff/hotline", params={"hotline": "prov-11"}).text
    csrf = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', html)
    assert csrf
    fragment = staff.post(
        "/staff/hotline/counsellors/prov-11-01/state",
        data={"state": "available", "hotline": "prov-11"},
        headers={"X-CSRF-Token": csrf.group(1), "HX-Request": "true"},
    )
    assert fragment.status_code == 200
    row = re.search(r"prov-11-01</small></td>.*?</tr>", fragment.text, re.S)
    assert row and 'class="state-available">空闲' in row.group(0)
    refused = staff.post(
        "/staff/hotline/counsellors/prov-11-01/state",
        data={"state": "talking", "hotline": "prov-11"},
        headers={"X-CSRF-Token": csrf.group(1)},
    )
    assert refused.status_code == 422
    assert "cannot be set by hand" in refused.text


def test_kpis_come_with_charts_and_match_the_api(
    staff: TestClient, hotline_demo: dict[str, Any]
) -> None:
    page = staff.get("/staff/hotline/kpi", params={"from": "2025-06-02", "to": "2025-06-03"})
    assert page.status_code == 200
    for chart in ("chart-answer-rate", "chart-asa", "chart-abandon", "chart-days"):
        assert re.search(rf'<figure id="{chart}">.*?<svg [^>]*role="img"', page.text, re.S)
    api = staff.get(
        "/api/hotline/kpi",
        params={
            "from": "2025-06-02T00:00:00+08:00",
            "to": "2025-06-04T00:00:00+08:00",
            "by": "hour",
        },
    ).json()["total"]
    total = re.search(
        r'id="kpi-total">\s*<div class="kpi"><span class="v">([\d,]+)</span>', page.text
    )
    assert total and int(total.group(1).replace(",", "")) == api["offered"]
    assert f"{api['answer_rate'] * 100:.1f}%" in page.text


def test_a_bad_period_is_named(staff: TestClient, hotline_demo: dict[str, Any]) -> None:
    page = staff.get("/staff/hotline/kpi", params={"from": "2025-06-05", "to": "2025-06-01"})
    assert page.status_code == 422
    assert re.search(r'id="e-to" class="error" >[^<]*the period ends before it starts', page.text)


def test_compliance_and_seat_planning(staff: TestClient, hotline_demo: dict[str, Any]) -> None:
    page = staff.get("/staff/hotline/compliance")
    assert page.status_code == 200
    assert "open 14 h on every day: at least 18 h a day" in page.text
    page = staff.get("/staff/hotline/planning")
    assert page.status_code == 200
    assert 'id="plan-lines"' in page.text


def test_other_roles_are_refused(client: TestClient, login_token: Callable[[str], str]) -> None:
    client.post("/staff/login", data={"token": login_token("enforcement")})
    assert client.get("/staff/hotline/kpi").status_code == 403


def test_a_simulator_run_compares_its_variants(staff: TestClient) -> None:
    page = staff.get("/staff/hotline/simulate")
    assert page.status_code == 200
    assert '<option value="one_hotline"' in page.text
    page = staff.get("/staff/hotline/simulate", params={"scenario": "one_hotline", "seed": "7"})
    assert page.status_code == 200
    table = re.search(r'<table id="sim-comparison">.*?</table>', page.text, re.S)
    assert table
    variants = re.findall(r'<th scope="row">([\w-]+)</th>', table.group(0))
    assert len(variants) >= 2
    assert re.search(r'<figure id="sim-chart">.*?<svg [^>]*role="img"', page.text, re.S)
    bad = staff.get("/staff/hotline/simulate", params={"scenario": "../../etc/passwd"})
    assert bad.status_code == 422
    assert re.search(r'id="e-scenario" class="error" >[^<]*no shipped scenario', bad.text)


def test_a_simulator_run_on_an_empty_directory_says_what_to_do(staff: TestClient) -> None:
    # national_day runs on the database's directory: with none loaded, the page says so (the
    # same check as `minsheng hotline simulate`) instead of simulating nothing.
    page = staff.get("/staff/hotline/simulate", params={"scenario": "national_day"})
    assert page.status_code == 422
    assert "the directory is empty: run `minsheng demo load`" in page.text.replace("&#96;", "`")

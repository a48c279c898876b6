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
        levels = re.findall(LEVELS, page.text)
        assert levels == ["市级热线", "省级热线", "国家备份热线"]
        assert "广东省深圳市：依次接听的热线" in page.text  # the province in the heading
        assert "08:00–次日02:00" in page.text  # past midnight says so
        assert "08:00-02:00" not in page.text

    def test_an_area_code_finds_the_city(
        self, client: TestClient, hotline_demo: dict[str, Any]
    ) -> None:
        page = client.get("/hotline", params={"city": "0755"})
        assert "广东省深圳市：依次接听的热线" in page.text

    def test_a_city_without_a_city_line_goes_to_its_province(
        self, client: TestClient, hotline_demo: dict[str, Any]
    ) -> None:
        page = client.get("/hotline", params={"city": "海口"})
        assert re.findall(LEVELS, page.text) == ["省级热线", "国家备份热线"]

    @pytest.mark.parametrize(
        ("typed", "heading", "levels"),
        [
            # issue 18: these were refused, or served by the wrong line
            ("广东省深圳市南山区", "广东省深圳市南山区", ["市级热线", "省级热线", "国家备份热线"]),
            ("深圳市南山区", "广东省深圳市南山区", ["市级热线", "省级热线", "国家备份热线"]),
            ("浦东", "上海市浦东新区", ["省级热线", "国家备份热线"]),
            ("琼中", "海南省琼中黎族苗族自治县", ["省级热线", "国家备份热线"]),
        ],
    )
    def test_an_address_is_read_down_to_the_county(
        self,
        client: TestClient,
        hotline_demo: dict[str, Any],
        typed: str,
        heading: str,
        levels: list[str],
    ) -> None:
        page = client.get("/hotline", params={"city": typed})
        assert page.status_code == 200
        assert f"{heading}：依次接听的热线" in page.text
        assert re.findall(LEVELS, page.text) == levels

    @pytest.mark.parametrize(
        ("typed", "choices"),
        [
            ("南山区", {"230404": "黑龙江省鹤岗市南山区", "440305": "广东省深圳市南山区"}),
            (
                "鼓楼区",
                {
                    "320106": "江苏省南京市鼓楼区",
                    "320302": "江苏省徐州市鼓楼区",
                    "350102": "福建省福州市鼓楼区",
                    "410204": "河南省开封市鼓楼区",
                },
            ),
        ],
    )
    def test_a_shared_name_asks_which_place(
        self,
        client: TestClient,
        hotline_demo: dict[str, Any],
        typed: str,
        choices: dict[str, str],
    ) -> None:
        page = client.get("/hotline", params={"city": typed})
        assert page.status_code == 200
        assert f"“{typed}”有 {len(choices)} 个地方同名" in page.text
        found = dict(
            re.findall(r'<li><a href="/hotline\?city=(\d{6})">([^<]+)</a></li>', page.text)
        )
        assert found == choices
        assert "依次接听的热线" not in page.text  # nothing picked silently
        chosen = client.get("/hotline", params={"city": "440305"})
        assert "广东省深圳市南山区：依次接听的热线" in chosen.text

    def test_an_unknown_place_still_says_dial_12356(
        self, client: TestClient, hotline_demo: dict[str, Any]
    ) -> None:
        page = client.get("/hotline", params={"city": "不存在市"})
        assert page.status_code == 404
        assert re.search(r'id="e-city" class="error" >没有找到“不存在市”', page.text)
        assert '直接拨打 <a href="tel:12356">12356</a>' in page.text

    def test_numbers_are_tel_links(self, client: TestClient, hotline_demo: dict[str, Any]) -> None:
        page = client.get("/hotline", params={"city": "深圳"}).text
        for number in ("12356", "110", "120"):
            assert f'href="tel:{number}"' in page
        legacy = re.findall(r'<a href="tel:([0-9+]+)"><strong>([^<]+)</strong></a>', page)
        assert legacy
        assert all(re.sub(r"[^0-9+]", "", shown) == digits for digits, shown in legacy)
        assert "现在未开通" not in page
        assert re.search(r"正在服务|当前不在服务时间|尚未接入 12356", page)


def test_the_live_board_polls_with_htmx(staff: TestClient, hotline_demo: dict[str, Any]) -> None:
    page = staff.get("/staff/hotline")
    assert page.status_code == 200
    assert f'hx-trigger="every {LIVE_REFRESH_S}s"' in page.text
    assert 'hx-get="/staff/hotline/live?hotline=&amp;province="' in page.text
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
    assert "状态“talking”不能手动设置" in refused.text


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
    assert re.search(r'id="e-to" class="error" >结束时间早于开始时间', page.text)


def test_compliance_and_seat_planning(staff: TestClient, hotline_demo: dict[str, Any]) -> None:
    page = staff.get("/staff/hotline/compliance")
    assert page.status_code == 200
    assert "每天开通 14 小时：每天至少 18 小时" in page.text
    assert "open 14 h" not in page.text
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
    variants = re.findall(
        r'<th scope="row">[^<]+<small class="muted"><code>([\w-]+)</code>', table.group(0)
    )
    assert len(variants) >= 2
    assert re.search(r'<figure id="sim-chart">.*?<svg [^>]*role="img"', page.text, re.S)
    bad = staff.get("/staff/hotline/simulate", params={"scenario": "../../etc/passwd"})
    assert bad.status_code == 422
    assert re.search(r'id="e-scenario" class="error" >没有名为“', bad.text)


def test_a_simulator_run_on_an_empty_directory_says_what_to_do(staff: TestClient) -> None:
    # national_day runs on the database's directory: with none loaded, the page says so (the
    # same check as `minsheng hotline simulate`) instead of simulating nothing.
    page = staff.get("/staff/hotline/simulate", params={"scenario": "national_day"})
    assert page.status_code == 422
    assert "热线目录为空：请先运行 minsheng demo load" in page.text

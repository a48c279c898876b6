"""Enforcement report pages: grades with their distribution chart and explanation, the
inspection plan calendar, and the statistics computed from the records."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import creditcode
from minsheng.core.config import Settings
from minsheng.enforcement import schemas, service
from tests.web.conftest import StaffLogin


def firm_code(n: int) -> str:
    return creditcode.with_check("91460107" + creditcode.org_code(f"MA5X{n:04d}"))


@pytest.fixture
def firms(session_factory: sessionmaker[Session], settings: Settings) -> list[int]:
    return make_firms(session_factory, settings)


def make_firms(session_factory: sessionmaker[Session], settings: Settings) -> list[int]:
    """Six construction firms with 2024 inspections (some failed), two inspectors."""
    ids = []
    with session_factory() as s:
        for code in ("QS-T-01", "QS-T-02", "QS-T-03"):
            inspector = schemas.InspectorCreate(code=code, name=f"检查员{code[-2:]}")
            service.add_inspector(s, inspector, actor="test")
        for n in range(6):
            firm = schemas.PartyCreate(
                kind="organisation",
                category="construction_firm",
                name=f"海南测试建设工程有限公司{n}",
                credit_code=firm_code(n),
                registered_on=date(2020, 1, 1),
            )
            party = service.create_party(s, firm, key=settings.hmac_key, actor="test")
            ids.append(party.id)
            for k in range(3):
                inspection = schemas.InspectionCreate(
                    party_id=party.id,
                    inspected_on=date(2024, 3 + k, 10),
                    passed=k >= n % 4,
                    items=["GC-01"],
                    inspectors=["QS-T-01", "QS-T-02"],
                )
                service.record_inspection(s, inspection, actor="test")
        s.commit()
    return ids


@pytest.fixture
def officer(staff_login: StaffLogin) -> tuple[TestClient, str]:
    return staff_login("enforcement", "/staff/enforcement/grades")


def test_grade_a_year_then_read_the_distribution_and_an_explanation(
    officer: tuple[TestClient, str], firms: list[int]
) -> None:
    client, csrf = officer
    page = client.post("/staff/enforcement/grades", data={"csrf_token": csrf, "year": "2025"})
    assert page.status_code == 200
    assert re.search(r'<figure id="grade-chart">.*?<svg [^>]*role="img"', page.text, re.S)
    counts = [int(n) for n in re.findall(r'<span class="v">(\d+)</span>[ABCD] 级', page.text)]
    assert sum(counts) == len(firms)
    explained = client.get(f"/staff/enforcement/grades/2025/{firms[3]}")
    assert explained.status_code == 200
    grade = re.search(r'id="grade">([ABCD])<', explained.text)
    assert grade
    assert "inspection_failure_rate" in explained.text
    assert client.get(f"/staff/enforcement/grades/2030/{firms[0]}").status_code == 404
    refused = client.post("/staff/enforcement/grades", data={"csrf_token": csrf, "year": "19"})
    assert refused.status_code == 422
    error = re.search(r'<p id="e-grade-year" class="error" >(.*?)</p>', refused.text, re.S)
    assert error and "19" in error.group(1)
    assert 'id="f-grade-year" name="year" type="number" value="19"' in refused.text


def test_the_plan_is_a_calendar_and_the_same_for_the_same_seed(
    officer: tuple[TestClient, str], firms: list[int]
) -> None:
    client, csrf = officer
    client.post("/staff/enforcement/grades", data={"csrf_token": csrf, "year": "2025"})
    pages = [
        client.get("/staff/enforcement/plan", params={"year": 2025, "month": m, "seed": 7}).text
        for m in (1, 1)
    ]
    assert 'id="calendar"' in pages[0]
    # a real table (issue 18: the ARIA grid lacked its rows): 7 days a week, weekday headers
    assert pages[0].count('<td class="day') % 7 == 0
    assert pages[0].count('<th scope="col">周') == 7
    assert re.sub(r"\s+", "", pages[0]) == re.sub(r"\s+", "", pages[1])
    bad = client.get("/staff/enforcement/plan", params={"year": 2025, "month": 13})
    assert bad.status_code == 422
    assert re.search(r'id="e-month" class="error" >月份须为 1–12', bad.text)


def test_statistics_are_computed_from_the_records(
    officer: tuple[TestClient, str], firms: list[int]
) -> None:
    client, _csrf = officer
    page = client.get("/staff/enforcement/stats")
    assert page.status_code == 200
    api = client.get("/api/enforcement/stats").json()
    assert f'<span class="v">{api["commitments"]["total"]:,}</span>签署信用承诺书' in page.text
    bad = client.get("/staff/enforcement/stats", params={"from": "2025-13-01"})
    assert bad.status_code == 422

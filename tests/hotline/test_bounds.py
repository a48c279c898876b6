"""Issue 12 items 5 and 12 on the hotline API: every date, time, id, number and text a route
takes is bounded at the schema, so a value out of range is a 422 with the standard body naming
the field (never a 500, never stored)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

Token = Callable[[str], dict[str, str]]

NUL = "\x00"
RLO = "\u202e"  # right-to-left override
BIG_ID = str(2**63)
EARLY = "0001-01-01"
LATE = "9999-12-31"
WIDE_OFFSET = "2026-12-01T08:00:00+23:59"
KPI = {"from": "2025-06-01", "to": "2025-06-02"}
COUNSELLOR = {"id": "c-bounds", "name": "李老师", "hotline_id": "sz"}
ASSESSMENT = {"counsellor_id": "c-bounds", "suicidal_ideation": "none", "hopelessness": "none"}

# (method, path, query, JSON body, the field the 422 names)
CASES: list[tuple[str, str, dict[str, str] | None, dict[str, Any] | None, str]] = [
    # public directory
    ("GET", f"/api/hotline/hotlines/sz{quote(NUL)}", None, None, "hotline_id"),
    ("GET", f"/api/hotline/hotlines/sz{quote(RLO)}", None, None, "hotline_id"),
    ("GET", "/api/hotline/hotlines", {"region": f"4403{RLO}00"}, None, "region"),
    # route preview
    ("GET", "/api/hotline/route", {"number": "12356", "at": EARLY}, None, "at"),
    ("GET", "/api/hotline/route", {"number": "12356", "at": f"{LATE}T23:59:59"}, None, "at"),
    ("GET", "/api/hotline/route", {"number": "12356", "at": WIDE_OFFSET}, None, "at"),
    ("GET", "/api/hotline/route", {"number": f"0755{NUL}83001234"}, None, "number"),
    ("GET", "/api/hotline/route", {"number": f"0755{RLO}83001234"}, None, "number"),
    ("GET", "/api/hotline/route", {"number": "12356", "origin": f"44{NUL}"}, None, "origin"),
    # call records and KPIs
    ("GET", "/api/hotline/calls", {"from": EARLY}, None, "from"),
    ("GET", "/api/hotline/calls", {"to": LATE}, None, "to"),
    ("GET", "/api/hotline/calls", {"from": f"{EARLY}T00:00:00+23:59"}, None, "from"),
    ("GET", "/api/hotline/calls", {"hotline_id": f"sz{NUL}"}, None, "hotline_id"),
    ("GET", f"/api/hotline/calls/{quote(RLO)}call", None, None, "call_ref"),
    ("GET", "/api/hotline/kpi", {**KPI, "from": EARLY}, None, "from"),
    ("GET", "/api/hotline/kpi", {**KPI, "to": LATE}, None, "to"),
    ("GET", "/api/hotline/kpi", {**KPI, "from": WIDE_OFFSET}, None, "from"),
    # counsellors
    ("POST", "/api/hotline/counsellors", None, {**COUNSELLOR, "name": f"李{NUL}"}, "name"),
    ("POST", "/api/hotline/counsellors", None, {**COUNSELLOR, "name": f"李{RLO}师"}, "name"),
    (
        "POST",
        "/api/hotline/counsellors",
        None,
        {**COUNSELLOR, "qualification": f"二级{RLO}"},
        "qualification",
    ),
    (
        "PUT",
        f"/api/hotline/counsellors/c{quote(NUL)}/state",
        None,
        {"state": "available"},
        "counsellor_id",
    ),
    # assessments and follow-ups
    (
        "POST",
        "/api/hotline/calls/call-1/assessment",
        None,
        {**ASSESSMENT, "handover_to": "120", "handover_at": f"{EARLY}T00:00:00+23:59"},
        "handover_at",
    ),
    (
        "POST",
        "/api/hotline/calls/call-1/assessment",
        None,
        {**ASSESSMENT, "follow_up_due": f"{LATE}T23:59:59+08:00"},
        "follow_up_due",
    ),
    (
        "POST",
        "/api/hotline/calls/call-1/assessment",
        None,
        {**ASSESSMENT, "notes": f"来电者{NUL}情绪稳定"},
        "notes",
    ),
    ("POST", f"/api/hotline/followups/{BIG_ID}/done", None, {}, "followup_id"),
    ("POST", "/api/hotline/followups/1/done", None, {"note": f"已回访{RLO}"}, "note"),
    # seat planning
    ("GET", "/api/hotline/planning/plan", {"weeks": str(10**9)}, None, "weeks"),
    ("GET", "/api/hotline/planning/plan", {"weeks": BIG_ID}, None, "weeks"),
    ("GET", "/api/hotline/planning/plan", {"smooth": str(10**9)}, None, "smooth"),
    ("GET", "/api/hotline/planning/plan", {"as_of": EARLY}, None, "as_of"),
    ("GET", "/api/hotline/planning/plan", {"as_of": LATE}, None, "as_of"),
    (
        "GET",
        "/api/hotline/planning/erlang",
        {
            "calls": "100",
            "interval_s": "1800",
            "aht_s": "300",
            "target_s": "20",
            "service_level": "0.8",
            "seats": BIG_ID,
        },
        None,
        "seats",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "field"),
    CASES,
    ids=[f"{c[0]} {c[1]} {c[4]}".encode("unicode_escape").decode() for c in CASES],
)
def test_out_of_range_input_is_a_422_naming_the_field(
    client: TestClient,
    staff_token: Token,
    method: str,
    path: str,
    query: dict[str, str] | None,
    body: dict[str, Any] | None,
    field: str,
) -> None:
    reply = client.request(method, path, params=query, json=body, headers=staff_token("hotline"))
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"] == "application/json"
    answer = reply.json()
    assert set(answer) >= {"error", "detail", "field"}, answer
    assert answer["error"] == "ValidationError"
    assert answer["field"] == field, answer


def test_import_refuses_control_characters_and_wild_dates(
    client: TestClient, staff_token: Token
) -> None:
    """The directory import validates each row with the same bounded schema."""
    from tests.hotline.factories import hotline_row

    staff = staff_token("hotline")
    for row in (
        hotline_row("sz", name=f"深圳{RLO}热线"),
        hotline_row("sz", connected_at=f"{EARLY}T00:00:00+23:59"),
    ):
        reply = client.post("/api/hotline/import", json=[row], headers=staff)
        assert reply.status_code == 422, reply.text
        assert set(reply.json()) >= {"error", "detail", "field"}
    assert client.get("/api/hotline/hotlines").json() == []


def test_values_inside_the_bounds_still_work(client: TestClient, staff_token: Token) -> None:
    from tests.hotline.factories import small_directory

    staff = staff_token("hotline")
    assert client.post("/api/hotline/import", json=small_directory(), headers=staff).is_success
    ok = client.get(
        "/api/hotline/route",
        params={"number": "+86 755 8300 1234", "at": "2025-06-04T03:00:00+14:00"},
        headers=staff,
    )
    assert ok.status_code == 200, ok.text
    assert client.get("/api/hotline/kpi", params=KPI, headers=staff).status_code == 200
    plan = client.get("/api/hotline/planning/plan", params={"weeks": "104"}, headers=staff)
    assert plan.status_code == 200, plan.text
    made = client.post(
        "/api/hotline/counsellors",
        json={**COUNSELLOR, "qualification": "二级心理咨询师\u200d"},
        headers=staff,
    )
    assert made.status_code == 201, made.text

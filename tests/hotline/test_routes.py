"""The hotline HTTP API: public directory, staff-only records and KPIs, error bodies."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.hotline.factories import hotline_row, small_directory

Token = Callable[[str], dict[str, str]]


def seed(client: TestClient, staff: dict[str, str]) -> None:
    r = client.post("/api/hotline/import", json=small_directory(), headers=staff)
    assert r.status_code == 200, r.text


def test_directory_is_public(client: TestClient, staff_token: Token) -> None:
    seed(client, staff_token("hotline"))
    r = client.get("/api/hotline/hotlines", params={"region": "广东省深圳市"})
    assert r.status_code == 200
    assert [h["id"] for h in r.json()] == ["gd", "national", "sz"]
    # Internal SIP addressing is never public, in the list as in the single line (issue 12.18).
    assert all("sip_uri" not in h for h in r.json())
    assert all("sip_uri" not in h for h in client.get("/api/hotline/hotlines").json())
    sz = client.get("/api/hotline/hotlines/sz").json()
    assert sz["hours"]["mon"] == "08:00-02:00"
    assert "sip_uri" not in sz
    missing = client.get("/api/hotline/hotlines/nope")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "HotlineNotFound",
        "detail": "no hotline 'nope'",
        "field": "hotline_id",
        "message": "没有这条热线。",
    }
    assert client.get("/api/hotline/compliance").json()["summary"]["hotlines"] == 4


def test_staff_endpoints_need_role(client: TestClient, staff_token: Token) -> None:
    assert client.get("/api/hotline/route", params={"number": "13800138000"}).status_code == 401
    other = staff_token("certification")
    assert (
        client.get(
            "/api/hotline/kpi", params={"from": "2025-06-01", "to": "2025-06-02"}, headers=other
        ).status_code
        == 403
    )
    assert client.post("/api/hotline/import", json=[], headers=other).status_code == 403


def test_route_preview(client: TestClient, staff_token: Token) -> None:
    staff = staff_token("hotline")
    seed(client, staff)
    r = client.get(
        "/api/hotline/route",
        headers=staff,
        params={"number": "+86 755 8300 1234", "at": "2025-06-04T03:00:00"},
    )
    body = r.json()
    assert body["caller"]["masked"] == "075*****1234"
    assert body["caller"]["location_source"] == "number"
    assert [s["hotline_id"] for s in body["steps"]] == ["gd", "national"]
    assert body["skipped"][0]["hotline_id"] == "sz"
    bad = client.get("/api/hotline/route", headers=staff, params={"number": "x"})
    assert bad.status_code == 422
    assert bad.json()["error"] == "InvalidNumber" and bad.json()["field"] == "number"


def test_import_overlap_409_and_nothing_written(client: TestClient, staff_token: Token) -> None:
    staff = staff_token("hotline")
    seed(client, staff)
    rows = [hotline_row("new-ok", "city", ["440100"]), hotline_row("sz2", "city", ["440300"])]
    r = client.post("/api/hotline/import", json=rows, headers=staff)
    assert r.status_code == 409
    assert r.json()["error"] == "OverlappingRegions"
    assert client.get("/api/hotline/hotlines/new-ok").status_code == 404
    bad = client.post("/api/hotline/import", json=[{"id": "q", "level": "x"}], headers=staff)
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["row"] == 0


def test_counsellors_and_kpi_and_followups(client: TestClient, staff_token: Token) -> None:
    staff = staff_token("hotline")
    seed(client, staff)
    r = client.post(
        "/api/hotline/counsellors",
        headers=staff,
        json={"id": "c1", "name": "王*", "hotline_id": "sz", "skills": ["crisis"]},
    )
    assert r.status_code == 201
    twice = client.post(
        "/api/hotline/counsellors",
        headers=staff,
        json={"id": "c1", "name": "王*", "hotline_id": "gd"},
    )
    assert twice.status_code == 409 and twice.json()["error"] == "CounsellorOnTwoHotlines"
    state = client.put("/api/hotline/counsellors/c1/state", headers=staff, json={"state": "break"})
    assert state.json()["state"] == "break"
    kpi = client.get(
        "/api/hotline/kpi",
        headers=staff,
        params={"from": "2025-06-01", "to": "2025-06-02", "by": "day"},
    )
    assert kpi.status_code == 200 and kpi.json()["total"]["offered"] == 0
    assert (
        client.get(
            "/api/hotline/kpi", headers=staff, params={"from": "2025-06-02", "to": "2025-06-01"}
        ).json()["field"]
        == "to"
    )
    assert (
        client.get("/api/hotline/followups", headers=staff, params={"overdue": True}).json() == []
    )
    assert client.get("/api/hotline/calls/none", headers=staff).status_code == 404
    assert client.post("/api/hotline/purge", headers=staff).json()["deleted"] == 0
    export = client.get("/api/hotline/export", headers=staff).json()
    assert len(export) == 4

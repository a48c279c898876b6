"""The enforcement API: public items, staff-only steps, a case through its workflow, errors."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.enforcement.factories import credit_code, decide_json, id_number

API = "/api/enforcement"


def test_items_are_public(client: TestClient) -> None:
    r = client.get(f"{API}/items", params={"domain": "garbage"})
    assert r.status_code == 200
    assert {i["id"] for i in r.json()} == {"LJ-01", "LJ-02"}
    assert client.get(f"{API}/items", params={"domain": "moon"}).json()["field"] == "domain"


def test_staff_only(client: TestClient, staff_token: Callable[[str], dict[str, str]]) -> None:
    assert client.post(f"{API}/decide", json=decide_json()).status_code == 401
    r = client.post(f"{API}/decide", json=decide_json(), headers=staff_token("hotline"))
    assert r.status_code == 403
    r = client.post(f"{API}/decide", json=decide_json(), headers=staff_token("enforcement"))
    assert r.status_code == 200
    assert r.json()["outcome"] == "no_penalty"
    # Every decision names its rule and says whether the rule set is official or demo.
    assert r.json()["rule_id"] == "ART33-1-FIRST"
    assert r.json()["rule_set"]["status"] == "demo"


def test_case_workflow_over_http(
    client: TestClient, staff_token: Callable[[str], dict[str, str]]
) -> None:
    h = staff_token("enforcement")
    r = client.post(
        f"{API}/parties",
        json={
            "kind": "organisation",
            "category": "shop",
            "name": "测试店",
            "credit_code": credit_code(),
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    party = r.json()["id"]
    r = client.post(
        f"{API}/cases",
        json={
            "party_id": party,
            "item": "ZD-01",
            "discovery": "complaint",
            "occurred_on": "2026-03-02",
            "discovered_on": "2026-03-02",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    case = r.json()["id"]
    content = b"photo"
    r = client.post(
        f"{API}/cases/{case}/evidence",
        json={"filename": "p.jpg", "content_base64": base64.b64encode(content).decode()},
        headers=h,
    )
    digest = r.json()["sha256"]
    assert digest == hashlib.sha256(content).hexdigest()
    assert client.get(f"{API}/evidence/{digest}", headers=h).content == content
    r = client.post(
        f"{API}/cases/{case}/facts", json={"harm": "minor", "corrected_in_time": True}, headers=h
    )
    assert r.json()["status"] == "facts_recorded"
    r = client.post(
        f"{API}/cases/{case}/decide",
        json={"sign_commitment": True, "decided_on": "2026-03-03"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["outcome"] == "no_penalty"
    assert body["commitment"]["item"] == "ZD-01"
    assert client.post(f"{API}/cases/{case}/notify", headers=h).json()["rights"]
    assert client.post(f"{API}/cases/{case}/close", headers=h).json()["status"] == "closed"
    listed = client.get(f"{API}/cases", params={"status": "closed"}, headers=h).json()
    assert [c["id"] for c in listed] == [case]
    assert client.get(f"{API}/cases", params={"status": "lost"}, headers=h).status_code == 422
    shown = client.get(f"{API}/cases/{case}", headers=h).json()
    officer = shown["events"][0]["officer"]
    assert officer.startswith("enforcement-")  # the case names the officer
    rows = client.get(
        "/api/core/audit", params={"table": "enf_cases"}, headers=staff_token("admin")
    ).json()
    assert rows
    assert {row["actor"] for row in rows} == {f"user:{officer}"}  # the audit names the actor
    stats = client.get(f"{API}/stats", headers=h).json()
    assert stats["commitments"]["total"] == 1


def test_errors_name_the_rule_and_field(
    client: TestClient, staff_token: Callable[[str], dict[str, str]]
) -> None:
    h = staff_token("enforcement")
    r = client.post(
        f"{API}/parties",
        json={
            "kind": "organisation",
            "category": "shop",
            "name": "x",
            "credit_code": "91110000600037341A",
        },
        headers=h,
    )
    assert r.status_code == 422
    assert r.json()["error"] == "InvalidCreditCode"
    r = client.post(
        f"{API}/parties",
        json={
            "kind": "person",
            "category": "farmer",
            "name": "x",
            "id_number": "46010719800101001X",
        },
        headers=h,
    )
    assert r.json()["error"] == "InvalidIdNumber"
    ok = client.post(
        f"{API}/parties",
        json={"kind": "person", "category": "farmer", "name": "符海", "id_number": id_number()},
        headers=h,
    ).json()
    assert ok["name"] == "符*"
    assert "*" in ok["id_number"]
    r = client.post(f"{API}/decide", json=decide_json(item="NOPE"), headers=h)
    assert (r.status_code, r.json()["error"]) == (404, "UnknownItem")
    r = client.post(f"{API}/decide", json=decide_json(occurred_on="2099-01-01"), headers=h)
    assert r.json()["error"] == "InvalidDate"
    r = client.post(f"{API}/cases/999/notify", headers=h)
    assert r.json()["error"] == "CaseNotFound"


def test_grade_explain_and_plan(
    client: TestClient, staff_token: Callable[[str], dict[str, str]]
) -> None:
    h = staff_token("enforcement")
    r = client.post(
        f"{API}/grade/explain",
        json={
            "inspections": 2,
            "inspections_failed": 0,
            "penalties": [],
            "industry_records": [],
            "new_entrant": False,
        },
        headers=h,
    )
    assert r.json()["grade"] == "B"
    assert client.post(f"{API}/grades/2026", headers=h).json()["firms"] == 0
    r = client.get(f"{API}/plan", params={"year": 2026, "seed": 1, "month": 13}, headers=h)
    assert r.status_code == 422

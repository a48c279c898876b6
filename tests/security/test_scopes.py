"""Region- and bureau-scoped staff (issue 12 item 10): every staff list, read, export and change
of the three systems is filtered to the user's scope; a record outside it answers 404 exactly
like a missing one, and a change to it changes nothing.

Each system's demo data gives records inside and outside a scope:

- hotline: a Shenzhen user (440300) against the Beijing line ``prov-11``, its counsellors, calls,
  follow-ups, shifts and live calls; the Shenzhen line ``city-440300`` is theirs;
- certification: a Guangdong clerk (44) against the Hainan body ``S0000-46-0001`` and its
  certificates (province 46 in the number); ``Y990144440300253000001`` is theirs;
- enforcement: an officer of bureau 乙局 against the demo bureau 琼山综执's parties, cases,
  evidence, documents, credit records, objections and grades.

``test_every_staff_route_is_classified`` walks the app's route table: a staff route added
later without a scope test (or a written reason why it needs none) fails it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import audit, creditcode
from minsheng.core.auth import create_user
from minsheng.core.db import utcnow
from minsheng.core.scope import Scope, parse_scope
from tests.conftest import table_counts

Headers = Callable[..., dict[str, str]]


@pytest.fixture
def scoped_token(session_factory: sessionmaker[Session]) -> Headers:
    """``scoped_token("hotline", region="440300")`` → Authorization header of a new user."""

    def make(role: str, *, region: str | None = None, bureau: str | None = None) -> dict[str, str]:
        with session_factory() as s:
            _user, token = create_user(
                s,
                name=f"{role}-{uuid.uuid4().hex[:6]}",
                role=role,
                scope=parse_scope(region, bureau),
            )
            s.commit()
        return {"Authorization": f"Bearer {token}"}

    return make


Watched = dict[str, str]  # table → SQL condition on the rows to watch ("" for every row)


def digest(engine: Engine, tables: Watched) -> dict[str, str]:
    """ "Changed nothing": the row counts of the system's tables (and the audit log) and a hash of
    the watched rows of ``tables``."""
    prefix = next(iter(tables)).split("_")[0] + "_"
    out: dict[str, str] = {
        k: str(v)
        for k, v in table_counts(engine).items()
        if k.startswith(prefix) or k == "core_audit"
    }
    with engine.connect() as conn:
        for name, where in tables.items():
            condition = f" WHERE {where}" if where else ""
            rows = conn.execute(text(f"SELECT * FROM {name}{condition}")).all()
            blob = json.dumps(sorted(repr(tuple(r)) for r in rows), ensure_ascii=False)
            out[name] = hashlib.sha256(blob.encode()).hexdigest()
    return out


def refused_unchanged(
    client: TestClient,
    engine: Engine,
    headers: dict[str, str],
    method: str,
    path: str,
    body: Any,
    tables: Watched,
    status: int = 404,
) -> dict[str, Any]:
    before = digest(engine, tables)
    reply = client.request(method, path, headers=headers, json=body)
    assert reply.status_code == status, (method, path, reply.status_code, reply.text)
    answer: dict[str, Any] = reply.json()
    if status == 404:
        assert answer["error"].endswith("NotFound"), answer
    else:
        assert answer["error"] == "OutOfScope", answer
    assert digest(engine, tables) == before, f"{method} {path} changed data"
    return answer


# The scope itself ------------------------------------------------------------------------------
class TestScope:
    def test_regions(self) -> None:
        shenzhen, guangdong, beijing = Scope("440300"), Scope("440000"), Scope("110100")
        assert Scope.ALL.covers_region("110105") and Scope.ALL.covers_region(None)
        assert guangdong.covers_region("440305") and guangdong.covers_region("440000")
        assert not guangdong.covers_region("460100") and not guangdong.covers_region(None)
        assert shenzhen.covers_region("440305") and shenzhen.covers_region("440300")
        assert not shenzhen.covers_region("440100")
        assert not shenzhen.covers_region("440000")  # the province is wider than the city
        assert beijing.covers_region("110105") and not beijing.covers_region("120101")
        assert not shenzhen.covers_regions([]) and Scope.ALL.covers_regions([])
        assert not guangdong.covers_regions(["440000", "460000"])
        assert shenzhen.covers_province2("44") and not shenzhen.covers_province2("46")

    def test_bureaus(self) -> None:
        assert Scope(bureau="甲局").covers_bureau("甲局")
        assert not Scope(bureau="甲局").covers_bureau("乙局")
        assert Scope("440000").covers_bureau("乙局")  # no bureau: any bureau

    def test_parse(self) -> None:
        assert parse_scope("广东省深圳市", None) == Scope("440300")
        assert parse_scope("440000", " 琼山综执 ") == Scope("440000", "琼山综执")
        assert parse_scope(None, None) == parse_scope("", "") == Scope.ALL
        with pytest.raises(Exception, match="county"):
            parse_scope("440305", None)
        with pytest.raises(Exception, match="bureau"):
            parse_scope(None, "局" * 31)


# Hotline ---------------------------------------------------------------------------------------
HOTLINE_TABLES: Watched = {
    "hotline_counsellors": "",
    "hotline_shifts": "hotline_id = 'prov-11'",
    "hotline_followups": "",
    "hotline_assessments": "",
    "hotline_hotlines": "",
    "hotline_sip_live_calls": "",
}


@pytest.fixture
def hotline_world(session_factory: sessionmaker[Session]) -> Iterator[dict[str, Any]]:
    """Out-of-scope (Beijing) and in-scope (Shenzhen) records beside the demo data."""
    from minsheng.hotline.models import (
        Call,
        Counsellor,
        FollowUp,
        Shift,
        SipLiveCall,
        SipNode,
    )

    with session_factory() as s:

        def first_call(hotline_id: str) -> Call:
            call = s.scalar(select(Call).where(Call.hotline_id == hotline_id).limit(1))
            assert call is not None
            return call

        bj_call, sz_call = first_call("prov-11"), first_call("city-440300")
        bj_c = s.scalar(select(Counsellor).where(Counsellor.hotline_id == "prov-11").limit(1))
        sz_c = s.scalar(select(Counsellor).where(Counsellor.hotline_id == "city-440300").limit(1))
        assert bj_c is not None and sz_c is not None
        now = utcnow()
        follow = FollowUp(call_id=bj_call.id, task="回访", due_at=now, created_by="test")
        day = date(2025, 6, 2)
        shift = Shift(
            hotline_id="prov-11",
            counsellor_id=bj_c.id,
            day=day,
            start_at=now,
            end_at=now + timedelta(hours=4),
            source="manual",
            rule_version="test",
            created_by="test",
        )
        # A heartbeat a day ahead: the node stays "alive" however slowly the test runs.
        node = SipNode(id="n-test", sip_address="127.0.0.1:1", heartbeat_at=now + timedelta(days=1))
        live = [
            SipLiveCall(
                call_ref=f"live-{k}",
                sip_call_id=f"sip-{k}",
                node_id="n-test",
                state="waiting",
                hotline_id=line,
                province_code=prov,
                city_code=city,
                caller_hash="h",
                caller_masked="139****0000",
                location_source="test",
                rule_version="test",
                arrived_at=now,
                updated_at=now,
            )
            for k, line, prov, city in (
                ("bj", "prov-11", "110000", "110100"),
                ("sz", "city-440300", "440000", "440300"),
            )
        ]
        s.add_all([follow, shift, node, *live])
        s.commit()
        yield {
            "bj_call": bj_call.call_ref,
            "sz_call": sz_call.call_ref,
            "bj_counsellor": bj_c.id,
            "sz_counsellor": sz_c.id,
            "followup": follow.id,
            "shift": shift.id,
            "day": day.isoformat(),
        }


def hotline_refusals(w: dict[str, Any]) -> list[tuple[str, str, Any, int]]:
    """(method, path, body, status) that the Shenzhen user must be refused, changing nothing."""
    bj_row = {
        "id": "prov-11",
        "name": "改名",
        "level": "province",
        "regions": ["110000"],
        "hours": "00:00-24:00",
        "seats": 1,
    }
    new_row = bj_row | {"id": "new-line", "regions": ["460000"]}
    return [
        ("PUT", f"/api/hotline/counsellors/{w['bj_counsellor']}/state", {"state": "break"}, 404),
        ("GET", f"/api/hotline/counsellors/{w['bj_counsellor']}/register", None, 404),
        ("PATCH", f"/api/hotline/counsellors/{w['bj_counsellor']}", {"training_hours": 99}, 404),
        (
            "POST",
            "/api/hotline/counsellors",
            {"id": "x-new", "name": "新人", "hotline_id": "prov-11"},
            404,
        ),
        ("GET", f"/api/hotline/calls/{w['bj_call']}", None, 404),
        (
            "POST",
            f"/api/hotline/calls/{w['bj_call']}/assessment",
            {
                "counsellor_id": w["sz_counsellor"],
                "suicidal_ideation": "severe",
                "hopelessness": "severe",
            },
            404,
        ),
        (
            "POST",
            f"/api/hotline/calls/{w['sz_call']}/assessment",  # own call, foreign counsellor
            {
                "counsellor_id": w["bj_counsellor"],
                "suicidal_ideation": "none",
                "hopelessness": "none",
            },
            404,
        ),
        ("POST", f"/api/hotline/followups/{w['followup']}/done", {"note": "done"}, 404),
        ("DELETE", f"/api/hotline/shifts/{w['shift']}", None, 404),
        (
            "POST",
            "/api/hotline/shifts",
            {
                "hotline_id": "prov-11",
                "counsellor_id": w["bj_counsellor"],
                "start": f"{w['day']}T08:00:00",
                "end": f"{w['day']}T12:00:00",
            },
            404,
        ),
        (
            "POST",
            "/api/hotline/rosters/generate",
            {"hotline_id": "prov-11", "start": w["day"], "days": 1},
            404,
        ),
        ("GET", f"/api/hotline/staffing?from={w['day']}&hotline_id=prov-11", None, 404),
        ("GET", "/api/hotline/planning/plan?hotline_id=prov-11", None, 404),
        ("POST", "/api/hotline/live/calls/sip-bj/crisis", None, 404),
        (
            "POST",
            "/api/hotline/live/calls/sip-bj/supervise",
            {"mode": "listen", "supervisor": "sup-01", "reason": "督导"},
            404,
        ),
        ("POST", "/api/hotline/live/calls/sip-bj/unsupervise", None, 404),
        ("POST", "/api/hotline/live/calls/sip-bj/transfer", {"to": "120"}, 404),
        ("POST", "/api/hotline/import", [bj_row], 404),
        ("POST", "/api/hotline/import", [new_row], 403),
        ("POST", "/api/hotline/purge", None, 403),
        ("GET", "/api/hotline/reports/monthly?month=2025-06", None, 403),
    ]


@pytest.mark.demo("hotline")
class TestHotlineScope:
    def test_out_of_scope_reads_and_changes_are_refused(
        self,
        client: TestClient,
        engine: Engine,
        scoped_token: Headers,
        hotline_world: dict[str, Any],
    ) -> None:
        shenzhen = scoped_token("hotline", region="440300")
        for method, path, body, status in hotline_refusals(hotline_world):
            refused_unchanged(client, engine, shenzhen, method, path, body, HOTLINE_TABLES, status)

    def test_the_same_requests_work_for_national_staff(
        self,
        client: TestClient,
        scoped_token: Headers,
        hotline_world: dict[str, Any],
    ) -> None:
        """The refusals above are the scope's doing: a national user is answered."""
        national = scoped_token("hotline")
        w = hotline_world
        for path in (
            f"/api/hotline/calls/{w['bj_call']}",
            f"/api/hotline/counsellors/{w['bj_counsellor']}/register",
            f"/api/hotline/staffing?from={w['day']}&hotline_id=prov-11",
        ):
            assert client.get(path, headers=national).status_code == 200, path
        reply = client.put(
            f"/api/hotline/counsellors/{w['bj_counsellor']}/state",
            headers=national,
            json={"state": "break"},
        )
        assert reply.status_code == 200, reply.text

    def test_lists_hold_only_the_scope(
        self,
        client: TestClient,
        scoped_token: Headers,
        hotline_world: dict[str, Any],
    ) -> None:
        w = hotline_world
        shenzhen = scoped_token("hotline", region="440300")
        guangdong = scoped_token("hotline", region="广东省")

        def get(path: str, headers: dict[str, str]) -> Any:
            reply = client.get(path, headers=headers)
            assert reply.status_code == 200, (path, reply.text)
            return reply.json()

        lines = {c["hotline_id"] for c in get("/api/hotline/counsellors", shenzhen)}
        assert lines == {"city-440300"}
        gd_lines = {c["hotline_id"] for c in get("/api/hotline/counsellors", guangdong)}
        assert "prov-44" in gd_lines and "city-440100" in gd_lines
        assert not any(h.startswith(("prov-11", "city-33", "national")) for h in gd_lines)

        calls = get("/api/hotline/calls?limit=10000", shenzhen)
        assert calls and w["sz_call"] in {c["call_ref"] for c in calls}
        assert all(c["hotline_id"] == "city-440300" or c["city_code"] == "440300" for c in calls), (
            "a call outside Shenzhen was listed"
        )
        assert w["bj_call"] not in {c["call_ref"] for c in calls}

        assert w["followup"] not in {f["id"] for f in get("/api/hotline/followups", shenzhen)}
        assert {h["id"] for h in get("/api/hotline/export", shenzhen)} == {"city-440300"}
        shifts = get(f"/api/hotline/shifts?from={w['day']}", shenzhen)
        assert w["shift"] not in {s["id"] for s in shifts}
        live = {c["sip_call_id"] for c in get("/api/hotline/live/calls", shenzhen)}
        assert live == {"sip-sz"}

        kpi = get(
            "/api/hotline/kpi?from=2025-06-01T00:00:00%2B08:00&to=2025-06-09T00:00:00%2B08:00&by=province",
            shenzhen,
        )
        national = get(
            "/api/hotline/kpi?from=2025-06-01T00:00:00%2B08:00&to=2025-06-09T00:00:00%2B08:00&by=province",
            scoped_token("hotline"),
        )
        assert {g["key"] for g in kpi["groups"]} <= {"440000"}
        assert 0 < kpi["total"]["offered"] < national["total"]["offered"]
        plan = get("/api/hotline/planning/plan", shenzhen)
        assert [p["hotline_id"] for p in plan["hotlines"]] == ["city-440300"]
        staffing = get(f"/api/hotline/staffing?from={w['day']}", shenzhen)
        assert {line["hotline_id"] for line in staffing["hotlines"]} == {"city-440300"}


# Certification ---------------------------------------------------------------------------------
CERT_TABLES: Watched = {
    "cert_certificates": "",
    "cert_bodies": "",
    "cert_body_scopes": "",
    "cert_subsidy_claims": "",
}
HAINAN_CERT = "S000046460100244000001"
GUANGDONG_CERT = "Y990144440300253000001"
HAINAN_BODY = "S0000-46-0001"


@pytest.mark.demo("certification")
class TestCertificationScope:
    def refusals(self) -> list[tuple[str, str, Any, int]]:
        status = {"status": "revoked", "reason": "测试吊销"}
        issue = {
            "name": "张三",
            "id_number": "11010519491231002X",
            "occupation_code": "4-01-02-01",
            "level": 5,
            "body": HAINAN_BODY,
            "province_code": "46",
            "site_code": "460100",
            "issued_on": "2024-06-01",
        }
        body = {
            "name": "海南某评价机构",
            "body_type": "S",
            "code": "0000",
            "province_code": "46",
            "valid_from": "2024-01-01",
            "scope": [{"occupation_code": "4-01-02-01", "levels": [5]}],
        }
        scope_change = {
            "scope": [{"occupation_code": "4-01-02-01", "levels": [5]}],
            "reason": "越权变更",
        }
        return [
            ("POST", f"/api/certification/certificates/{HAINAN_CERT}/status", status, 404),
            ("POST", f"/api/certification/bodies/{HAINAN_BODY}/status", status, 404),
            ("POST", "/api/certification/certificates", issue, 403),
            ("POST", "/api/certification/bodies", body, 403),
            ("POST", f"/api/certification/bodies/{HAINAN_BODY}/scope", scope_change, 404),
        ]

    def test_out_of_scope_changes_are_refused(
        self, client: TestClient, engine: Engine, scoped_token: Headers
    ) -> None:
        clerk = scoped_token("certification", region="440000")
        for method, path, body, status in self.refusals():
            refused_unchanged(client, engine, clerk, method, path, body, CERT_TABLES, status)

    def test_own_province_works(self, client: TestClient, scoped_token: Headers) -> None:
        clerk = scoped_token("certification", region="440300")  # a city's clerk: the province
        reply = client.post(
            f"/api/certification/certificates/{GUANGDONG_CERT}/status",
            headers=clerk,
            json={"status": "suspended", "reason": "核查中"},
        )
        assert reply.status_code == 200, reply.text

    def test_an_import_with_a_foreign_number_imports_nothing(
        self, client: TestClient, engine: Engine, scoped_token: Headers
    ) -> None:
        clerk = scoped_token("certification", region="440000")
        csv_text = (
            "number,name,id_number,occupation_code,level,body_code,issued_on\n"
            "S000046460100244000099,李四,11010519491231002X,4-01-02-01,5,S0000-46-0001,2024-06-01\n"
        )
        before = digest(engine, CERT_TABLES)
        reply = client.post(
            "/api/certification/certificates/import",
            headers=clerk | {"Content-Type": "text/csv"},
            content=csv_text.encode(),
        )
        assert reply.status_code == 422, reply.text
        reasons = [row["reason"] for row in reply.json()["rows"]]
        assert any("outside your scope" in r for r in reasons), reasons
        assert digest(engine, CERT_TABLES) == before

    def test_subsidy_statistics_hold_only_the_province(
        self, client: TestClient, scoped_token: Headers
    ) -> None:
        path = "/api/certification/subsidy/stats?start=2017-01-01&end=2100-12-31"
        mine = client.get(path, headers=scoped_token("certification", region="440000")).json()
        every = client.get(path, headers=scoped_token("certification")).json()
        assert {p["province_code"] for p in mine["provinces"]} <= {"44"}
        assert {p["province_code"] for p in every["provinces"]} > {"44"}

    def test_subsidy_claims_and_breakdown_hold_only_the_province(
        self, client: TestClient, scoped_token: Headers
    ) -> None:
        period = "?start=2017-01-01&end=2100-12-31"
        mine, every = scoped_token("certification", region="440000"), scoped_token("certification")
        claims = "/api/certification/subsidy/claims" + period
        assert {c["province_code"] for c in client.get(claims, headers=mine).json()["claims"]} <= {
            "44"
        }
        assert {c["province_code"] for c in client.get(claims, headers=every).json()["claims"]} > {
            "44"
        }
        breakdown = "/api/certification/subsidy/breakdown" + period
        rows = client.get(breakdown, headers=mine).json()["by_province"]
        assert {r["province_code"] for r in rows} <= {"44"}
        assert len(client.get(breakdown, headers=every).json()["by_province"]) > len(rows)


# Enforcement -----------------------------------------------------------------------------------
def enf_tables(w: dict[str, Any]) -> Watched:
    """The rows of the world's parties and case (every row of the small tables)."""
    parties = f"party_id IN ({w['party']}, {w['firm']})"
    return {
        "enf_parties": f"id IN ({w['party']}, {w['firm']})",
        "enf_cases": parties,
        "enf_case_events": f"case_id = {w['case']}",
        "enf_case_procedures": "",
        "enf_commitments": parties,
        "enf_evidence": "",
        "enf_documents": "",
        "enf_credit_records": "",
        "enf_objections": "",
        "enf_grades": f"year = {w['year']}",
        "enf_inspections": parties,
        "enf_industry_records": "",
        "enf_conflicts": "",
    }


@pytest.fixture
def enforcement_world(session_factory: sessionmaker[Session]) -> dict[str, Any]:
    """A case with evidence, a document, a credit record and an objection, of the demo bureau."""
    from minsheng.enforcement.models import (
        Case,
        CreditRecord,
        Document,
        Evidence,
        EvidenceBlob,
        Grade,
        Inspector,
        Objection,
    )

    with session_factory() as s:
        case = s.scalar(select(Case).order_by(Case.id).limit(1))
        grade = s.scalar(select(Grade).order_by(Grade.id).limit(1))
        inspector = s.scalar(select(Inspector).limit(1))
        assert case is not None and grade is not None and inspector is not None
        content = b"evidence"
        sha = hashlib.sha256(content).hexdigest()
        s.add(EvidenceBlob(sha256=sha, size=len(content), content=content))
        s.flush()
        s.add(Evidence(case_id=case.id, sha256=sha, filename="a.txt", officer="t"))
        doc = Document(
            case_id=case.id,
            kind="penalty_decision",
            bureau="琼山综执",
            year=2024,
            seq=1,
            number="琼山综执罚〔2024〕1号",
            issued_on=date(2024, 12, 1),
            content={},
            officer="t",
        )
        record = CreditRecord(
            party_id=case.party_id,
            case_id=case.id,
            severity="minor",
            rule_set="ndrc-2023-58",
            decided_on=date(2024, 12, 1),
            published=False,
            status="unpublished",
        )
        objection = Objection(
            party_id=grade.party_id,
            target="grade",
            target_id=grade.id,
            filed_on=date(2024, 12, 1),
            grounds="异议",
            status="filed",
        )
        s.add_all([doc, record, objection])
        s.commit()
        return {
            "case": case.id,
            "party": case.party_id,
            "firm": grade.party_id,
            "year": grade.year,
            "grade": grade.id,
            "sha": sha,
            "document": doc.id,
            "record": record.id,
            "objection": objection.id,
            "inspector": inspector.code,
        }


def enforcement_refusals(w: dict[str, Any]) -> list[tuple[str, str, Any, int]]:
    case, party = f"/api/enforcement/cases/{w['case']}", w["party"]
    day = "2024-12-01"
    return [
        ("GET", f"/api/enforcement/parties/{party}", None, 404),
        ("GET", f"/api/enforcement/parties/{party}/credit", None, 404),
        ("GET", case, None, 404),
        ("GET", f"{case}/procedure", None, 404),
        ("GET", f"{case}/documents", None, 404),
        ("GET", f"/api/enforcement/documents/{w['document']}", None, 404),
        ("GET", f"/api/enforcement/documents/{w['document']}/pdf", None, 404),
        ("GET", f"/api/enforcement/evidence/{w['sha']}", None, 404),
        ("GET", f"/api/enforcement/grades/{w['year']}/{w['firm']}", None, 404),
        ("POST", f"{case}/evidence", {"filename": "b.txt", "content_base64": "aGk="}, 404),
        ("POST", f"{case}/facts", {"harm": "minor", "corrected_in_time": True}, 404),
        ("POST", f"{case}/decide", {}, 404),
        ("POST", f"{case}/prior-notice", {}, 404),
        ("POST", f"{case}/statement", {"waived": True}, 404),
        ("POST", f"{case}/cancel", {"reason": "withdrawn", "note": "撤销"}, 404),
        ("POST", f"{case}/hearing/request", {}, 404),
        (
            "POST",
            f"{case}/hearing/schedule",
            {"notified_on": day, "hearing_on": "2024-12-10", "place": "室", "presider": "甲"},
            404,
        ),
        ("POST", f"{case}/hearing", {"attended": True, "record": "笔录"}, 404),
        ("POST", f"{case}/legal-review", {"reviewer": "x", "passed": True, "note": "n"}, 404),
        ("POST", f"{case}/decision", {}, 404),
        ("POST", f"{case}/serve", {}, 404),
        ("POST", f"{case}/extension", {"days": 10, "basis": "b", "approved_by": "a"}, 404),
        ("POST", f"{case}/fulfilment", {}, 404),
        ("POST", f"{case}/rectification", {"rectify_by": "2024-12-30"}, 404),
        ("POST", f"{case}/check", {"rectified": True}, 404),
        ("POST", f"{case}/close", None, 404),
        ("POST", "/api/enforcement/commitments", {"party_id": party}, 404),
        (
            "POST",
            "/api/enforcement/cases",
            {
                "party_id": party,
                "item": "LJ-01",
                "discovery": "patrol",
                "occurred_on": day,
                "discovered_on": day,
            },
            404,
        ),
        (
            "POST",
            "/api/enforcement/objections",
            {"party_id": w["firm"], "target": "grade", "target_id": w["grade"], "grounds": "g"},
            404,
        ),
        (
            "POST",
            f"/api/enforcement/objections/{w['objection']}/review",
            {"upheld": False, "outcome": "驳回"},
            404,
        ),
        ("POST", f"/api/enforcement/credit-records/{w['record']}/repair", None, 404),
        (
            "POST",
            "/api/enforcement/conflicts",
            {"inspector": w["inspector"], "party_id": party, "reason": "亲属"},
            404,
        ),
        (
            "POST",
            "/api/enforcement/inspections",
            {
                "party_id": w["firm"],
                "inspected_on": day,
                "passed": True,
                "items": [],
                "inspectors": [],
            },
            404,
        ),
        (
            "POST",
            "/api/enforcement/industry-records",
            {"party_id": w["firm"], "kind": "good", "recorded_on": day},
            404,
        ),
        (
            "POST",
            "/api/enforcement/parties",
            {
                "kind": "organisation",
                "category": "shop",
                "name": "某商店",
                "credit_code": creditcode.with_check("91460107" + creditcode.org_code("MA5T0002")),
                "bureau": "琼山综执",
            },
            403,
        ),
    ]


@pytest.mark.demo("enforcement")
class TestEnforcementScope:
    def test_another_bureaus_records_are_refused(
        self,
        client: TestClient,
        engine: Engine,
        scoped_token: Headers,
        enforcement_world: dict[str, Any],
    ) -> None:
        other = scoped_token("enforcement", bureau="乙局")
        for method, path, body, status in enforcement_refusals(enforcement_world):
            refused_unchanged(
                client, engine, other, method, path, body, enf_tables(enforcement_world), status
            )

    def test_the_own_bureau_and_supervisors_are_answered(
        self, client: TestClient, scoped_token: Headers, enforcement_world: dict[str, Any]
    ) -> None:
        w = enforcement_world
        for headers in (
            scoped_token("enforcement", bureau="琼山综执"),
            scoped_token("enforcement"),
        ):
            for path in (
                f"/api/enforcement/cases/{w['case']}",
                f"/api/enforcement/parties/{w['party']}",
                f"/api/enforcement/evidence/{w['sha']}",
                f"/api/enforcement/grades/{w['year']}/{w['firm']}",
            ):
                assert client.get(path, headers=headers).status_code == 200, path

    def test_lists_and_bulk_changes_stay_in_the_bureau(
        self,
        client: TestClient,
        engine: Engine,
        scoped_token: Headers,
        enforcement_world: dict[str, Any],
    ) -> None:
        w = enforcement_world
        other = scoped_token("enforcement", bureau="乙局")
        own = scoped_token("enforcement", bureau="琼山综执")
        for path in ("/api/enforcement/cases", "/api/enforcement/commitments"):
            assert client.get(path, headers=other).json() == []
            assert client.get(path, headers=own).json() != []
        assert client.get("/api/enforcement/late-cases", headers=other).json() == []
        theirs = client.get("/api/enforcement/stats", headers=other).json()
        ours = client.get("/api/enforcement/stats", headers=own).json()
        assert theirs["commitments"]["total"] == 0 < ours["commitments"]["total"]
        plan = f"/api/enforcement/plan?year={w['year']}&seed=1"
        assert client.get(plan, headers=other).json()["visit_count"] == 0
        assert client.get(plan, headers=own).json()["visit_count"] > 0
        # Grading a year and expiring records touch the bureau's own parties only.
        before = digest(engine, enf_tables(w))
        for path in (
            f"/api/enforcement/grades/{w['year']}",
            "/api/enforcement/credit-records/expire",
        ):
            reply = client.post(path, headers=other)
            assert reply.status_code == 200, reply.text
        assert (
            client.post(f"/api/enforcement/grades/{w['year']}", headers=other).json()["firms"] == 0
        )
        after = digest(engine, enf_tables(w))
        assert after["enf_grades"] == before["enf_grades"]
        assert after["enf_credit_records"] == before["enf_credit_records"]

    def test_a_party_gets_the_users_bureau(
        self, client: TestClient, scoped_token: Headers, session_factory: sessionmaker[Session]
    ) -> None:
        reply = client.post(
            "/api/enforcement/parties",
            headers=scoped_token("enforcement", bureau="乙局"),
            json={
                "kind": "organisation",
                "category": "shop",
                "name": "乙局辖区商店",
                "credit_code": creditcode.with_check("91460107" + creditcode.org_code("MA5T0001")),
            },
        )
        assert reply.status_code == 201, reply.text
        assert reply.json()["bureau"] == "乙局"


# Users and the audit log -----------------------------------------------------------------------
def test_the_cli_sets_and_audits_the_scope(
    cli: Any, session_factory: sessionmaker[Session]
) -> None:
    result = cli("users", "create", "wang", "--role", "hotline", "--region", "广东省深圳市")
    assert result.exit_code == 0, result.output
    assert "深圳市" in result.output
    result = cli("users", "scope", "wang", "--region", "440000")
    assert result.exit_code == 0, result.output
    result = cli("users", "create", "li", "--role", "enforcement", "--bureau", "琼山综执")
    assert result.exit_code == 0, result.output
    listed = json.loads(cli("users", "list", "--json").output)
    scopes = {u["name"]: (u["region"], u["bureau"]) for u in listed}
    assert scopes == {"wang": ("440000", None), "li": (None, "琼山综执")}
    bad = cli("users", "create", "zhao", "--role", "hotline", "--region", "440305")
    assert bad.exit_code != 0 and "county" in bad.output
    with session_factory() as s:
        entries = {e.action: e.detail for e in audit.list_entries(s, table="core_users")}
    assert entries["user.scope"] == {
        "from": {"region": "440300", "bureau": None},
        "to": {"region": "440000", "bureau": None},
    }
    create_detail = entries["user.create"]
    assert create_detail is not None and "scope" in create_detail


# The route table -------------------------------------------------------------------------------
# Staff routes that need no scope test, and why.
NO_RECORD = {
    ("GET", "/api/hotline/route"): "a routing preview over the public directory; reads no record",
    ("GET", "/api/hotline/planning/erlang"): "a formula over the numbers in the query",
    ("GET", "/api/hotline/workforce/requirement"): "the rules, no record",
    ("POST", "/api/enforcement/decide"): "the decision rules on the posted facts, no record",
    ("POST", "/api/enforcement/grade/explain"): "the grading rules on the posted summary",
    ("POST", "/api/enforcement/inspectors"): "the inspector register is shared by the bureaus",
    ("POST", "/api/enforcement/officer-certs"): "officers' 执法证 are shared by the bureaus",
}
# Staff routes tested above (method, path template).
TESTED = {
    *{
        ("PUT", "/api/hotline/counsellors/{counsellor_id}/state"),
        ("GET", "/api/hotline/counsellors/{counsellor_id}/register"),
        ("PATCH", "/api/hotline/counsellors/{counsellor_id}"),
        ("POST", "/api/hotline/counsellors"),
        ("GET", "/api/hotline/counsellors"),
        ("GET", "/api/hotline/calls/{call_ref}"),
        ("GET", "/api/hotline/calls"),
        ("POST", "/api/hotline/calls/{call_ref}/assessment"),
        ("POST", "/api/hotline/followups/{followup_id}/done"),
        ("GET", "/api/hotline/followups"),
        ("DELETE", "/api/hotline/shifts/{shift_id}"),
        ("POST", "/api/hotline/shifts"),
        ("GET", "/api/hotline/shifts"),
        ("POST", "/api/hotline/rosters/generate"),
        ("GET", "/api/hotline/staffing"),
        ("GET", "/api/hotline/planning/plan"),
        ("POST", "/api/hotline/live/calls/{sip_call_id}/crisis"),
        ("POST", "/api/hotline/live/calls/{sip_call_id}/supervise"),
        ("POST", "/api/hotline/live/calls/{sip_call_id}/unsupervise"),
        ("POST", "/api/hotline/live/calls/{sip_call_id}/transfer"),
        ("GET", "/api/hotline/live/calls"),
        ("POST", "/api/hotline/import"),
        ("GET", "/api/hotline/export"),
        ("POST", "/api/hotline/purge"),
        ("GET", "/api/hotline/reports/monthly"),
        ("GET", "/api/hotline/kpi"),
    },
    *{
        ("POST", "/api/certification/certificates/{number}/status"),
        ("POST", "/api/certification/bodies/{filing_no}/status"),
        ("POST", "/api/certification/certificates"),
        ("POST", "/api/certification/bodies"),
        ("POST", "/api/certification/certificates/import"),
        ("GET", "/api/certification/subsidy/stats"),
        ("POST", "/api/certification/bodies/{filing_no}/scope"),
        ("GET", "/api/certification/subsidy/claims"),
        ("GET", "/api/certification/subsidy/breakdown"),
    },
    *{
        ("GET", "/api/enforcement/parties/{party_id}"),
        ("GET", "/api/enforcement/parties/{party_id}/credit"),
        ("POST", "/api/enforcement/parties"),
        ("GET", "/api/enforcement/cases/{case_id}"),
        ("GET", "/api/enforcement/cases"),
        ("POST", "/api/enforcement/cases"),
        ("GET", "/api/enforcement/cases/{case_id}/procedure"),
        ("GET", "/api/enforcement/cases/{case_id}/documents"),
        ("GET", "/api/enforcement/documents/{document_id}"),
        ("GET", "/api/enforcement/documents/{document_id}/pdf"),
        ("GET", "/api/enforcement/evidence/{sha256}"),
        ("GET", "/api/enforcement/grades/{year}/{party_id}"),
        ("POST", "/api/enforcement/grades/{year}"),
        ("POST", "/api/enforcement/cases/{case_id}/evidence"),
        ("POST", "/api/enforcement/cases/{case_id}/facts"),
        ("POST", "/api/enforcement/cases/{case_id}/decide"),
        ("POST", "/api/enforcement/cases/{case_id}/prior-notice"),
        ("POST", "/api/enforcement/cases/{case_id}/statement"),
        ("POST", "/api/enforcement/cases/{case_id}/cancel"),
        ("POST", "/api/enforcement/cases/{case_id}/hearing/request"),
        ("POST", "/api/enforcement/cases/{case_id}/hearing/schedule"),
        ("POST", "/api/enforcement/cases/{case_id}/hearing"),
        ("POST", "/api/enforcement/cases/{case_id}/legal-review"),
        ("POST", "/api/enforcement/cases/{case_id}/decision"),
        ("POST", "/api/enforcement/cases/{case_id}/serve"),
        ("POST", "/api/enforcement/cases/{case_id}/extension"),
        ("POST", "/api/enforcement/cases/{case_id}/fulfilment"),
        ("POST", "/api/enforcement/cases/{case_id}/rectification"),
        ("POST", "/api/enforcement/cases/{case_id}/check"),
        ("POST", "/api/enforcement/cases/{case_id}/close"),
        ("POST", "/api/enforcement/commitments"),
        ("GET", "/api/enforcement/commitments"),
        ("POST", "/api/enforcement/objections"),
        ("POST", "/api/enforcement/objections/{objection_id}/review"),
        ("POST", "/api/enforcement/credit-records/{record_id}/repair"),
        ("POST", "/api/enforcement/credit-records/expire"),
        ("POST", "/api/enforcement/conflicts"),
        ("POST", "/api/enforcement/inspections"),
        ("POST", "/api/enforcement/industry-records"),
        ("GET", "/api/enforcement/late-cases"),
        ("GET", "/api/enforcement/stats"),
        ("GET", "/api/enforcement/plan"),
    },
}


def _is_staff(route: APIRoute) -> bool:
    return any(
        "require_role" in getattr(dep.call, "__qualname__", "")
        for dep in route.dependant.dependencies
    )


def test_every_staff_route_is_classified() -> None:
    """A staff route of the three systems is scope-tested here or named as needing no scope."""
    from minsheng.certification.routes import router as certification
    from minsheng.enforcement.routes import router as enforcement
    from minsheng.hotline.routes import router as hotline

    staff = {
        (method, route.path)
        for router in (hotline, certification, enforcement)
        for route in router.routes
        if isinstance(route, APIRoute) and _is_staff(route)
        for method in route.methods
        if method != "HEAD"
    }
    assert staff, "no staff route found: the check itself is broken"
    unclassified = staff - TESTED - set(NO_RECORD)
    assert not unclassified, f"staff routes with no scope test: {sorted(unclassified)}"
    stale = (TESTED | set(NO_RECORD)) - staff
    assert not stale, f"listed routes that no longer exist: {sorted(stale)}"


# Pages and the audit log -----------------------------------------------------------------------
@pytest.mark.demo("enforcement")
def test_pages_answer_404_outside_the_bureau(
    client: TestClient, scoped_token: Headers, enforcement_world: dict[str, Any]
) -> None:
    w = enforcement_world
    paths = (
        f"/staff/enforcement/cases/{w['case']}",
        f"/staff/enforcement/parties/{w['party']}",
    )
    other = scoped_token("enforcement", bureau="乙局")
    own = scoped_token("enforcement", bureau="琼山综执")
    for path in paths:
        assert client.get(path, headers=other).status_code == 404, path
        assert client.get(path, headers=own).status_code == 200, path


@pytest.mark.demo("hotline")
def test_the_live_board_shows_only_the_scope(
    client: TestClient, engine: Engine, scoped_token: Headers, hotline_world: dict[str, Any]
) -> None:
    with engine.connect() as conn:
        names = dict(conn.execute(text("SELECT id, name FROM hotline_hotlines")).all())
    page = client.get("/staff/hotline/live", headers=scoped_token("hotline", region="440300"))
    assert page.status_code == 200, page.text
    assert names["city-440300"] in page.text
    assert names["prov-11"] not in page.text and names["city-440100"] not in page.text
    every = client.get("/staff/hotline/live", headers=scoped_token("hotline"))
    assert names["prov-11"] in every.text


@pytest.mark.demo("certification")
def test_audit_rows_record_the_scope(
    client: TestClient, engine: Engine, scoped_token: Headers
) -> None:
    for headers, expected in (
        (scoped_token("certification", region="440300"), "region:440300"),
        (scoped_token("certification"), None),
    ):
        reply = client.post(
            f"/api/certification/certificates/{GUANGDONG_CERT}/status",
            headers=headers,
            json={"status": "suspended", "reason": "核查中"},
        )
        assert reply.status_code == 200, reply.text
        with engine.connect() as conn:
            scope = conn.execute(
                text("SELECT scope FROM core_audit ORDER BY id DESC LIMIT 1")
            ).scalar_one()
        assert scope == expected
    me = client.get("/api/core/me", headers=scoped_token("enforcement", bureau="琼山综执"))
    assert me.json()["bureau"] == "琼山综执" and me.json()["region"] is None


def test_demo_users_get_scopes_that_fit_the_demo_data(cli: Any) -> None:
    result = cli("demo", "users")
    assert result.exit_code == 0, result.output
    created = {u["name"]: u for u in json.loads(result.output)}
    assert created["demo-hotline-shenzhen"]["scope"] == "广东省深圳市"
    assert created["demo-enforcement-qiongshan"]["scope"].endswith("琼山综执")
    assert all(u["token"] for u in created.values())
    again = cli("demo", "users")
    assert again.exit_code == 0 and json.loads(again.output) == []
    listed = {u["name"]: u for u in json.loads(cli("users", "list", "--json").output)}
    assert listed["demo-cert-hainan"]["region"] == "460000"
    assert listed["demo-admin"]["region"] is None


# Lists with search, filters and paging (issue 18 item 6) ---------------------------------------
TESTED.update(
    {
        ("GET", "/api/hotline/lists/calls"),
        ("GET", "/api/certification/lists/certificates"),
        ("GET", "/api/enforcement/lists/cases"),
        ("GET", "/api/enforcement/lists/parties"),
        ("GET", "/api/enforcement/lists/grades/{year}"),
    }
)


@pytest.mark.demo("enforcement")
def test_enforcement_lists_and_exports_stay_in_the_bureau(
    client: TestClient, scoped_token: Headers, enforcement_world: dict[str, Any]
) -> None:
    w = enforcement_world
    other = scoped_token("enforcement", bureau="乙局")
    own = scoped_token("enforcement", bureau="琼山综执")
    for path in (
        "/api/enforcement/lists/cases",
        "/api/enforcement/lists/parties",
        f"/api/enforcement/lists/grades/{w['year']}",
    ):
        assert client.get(path, headers=other).json()["total"] == 0, path
        assert client.get(path, headers=own).json()["total"] > 0, path
    for export in ("cases", "parties"):
        path = f"/staff/enforcement/export/{export}.csv"
        theirs = client.get(path, headers=other)
        assert theirs.status_code == 200 and theirs.headers["x-export-rows"] == "0"
        assert int(client.get(path, headers=own).headers["x-export-rows"]) > 0
    page = client.get("/staff/enforcement/party-picker?party_q=琼山", headers=other)
    assert 'name="party_id"' not in page.text


@pytest.mark.demo("certification")
def test_the_certificate_list_holds_only_the_province(
    client: TestClient, scoped_token: Headers
) -> None:
    guangdong = scoped_token("certification", region="440000")
    found = client.get("/api/certification/lists/certificates", headers=guangdong).json()
    numbers = {c["number"] for c in found["items"]}
    assert GUANGDONG_CERT in numbers and HAINAN_CERT not in numbers
    assert all(n[5:7] == "44" for n in numbers)
    by_number = client.get(
        "/api/certification/lists/certificates", params={"q": HAINAN_CERT}, headers=guangdong
    ).json()
    assert by_number["total"] == 0
    rows = client.get("/staff/certification/export/certificates.csv", headers=guangdong)
    assert HAINAN_CERT not in rows.text and GUANGDONG_CERT in rows.text


@pytest.mark.demo("hotline")
def test_the_call_list_holds_only_the_city(
    client: TestClient, scoped_token: Headers, hotline_world: dict[str, Any]
) -> None:
    w = hotline_world
    shenzhen = scoped_token("hotline", region="440300")
    found = client.get(
        "/api/hotline/lists/calls", params={"page_size": 100}, headers=shenzhen
    ).json()
    assert found["total"] > 0 and w["bj_call"] not in {c["call_ref"] for c in found["items"]}
    own = client.get("/api/hotline/lists/calls", params={"q": w["sz_call"]}, headers=shenzhen)
    assert [c["call_ref"] for c in own.json()["items"]] == [w["sz_call"]]
    by_ref = client.get(
        "/api/hotline/lists/calls", params={"q": w["bj_call"]}, headers=shenzhen
    ).json()
    assert by_ref["total"] == 0
    export = client.get("/staff/hotline/export/calls.csv", headers=shenzhen)
    assert w["bj_call"] not in export.text and w["sz_call"] in export.text

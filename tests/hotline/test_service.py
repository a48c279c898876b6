"""Hotline services on a real database: directory import/export, records, KPIs, follow-ups."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core.audit import AuditEntry
from minsheng.core.config import Settings
from minsheng.core.errors import NotFound
from minsheng.core.timeutil import BEIJING
from minsheng.hotline import demo, service
from minsheng.hotline.engine import EndedBy, Engine, VirtualClock
from minsheng.hotline.errors import (
    CounsellorOnTwoHotlines,
    InvalidImport,
    InvalidNumber,
    OverlappingRegions,
)
from minsheng.hotline.models import Call, Counsellor, Hotline
from minsheng.hotline.rules import routing
from minsheng.hotline.schemas import AssessmentCreate, CounsellorCreate
from minsheng.hotline.sim.scenario import ScenarioError
from tests.conftest import count
from tests.hotline.factories import hotline_row, small_directory

DAY = datetime(2025, 6, 4, tzinfo=BEIJING)


def load_small(session: Session) -> None:
    service.import_hotlines(session, small_directory(), actor="test")


class TestImport:
    def test_import_export_round_trip(self, session: Session) -> None:
        out = service.import_hotlines(session, small_directory(), actor="test")
        assert out == {"created": 4, "updated": 0, "total": 4}
        exported = service.export_hotlines(session)
        assert {r["id"] for r in exported} == {"sz", "gd", "bj", "national"}
        sz = next(r for r in exported if r["id"] == "sz")
        assert sz["hours"] == "08:00-02:00"
        assert sz["connected_at"] == "2025-04-01T09:00:00+08:00"
        again = service.import_hotlines(session, exported, actor="test")
        assert again == {"created": 0, "updated": 4, "total": 4}
        assert count(session, AuditEntry) == 2

    def test_bad_rows_all_named_and_nothing_written(self, session: Session) -> None:
        rows = [
            hotline_row("ok", "city", ["440300"]),
            hotline_row("bad-hours", "city", ["440100"], hours={"mon": "25:00-01:00"}),
            hotline_row("bad-region", "city", ["999999"]),
            hotline_row("Bad Id", "city", ["440400"]),
            hotline_row("prov-as-city", "city", ["440000"]),
            {"id": "x", "level": "moon"},
        ]
        with pytest.raises(InvalidImport) as exc:
            service.import_hotlines(session, rows, actor="test")
        problems = exc.value.extra["problems"]
        rows_named = {p["row"] for p in problems}
        assert rows_named == {1, 2, 3, 4, 5}
        assert any(p["field"] == "hours" and p["row"] == 1 for p in problems)
        assert any(p["field"] == "regions.0" and p["row"] == 2 for p in problems)
        assert any(p["field"] == "id" and p["row"] == 3 for p in problems)
        assert any("is a province, not a city" in p["error"] for p in problems)
        assert count(session, Hotline) == 0

    def test_overlapping_regions_name_both(self, session: Session) -> None:
        load_small(session)
        with pytest.raises(OverlappingRegions) as exc:
            service.import_hotlines(session, [hotline_row("sz2", "city", ["440300"])], actor="t")
        assert "'sz'" in exc.value.detail and "'sz2'" in exc.value.detail
        assert exc.value.field == "rows[0].regions"
        assert session.get(Hotline, "sz2") is None

    def test_not_a_list(self, session: Session) -> None:
        with pytest.raises(InvalidImport):
            service.import_hotlines(session, {"id": "x"}, actor="t")


class TestCounsellors:
    def test_one_hotline_each(self, session: Session) -> None:
        load_small(session)
        data = CounsellorCreate(id="c1", name="李*", hotline_id="sz", skills=["Crisis", "youth"])
        c = service.create_counsellor(session, data, actor="t")
        assert c.skills == ["crisis", "youth"]
        with pytest.raises(CounsellorOnTwoHotlines) as exc:
            service.create_counsellor(
                session, data.model_copy(update={"hotline_id": "gd"}), actor="t"
            )
        assert exc.value.field == "hotline_id"


class TestRoutePreview:
    def test_masked_and_named(self, session: Session, settings: Settings) -> None:
        load_small(session)
        out = service.route_preview(session, settings, "0755-83001234", at=DAY.replace(hour=12))
        assert out["caller"]["masked"] == "075*****1234"
        assert out["caller"]["city"] == {"code": "440300", "name": "深圳市"}
        assert [s["hotline_id"] for s in out["steps"]] == ["sz", "gd", "national"]
        assert out["rule_version"] == routing.RULES_VERSION

    def test_malformed_refused(self, session: Session, settings: Settings) -> None:
        with pytest.raises(InvalidNumber):
            service.route_preview(session, settings, "hello")
        with pytest.raises(InvalidNumber) as exc:
            service.route_preview(session, settings, "13800138000", origin="shenzhen")
        assert exc.value.field == "origin"


def run_calls(session: Session, settings: Settings) -> None:
    """Three calls through the real engine: answered in Shenzhen, abandoned, last resort."""
    load_small(session)
    session.add(Counsellor(id="sz-1", name="a", hotline_id="sz", skills=[]))
    session.flush()
    snapshot = service.directory_snapshot(session)
    index = routing.DirectoryIndex.build(snapshot.hotlines)
    from minsheng.core import regions

    clock = VirtualClock(DAY.replace(hour=12).timestamp())
    engine = Engine(snapshot, clock=clock)
    engine.counsellor_login("sz-1")

    def offer(number: str) -> str:
        when = datetime.fromtimestamp(clock.now, BEIJING)
        caller, plan = routing.route_call(
            index, regions.table(), number, at=when, settings=service.route_settings(settings)
        )
        return engine.offer_call(plan.steps, tag=service.call_tag(settings, caller, plan))

    a = offer("0755-83001234")
    clock.set(clock.now + 10)
    engine.answer(a)
    b = offer("13800138000")  # Beijing: no counsellor anywhere -> waits, then abandons
    clock.set(clock.now + 40)
    engine.caller_hangup(b)
    offer("19912345678")  # unknown -> national; nobody there -> last resort
    clock.set(clock.now + 600)
    engine.call_ended(a, by=EndedBy.COUNSELLOR)
    engine.advance(clock.now + 3600)
    service.save_records(session, engine.drain_records())


class TestRecordsAndKpis:
    def test_records_keep_hash_and_mask_only(self, session: Session, settings: Settings) -> None:
        run_calls(session, settings)
        calls = service.list_calls(session)
        assert len(calls) == 3
        for c in calls:
            assert "13800138000" not in (c.caller_hash + c.caller_masked)
            assert len(c.caller_hash) == 64
        answered = next(c for c in calls if c.outcome == "answered")
        assert answered.wait_s == 10
        assert (answered.talk_s, answered.wrapup_s) == (640, 60)
        assert answered.hotline_province_code == "440000"
        assert [a.rule for a in answered.attempts] == ["city_line"]

    def test_records_say_who_ended_the_call(self, session: Session, settings: Settings) -> None:
        run_calls(session, settings)
        ended = {c.outcome: service.call_dict(c)["ended_by"] for c in service.list_calls(session)}
        assert ended == {"answered": "counsellor", "abandoned": "caller", "no_answer": "system"}

    def test_kpis(self, session: Session, settings: Settings) -> None:
        run_calls(session, settings)
        out = service.kpis(session, settings, start=DAY, end=DAY + timedelta(days=1), by="province")
        total = out["total"]
        assert (total["offered"], total["answered"], total["abandoned"], total["no_answer"]) == (
            3,
            1,
            1,
            1,
        )
        assert total["answer_rate"] == pytest.approx(1 / 3, abs=1e-4)
        assert total["answered_in_home_province_rate"] == 1.0
        assert total["asa_s"] == 10
        assert total["service_level"] == 1.0
        assert total["service_level_with_abandoned"] == 0.5  # abandoned after 40 s > 30 s
        keys = {g["key"]: g for g in out["groups"]}
        assert keys["unknown"]["no_answer"] == 1
        assert keys["440000"]["name"] == "广东省"
        by_hotline = service.kpis(session, settings, start=DAY, end=DAY + timedelta(days=1))
        assert by_hotline["total"]["offered"] == 3
        sz = next(g for g in by_hotline["groups"] if g["key"] == "sz")
        assert sz["answered"] == 1
        by_hour = service.kpis(session, settings, start=DAY, end=DAY + timedelta(days=1), by="hour")
        assert [g["key"] for g in by_hour["groups"]] == ["12"]

    def test_purge_by_retention(self, session: Session, settings: Settings) -> None:
        run_calls(session, settings)
        kept = service.purge(session, settings, actor="t", now=DAY + timedelta(days=365))
        assert kept["deleted"] == 0
        gone = service.purge(session, settings, actor="t", now=DAY + timedelta(days=3 * 366 + 1))
        assert gone["deleted"] == 3
        assert count(session, Call) == 0

    def test_assessment_and_overdue_followups(self, session: Session, settings: Settings) -> None:
        run_calls(session, settings)
        ref = next(c.call_ref for c in service.list_calls(session) if c.outcome == "answered")
        data = AssessmentCreate(
            counsellor_id="sz-1",
            suicidal_ideation="severe",
            hopelessness="moderate",
            handover_to="120",
            notes="家属电话 13800138000",
        )
        now = DAY.replace(hour=13)
        out = service.record_assessment(session, ref, data, actor="t", now=now)
        assert out["risk"] == "high"
        assert out["follow_up"]["due_at"] == (now + timedelta(hours=24)).isoformat()
        assert service.list_followups(session, overdue_only=True, now=now) == []
        later = now + timedelta(hours=25)
        [overdue] = service.list_followups(session, overdue_only=True, now=later)
        assert overdue["call_ref"] == ref
        service.complete_followup(session, overdue["id"], "回访完成", actor="t", now=later)
        assert service.list_followups(session, overdue_only=True, now=later) == []
        assert session.get(Call, service.get_call(session, ref).id).crisis  # type: ignore[union-attr]
        from minsheng.hotline.models import Assessment

        note = session.scalar(select(Assessment.notes))
        assert note is not None and "13800138000" not in note


class TestCompliance:
    def test_report(self, session: Session) -> None:
        rows = [
            *small_directory(),
            hotline_row(
                "late", "city", ["440100"], seats=1, connected_at="2025-06-01T00:00:00+08:00"
            ),
        ]
        service.import_hotlines(session, rows, actor="t")
        report = service.compliance(session)
        late = next(h for h in report["hotlines"] if h["hotline_id"] == "late")
        assert not late["ok"] and len(late["problems"]) == 2
        cities = {c["code"]: c["served_by"] for c in report["cities"]}
        assert cities["440300"] == "city"
        assert cities["440500"] == "province"
        assert cities["320400"] == "none"
        assert len(cities) >= 333  # 333 prefecture-level units + the 4 municipalities, per stdnum


class TestDemo:
    def test_demo_load_small_and_idempotent(self, session: Session, settings: Settings) -> None:
        out = demo.load(session, settings=settings, days=1, calls_per_day=120)
        assert out["hotlines"] == 31 + 21 + 11 + 1
        assert out["calls"] == 120
        assert count(session, Call) == 120
        assert demo.load(session, settings=settings)["skipped"]
        report = service.compliance(session)
        assert 0 < report["summary"]["hotlines_ok"] < report["summary"]["hotlines"]
        tags = {c.location_source for c in service.list_calls(session, limit=1000)}
        assert {"carrier", "number", "unknown"} <= tags


class TestLinesForPlace:
    def test_city_lines_in_order_with_hours_judged_at_the_given_time(
        self, session: Session
    ) -> None:
        load_small(session)
        noon = service.lines_for_place(session, "深圳市", at=DAY.replace(hour=12))
        assert noon["region"]["code"] == "440300"
        assert [d["id"] for d in noon["lines"]] == ["sz", "gd", "national"]
        assert all(d["open_now"] and d["connected"] for d in noon["lines"])
        assert noon["lines"][0]["hours"]["mon"] == "08:00-02:00"
        early = service.lines_for_place(session, "深圳市", at=DAY.replace(hour=5))
        assert [d["open_now"] for d in early["lines"]] == [False, True, True]
        before = service.lines_for_place(session, "深圳市", at=datetime(2025, 3, 1, tzinfo=BEIJING))
        assert not any(d["connected"] for d in before["lines"])

    def test_area_code_and_unknown_place(self, session: Session) -> None:
        load_small(session)
        by_code = service.lines_for_place(session, "0755", at=DAY)
        assert by_code["region"]["code"] == "440300"
        with pytest.raises(NotFound) as exc:
            service.lines_for_place(session, "0111", at=DAY)
        assert exc.value.field == "city"
        with pytest.raises(NotFound) as exc:
            service.lines_for_place(session, "没有这个地方", at=DAY)
        assert exc.value.field == "city"


SCENARIO = """
name: tiny
start: "2026-11-30T00:00:00+08:00"
duration_h: 1
seed: 7
demand: {sz: 1200}
variants:
  - name: more-seats
    extra_seats: {sz: 1}
"""


class TestSimulate:
    def test_empty_directory_is_refused(self, session: Session, tmp_path: Path) -> None:
        path = tmp_path / "tiny.yaml"
        path.write_text(SCENARIO, encoding="utf-8")
        with pytest.raises(ScenarioError) as exc:
            service.simulate(session, path)
        assert exc.value.field == "hotlines"
        assert "directory is empty" in exc.value.detail

    def test_runs_on_the_database_directory(self, session: Session, tmp_path: Path) -> None:
        load_small(session)
        path = tmp_path / "tiny.yaml"
        path.write_text(SCENARIO, encoding="utf-8")
        run = service.simulate(session, path, seed=8)
        assert run.scenario.seed == 8
        assert [r.name for r in run.results] == [run.scenario.variants[0].name, "more-seats"]
        assert [row["variant"] for row in run.comparison_rows()] == [r.name for r in run.results]
        assert run.to_dict()["comparison"] == run.comparison_rows()
        assert run.results[0].calls > 0

    def test_scenario_path(self, tmp_path: Path) -> None:
        assert service.scenario_path("one_hotline") == service.shipped_scenarios()["one_hotline"]
        with pytest.raises(ScenarioError) as exc:
            service.scenario_path(str(tmp_path / "missing.yaml"))
        assert "one_hotline" in exc.value.detail

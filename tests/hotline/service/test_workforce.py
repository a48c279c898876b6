"""The workforce on a database: register, rosters by hand and generated, compliance from the
seat states, the live list of absentees, and the monthly report against the KPI service."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core.config import Settings
from minsheng.core.timeutil import BEIJING
from minsheng.hotline import demo, service
from minsheng.hotline.errors import CounsellorNotEligible, ShiftBreaksRule
from minsheng.hotline.models import Shift
from minsheng.hotline.schemas import CounsellorCreate, CounsellorUpdate, ShiftCreate
from tests.conftest import Cli
from tests.hotline.factories import hotline_row

MONDAY = date(2025, 12, 29)  # a week across the year end


def register(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "qualification_kind": "counsellor",
        "certificate_no": "SZ-0001",
        "certificate_date": date(2021, 3, 1),
        "training_hours": 60.0,
        "supervision_hours_month": 4.0,
    }
    base.update(kw)
    return base


def line_with_staff(session: Session, people: int = 10, **row: object) -> None:
    service.import_hotlines(session, [hotline_row("sz", "city", ["440300"], **row)], actor="t")
    for i in range(people):
        service.create_counsellor(
            session,
            CounsellorCreate.model_validate(
                {"id": f"sz-{i:02d}", "name": f"咨询员{i}", "hotline_id": "sz", **register()}
            ),
            actor="t",
        )


def at(day: date, hour: float) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=BEIJING) + timedelta(hours=hour)


class TestRegister:
    def test_register_and_eligibility(self, session: Session) -> None:
        line_with_staff(session, people=1)
        c = service.update_counsellor(
            session,
            "sz-00",
            CounsellorUpdate(training_hours=8.0, dialects=["粤语"]),
            actor="t",
        )
        d = service.register_dict(c, on=MONDAY)
        assert d["dialects"] == ["粤语"]
        assert d["qualification_label"] == "心理咨询师"
        assert d["eligibility"]["eligible"] is False
        assert any("岗前培训" in r for r in d["eligibility"]["reasons"])


class TestShiftsByHand:
    def test_rules_are_enforced(self, session: Session) -> None:
        line_with_staff(session, people=2)
        ok = service.create_shift(
            session,
            ShiftCreate(
                hotline_id="sz",
                counsellor_id="sz-00",
                start=at(MONDAY, 20),
                end=at(MONDAY, 28.5),  # past midnight into Tuesday
                break_start=at(MONDAY, 24),
                break_minutes=30,
            ),
            actor="t",
        )
        assert service.shift_dict(ok)["work_hours"] == 8.0
        assert ok.day == MONDAY
        with pytest.raises(ShiftBreaksRule, match="rest"):
            service.create_shift(
                session,
                ShiftCreate(
                    hotline_id="sz",
                    counsellor_id="sz-00",
                    start=at(MONDAY, 36),
                    end=at(MONDAY, 40),
                ),
                actor="t",
            )
        with pytest.raises(ShiftBreaksRule, match="needs a break"):
            service.create_shift(
                session,
                ShiftCreate(
                    hotline_id="sz", counsellor_id="sz-01", start=at(MONDAY, 8), end=at(MONDAY, 15)
                ),
                actor="t",
            )
        service.update_counsellor(session, "sz-01", CounsellorUpdate(certificate_no=""), actor="t")
        with pytest.raises(CounsellorNotEligible, match="缺少资质证书编号"):
            service.create_shift(
                session,
                ShiftCreate(
                    hotline_id="sz", counsellor_id="sz-01", start=at(MONDAY, 8), end=at(MONDAY, 12)
                ),
                actor="t",
            )


class TestGenerate:
    def test_plan_becomes_a_roster_covering_every_half_hour(self, session: Session) -> None:
        line_with_staff(session, people=20, hours="08:00-02:00", seats=3)
        service.update_counsellor(session, "sz-19", CounsellorUpdate(training_hours=0.0), actor="t")
        out = service.generate_roster(
            session, hotline_id="sz", start=MONDAY, days=4, need_from="declared", actor="t"
        )
        assert out["solver"]["status"] == "OPTIMAL"
        assert out["solver"]["staffed_hours"] <= 1.05 * out["solver"]["bound_hours"]
        assert out["open_shifts"] == 0
        assert out["half_hours_not_covered"] == 0
        assert out["counsellors_eligible"] == 19
        shifts = service.list_shifts(session, start=MONDAY, end=MONDAY + timedelta(days=4))
        assert shifts and all(s.counsellor_id != "sz-19" for s in shifts)
        # Monday 00:00–02:00 (Sunday's evening running on) is rostered too: 18 h every day.
        assert out["days_under_minimum"] == []
        # Every open half hour has three seats staffed.
        for h in range(4 * 48):
            t = at(MONDAY, h / 2)
            if (t.hour < 2) or (t.hour >= 8):
                staffed = sum(
                    1
                    for s in shifts
                    if s.start_at <= t < s.end_at
                    and not (s.break_start_at and s.break_start_at <= t < s.break_end_at)  # type: ignore[operator]
                )
                assert staffed >= 3, t
        again = service.generate_roster(
            session, hotline_id="sz", start=MONDAY, days=4, need_from="declared", actor="t"
        )
        assert again["shifts"] == len(
            service.list_shifts(session, start=MONDAY, end=MONDAY + timedelta(days=4))
        )

    def test_too_few_people_leave_open_shifts(self, session: Session) -> None:
        line_with_staff(session, people=3)
        out = service.generate_roster(
            session, hotline_id="sz", start=MONDAY, days=3, need_from="declared", actor="t"
        )
        assert out["open_shifts"] > 0
        assert out["days_under_minimum"]
        open_rows = session.scalars(select(Shift).where(Shift.counsellor_id.is_(None))).all()
        assert len(open_rows) == out["open_shifts"]


class TestStaffingFromFacts:
    def test_a_gap_fails_the_day_though_the_declared_seats_suffice(self, session: Session) -> None:
        line_with_staff(session, people=4, seats=4)
        for cid in ("sz-00", "sz-01"):
            service.record_seat_state(session, cid, "available", at=at(MONDAY, 0))
            service.record_seat_state(session, cid, "talking", at=at(MONDAY, 3))
            service.record_seat_state(session, cid, "offline", at=at(MONDAY, 12))
        for cid in ("sz-02", "sz-03"):
            service.record_seat_state(session, cid, "available", at=at(MONDAY, 19))
            service.record_seat_state(session, cid, "offline", at=at(MONDAY, 24))
        report = service.staffing(session, start=MONDAY, days=1)
        [line] = report["hotlines"]
        [day] = line["days"]
        assert day["declared_ok"] is True
        assert day["compliant"] is False
        assert day["hours_at_minimum_actual"] == 17.0
        assert day["gaps_actual"] == [{"from": "12:00", "to": "19:00", "minutes": 420, "seats": 0}]
        # The same people signed in until 13:00 would have made it.
        service.record_seat_state(session, "sz-00", "available", at=at(MONDAY, 24))
        assert (
            service.staffing(session, start=MONDAY + timedelta(days=1), days=1)["hotlines"][0][
                "days"
            ][0]["gaps_actual"][0]["seats"]
            == 1
        )

    def test_rostered_but_not_signed_in(self, session: Session) -> None:
        line_with_staff(session, people=2)
        for cid in ("sz-00", "sz-01"):
            service.create_shift(
                session,
                ShiftCreate(
                    hotline_id="sz", counsellor_id=cid, start=at(MONDAY, 8), end=at(MONDAY, 12)
                ),
                actor="t",
            )
        service.set_counsellor_state(session, "sz-00", "available", actor="t")
        missing = service.rostered_not_signed_in(session, at=at(MONDAY, 9))
        assert [m["counsellor_id"] for m in missing] == ["sz-01"]
        assert missing[0]["shift_from"] == "08:00"
        assert service.rostered_not_signed_in(session, at=at(MONDAY, 13)) == []


class TestMonthlyReport:
    def test_figures_equal_the_kpi_service(self, session: Session, settings: Settings) -> None:
        demo.load(session, settings=settings, days=1, calls_per_day=150)
        month = date(2025, 6, 1)
        as_of = datetime(2025, 7, 1, 9, tzinfo=BEIJING)
        report = service.monthly_report(session, settings, month=month, as_of=as_of)
        lo, hi = datetime(2025, 6, 1, tzinfo=BEIJING), datetime(2025, 7, 1, tzinfo=BEIJING)
        by_line = {g["key"]: g for g in service.kpis(session, settings, start=lo, end=hi)["groups"]}
        by_prov = service.kpis(session, settings, start=lo, end=hi, by="line_province")
        assert report["lines"], "demo lines"
        for row in report["lines"]:
            g = by_line.get(row["hotline_id"])
            if g is None:
                assert row["offered"] == 0
                continue
            for key in ("offered", "answered", "answer_rate", "asa_s", "crisis"):
                assert row[key] == g[key], (row["hotline_id"], key)
            assert row["abandonment"] == g["abandoned"]
            assert row["answered_in_home_province_rate"] == g["answered_in_home_province_rate"]
        provinces = {p["province"]: p for p in report["provinces"]}
        for g in by_prov["groups"]:
            assert provinces[g["key"]]["offered"] == g["offered"]
            assert provinces[g["key"]]["abandonment_rate"] == g["abandonment_rate"]
        assert report["total"]["offered"] == by_prov["total"]["offered"] == 150
        assert sum(p["offered"] for p in report["provinces"]) == 150
        assert sum(p["rostered_hours"] for p in report["provinces"]) > 0
        assert all(p["staffed_seat_hours"] >= 0 for p in report["provinces"])
        assert sum(line["counsellors_active"] for line in report["lines"]) > 0

        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(service.monthly_xlsx(report)))
        sheet = wb["各热线"]
        first = report["lines"][0]
        row = next(
            r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0] == first["hotline_id"]
        )
        assert row[3] == first["offered"]
        assert wb["各省汇总"].max_row == len(report["provinces"]) + 3
        # The PDF (needs the CJK font): tests/hotline/service/test_monthly_pdf.py


Token = Callable[[str], dict[str, str]]


def test_api_and_cli(client: TestClient, staff_token: Token, cli: Cli, tmp_path: object) -> None:
    staff = staff_token("hotline")
    assert (
        client.post(
            "/api/hotline/import", json=[hotline_row("sz", "city", ["440300"])], headers=staff
        ).status_code
        == 200
    )
    for i in range(10):
        body = {"id": f"sz-{i}", "name": f"咨询员{i}", "hotline_id": "sz", **register()}
        body["certificate_date"] = "2021-03-01"
        r = client.post("/api/hotline/counsellors", json=body, headers=staff)
        assert r.status_code == 201, r.text
    r = client.post(
        "/api/hotline/rosters/generate",
        json={"hotline_id": "sz", "start": MONDAY.isoformat(), "days": 2, "need_from": "declared"},
        headers=staff,
    )
    assert r.status_code == 200, r.text
    assert r.json()["open_shifts"] == 0
    shifts = client.get(
        "/api/hotline/shifts", params={"from": MONDAY.isoformat(), "days": 2}, headers=staff
    ).json()
    assert len(shifts) == r.json()["shifts"]
    staffing = client.get(
        "/api/hotline/staffing", params={"from": MONDAY.isoformat(), "days": 1}, headers=staff
    ).json()
    day = staffing["hotlines"][0]["days"][0]
    assert day["hours_at_minimum_rostered"] == 24.0
    assert day["compliant"] is False  # nobody signed in
    refused = client.post(
        "/api/hotline/shifts",
        json={
            "hotline_id": "sz",
            "counsellor_id": "sz-0",
            "start": "2025-12-29T08:00:00",
            "end": "2025-12-29T18:00:00",
        },
        headers=staff,
    )
    assert refused.status_code == 409
    assert refused.json()["error"] in ("ShiftBreaksRule",)
    xlsx = client.get(
        "/api/hotline/reports/monthly", params={"month": "2025-12", "format": "xlsx"}, headers=staff
    )
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith("application/vnd.openxml")
    assert (
        client.get("/api/hotline/reports/monthly", params={"month": "2025-12"}).status_code == 401
    )
    out = cli("hotline", "roster", "staffing", "--from", MONDAY.isoformat(), "--days", "1")
    assert out.exit_code == 0, out.output
    assert "sz: 0/1 天达标" in out.output
    out = cli("hotline", "counsellor", "show", "sz-1", "--on", "2020-01-01")
    assert out.exit_code == 0, out.output
    assert "晚于排班日" in out.output
    out = cli("hotline", "report", "monthly", "--month", "2025-13")
    assert out.exit_code == 1
    assert "InvalidHotline" in out.output

"""Seat planning from call records: the service, ``hotline plan`` and the API, on a database."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core.timeutil import BEIJING
from minsheng.hotline.models import Call, CallAttempt, Hotline
from minsheng.hotline.rules import routing
from minsheng.hotline.service import planning as planning_service
from tests.conftest import Cli

MONDAY = date(2026, 11, 2)


def add_hotline(
    session: Session, hid: str, seats: int, hours: dict[str, str] | None = None
) -> None:
    session.add(
        Hotline(
            id=hid,
            name=f"{hid} line",
            level="city",
            regions=["110100"] if hid == "bj" else ["440300"],
            legacy_numbers=[],
            hours=hours or dict.fromkeys(routing.WEEKDAYS, "00:00-24:00"),
            seats=seats,
            connected_at=datetime(2025, 4, 1, tzinfo=BEIJING),
        )
    )


def add_call(session: Session, n: int, hid: str, local: datetime, *, first: bool = True) -> None:
    at = local.replace(tzinfo=BEIJING)
    call = Call(
        call_ref=f"t{n}",
        caller_hash="x" * 64,
        caller_masked="138****0000",
        arrived_at=at,
        ended_at=at + timedelta(minutes=20),
        location_source="number",
        province_code="110000",
        city_code="110100",
        rule_version=routing.RULES_VERSION,
        outcome="answered",
        hotline_id=hid,
        wait_s=5.0,
    )
    steps = [hid] if first else ["other", hid]
    call.attempts = [
        CallAttempt(seq=i, hotline_id=h, level="city", rule="city_line", entered_at=at)
        for i, h in enumerate(steps)
    ]
    session.add(call)


@pytest.fixture
def evening_peak(session_factory: sessionmaker[Session]) -> None:
    """Four weeks of a weekday evening peak at ``bj`` (18:00-22:00), quiet otherwise."""
    with session_factory() as s:
        add_hotline(s, "bj", seats=2)
        add_hotline(s, "sz", seats=3)
        n = 0
        for week in range(4):
            for wd in range(7):
                day = MONDAY + timedelta(days=7 * week + wd)
                for minute in range(18 * 60, 22 * 60, 5 if wd < 5 else 60):
                    n += 1
                    t = datetime.combine(day, datetime.min.time()) + timedelta(minutes=minute)
                    add_call(s, n, "bj", t)
                n += 1
                add_call(s, n, "bj", datetime.combine(day, datetime.min.time()), first=False)
        s.commit()


def test_arrivals_count_only_first_steps_in_beijing_time(
    session: Session, evening_peak: None
) -> None:
    got = planning_service.arrivals(session, "bj", start=MONDAY, end=MONDAY + timedelta(days=1))
    assert len(got) == 48  # 4 hours every 5 minutes; the rolled-over call is not bj's demand
    assert min(got).hour == 18 and max(got).hour == 21


def test_plan_advises_evening_seats_on_weekdays(session: Session, evening_peak: None) -> None:
    result = planning_service.plan(session, hotline_id="bj")
    assert result["as_of"] == (MONDAY + timedelta(days=28)).isoformat()
    [bj] = result["hotlines"]
    assert not bj["enough"]
    texts = bj["summary"]
    assert any(t.endswith("18:00–22:00 on weekdays") for t in texts), texts
    first = bj["advice"][0]
    assert first["rule"] == "erlang-a-sizing" and first["seats"] >= 3
    assert bj["forecast"]["days_per_weekday"]["mon"] == 4
    assert bj["calls_per_day"]["mon"] == pytest.approx(48)


def test_plan_of_all_hotlines(session: Session, evening_peak: None) -> None:
    result = planning_service.plan(session, weeks=2)
    assert [p["hotline_id"] for p in result["hotlines"]] == ["bj", "sz"]
    sz = result["hotlines"][1]
    assert sz["enough"] and sz["summary"] == ["3 seats meet the target in every open half hour"]
    assert result["hotlines_short_of_seats"] == 1


def test_unknown_hotline(session: Session) -> None:
    from minsheng.hotline.errors import HotlineNotFound

    with pytest.raises(HotlineNotFound):
        planning_service.plan(session, hotline_id="nowhere")


def test_plan_cli_json(cli: Cli, evening_peak: None) -> None:
    r = cli("hotline", "plan", "--hotline", "bj", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["hotlines"][0]["hotline_id"] == "bj"
    assert data["target"]["service_level"] == 0.8 and data["target"]["max_abandon"] == 0.05


def test_plan_cli_pooled_weekdays(cli: Cli, evening_peak: None) -> None:
    r = cli("hotline", "plan", "--hotline", "bj", "--pool-weekdays", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["weekdays_pooled"] is True
    assert any(t.endswith("on weekdays") for t in data["hotlines"][0]["summary"])


def test_plan_cli_text_and_errors(cli: Cli, evening_peak: None) -> None:
    r = cli("hotline", "plan", "--hotline", "bj")
    assert r.exit_code == 0
    assert "on weekdays" in r.stdout and r.stdout.startswith("plan from 4 weeks")
    bad = cli("hotline", "plan", "--service-level", "1.5", "--json")
    assert bad.exit_code == 1
    assert json.loads(bad.stderr)["field"] == "service_level"
    bad_date = cli("hotline", "plan", "--as-of", "yesterday")
    assert json.loads(bad_date.stderr)["field"] == "as_of"
    missing = cli("hotline", "plan", "--hotline", "nowhere")
    assert json.loads(missing.stderr)["error"] == "HotlineNotFound"


def test_api_plan_and_erlang(
    client: TestClient, staff_token: Callable[[str], dict[str, str]], evening_peak: None
) -> None:
    headers = staff_token("hotline")
    r = client.get("/api/hotline/planning/plan", params={"hotline_id": "bj"}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["hotlines"][0]["hotline_id"] == "bj"
    params = {
        "calls": 100,
        "interval_s": 1800,
        "aht_s": 180,
        "target_s": 20,
        "service_level": 0.8,
        "shrinkage": 0.3,
    }
    e = client.get("/api/hotline/planning/erlang", params=params, headers=headers)
    assert e.status_code == 200
    assert (e.json()["seats"], e.json()["positions"]) == (14, 20)
    unstable = client.get(
        "/api/hotline/planning/erlang", params={**params, "seats": 10}, headers=headers
    )
    assert unstable.status_code == 422
    assert unstable.json()["error"] == "LoadAtOrAboveCapacity"
    assert unstable.json()["stable_from_seats"] == 11


def test_api_needs_staff(client: TestClient) -> None:
    assert client.get("/api/hotline/planning/plan").status_code == 401

"""Hotline pages of issue 18 item 8: crisis follow-ups (due, overdue, done with a note, audited),
the seat plan's 只看不足 filter and chart, and the KPI charts of a period without calls."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import timeutil
from minsheng.core.audit import AuditEntry
from minsheng.core.auth import create_user
from minsheng.core.scope import parse_scope
from minsheng.hotline import service
from minsheng.hotline.schemas import AssessmentCreate
from tests.web.conftest import csrf_of


def make_followups(
    session_factory: sessionmaker[Session], hotline_id: str | None = None
) -> list[int]:
    """Two assessed calls (of ``hotline_id`` if given): a high-risk one assessed two days ago
    (its follow-up overdue) and a medium-risk one assessed now (due in 72 hours)."""
    now = timeutil.now()
    with session_factory() as s:
        calls = service.list_calls(s, hotline_id=hotline_id, outcome="answered", limit=2)
        counsellor = service.list_counsellors(s)[0].id
        ids = []
        for call, level, at in (
            (calls[0], "severe", now - timedelta(days=2)),
            (calls[1], "mild", now),
        ):
            out = service.record_assessment(
                s,
                call.call_ref,
                AssessmentCreate(
                    counsellor_id=counsellor, suicidal_ideation=level, hopelessness=level
                ),
                actor="test",
                now=at,
            )
            ids.append(out["follow_up"]["id"])
        s.commit()
    return ids


@pytest.fixture
def staff(client: TestClient, login_token: Callable[[str], str]) -> TestClient:
    client.post("/staff/login", data={"token": login_token("hotline")})
    return client


def test_follow_ups_due_overdue_and_done(
    staff: TestClient, hotline_demo: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    overdue, due = make_followups(session_factory)
    page = staff.get("/staff/hotline/followups")
    assert page.status_code == 200
    assert re.search(r"待回访（2）.*已逾期（1）.*全部（2）", page.text, re.S)
    assert f'id="followup-{overdue}" class="overdue"' in page.text
    assert "高危" in page.text and "中危" in page.text
    assert "回访 follow-up call" not in page.text  # the default task is Chinese (item 5)
    late = staff.get("/staff/hotline/followups", params={"view": "overdue"}).text
    assert f'id="followup-{overdue}"' in late and f'id="followup-{due}"' not in late
    note = "已回访，来电人情绪平稳"
    done = staff.post(
        f"/staff/hotline/followups/{overdue}/done",
        data={"csrf_token": csrf_of(page.text), "note": note, "view": "overdue"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/staff/hotline/followups?view=overdue&done={overdue}"
    after = staff.get(done.headers["location"]).text
    assert "没有逾期的回访任务" in after and 'id="followup-done"' in after
    every = staff.get("/staff/hotline/followups", params={"view": "all"}).text
    assert "已回访，来电人情绪平稳" in every
    with session_factory() as s:
        audited = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "hotline.followup_done")
        ).all()
        assert [a.record_id for a in audited] == [str(overdue)]


def test_an_unknown_follow_up_is_named_on_the_page(
    staff: TestClient, hotline_demo: dict[str, Any]
) -> None:
    csrf = csrf_of(staff.get("/staff/hotline/followups").text)
    refused = staff.post(
        "/staff/hotline/followups/999999/done", data={"csrf_token": csrf, "note": "x"}
    )
    assert refused.status_code == 404
    assert 'role="alert"' in refused.text and "<h1>危机回访</h1>" in refused.text


def test_the_plan_filters_short_lines_and_charts_names(
    staff: TestClient, hotline_demo: dict[str, Any]
) -> None:
    every = staff.get("/staff/hotline/planning").text
    short = staff.get("/staff/hotline/planning", params={"short": "1"}).text
    rows = re.compile(r'<tr><th scope="row">')
    assert 'name="short" value="1" checked' in short
    assert len(rows.findall(short)) <= len(rows.findall(every))
    assert "badge ok" not in short.split('id="plan-lines"')[1]
    chart = re.search(r'<figure id="plan-chart">.*?</svg>', every, re.S)
    if chart:  # lines short of seats: the chart names them, its ticks are whole numbers
        assert "prov-" not in chart.group(0)
        ticks = re.findall(r'text-anchor="end" class="axis">([^<]+)<', chart.group(0))
        assert ticks and all(t.replace(",", "").isdigit() for t in ticks)


def test_kpi_charts_of_a_period_without_calls_say_so(
    staff: TestClient, hotline_demo: dict[str, Any]
) -> None:
    page = staff.get("/staff/hotline/kpi", params={"from": "2020-01-01", "to": "2020-01-02"})
    assert page.status_code == 200
    assert page.text.count("该时段无来电") == 4
    assert "<svg" not in page.text.split('class="grid2"')[1].split("</div>")[0]


def test_the_simulator_page_streams_its_progress(staff: TestClient) -> None:
    page = staff.get("/staff/hotline/simulate", params={"scenario": "one_hotline", "seed": "7"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    lines = re.findall(
        r'<progress max="100" value="(\d+)"[^>]*>\d+%</progress> 方案“([^”]+)”', text
    )
    variants = {name for _, name in lines}
    assert len(variants) >= 2  # each variant reports its way …
    assert {"0", "100"} <= {pct for pct, _ in lines}  # … from start to end
    done = text.index('id="sim-done"')
    assert text.index("<progress") < done < text.index('id="sim-comparison"')
    assert text.rstrip().endswith("</html>")


def test_a_city_supervisor_sees_and_completes_only_the_city_s_follow_ups(
    client: TestClient, hotline_demo: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    overdue, _due = make_followups(session_factory, hotline_id="prov-11")  # Beijing's line
    with session_factory() as s:
        _user, token = create_user(
            s, name="深圳督导", role="hotline", scope=parse_scope("440300", None)
        )
        s.commit()
    client.post("/staff/login", data={"token": token})
    page = client.get("/staff/hotline/followups", params={"view": "all"})
    assert page.status_code == 200
    assert f'id="followup-{overdue}"' not in page.text and "全部（0）" in page.text
    refused = client.post(
        f"/staff/hotline/followups/{overdue}/done",
        data={"csrf_token": csrf_of(page.text), "note": "越权"},
    )
    assert refused.status_code == 404

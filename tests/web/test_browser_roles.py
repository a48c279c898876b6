"""Browser walks of each role's daily task, in Chinese, with axe-core on every state (issue 18
"done when"): a hotline supervisor on the live board (focus kept through the 5 s refresh, only
changes announced), the crisis follow-ups, the seat plan and the simulator; a certification
clerk revoking a certificate that the public page then shows revoked; and what staff print.

One server and one database for the module (certification and hotline demo data, two assessed
crisis calls, a SIP node), one browser context per walk: the citizen's and the enforcement
officer's walks are in ``test_browser.py``.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import timeutil
from minsheng.core.auth import create_user
from minsheng.core.config import Settings
from minsheng.core.db import make_engine, make_sessionmaker
from minsheng.hotline.service import cluster as cluster_service
from tests.conftest import TEST_SECRET, frozen_clock, is_postgres
from tests.web import axe
from tests.web.conftest import LiveServer
from tests.web.test_browser import login, print_shows_only_the_content
from tests.web.test_staff_hotline_followups import make_followups

Shot = Callable[[Page, str], Path]
LAYOUT = {
    "nodes": [{"id": "n1", "sip": "127.0.0.1:5960"}],
    "partitions": [{"id": "all", "name": "全国", "national": True, "primary": "n1"}],
}


@dataclass
class Site:
    server: LiveServer
    sessions: sessionmaker[Session]
    tokens: dict[str, str]
    followups: list[int]
    certificates: list[str]


@pytest.fixture(scope="module")
def site(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if is_postgres():
        pytest.skip("browser walks read pages, not SQL: once on SQLite is enough")
    from minsheng.certification import demo as cert_demo
    from minsheng.hotline import demo as hotline_demo

    var_dir = tmp_path_factory.mktemp("roles")
    path = var_dir / "roles.db"
    shutil.copyfile(migrated_template, path)
    settings = Settings(database_url=f"sqlite:///{path}", secret_key=TEST_SECRET, var_dir=var_dir)
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    # made under the clock CI asks for (MINSHENG_TEST_NOW), as the tests then run
    with frozen_clock():
        with sessions() as s:
            certs = cert_demo.load(s, settings)
            hotline_demo.load(s, settings=settings, days=2, calls_per_day=300)
            cluster_service.load_cluster(s, LAYOUT, actor="test")
            tokens = {}
            for role in ("hotline", "certification"):
                _user, tokens[role] = create_user(
                    s, name=f"{role}-{uuid.uuid4().hex[:6]}", role=role
                )
            s.commit()
        followups = make_followups(sessions)
    server = LiveServer(settings)
    server.start()
    try:
        yield Site(server, sessions, tokens, followups, certs["certificates"])
    finally:
        server.stop()
        engine.dispose()


@pytest.fixture
def context(browser: Browser, site: Site) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        base_url=site.server.url, viewport={"width": 1280, "height": 900}, locale="zh-CN"
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


def a_call_arrives(site: Site, ref: str, province: str = "440000") -> None:
    """A SIP node publishes a call waiting in its queue (as ``sip/node.py`` does every second);
    its heartbeat is a minute ahead so that it stays fresh however slow the machine is."""
    now = timeutil.now()
    with site.sessions() as s:
        cluster_service.publish(
            s, "n1", now=now + timedelta(minutes=1), counters={}, active_partitions=["all"],
            seats={},
        )  # fmt: skip
        row: dict[str, Any] = {
            "call_ref": ref, "sip_call_id": f"{ref}@127.0.0.1", "partition_id": "all",
            "state": "waiting", "hotline_id": None, "province_code": province,
            "city_code": None, "position": 1, "expected_wait_s": 20.0, "crisis": False,
            "skill": None, "counsellor_id": None, "caller_hash": "h" * 64,
            "caller_masked": "138****8000", "location_source": "carrier",
            "rule_version": "test", "dialled": "12356", "arrived_at": now, "answered_at": None,
        }  # fmt: skip
        cluster_service.publish_calls(s, "n1", now=now, changed=[row], gone=[])
        s.commit()


def test_a_hotline_supervisor_watches_the_board_and_does_the_follow_ups(
    context: BrowserContext, site: Site, shot: Shot
) -> None:
    page = context.new_page()
    login(page, site.tokens["hotline"])
    expect(page).to_have_title("热线实时看板 · 民生")
    # The board is not one big live region: only the change sentence is.
    expect(page.locator("#live")).not_to_have_attribute("aria-live", "polite")
    expect(page.locator("#live-announce")).to_have_attribute("role", "status")
    axe.check(page, "live board")
    # Keyboard focus on a hotline's link survives the refresh that brings a new call …
    link = page.locator("#live-board a").first
    link.focus()
    focused = link.get_attribute("id")
    assert focused
    a_call_arrives(site, f"browser-{uuid.uuid4().hex[:8]}")
    # … which is announced, once, in words (htmx polls every 5 s)
    expect(page.locator("#live-announce")).to_have_text("新来电：广东省 排队中", timeout=15_000)
    expect(page.locator("#live-waiting")).to_contain_text("138****8000")
    assert page.evaluate("document.activeElement.id") == focused
    expect(page.locator("#live-announce")).to_have_text("", timeout=15_000)  # nothing new
    assert page.evaluate("document.activeElement.id") == focused
    axe.check(page, "live board with a waiting call")
    shot(page, "staff-hotline-live")

    # Crisis follow-ups: one overdue, one due; the overdue one is done with a note.
    page.get_by_role("link", name="危机回访").click()
    expect(page).to_have_title("危机回访 · 民生")
    expect(page.locator("#followups tbody tr")).to_have_count(2)
    axe.check(page, "follow-ups due")
    page.get_by_role("link", name="已逾期（1）").click()
    overdue = page.locator(f"#followup-{site.followups[0]}")
    expect(overdue).to_contain_text("已逾期")
    axe.check(page, "follow-ups overdue")
    shot(page, "staff-hotline-followups")
    overdue.get_by_label("回访情况").fill("已电话回访，来电人情绪平稳，已约定下周再联系")
    overdue.get_by_role("button", name="标记完成").click()
    expect(page.locator("#followup-done")).to_contain_text("已标记完成")
    expect(page.locator("#followups")).to_contain_text("没有逾期的回访任务")
    axe.check(page, "follow-up done")

    # The seat plan: names on the chart, only the short lines on request.
    page.get_by_role("link", name="坐席建议").click()
    expect(page).to_have_title("坐席建议 · 民生")
    axe.check(page, "seat plan")
    page.get_by_label("只看不足").check()
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_label("只看不足")).to_be_checked()
    expect(page.locator("#plan-lines .badge.ok")).to_have_count(0)
    axe.check(page, "seat plan, short lines only")
    shot(page, "staff-hotline-planning")

    # KPIs of days without calls say so instead of drawing empty charts.
    page.goto("/staff/hotline/kpi?from=2020-01-01&to=2020-01-02")
    expect(page.locator(".chart-empty").first).to_have_text("该时段无来电")
    axe.check(page, "KPI without calls")

    # The simulator shows its progress, then the comparison.
    page.get_by_role("link", name="仿真对比").click()
    page.get_by_label("情景").select_option("one_hotline")
    page.get_by_role("button", name="运行").click()
    expect(page.locator("#sim-done")).to_contain_text("仿真完成", timeout=60_000)
    expect(page.locator("#sim-comparison")).to_be_visible()
    axe.check(page, "simulator result")
    shot(page, "staff-hotline-simulate")


def test_a_certification_clerk_revokes_and_the_public_sees_it(
    context: BrowserContext, site: Site, shot: Shot
) -> None:
    number = site.certificates[0]  # 张伟's
    page = context.new_page()
    login(page, site.tokens["certification"])
    expect(page).to_have_title("查看证书 · 民生")
    axe.check(page, "certification home")
    page.locator("#f-lookup").fill(number)
    page.get_by_role("button", name="查看").click()
    expect(page.locator("main")).to_contain_text(number)
    axe.check(page, "certificate looked up")
    page.get_by_role("link", name="撤销、暂停与恢复").click()
    form = page.locator("form[method='post'][action='/staff/certification/status']")
    form.get_by_label("证书编号").fill(number)
    form.get_by_label("新状态").select_option("revoked")
    form.get_by_label("原因").fill("经核查，该证书系以他人代考方式取得")
    form.get_by_role("button", name="下一步").click()
    # Revoking asks first, showing the certificate and the reason; nothing has changed yet.
    expect(page.locator("#confirm-reason")).to_contain_text("他人代考")
    axe.check(page, "revocation to confirm")
    page.get_by_role("button", name="确认撤销").click()
    expect(page.locator("#status-changed")).to_contain_text("已撤销")
    axe.check(page, "certificate revoked")
    # The public verification says so at once, in red, not under a green banner.
    public = context.new_page()
    public.set_viewport_size({"width": 390, "height": 844})
    public.goto("/certificates/verify")
    public.get_by_label("证书编号").fill(number)
    public.get_by_label("姓名").fill("张伟")
    public.get_by_role("button", name="查询").click()
    expect(public.locator(".result.revoked")).to_be_visible()
    assert public.evaluate("document.documentElement.scrollWidth") <= 390
    axe.check(public, "public verify of a revoked certificate")


def test_what_staff_print_has_no_navigation_forms_or_buttons(
    context: BrowserContext, site: Site
) -> None:
    page = context.new_page()
    login(page, site.tokens["hotline"])
    for url, content in (
        ("/staff/hotline/planning", "#plan-lines"),
        ("/staff/hotline/followups?view=all", "#followups"),
    ):
        page.goto(url)
        expect(page.locator("header.site")).to_be_visible()
        print_shows_only_the_content(page, content)

"""Browser walks of the certification clerk's evaluation-body and subsidy pages (issue 18 item 7),
in Chromium at 1366 px and, where a phone matters, 390 px, with axe-core on every state.

A clerk files an evaluation body with its scope found through the occupation search, changes
the scope, suspends the body after a confirmation, and the public registry then shows it
suspended and not issuing; the clerk decides skill-upgrade subsidy applications (three
eligible, at 1,000, 1,500 and 2,000 yuan by level, and one refused, each naming its rule set and
rule version), then finds them in the list and the statistics. Bad input is shown beside its
field and saves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from minsheng.certification.demo import demo_id
from minsheng.certification.models import Body, SubsidyClaim
from minsheng.certification.rules.subsidy import RULE_VERSION
from tests.conftest import is_postgres
from tests.web import axe
from tests.web.conftest import LiveServer
from tests.web.test_browser import login

Shot = Callable[[Page, str], Path]
PHONE = {"width": 390, "height": 844}
BODY_NAME = "海南椰城浏览器测试评价中心"


@pytest.fixture
def context(
    browser: Browser, live_server: LiveServer, cert_demo: dict[str, Any]
) -> Iterator[BrowserContext]:
    if is_postgres():
        pytest.skip("browser walks read pages, not SQL: once on SQLite is enough")
    ctx = browser.new_context(
        base_url=live_server.url, viewport={"width": 1366, "height": 900}, locale="zh-CN"
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def clerk(context: BrowserContext, login_token: Callable[[str], str]) -> Page:
    page = context.new_page()
    login(page, login_token("certification"))
    expect(page).to_have_title("查看证书 · 民生")
    return page


def subnav(page: Page) -> Locator:
    """The certification clerk's navigation (the site header has a public 评价机构 too)."""
    return page.get_by_role("navigation", name="职业技能等级证书")


def count(sessions: sessionmaker[Session], model: type[Any]) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def body_status(sessions: sessionmaker[Session], name: str) -> str | None:
    with sessions() as s:
        return s.scalar(select(Body.status).where(Body.name == name))


def error_beside(page: Page, name: str, field: Locator | None = None) -> str:
    """The message beside a form field (``#f-NAME``, or ``field``), which names it as its
    description."""
    field = field or page.locator(f"#f-{name}")
    expect(field).to_have_attribute("aria-describedby", re.compile(rf"\be-{name}\b"))
    if field.evaluate("e => e.matches('input, select, textarea')"):
        expect(field).to_have_attribute("aria-invalid", "true")
    message = page.locator(f"#e-{name}")
    expect(message).to_be_visible()
    return message.inner_text()


def no_horizontal_scroll(page: Page) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def find_occupation(page: Page, query: str, name: str) -> Locator:
    """Search the occupation picker by part of a name: the button adding the one named
    ``name`` (the search posts the form back, so whatever was typed stays)."""
    page.get_by_label("查找职业").fill(query)
    page.get_by_role("button", name="查找", exact=True).click()
    results = page.get_by_role("list", name="职业查找结果")
    add = results.get_by_role("button", name=f"加入 {name}")
    expect(add).to_have_count(1)
    return add


def test_a_clerk_files_a_body_changes_its_scope_and_suspends_it(
    clerk: Page, context: BrowserContext, session_factory: sessionmaker[Session], shot: Shot
) -> None:
    page = clerk
    subnav(page).get_by_role("link", name="评价机构").click()
    expect(page).to_have_title("评价机构 · 民生")
    axe.check(page, "bodies list")
    bodies_before = count(session_factory, Body)

    # File a body: its scope is picked by occupation name and levels, not typed from memory.
    page.get_by_role("link", name="备案新的评价机构").click()
    expect(page).to_have_title("评价机构备案 · 民生")
    page.get_by_label("机构名称").fill(BODY_NAME)
    page.get_by_label("机构类型").select_option("S")
    page.get_by_label("机构代码").fill("0000")
    page.get_by_label("省份代码").fill("46")
    page.get_by_label("有效期自").fill("2025-01-01")
    add_carbon = find_occupation(page, "碳排放", "碳排放管理员")
    expect(page.get_by_label("机构名称")).to_have_value(BODY_NAME)  # kept through the search
    axe.check(page, "body filing with occupation search results")
    # Adding an occupation without a level is refused beside the levels, and nothing is filed.
    add_carbon.click()
    assert error_beside(page, "add_levels", field=page.locator("#scope-picker .levels")) == (
        "请先勾选要加入的等级"
    )
    expect(page.get_by_label("评价范围", exact=True)).to_have_value("")
    axe.check(page, "body filing: no level ticked")
    page.get_by_label("五级/初级工").check()
    page.get_by_label("四级/中级工").check()
    page.get_by_role("button", name="加入 碳排放管理员").click()
    scope = page.get_by_label("评价范围", exact=True)
    expect(scope).to_have_value("4-09-07-04 5,4")
    expect(page.get_by_label("机构名称")).to_have_value(BODY_NAME)
    shot(page, "staff-certification-body-new")
    # A level that does not exist, typed by hand, is refused beside the scope; nothing filed.
    scope.fill("4-09-07-04 5,4\n数字孪生应用技术员 7")
    page.get_by_role("button", name="备案", exact=True).click()
    assert "第 2 行" in error_beside(page, "scope")
    expect(page.get_by_label("机构名称")).to_have_value(BODY_NAME)
    assert count(session_factory, Body) == bodies_before
    axe.check(page, "body filing refused")
    page.get_by_label("评价范围", exact=True).fill("4-09-07-04 5,4")
    page.get_by_role("button", name="备案", exact=True).click()
    expect(page.locator("#done")).to_have_text("已备案。")
    facts = page.locator("#body-facts")
    expect(facts).to_contain_text("海南省人力资源社会保障部门")
    expect(page.locator("#body-scope")).to_have_text(
        "碳排放管理员（4-09-07-04）：四级/中级工、五级/初级工"
    )
    filing_no = facts.locator("code").first.inner_text()
    assert filing_no.startswith("S0000-46-")
    assert count(session_factory, Body) == bodies_before + 1
    axe.check(page, "body filed")

    # Change its scope with the picker: the reason is required, then the occupation is added.
    page.get_by_label("三级/高级工").check()
    find_occupation(page, "数字孪生", "数字孪生应用技术员").click()
    expect(page.get_by_label("新的评价范围")).to_have_value("4-09-07-04 4,5\n4-04-05-10 3")
    page.get_by_role("button", name="保存评价范围").click()
    assert error_beside(page, "reason")
    expect(page.get_by_label("新的评价范围")).to_have_value("4-09-07-04 4,5\n4-04-05-10 3")
    expect(page.locator("#body-scope li")).to_have_count(1)  # nothing changed
    axe.check(page, "scope change refused")
    page.get_by_label("变更原因").fill("新增数字孪生应用技术员三级的评价")
    page.get_by_role("button", name="保存评价范围").click()
    expect(page.locator("#done")).to_have_text("评价范围已变更。")
    expect(page.locator("#body-scope li")).to_have_count(2)
    expect(page.locator("#body-scope")).to_contain_text(
        "数字孪生应用技术员（4-04-05-10）：三级/高级工"
    )
    axe.check(page, "scope changed")

    # Suspend it: the page asks first, showing the body and the reason; nothing changes yet.
    status_form = page.locator("#body-status-form")
    expect(status_form.get_by_label("新状态")).to_have_value("suspended")
    status_form.get_by_label("原因").fill("年度质量督导检查不合格，责令整改")
    status_form.get_by_role("button", name="下一步").click()
    confirm = page.locator("#body-confirm")
    expect(confirm.get_by_role("heading")).to_have_text("确认暂停")
    expect(page.locator("#body-confirm-reason")).to_have_text("年度质量督导检查不合格，责令整改")
    assert body_status(session_factory, BODY_NAME) == "active"
    axe.check(page, "body suspension to confirm")
    page.set_viewport_size(PHONE)  # a clerk may confirm on a phone
    no_horizontal_scroll(page)
    shot(page, "staff-certification-body-suspend-confirm")
    page.set_viewport_size({"width": 1366, "height": 900})
    confirm.get_by_role("button", name="确认暂停").click()
    expect(page.locator("#done")).to_have_text("已暂停。")
    expect(page.locator("h1 .badge")).to_have_text("已暂停")
    assert body_status(session_factory, BODY_NAME) == "suspended"
    axe.check(page, "body suspended")
    shot(page, "staff-certification-body")

    # The public registry, on a phone, shows it suspended and not issuing, with the reason.
    public = context.new_page()
    public.set_viewport_size(PHONE)
    public.goto("/certificates/bodies")
    public.get_by_label("机构名称、编号或职业").fill(filing_no)
    public.get_by_role("button", name="查询").click()
    found = public.locator("article.result.suspended")
    expect(found).to_have_count(1)
    expect(found.get_by_role("heading")).to_contain_text(BODY_NAME)
    expect(found.locator(".badge")).to_have_text("已暂停")
    expect(found.locator(".body-not-issuing")).to_contain_text("不得开展评价、颁发证书")
    expect(found).to_contain_text("年度质量督导检查不合格")
    expect(found).to_contain_text("数字孪生应用技术员")
    no_horizontal_scroll(public)
    axe.check(public, "public registry: a suspended body")
    shot(public, "public-bodies-suspended")


def apply(page: Page, id17: str, level: int, category: str = "enterprise_employee") -> None:
    """Fill in one application (a 2025 certificate, applied for in May 2025) and send it; no ID
    number when ``id17`` is empty."""
    page.get_by_label("身份证号").fill(demo_id(id17) if id17 else "")
    page.get_by_label("人员类别").select_option(category)
    page.get_by_label("失业保险参保月数").fill("30")
    page.get_by_label("参保省份代码").fill("46")
    page.get_by_label("职业（编码或名称）").fill("碳排放管理员")
    page.get_by_label("等级", exact=True).select_option(str(level))
    page.get_by_label("发证日期").fill("2025-03-01")
    page.get_by_label("申请日期").fill("2025-05-06")
    page.get_by_role("button", name="审核并记录").click()


def test_a_clerk_decides_subsidies_and_finds_them_listed_and_counted(
    clerk: Page, session_factory: sessionmaker[Session], shot: Shot
) -> None:
    page = clerk
    subnav(page).get_by_role("link", name="技能提升补贴").click()
    expect(page).to_have_title("技能提升补贴 · 民生")
    axe.check(page, "subsidy form")
    claims_before = count(session_factory, SubsidyClaim)

    # Bad input: each error beside its field, the ID number never echoed, nothing recorded.
    apply(page, "", 5)
    assert "身份证号" in error_beside(page, "id_number")
    axe.check(page, "subsidy refused: no ID number")
    page.get_by_label("身份证号").fill(demo_id("46010519900101011"))
    page.get_by_label("以往已领取的技能提升补贴（可空）").fill("4-09-07-04 5")
    page.get_by_role("button", name="审核并记录").click()
    assert "第 1 行" in error_beside(page, "previous_claims")
    expect(page.get_by_label("身份证号")).to_have_value("")
    assert demo_id("46010519900101011") not in page.content()
    assert count(session_factory, SubsidyClaim) == claims_before
    axe.check(page, "subsidy refused: a bad previous claim")
    page.get_by_label("以往已领取的技能提升补贴（可空）").fill("")

    # Three people, one level each: the amount follows the level, the rule set is named.
    for id17, level, amount in (
        ("46010519900101011", 5, "1,000"),
        ("46010519900101021", 4, "1,500"),
        ("46010519900101031", 3, "2,000"),
    ):
        apply(page, id17, level)
        decision = page.locator("#decision")
        expect(decision.get_by_role("heading")).to_have_text(f"符合条件：补贴 {amount} 元")
        expect(page.locator("#rule-set")).to_have_text("national-2025")
        expect(page.locator("#rule-version")).to_have_text(RULE_VERSION)
        expect(page.locator("#decision-rules")).not_to_contain_text("不符合")
        assert demo_id(id17) not in page.content()
        axe.check(page, f"subsidy eligible, level {level}")
    shot(page, "staff-certification-subsidy")
    # Someone the policy does not cover is refused by the rule that says so.
    apply(page, "46010519900101041", 4, category="other")
    expect(page.locator("#decision").get_by_role("heading")).to_have_text("不符合条件，不予补贴")
    expect(page.locator("#rule-set")).to_have_text("national-2025")
    expect(page.locator("#rule-version")).to_have_text(RULE_VERSION)
    refused = page.locator("#decision-rules tr").filter(has_text="applicant.category")
    expect(refused).to_contain_text("申请人类别")
    expect(refused.locator("td").last).to_have_text("不符合")
    expect(page.locator("#decision-rules td").filter(has_text="不符合")).to_have_count(1)
    axe.check(page, "subsidy refused by a rule")
    page.set_viewport_size(PHONE)  # the decision with its rules on a phone
    no_horizontal_scroll(page)
    shot(page, "staff-certification-subsidy-refused")
    page.set_viewport_size({"width": 1366, "height": 900})
    assert count(session_factory, SubsidyClaim) == claims_before + 4

    # The list of May's decisions: all four, then only the eligible ones with their amounts.
    page.get_by_role("link", name="补贴决定列表").click()
    expect(page).to_have_title("补贴决定 · 民生")
    expect(page.locator("#subsidy-links [aria-current='page']")).to_have_text("补贴决定列表")
    page.get_by_label("申请日期自").fill("2025-05-01")
    page.get_by_label("至", exact=True).fill("2025-05-31")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#claims tbody tr")).to_have_count(4)
    expect(page.locator("#claims caption")).to_contain_text("共 4 条")
    axe.check(page, "subsidy decisions")
    page.get_by_label("结果").select_option("yes")
    page.get_by_role("button", name="查询").click()
    listed = page.locator("#claims tbody tr")
    expect(listed).to_have_count(3)
    amounts = [row.locator("td").nth(6).inner_text() for row in listed.all()]  # 金额（元）
    assert sorted(amounts) == ["1,000", "1,500", "2,000"]
    axe.check(page, "subsidy decisions, eligible only")

    # The statistics of May: three people paid 4,500 yuan, one refused, by level.
    page.get_by_role("link", name="补贴统计").click()
    expect(page).to_have_title("补贴统计 · 民生")
    expect(page.locator("#subsidy-links [aria-current='page']")).to_have_text("补贴统计")
    page.get_by_label("申请日期自").fill("2025-05-01")
    page.get_by_label("至", exact=True).fill("2025-05-31")
    page.get_by_role("button", name="查询").click()
    totals = page.locator("#subsidy-totals .kpi .v")
    assert totals.all_inner_texts() == ["3", "3", "4,500", "1,500", "1"]
    by_level = {
        row.locator("th").inner_text(): row.locator("td").all_inner_texts()
        for row in page.locator("#by-level tbody tr").all()
    }
    assert by_level == {
        "五级/初级工": ["1", "1", "1,000"],
        "四级/中级工": ["1", "1", "1,500"],
        "三级/高级工": ["1", "1", "2,000"],
    }
    expect(page.locator("#by-month tbody")).to_contain_text("2025年5月")
    expect(page.locator("#by-province tbody")).to_contain_text("海南省")
    axe.check(page, "subsidy statistics")
    shot(page, "staff-certification-subsidy-stats")
    # A period that ends before it starts is refused beside its end.
    page.get_by_label("至", exact=True).fill("2025-04-01")
    page.get_by_role("button", name="查询").click()
    assert error_beside(page, "end")
    expect(page.locator("#subsidy-totals")).to_have_count(0)
    axe.check(page, "subsidy statistics, bad period")

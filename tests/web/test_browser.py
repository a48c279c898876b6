"""Browser tests: the real app under uvicorn, driven by headless Chromium through Playwright.

Few and fast on purpose (they run in CI on every `make test`); each saves a screenshot under
test-output/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import creditcode, timeutil
from minsheng.core.config import Settings
from tests.web import axe
from tests.web.test_staff_enforcement import certify
from tests.web.test_staff_enforcement_reports import make_firms

Shot = Callable[[Page, str], Path]


def test_verify_a_certificate_and_see_the_masked_result(
    page: Page, cert_demo: dict[str, Any], shot: Shot
) -> None:
    page.goto("/")
    axe.check(page, "home")
    page.get_by_role("link", name="证书查询").first.click()
    expect(page).to_have_title("职业技能等级证书查询 · 民生")
    axe.check(page, "verify form")
    page.get_by_label("姓名").fill("张伟")
    page.get_by_label("证书编号").fill(cert_demo["certificates"][0])
    page.get_by_label("证书编号").press("Enter")  # keyboard only
    result = page.locator("#verify-result")
    expect(result).to_contain_text("查到 1 张证书")
    expect(result.locator(".masked-name")).to_have_text("张*")
    # Name + number: the answer shows no ID digits at all (docs/security.md).
    expect(result.locator(".masked-id")).to_have_count(0)
    expect(result).not_to_contain_text("460105")
    expect(result).not_to_contain_text("张伟")
    axe.check(page, "verify hit")
    shot(page, "public-verify-hit")


def test_a_miss_reveals_nothing(page: Page, cert_demo: dict[str, Any], shot: Shot) -> None:
    page.goto("/certificates/verify")
    page.get_by_label("姓名").fill("李四")
    page.get_by_label("证书编号").fill(cert_demo["certificates"][0])
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#verify-miss")).to_contain_text("未查到与所填信息相符的证书")
    expect(page.locator(".result")).to_have_count(0)
    axe.check(page, "verify miss")
    shot(page, "public-verify-miss")


def test_scan_an_ad_and_see_the_highlights(
    page: Page, cert_demo: dict[str, Any], shot: Shot
) -> None:
    page.goto("/ads/check")
    page.get_by_label("广告内容").fill(
        "【政府主推】零基础包拿证！人社部直属，7天拿证，不过包退，挂靠即可轻松月入过万。"
    )
    page.get_by_role("button", name="检查").click()
    expect(page.locator("#scan-h")).to_contain_text("高风险")
    marks = page.locator("mark.hit")
    expect(marks.first).to_be_visible()
    assert marks.count() >= 5
    assert "政府主推" in marks.all_inner_texts()[0]
    expect(page.locator("ol.hits li").first).to_contain_text("政府主推")
    axe.check(page, "ad check result")
    shot(page, "public-ad-check")


def login(page: Page, token: str) -> None:
    page.goto("/staff/login")
    expect(page).to_have_title("工作人员登录 · 民生")
    page.get_by_label("访问令牌").fill(token)
    page.get_by_role("button", name="登录").click()


def test_an_officer_walks_a_case_to_a_first_violation_exemption(
    page: Page,
    login_token: Callable[[str], str],
    shot: Shot,
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    certify(session_factory, ("B1", "B2"))
    firms = make_firms(session_factory, settings)
    page.set_viewport_size({"width": 1100, "height": 900})
    login(page, login_token("enforcement"))
    expect(page).to_have_title("承诺+执法 · 民生")
    axe.check(page, "enforcement home")
    # Register the shop.
    page.get_by_label("类别").select_option("shop")
    page.get_by_label("名称或姓名").fill("琼山区浏览器测试粉店")
    code = creditcode.with_check("92460107" + creditcode.org_code("MA5W0099"))
    page.get_by_label("统一社会信用代码（单位）").fill(code)
    page.get_by_role("button", name="登记").click()
    expect(page.locator("h1")).to_contain_text("琼山区浏览器测试粉店")
    axe.check(page, "party")
    # Discovery on patrol: open the case for this party, chosen on its page (no typed number).
    page.get_by_role("link", name="为该当事人立案").click()
    expect(page.locator(".chosen-party")).to_contain_text("琼山区浏览器测试粉店")
    page.get_by_label("违法事项").select_option("ZD-01")
    day = (timeutil.today() - timedelta(days=2)).isoformat()
    page.get_by_label("违法行为发生日期").fill(day)
    page.get_by_label("发现日期").fill(day)
    page.get_by_label("现场情况").fill("店外摆放桌椅占用人行道，经劝导当场收回")
    page.get_by_label("执法人员编号").fill("B1, B2")  # two certified officers (Art. 42)
    page.get_by_role("button", name="立案").click()
    expect(page.locator("#case-status")).to_have_text("已立案")
    axe.check(page, "case opened")
    # Facts: minor harm, corrected at once.
    page.get_by_label("危害后果", exact=True).select_option("minor")
    page.get_by_label("当事人已及时改正").check()
    page.get_by_role("button", name="记录事实").click()
    expect(page.locator("#case-status")).to_have_text("已查明事实")
    # Decision with a commitment signed on the spot.
    page.get_by_label("当事人现场签署信用承诺书").check()
    page.get_by_role("button", name="作出决定").click()
    expect(page.locator("#decision-outcome")).to_have_text("首违免罚：不予行政处罚")
    expect(page.locator("#decision-reasons")).to_contain_text("首违免罚")
    expect(page.locator("#rule-version")).not_to_be_empty()
    expect(page.locator("#decision-factors")).to_contain_text("已签信用承诺书")
    axe.check(page, "case decided")
    page.get_by_role("button", name="送达决定书").click()
    expect(page.locator("#documents")).to_contain_text("不予行政处罚决定书")
    expect(page.locator("#timeline")).to_contain_text("北京时间")
    page.get_by_role("button", name="结案").click()
    expect(page.locator("#case-status")).to_have_text("已结案")
    axe.check(page, "case closed")
    shot(page, "staff-enforcement-case")
    case_url = page.url
    # The decision as staff print it: on paper no navigation, forms or buttons.
    page.locator("#documents a", has_text="不予行政处罚决定书").click()
    axe.check(page, "decision document")
    print_shows_only_the_content(page, "#document")
    # The year's grades (six construction firms), one explained, and the plan's calendar.
    page.goto("/staff/enforcement/grades")
    page.get_by_label("按记录重新评定年度").fill("2025")
    page.get_by_role("button", name="重新评定").click()
    expect(page.locator("#grades tbody tr")).to_have_count(len(firms))
    axe.check(page, "grades")
    page.locator("#grades a").first.click()
    axe.check(page, "a grade explained")
    print_shows_only_the_content(page, "main h1")
    page.goto("/staff/enforcement/plan?year=2025&month=1&seed=7")
    expect(page.locator("table#calendar th[scope=col]")).to_have_count(7)
    axe.check(page, "inspection plan calendar")
    shot(page, "staff-enforcement-plan")
    print_shows_only_the_content(page, "table#calendar")
    page.goto(case_url)
    print_shows_only_the_content(page, "#timeline")


def print_shows_only_the_content(page: Page, content: str) -> None:
    """Under print media the page keeps ``content`` and loses the site header, navigation,
    footer, every form and every button (issue 18 item 10)."""
    page.emulate_media(media="print")
    try:
        for hidden in ("header.site", "nav", "footer.site", "form", "button", ".skip"):
            for element in page.locator(hidden).all():
                expect(element).to_be_hidden()
        expect(page.locator(content).first).to_be_visible()
    finally:
        page.emulate_media(media="screen")


def test_hotline_staff_log_in_and_see_a_kpi_chart(
    page: Page, hotline_demo: dict[str, Any], login_token: Callable[[str], str], shot: Shot
) -> None:
    page.set_viewport_size({"width": 1100, "height": 900})
    login(page, login_token("hotline"))
    expect(page).to_have_title("热线实时看板 · 民生")
    expect(page.locator("#live-board")).to_be_visible()
    axe.check(page, "live board")
    # htmx (served by the app) signs a counsellor in and swaps the board without a reload.
    page.goto("/staff/hotline?hotline=prov-11")
    page.evaluate("window.__not_reloaded = true")
    row = page.locator("tr", has_text="prov-11-01")
    row.get_by_role("button", name="空闲").click()
    expect(row.locator("td.state-available")).to_have_text("空闲")
    assert page.evaluate("window.__not_reloaded") is True
    page.get_by_role("link", name="KPI", exact=True).click()
    page.get_by_label("起始日期").fill("2025-06-02")
    page.get_by_label("截止日期（含）").fill("2025-06-03")
    page.get_by_role("button", name="统计").click()
    expect(page).to_have_title("热线 KPI · 民生")
    chart = page.locator("#chart-answer-rate svg")
    expect(chart).to_be_visible()
    assert chart.locator("rect title").count() == 24  # one bar per hour
    expect(page.locator("#chart-asa svg")).to_be_visible()
    axe.check(page, "hotline KPI")
    shot(page, "staff-hotline-kpi")


def test_public_pages_fit_a_phone(
    page: Page,
    cert_demo: dict[str, Any],
    hotline_demo: dict[str, Any],
    session_factory: sessionmaker[Session],
    shot: Shot,
) -> None:
    """At 390 px nothing scrolls sideways (issue 18: the verification link page was 626 px wide,
    the hours table was cut after 周五)."""
    from sqlalchemy import select

    from minsheng.certification.models import Certificate

    with session_factory() as s:
        token = s.scalars(select(Certificate.verify_token).limit(1)).one()
    page.set_viewport_size({"width": 390, "height": 844})
    pages = {
        "/": "home",
        "/certificates/verify": "verify",
        f"/certificates/v/{token}": "certificate-link",
        "/certificates/bodies?q=S0000": "bodies",
        "/ads/check": "ads",
        "/hotline?city=广东省深圳市南山区": "hotline",
        "/hotline?city=南山区": "hotline-choose",
        "/no-such-page": "not-found",
    }
    for url, name in pages.items():
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (url, width)
        axe.check(page, f"phone {name}")
        shot(page, f"phone-{name}")
    page.goto("/hotline?city=深圳")
    # The whole week shows, as day ranges (每天, or 周一至周五 … through 周日).
    expect(page.locator("table.hours").first).to_contain_text(re.compile("每天|周日"))
    expect(page.locator('a[href="tel:12356"]').first).to_be_visible()

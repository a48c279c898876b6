"""Browser tests: the real app under uvicorn, driven by headless Chromium through Playwright.

Few and fast on purpose (they run in CI on every `make test`); each saves a screenshot under
test-output/screenshots/.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

Shot = Callable[[Page, str], Path]


def test_verify_a_certificate_and_see_the_masked_result(
    page: Page, cert_demo: dict[str, Any], shot: Shot
) -> None:
    page.goto("/")
    page.get_by_role("link", name="证书查询").first.click()
    expect(page).to_have_title("职业技能等级证书查询 · 民生")
    page.get_by_label("姓名").fill("张伟")
    page.get_by_label("证书编号").fill(cert_demo["certificates"][0])
    page.get_by_label("证书编号").press("Enter")  # keyboard only
    result = page.locator("#verify-result")
    expect(result).to_contain_text("查到 1 张证书")
    expect(result.locator(".masked-name")).to_have_text("张*")
    expect(result.locator(".masked-id")).to_have_text("460105********1239")
    expect(result).not_to_contain_text("张伟")
    shot(page, "public-verify-hit")


def test_a_miss_reveals_nothing(page: Page, cert_demo: dict[str, Any], shot: Shot) -> None:
    page.goto("/certificates/verify")
    page.get_by_label("姓名").fill("李四")
    page.get_by_label("证书编号").fill(cert_demo["certificates"][0])
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#verify-miss")).to_contain_text("未查到与所填信息相符的证书")
    expect(page.locator(".result")).to_have_count(0)
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
    shot(page, "public-ad-check")

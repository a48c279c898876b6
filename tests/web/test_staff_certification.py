"""Staff certification pages: issue through the rules, revoke/suspend, CSV import errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.certification.demo import demo_id
from minsheng.certification.models import Certificate
from tests.web.conftest import StaffLogin


@pytest.fixture
def staff(staff_login: StaffLogin) -> tuple[TestClient, str]:
    return staff_login("certification", "/staff/certification")


def issue_data(csrf: str, **overrides: str) -> dict[str, str]:
    data = {
        "csrf_token": csrf,
        "name": "赵敏",
        "id_number": demo_id("46010519950101002"),
        "occupation_code": "4-09-07-04",
        "level": "4",
        "body": "S0000-46-0001",
        "province_code": "46",
        "site_code": "460100",
        "issued_on": "2025-06-01",
    }
    data.update(overrides)
    return data


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Certificate)) or 0)


def test_issue_a_certificate(
    staff: tuple[TestClient, str], cert_demo: dict[str, Any], session: Session
) -> None:
    client, csrf = staff
    before = count(session)
    page = client.post("/staff/certification/issue", data=issue_data(csrf))
    assert page.status_code == 201, page.text
    assert 'id="issued"' in page.text
    assert "赵*" in page.text
    session.rollback()
    assert count(session) == before + 1


def test_a_refusal_names_every_failed_rule_beside_its_field(
    staff: tuple[TestClient, str], cert_demo: dict[str, Any], session: Session
) -> None:
    client, csrf = staff
    before = count(session)
    page = client.post(
        "/staff/certification/issue",
        data=issue_data(
            csrf, occupation_code="4-03-02-10", level="1", id_number="110105199003071230"
        ),
    )
    assert page.status_code == 409
    refused = re.search(r'id="issue-refused">.*?</div>', page.text, re.S)
    assert refused
    assert refused.group(0).count("<li>") >= 2
    assert re.search(
        r'id="e-id_number" class="error" >[^<]*校验码为[^<]+holder.id_number', page.text
    )
    assert len(re.findall(r'class="error" >[^<]+', page.text)) >= 2
    assert "110105199003071230" not in page.text  # the ID number is not echoed back
    session.rollback()
    assert count(session) == before


def test_a_malformed_field_is_named(
    staff: tuple[TestClient, str], cert_demo: dict[str, Any]
) -> None:
    client, csrf = staff
    page = client.post("/staff/certification/issue", data=issue_data(csrf, site_code="12"))
    assert page.status_code == 422
    assert re.search(r'id="e-site_code" class="error" >[^<a-zA-Z]+<', page.text)


def test_forms_need_the_csrf_token(
    staff: tuple[TestClient, str], cert_demo: dict[str, Any]
) -> None:
    client, _csrf = staff
    page = client.post("/staff/certification/issue", data=issue_data("0" * 64))
    assert page.status_code == 403


def test_revoke_then_the_public_sees_revoked(
    staff: tuple[TestClient, str], cert_demo: dict[str, Any]
) -> None:
    client, csrf = staff
    number = cert_demo["certificates"][0]
    page = client.post(
        "/staff/certification/status",
        data={"csrf_token": csrf, "number": number, "status": "suspended", "reason": "核查中"},
    )
    assert page.status_code == 200
    assert 'id="status-changed"' in page.text and "已暂停" in page.text
    public = client.post("/certificates/verify", data={"name": "张伟", "number": number})
    assert "此证书已被暂停使用" in public.text and "核查中" in public.text


def test_an_unknown_certificate_is_named(
    staff: tuple[TestClient, str], cert_demo: dict[str, Any]
) -> None:
    client, csrf = staff
    page = client.post(
        "/staff/certification/status",
        data={
            "csrf_token": csrf,
            "number": "S000046460100244999999",
            "status": "revoked",
            "reason": "测试",
        },
    )
    assert page.status_code == 404
    assert re.search(r'id="e-number" class="error" >没有这张证书', page.text)


def test_import_shows_every_bad_row_and_imports_nothing(
    staff: tuple[TestClient, str], cert_demo: dict[str, Any], session: Session
) -> None:
    client, csrf = staff
    before = count(session)
    idn = demo_id("46010519800101001")
    good = f"S000046460100234000101,钱七,{idn},4-09-07-04,4,S0000-46-0001,2023-03-01"
    bad = "S123,孙八,110105199003071230,9-99-99-99,7,NOPE,2023-13-01"
    text = "number,name,id_number,occupation_code,level,body_code,issued_on\n" + good + "\n" + bad
    page = client.post(
        "/staff/certification/import",
        data={"csrf_token": csrf},
        files={"csv_file": ("certs.csv", text.encode(), "text/csv")},
    )
    assert page.status_code == 422
    table = re.search(r'<table id="import-errors">.*?</table>', page.text, re.S)
    assert table
    for fld in ("number", "id_number", "occupation_code", "level", "body_code", "issued_on"):
        assert f"<code>{fld}</code>" in table.group(0)
    session.rollback()
    assert count(session) == before
    page = client.post(
        "/staff/certification/import",
        data={"csrf_token": csrf, "csv_text": text.rsplit("\n", 1)[0]},
    )
    assert page.status_code == 200, page.text
    assert "已导入 1 条" in page.text


def test_import_a_gbk_file_with_chinese_headers_and_cr_line_ends(
    staff: tuple[TestClient, str], cert_demo: dict[str, Any], session: Session
) -> None:
    client, csrf = staff
    before = count(session)
    idn = demo_id("46010519800101001")
    header = "证书编号,姓名,身份证号,职业编码,等级,评价机构备案号,发证日期"
    row = f"S000046460100234000101,钱七,{idn},4-09-07-04,4,S0000-46-0001,2023-03-01"
    raw = (header + "\r" + row + "\r").encode("gbk")  # Excel on Chinese Windows, old Mac ends
    page = client.post(
        "/staff/certification/import",
        data={"csrf_token": csrf},
        files={"csv_file": ("证书.csv", raw, "text/csv")},
    )
    assert page.status_code == 200, page.text
    assert "已导入 1 条" in page.text
    assert '<span id="import-encoding">GBK/GB18030</span>' in page.text  # the encoding read
    session.rollback()
    assert count(session) == before + 1


def test_an_over_long_field_is_named_on_the_page(
    staff: tuple[TestClient, str], cert_demo: dict[str, Any]
) -> None:
    client, csrf = staff
    text = "number,name,id_number,occupation_code,level,body_code,issued_on\n"
    text += "S000046460100234000101," + "钱" * 140_000 + ",1,2,3,4,5\n"
    page = client.post(
        "/staff/certification/import",
        data={"csrf_token": csrf},
        files={"csv_file": ("certs.csv", text.encode(), "text/csv")},
    )
    assert page.status_code == 422
    assert re.search(r"第 \d+ 行“[^”]+”字段超过 \d+ 个字符", page.text)


def test_the_import_template_is_linked_and_downloads(staff: tuple[TestClient, str]) -> None:
    client, _csrf = staff
    page = client.get("/staff/certification/import")
    assert 'href="/staff/certification/import-template.csv"' in page.text
    template = client.get("/staff/certification/import-template.csv")
    assert template.status_code == 200 and template.headers["content-type"].startswith("text/csv")
    assert "attachment" in template.headers["content-disposition"]
    header, example = template.content.decode("utf-8-sig").strip().split("\r\n")
    assert header.startswith("证书编号,姓名,身份证号") and example.endswith(",示例")

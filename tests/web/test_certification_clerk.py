"""The certification clerk's pages (issue 18, items 7 and 4): one task per page, pickers by
name or code without JavaScript, a confirmation before revoking, evaluation bodies (file, change
scope, suspend and resume, within the clerk's province), the skill-upgrade subsidy (decide,
list, statistics), and the public verification reading numbers typed with spaces or full-width
characters. A refused form shows its error beside the field and changes nothing."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from minsheng.certification.demo import demo_id
from minsheng.certification.models import Body, BodyScope, Certificate, SubsidyClaim
from minsheng.core.auth import create_user
from minsheng.core.scope import parse_scope
from tests.web.conftest import StaffLogin, csrf_of

HAINAN_BODY = "S0000-46-0001"
CARBON = "4-09-07-04"
PAGES = (
    "/staff/certification",
    "/staff/certification/certificates",
    "/staff/certification/issue",
    "/staff/certification/status",
    "/staff/certification/import",
    "/staff/certification/bodies",
    "/staff/certification/bodies/new",
    f"/staff/certification/bodies/{HAINAN_BODY}",
    "/staff/certification/subsidy",
    "/staff/certification/subsidy/decisions",
    "/staff/certification/subsidy/stats",
)


@pytest.fixture
def staff(staff_login: StaffLogin, cert_demo: dict[str, Any]) -> tuple[TestClient, str]:
    return staff_login("certification", "/staff/certification")


def error_beside(page: str, name: str) -> str:
    m = re.search(rf'id="e-{name}" class="error" >([^<]+)<', page)
    assert m, f"no error beside {name}"
    return m.group(1)


def rows(session: Session, model: type[Any]) -> int:
    session.rollback()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def cert_status(session: Session, number: str) -> str:
    session.rollback()
    return str(session.scalar(select(Certificate.status).where(Certificate.number == number)))


def test_each_task_has_its_own_page_under_the_sub_navigation(
    staff: tuple[TestClient, str],
) -> None:
    client, _ = staff
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, path
        nav = re.search(
            r'<nav class="subnav" aria-label="职业技能等级证书">.*?</nav>', page.text, re.S
        )
        assert nav and nav.group(0).count("<li>") == 7, path
        assert 'aria-current="page"' in nav.group(0), path
    # The look-up page no longer carries the other three forms.
    lookup = client.get("/staff/certification").text
    assert 'action="/staff/certification/issue"' not in lookup
    assert 'action="/staff/certification/import"' not in lookup


def test_the_pickers_find_by_name_and_fill_in_the_code(staff: tuple[TestClient, str]) -> None:
    client, _ = staff
    page = client.get("/staff/certification/issue", params={"occ_q": "碳排放"}).text
    assert f"occupation_code={CARBON}" in page and "碳排放管理员（4-09-07-04）" in page
    chosen = client.get(
        "/staff/certification/issue", params={"occupation_code": CARBON, "body_q": "碳排放管理员"}
    ).text
    assert f"body={HAINAN_BODY}" in chosen and "已选：碳排放管理员（4-09-07-04）" in chosen
    sites = client.get("/staff/certification/issue", params={"site_q": "海口"}).text
    assert "site_code=460100&amp;province_code=46" in sites
    filled = client.get(
        "/staff/certification/issue",
        params={"occupation_code": CARBON, "body": HAINAN_BODY, "site_code": "460100"},
    ).text
    assert re.search(
        rf'id="f-occupation_code" name="occupation_code" type="text" value="{CARBON}"', filled
    )
    assert "已选：海南省海口市（460100）" in filled
    missing = client.get("/staff/certification/issue", params={"occ_q": "没有这种职业"}).text
    assert "没有找到与“没有这种职业”相符的职业" in missing


def issue_data(csrf: str, **overrides: str) -> dict[str, str]:
    data = {
        "csrf_token": csrf,
        "name": "孙丽",
        "id_number": demo_id("46010519960101002"),
        "occupation_code": "碳排放管理员",  # a name, as chosen by a clerk
        "level": "4",
        "body": HAINAN_BODY,
        "province_code": "",  # from the site
        "site_code": "460100",
        "issued_on": "2025-06-01",
    }
    data.update(overrides)
    return data


def test_issue_by_occupation_name_and_an_unknown_name_beside_its_field(
    staff: tuple[TestClient, str], session: Session
) -> None:
    client, csrf = staff
    before = rows(session, Certificate)
    bad = client.post("/staff/certification/issue", data=issue_data(csrf, occupation_code="碳排"))
    assert bad.status_code == 404
    assert "没有名称为“碳排”的职业" in error_beside(bad.text, "occupation_code")
    assert rows(session, Certificate) == before
    page = client.post("/staff/certification/issue", data=issue_data(csrf))
    assert page.status_code == 201, page.text
    assert 'id="issued"' in page.text and "S000046460100254" in page.text
    assert rows(session, Certificate) == before + 1


def test_revoking_asks_for_confirmation_first(
    staff: tuple[TestClient, str], cert_demo: dict[str, Any], session: Session
) -> None:
    client, csrf = staff
    number = cert_demo["certificates"][0]
    form = {"csrf_token": csrf, "number": number, "status": "revoked", "reason": "材料造假"}
    short = client.post("/staff/certification/status", data=form | {"reason": "假"})
    assert short.status_code == 422 and error_beside(short.text, "reason")
    ask = client.post("/staff/certification/status", data=form)
    assert ask.status_code == 200 and 'id="revoke-confirm"' in ask.text
    assert number in ask.text and '<dd id="confirm-reason">材料造假</dd>' in ask.text
    assert 'name="confirmed" value="1"' in ask.text
    assert cert_status(session, number) == "valid"  # nothing changed yet
    done = client.post(
        "/staff/certification/status",
        data=form | {"csrf_token": csrf_of(ask.text), "confirmed": "1"},
    )
    assert done.status_code == 200 and 'id="status-changed"' in done.text
    assert cert_status(session, number) == "revoked"
    # The look-up by a number typed with spaces finds it too.
    spaced = f"{number[:5]} {number[5:13]} {number[13:]}"
    assert number in client.get("/staff/certification/status", params={"number": spaced}).text


def body_data(csrf: str, **overrides: str) -> dict[str, str]:
    """A body's filing form as a clerk fills it in."""
    data = {
        "csrf_token": csrf,
        "name": "海南测试评价中心",
        "body_type": "S",
        "code": "0000",
        "province_code": "46",
        "valid_from": "2025-01-01",
        "valid_to": "",
        "scope": "碳排放管理员 5,4\n4-04-05-10：4",
    }
    data.update(overrides)
    return data


def test_file_a_body_change_its_scope_and_suspend_it(
    staff: tuple[TestClient, str], session: Session
) -> None:
    client, csrf = staff
    before = rows(session, Body)
    new = body_data(csrf)
    bad = client.post("/staff/certification/bodies/new", data=new | {"scope": "碳排放管理员 7"})
    assert bad.status_code == 422 and "第 1 行" in error_beside(bad.text, "scope")
    assert rows(session, Body) == before
    filed = client.post("/staff/certification/bodies/new", data=new, follow_redirects=False)
    assert filed.status_code == 303, filed.text
    where = filed.headers["location"]
    assert re.fullmatch(r"/staff/certification/bodies/S0000-46-\d{4}\?done=filed", where)
    filing_no = where.split("/")[-1].split("?")[0]
    page = client.get(where).text
    assert "已备案" in page and "海南省人力资源社会保障部门" in page
    assert "数字孪生应用技术员（4-04-05-10）" in page

    base = f"/staff/certification/bodies/{filing_no}"
    no_reason = client.post(f"{base}/scope", data={"csrf_token": csrf, "scope": "4-09-07-04 3"})
    assert no_reason.status_code == 422 and error_beside(no_reason.text, "reason")
    changed = client.post(
        f"{base}/scope", data={"csrf_token": csrf, "scope": "4-09-07-04 3", "reason": "备案变更"}
    )
    assert changed.status_code == 200 and "评价范围已变更" in changed.text
    session.rollback()
    body_id = session.scalar(select(Body.id).where(Body.filing_no == filing_no))
    pairs = set(
        session.execute(
            select(BodyScope.occupation_code, BodyScope.level).where(BodyScope.body_id == body_id)
        )
    )
    assert pairs == {(CARBON, 3)}

    status = {"csrf_token": csrf, "status": "suspended", "reason": "年度检查不合格"}
    bad_status = client.post(f"{base}/status", data=status | {"status": "closed"})
    assert bad_status.status_code == 422 and error_beside(bad_status.text, "status")
    # Suspending asks first, showing the body and the reason; nothing has changed yet.
    asked = client.post(f"{base}/status", data=status)
    assert asked.status_code == 200 and 'id="body-confirm"' in asked.text
    session.rollback()
    assert session.scalar(select(Body.status).where(Body.filing_no == filing_no)) == "active"
    suspended = client.post(f"{base}/status", data=status | {"confirmed": "1"})
    assert "已暂停" in suspended.text and "年度检查不合格" in suspended.text
    session.rollback()
    assert session.scalar(select(Body.status).where(Body.filing_no == filing_no)) == "suspended"
    resumed = client.post(
        f"{base}/status", data=status | {"status": "active", "reason": "整改完成"}
    )
    assert "已恢复正常" in resumed.text
    # Revoking the filing asks first too; resuming (above) took effect at once.
    revoke = client.post(f"{base}/status", data=status | {"status": "revoked"})
    assert "确认撤销备案" in revoke.text and 'name="confirmed" value="1"' in revoke.text
    session.rollback()
    assert session.scalar(select(Body.status).where(Body.filing_no == filing_no)) == "active"
    listed = client.get("/staff/certification/bodies", params={"q": "海南测试"}).text
    assert filing_no in listed


@pytest.fixture
def guangdong_clerk(
    client: TestClient, session_factory: sessionmaker[Session], cert_demo: dict[str, Any]
) -> tuple[TestClient, str]:
    with session_factory() as s:
        _user, token = create_user(
            s,
            name=f"gd-{uuid.uuid4().hex[:6]}",
            role="certification",
            scope=parse_scope("440000", None),
        )
        s.commit()
    client.post("/staff/login", data={"token": token})
    page = client.get("/staff/certification/bodies")
    assert page.status_code == 200
    return client, csrf_of(page.text)


def test_a_provincial_clerk_sees_and_changes_only_their_province(
    guangdong_clerk: tuple[TestClient, str], session: Session
) -> None:
    client, csrf = guangdong_clerk
    assert HAINAN_BODY not in client.get("/staff/certification/bodies").text
    assert client.get(f"/staff/certification/bodies/{HAINAN_BODY}").status_code == 404
    refused = client.post(
        f"/staff/certification/bodies/{HAINAN_BODY}/status",
        data={"csrf_token": csrf, "status": "suspended", "reason": "越权"},
    )
    assert refused.status_code == 404
    session.rollback()
    assert session.scalar(select(Body.status).where(Body.filing_no == HAINAN_BODY)) == "active"
    sites = client.get("/staff/certification/issue", params={"site_q": "海口"}).text
    assert "site_code=460100" not in sites and "没有找到与“海口”相符的地区" in sites
    claims = rows(session, SubsidyClaim)
    other = client.post("/staff/certification/subsidy", data=subsidy_data(csrf))
    assert other.status_code == 403 and rows(session, SubsidyClaim) == claims


def subsidy_data(csrf: str, **overrides: str) -> dict[str, str]:
    data = {
        "csrf_token": csrf,
        "id_number": demo_id("46010519900101003"),
        "province_code": "46",
        "category": "enterprise_employee",
        "insured_months": "30",
        "occupation_code": CARBON,
        "level": "4",
        "issued_on": "2025-03-01",
        "urgent_occupation": "no",
        "applied_on": "2025-05-01",
        "training_subsidy_same_training": "no",
        "previous_claims": "",
    }
    data.update(overrides)
    return data


def test_decide_a_subsidy_then_list_and_count_it(
    staff: tuple[TestClient, str], session: Session
) -> None:
    client, csrf = staff
    before = rows(session, SubsidyClaim)
    for field, value in (
        ("insured_months", "很多"),
        ("issued_on", "2025-13-01"),
        ("previous_claims", "4-09-07-04 5"),
        ("id_number", ""),
    ):
        bad = client.post("/staff/certification/subsidy", data=subsidy_data(csrf, **{field: value}))
        assert bad.status_code == 422, (field, bad.status_code)
        assert error_beside(bad.text, field)
        assert demo_id("46010519900101003") not in bad.text
    assert rows(session, SubsidyClaim) == before
    page = client.post("/staff/certification/subsidy", data=subsidy_data(csrf))
    assert page.status_code == 200, page.text
    assert '<code id="rule-set">national-2025</code>' in page.text
    assert re.search(r'<code id="rule-version">subsidy-\d{4}-\d{2}</code>', page.text)
    assert '<span id="amount">1,500</span>' in page.text
    assert "失业保险参保月数" in page.text and demo_id("46010519900101003") not in page.text
    assert rows(session, SubsidyClaim) == before + 1
    listed = client.get(
        "/staff/certification/subsidy/decisions",
        params={"start": "2025-05-01", "end": "2025-05-01", "eligible": "yes"},
    ).text
    assert "national-2025" in listed and "2025年5月1日" in listed
    stats = client.get(
        "/staff/certification/subsidy/stats", params={"start": "2025-05-01", "end": "2025-05-31"}
    ).text
    assert "2025年5月" in stats and "海南省" in stats and "四级/中级工" in stats
    wrong = client.get(
        "/staff/certification/subsidy/stats", params={"start": "2025-06-01", "end": "2025-05-01"}
    )
    assert wrong.status_code == 422 and error_beside(wrong.text, "end")


def test_public_verification_reads_spaces_and_full_width(
    client: TestClient, cert_demo: dict[str, Any]
) -> None:
    number = cert_demo["certificates"][0]
    typed = (
        f"{number[:5]} {number[5:13]} {number[13:]}",
        "".join(chr(ord(c) + 0xFEE0) for c in number),
    )
    for text in typed:
        api = client.post("/api/certification/verify", json={"name": "张伟", "number": text})
        assert api.status_code == 200 and api.json()["found"], text
        page = client.post("/certificates/verify", data={"name": "张伟", "number": text})
        assert page.status_code == 200 and number in page.text and "碳排放管理员" in page.text


def test_public_body_search_by_occupation_name_shows_the_province(
    client: TestClient, cert_demo: dict[str, Any]
) -> None:
    page = client.get("/certificates/bodies", params={"q": "碳排放管理员"}).text
    assert "海南民生职业技能评价中心（演示）" in page
    assert "海南省人力资源社会保障部门" in page and "省级人社部门" not in page
    api = client.get("/api/certification/bodies", params={"q": "碳排放"}).json()
    assert api and api[0]["province_name"] == "海南省"


def test_the_scope_picker_adds_an_occupation_and_keeps_what_was_typed(
    staff: tuple[TestClient, str], session: Session
) -> None:
    client, csrf = staff
    before = rows(session, Body)
    typed = body_data(csrf, name="海南选取测试中心", scope="4-04-05-10 3")
    new = "/staff/certification/bodies/new"
    found = client.post(new, data=typed | {"action": "find", "occ_q": "碳排放"})
    assert found.status_code == 200 and f'name="add" value="{CARBON}"' in found.text
    assert 'value="海南选取测试中心"' in found.text
    no_level = client.post(new, data=typed | {"occ_q": "碳排放", "add": CARBON})
    assert no_level.status_code == 422
    assert error_beside(no_level.text, "add_levels") == "请先勾选要加入的等级"
    unknown = client.post(new, data=typed | {"add": "9-99-99-99", "add_levels": ["4"]})
    assert unknown.status_code == 422 and "9-99-99-99" in error_beside(unknown.text, "occ_q")
    added = client.post(new, data=typed | {"add": CARBON, "add_levels": ["4", "5", "9"]})
    assert added.status_code == 200
    assert f">4-04-05-10 3\n{CARBON} 5,4</textarea>" in added.text
    assert rows(session, Body) == before  # the picker saves nothing
    body = f"/staff/certification/bodies/{HAINAN_BODY}/scope"
    changed = client.post(
        body, data={"csrf_token": csrf, "scope": "", "reason": "", "add": CARBON, "add_levels": "3"}
    )
    assert changed.status_code == 200 and f">{CARBON} 3</textarea>" in changed.text

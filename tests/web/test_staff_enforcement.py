"""Staff enforcement pages: parties, a case walked from discovery to closure with its decision
(首违免罚, then 再犯必罚 for a repeat), and refusals named beside their field."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import creditcode, timeutil
from minsheng.enforcement import schemas, service
from tests.web.conftest import StaffLogin


def shop_code(n: int = 1) -> str:
    return creditcode.with_check("92460107" + creditcode.org_code(f"MA5W{n:04d}"))


OFFICERS = "W1, W2"


def certify(session_factory: sessionmaker[Session], codes: tuple[str, ...] = ("W1", "W2")) -> None:
    """Inspectors with a 执法证 (Art. 42: two certified officers on every investigation step)."""
    with session_factory() as s:
        for n, code in enumerate(codes):
            service.add_inspector(s, schemas.InspectorCreate(code=code, name=code), actor="test")
            cert = schemas.OfficerCertCreate(
                inspector=code, cert_no=f"4601990{n}", valid_until=date(2099, 12, 31)
            )
            service.register_cert(s, cert, actor="test")
        s.commit()


@pytest.fixture
def officer(
    staff_login: StaffLogin, session_factory: sessionmaker[Session]
) -> tuple[TestClient, str]:
    certify(session_factory)
    return staff_login("enforcement", "/staff/enforcement")


def new_party(client: TestClient, csrf: str, n: int = 1) -> int:
    response = client.post(
        "/staff/enforcement/parties",
        data={
            "csrf_token": csrf,
            "kind": "organisation",
            "category": "shop",
            "name": f"琼山区测试粉店{n}",
            "credit_code": shop_code(n),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def open_case(client: TestClient, csrf: str, party_id: int, occurred: date) -> int:
    response = client.post(
        "/staff/enforcement/cases",
        data={
            "csrf_token": csrf,
            "party_id": str(party_id),
            "item": "ZD-01",
            "discovery": "patrol",
            "occurred_on": occurred.isoformat(),
            "discovered_on": occurred.isoformat(),
            "facts": "店外摆放桌椅占用人行道",
            "officers": OFFICERS,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def walk(
    client: TestClient, csrf: str, case_id: int, *, sign: bool, fine: str = "", status: int = 200
) -> str:
    base = f"/staff/enforcement/cases/{case_id}"
    facts = {"csrf_token": csrf, "harm": "minor", "corrected_in_time": "on", "officers": OFFICERS}
    assert client.post(f"{base}/facts", data=facts).status_code == 200
    decide = {"csrf_token": csrf, "fine_yuan": fine}
    if sign:
        decide["sign_commitment"] = "on"
    page = client.post(f"{base}/decide", data=decide)
    assert page.status_code == status, page.text
    return page.text


def test_a_first_violation_walks_to_an_exemption_and_closes(
    officer: tuple[TestClient, str],
) -> None:
    client, csrf = officer
    party_id = new_party(client, csrf)
    case_id = open_case(client, csrf, party_id, timeutil.today() - timedelta(days=3))
    html = walk(client, csrf, case_id, sign=True)
    outcome = re.search(r'id="decision-outcome">([^<]+)', html)
    assert outcome and outcome.group(1) == "首违免罚：不予行政处罚"
    assert re.search(r'id="rule-version">[^<]+<', html)
    assert "首违免罚" in re.search(r'id="decision-reasons">.*?</ol>', html, re.S).group(0)  # type: ignore[union-attr]
    assert 'id="decision-factors"' in html and "已签信用承诺书" in html
    assert 'id="decision-education"' in html
    base = f"/staff/enforcement/cases/{case_id}"
    page = client.post(f"{base}/serve", data={"csrf_token": csrf})
    assert "不予行政处罚决定书" in re.search(r'id="documents">.*?</ul>', page.text, re.S).group(0)  # type: ignore[union-attr]
    page = client.post(f"{base}/close", data={"csrf_token": csrf})
    assert '<span class="badge" id="case-status">已结案</span>' in page.text
    steps = re.findall(r"<li><strong>([^<]+)</strong>", page.text)
    assert steps == ["发现、立案", "查明事实", "作出决定", "送达决定书", "结案"]
    assert "（北京时间）" in page.text  # the timeline is in Beijing time, not UTC
    assert " UTC " not in page.text
    party = client.get(f"/staff/enforcement/parties/{party_id}").text
    assert "尚未签署" not in party  # the commitment signed at the decision is listed


def test_a_repeat_is_penalised_and_a_fine_outside_the_range_is_named(
    officer: tuple[TestClient, str],
) -> None:
    client, csrf = officer
    party_id = new_party(client, csrf, 2)
    first = open_case(client, csrf, party_id, timeutil.today() - timedelta(days=30))
    walk(client, csrf, first, sign=True)
    # The exemption is an earlier violation (第三十三条第一款) once served (rules/history.py).
    served = client.post(f"/staff/enforcement/cases/{first}/serve", data={"csrf_token": csrf})
    assert served.status_code == 200
    second = open_case(client, csrf, party_id, timeutil.today() - timedelta(days=2))
    html = walk(client, csrf, second, sign=False, fine="999999", status=422)
    assert re.search(r'id="e-fine_yuan" class="error" >罚款 999999 元超出', html)
    assert 'id="decision-outcome"' not in html
    html = walk(client, csrf, second, sign=False, fine="500")
    outcome = re.search(r'id="decision-outcome">([^<]+)', html)
    assert outcome and outcome.group(1).startswith("再犯必罚")
    assert "500 元" in html
    assert '<span class="badge" id="case-status">拟处罚（待告知）</span>' in html
    # The procedure in the law's order: no decision before the 事先告知书 …
    base = f"/staff/enforcement/cases/{second}"
    early = client.post(f"{base}/decision", data={"csrf_token": csrf, "party_address": "x"})
    assert early.status_code == 409
    assert "PriorNoticeMissing" in early.text or "事先告知书" in early.text
    page = client.post(f"{base}/prior-notice", data={"csrf_token": csrf})
    assert "行政处罚事先告知书" in page.text
    page = client.post(f"{base}/statement", data={"csrf_token": csrf, "waived": "on"})
    assert page.status_code == 200, page.text
    # … not heavier than notified, and not without the party's address (Art. 59(一)).
    page = client.post(
        f"{base}/decision", data={"csrf_token": csrf, "fine_yuan": "600", "party_address": "海口"}
    )
    assert page.status_code == 422
    assert re.search(
        r'id="e-fine_yuan" class="error" >[^<]*more than the 500 yuan notified', page.text
    )
    page = client.post(f"{base}/decision", data={"csrf_token": csrf})
    assert re.search(r'id="e-party_address" class="error" >[^<]+', page.text)
    page = client.post(
        f"{base}/decision", data={"csrf_token": csrf, "party_address": "海口市琼山区府城街道1号"}
    )
    assert '<span class="badge" id="case-status">已决定</span>' in page.text
    page = client.post(f"{base}/serve", data={"csrf_token": csrf})
    docs = re.findall(r'<a href="/staff/enforcement/documents/(\d+)">([^<]+)</a>', page.text)
    assert [title for _id, title in docs] == ["行政处罚事先告知书", "行政处罚决定书"]
    decision_page = client.get(f"/staff/enforcement/documents/{docs[1][0]}").text
    for needed in (
        "行政处罚决定书",
        "海口市琼山区府城街道1号",
        "罚款500元",
        "履行方式和期限",
        "六十日内",
        "六个月内",
        "（印章）",
        timeutil.today().strftime("%Y年").lstrip("0"),
    ):
        assert needed in decision_page, needed
    assert re.search(r"〔\d{4}〕\d+号", decision_page)
    party = client.get(f"/staff/enforcement/parties/{party_id}").text
    assert 'id="credit-records"' in party
    # the credit-repair rules in force on the decision date name the record
    assert re.search(
        r"<td>《(信用修复管理办法|失信行为纠正后的信用信息修复管理办法（试行）)》", party
    )


def test_refusals_name_their_field(officer: tuple[TestClient, str]) -> None:
    client, csrf = officer
    page = client.post(
        "/staff/enforcement/parties",
        data={
            "csrf_token": csrf,
            "kind": "organisation",
            "category": "shop",
            "name": "坏代码",
            "credit_code": "91460107MA5T00010",
        },
    )
    assert page.status_code == 422
    assert re.search(r'id="e-credit_code" class="error" >[^<]+', page.text)
    party_id = new_party(client, csrf, 3)
    future = (timeutil.today() + timedelta(days=5)).isoformat()
    page = client.post(
        "/staff/enforcement/cases",
        data={
            "csrf_token": csrf,
            "party_id": str(party_id),
            "item": "ZD-01",
            "discovery": "patrol",
            "occurred_on": future,
            "discovered_on": future,
        },
    )
    assert page.status_code == 422
    assert re.search(r'id="e-occurred_on" class="error" >[^<]+晚于今天', page.text)


def test_steps_out_of_order_are_refused(officer: tuple[TestClient, str]) -> None:
    client, csrf = officer
    party_id = new_party(client, csrf, 4)
    case_id = open_case(client, csrf, party_id, timeutil.today() - timedelta(days=1))
    page = client.post(f"/staff/enforcement/cases/{case_id}/close", data={"csrf_token": csrf})
    assert page.status_code == 409
    assert re.search(r"案件 \d+ 当前为“已立案”；“结案”须在案件为", page.text)


def test_other_roles_are_refused(client: TestClient, login_token: Callable[[str], str]) -> None:
    client.post("/staff/login", data={"token": login_token("certification")})
    assert client.get("/staff/enforcement").status_code == 403


def test_evidence_is_kept_by_content_hash(officer: tuple[TestClient, str]) -> None:
    client, csrf = officer
    party_id = new_party(client, csrf, 5)
    case_id = open_case(client, csrf, party_id, timeutil.today() - timedelta(days=1))
    page = client.post(
        f"/staff/enforcement/cases/{case_id}/evidence",
        data={"csrf_token": csrf, "note": "现场照片"},
        files={"file": ("photo.jpg", b"\xff\xd8 not really a jpeg", "image/jpeg")},
    )
    assert page.status_code == 200
    assert "photo.jpg" in page.text
    assert hashlib.sha256(b"\xff\xd8 not really a jpeg").hexdigest()[:16] in page.text
    missing = client.post(f"/staff/enforcement/cases/{case_id}/evidence", data={"csrf_token": csrf})
    assert missing.status_code == 422
    assert 'id="e-file" class="error" >请选择文件' in missing.text


def test_cases_undecided_after_ninety_days_are_flagged(
    officer: tuple[TestClient, str], session_factory: sessionmaker[Session]
) -> None:
    client, csrf = officer
    party_id = new_party(client, csrf, 6)
    filed = timeutil.today() - timedelta(days=95)
    with session_factory() as s:
        data = schemas.CaseOpen(
            party_id=party_id,
            item="ZD-01",
            discovery="patrol",
            occurred_on=filed,
            discovered_on=filed,
            filed_on=filed,
            officers=["W1", "W2"],
        )
        case = service.open_case(s, data, officer="王", actor="test")
        s.commit()
        case_id = case.id
    index = client.get("/staff/enforcement").text
    late = re.search(r'id="late-cases">.*?</section>', index, re.S)
    assert late and f"案件 #{case_id}" in late.group(0)
    assert "已超 5 日" in late.group(0)
    page = client.get(f"/staff/enforcement/cases/{case_id}").text
    assert 'id="late"' in page


def test_mandatory_articles_on_the_facts_form_and_the_rule_set_shown(
    officer: tuple[TestClient, str],
) -> None:
    client, csrf = officer
    party_id = new_party(client, csrf)
    case_id = open_case(client, csrf, party_id, timeutil.today() - timedelta(days=3))
    base = f"/staff/enforcement/cases/{case_id}"
    page = client.get(base).text
    assert 'name="no_fault_proven"' in page and 'name="mental_state"' in page
    assert re.search(r'id="item-rule-set">演示规则', page)
    bad = {
        "csrf_token": csrf,
        "harm": "general",
        "mitigating": "other_statutory",
        "mental_state": "normal",
        "officers": OFFICERS,
    }
    page = client.post(f"{base}/facts", data=bad)
    assert page.status_code == 422
    assert re.search(r'id="e-mitigating_basis" class="error" >[^<]+<', page.text)
    facts = {"csrf_token": csrf, "harm": "general", "no_fault_proven": "on", "officers": OFFICERS}
    assert client.post(f"{base}/facts", data=facts).status_code == 200
    html = client.post(f"{base}/decide", data={"csrf_token": csrf, "fine_yuan": ""}).text
    outcome = re.search(r'id="decision-outcome">([^<]+)', html)
    assert outcome and outcome.group(1) == "有证据足以证明没有主观过错：不予行政处罚"
    assert re.search(r'id="rule-id">ART33-2-NO-FAULT<', html)
    status = re.search(r'id="rule-set-status">(.*?)</dd>', html, re.S)
    assert status and "演示规则" in status.group(1)

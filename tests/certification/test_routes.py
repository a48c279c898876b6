"""The HTTP API: public lookups, staff issuance, verification with rate limits, the scanner."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from minsheng.certification import demo
from minsheng.core.config import Settings
from tests.certification import factories as f

API = "/api/certification"


def load_demo(session_factory: sessionmaker[Session], settings: Settings) -> dict[str, object]:
    with session_factory() as s:
        loaded = demo.load(s, settings)
        s.commit()
    return loaded


def test_occupation_and_number(client: TestClient) -> None:
    r = client.get(f"{API}/occupations/4-04-05-10")
    assert r.status_code == 200 and r.json()["name"] == "数字孪生应用技术员"
    assert client.get(f"{API}/occupations/4-99-99-98").json()["error"] == "OccupationNotFound"
    d = client.get(f"{API}/numbers/Y000123440300195000001").json()
    assert d["valid"] and d["year"] == 2019 and d["level"] == 5
    assert client.get(f"{API}/catalogue").json()[0]["name"] == "教师资格"


def test_staff_issue_then_public_verify(
    client: TestClient, staff_token: Callable[[str], dict[str, str]]
) -> None:
    headers = staff_token("certification")
    body = {
        "name": "测试评价中心",
        "body_type": "S",
        "code": "0000",
        "province_code": "46",
        "valid_from": "2022-01-01",
        "scope": [{"occupation_code": f.CARBON, "levels": [4]}],
    }
    assert client.post(f"{API}/bodies", json=body).status_code == 401
    created = client.post(f"{API}/bodies", json=body, headers=headers)
    assert created.status_code == 201
    filing = created.json()["filing_no"]
    # no standards loaded yet: the refusal names the rule
    req = f.issue_request(filing).model_dump(mode="json")
    refused = client.post(f"{API}/certificates", json=req, headers=headers)
    assert refused.status_code == 409
    assert [x["rule"] for x in refused.json()["failures"]] == ["standard.covers_level"]
    std = "code,occupation_code,name,issue_number,issued_on,levels\n"
    std += "X1,4-09-07-04,碳排放管理员,1,2021-01-01,4\n"
    wrong = client.post(f"{API}/certificates/import", content=std, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["error"] == "ImportRejected"
    from minsheng.certification import service

    with client.app.state.sessionmaker() as s:  # type: ignore[attr-defined]
        service.import_standards(s, std, actor="t")
        s.commit()
    issued = client.post(f"{API}/certificates", json=req, headers=headers)
    assert issued.status_code == 201, issued.json()
    number = issued.json()["number"]
    found = client.post(f"{API}/verify", json={"name": "张伟", "number": number}).json()
    assert found["found"] and found["certificates"][0]["name_masked"] == "张*"
    token_path = issued.json()["verify_path"]
    assert client.get(token_path).json()["found"] is True
    one = client.post(f"{API}/verify", json={"name": "张伟"})
    assert one.status_code == 422 and one.json()["error"] == "VerificationNeedsTwoFields"
    bad = client.post(f"{API}/verify", json={"name": "张伟", "number": "S1"})
    assert bad.json()["error"] == "InvalidCertificateNumber"
    revoked = client.post(
        f"{API}/certificates/{number}/status",
        json={"status": "revoked", "reason": "fraud found"},
        headers=headers,
    )
    assert revoked.json()["status"] == "revoked"


def test_rate_limit_answers_429_with_retry_after(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    from minsheng.app import create_app

    limited = settings.model_copy(update={"cert_verify_rate_per_client": 2})
    app = create_app(limited)
    with TestClient(app) as c:
        payload = {"name": "某某", "number": "S000046460100244000009"}
        codes = [c.post(f"{API}/verify", json=payload).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        r = c.post(f"{API}/verify", json=payload)
        assert r.json()["error"] == "VerificationRateLimited"
        assert 1 <= int(r.headers["Retry-After"]) <= 61
    app.state.engine.dispose()


def test_scan_and_subsidy(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    load_demo(session_factory, settings)
    r = client.post(f"{API}/scan-ad", json={"text": "零基础包拿证，原人社部颁发"}).json()
    assert r["risk"] == "high" and {h["rule"] for h in r["hits"]} >= {"zero.basis"}
    big = client.post(f"{API}/scan-ad", json={"text": "a" * 30_000})  # 1 MB: PayloadTooLarge
    assert big.status_code == 413 and big.json()["error"] == "AdTooLarge"
    decision = client.post(
        f"{API}/subsidy/decide",
        json={
            "applicant": {
                "insured_months": 12,
                "category": "enterprise_employee",
                "province_code": "44",
            },
            "certificate": {"occupation_code": f.CARBON, "level": 3, "issued_on": "2024-03-01"},
            "applied_on": "2024-04-01",
            "training_subsidy_same_training": False,
        },
    ).json()
    assert decision["eligible"] and decision["max_amount_yuan"] == 2000
    assert decision["rule_version"] == "subsidy-2026-12"
    assert decision["rule_set_status"] == "official"
    missing = client.post(
        f"{API}/subsidy/decide",
        json={
            "applicant": {"insured_months": 12, "province_code": "44"},
            "certificate": {"occupation_code": f.CARBON, "level": 3, "issued_on": "2024-03-01"},
            "applied_on": "2024-04-01",
        },
    )
    assert missing.status_code == 422  # category and the training-subsidy answer are required
    bodies = client.get(f"{API}/bodies", params={"q": f.CARBON}).json()
    assert bodies[0]["name"] == "海南民生职业技能评价中心（演示）"


def test_import_takes_gbk_bytes_and_names_encoding_errors(
    client: TestClient, staff_token: Callable[[str], dict[str, str]]
) -> None:
    headers = staff_token("certification") | {"content-type": "text/csv"}
    header = "证书编号,姓名,身份证号,职业编码,等级,评价机构备案号,发证日期"
    row = f"S000046460100244000001,张伟,{f.make_id()},{f.CARBON},4,S0000-46-9999,2024-01-02"
    gbk = (header + "\r\n" + row + "\r\n").encode("gbk")
    r = client.post(f"{API}/certificates/import", content=gbk, headers=headers)
    assert r.status_code == 422 and r.json()["error"] == "ImportRejected"
    assert [x["field"] for x in r.json()["rows"]] == ["body_code"]  # decoded, headers understood
    junk = client.post(f"{API}/certificates/import", content=b"\xff\xfe\x80\x80", headers=headers)
    assert junk.status_code == 422 and junk.json()["error"] == "ImportEncodingUnknown"

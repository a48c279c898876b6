"""Public pages: certificate verification, its QR link, the body registry and the ad checker."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from minsheng.certification.demo import CERTIFICATES
from minsheng.core.config import Settings
from minsheng.web.public import highlight


def result_section(html: str) -> str:
    m = re.search(
        r'<section aria-labelledby="result-h" id="verify-result">.*?</section>', html, re.S
    )
    assert m, "no result section"
    return m.group(0)


class TestVerify:
    def test_two_fields_give_the_masked_answer(
        self, client: TestClient, cert_demo: dict[str, Any]
    ) -> None:
        number = cert_demo["certificates"][0]
        page = client.post("/certificates/verify", data={"name": "张伟", "number": number})
        assert page.status_code == 200
        section = result_section(page.text)
        assert "张*" in section and "张伟" not in section
        # Name + number: no ID digits at all (docs/security.md, public verification).
        assert "身份证号" not in section and not re.search(r"\d\*{4,}", section)
        assert number in section
        assert "碳排放管理员" in section

    def test_the_id_number_is_masked_and_never_echoed(
        self, client: TestClient, cert_demo: dict[str, Any]
    ) -> None:
        _name, idn, *_rest = CERTIFICATES[1]
        page = client.post("/certificates/verify", data={"id_number": idn, "name": "章丽怡"})
        assert "章*怡" in page.text
        assert idn not in page.text
        assert idn[0] + "*" * 16 + idn[-1] in page.text  # first and last character only

    def test_a_revoked_certificate_says_revoked(
        self, client: TestClient, cert_demo: dict[str, Any]
    ) -> None:
        name, *_rest = CERTIFICATES[-1]
        page = client.post(
            "/certificates/verify", data={"name": name, "number": cert_demo["certificates"][-1]}
        )
        section = result_section(page.text)
        assert "此证书已被撤销" in section
        assert "REVOKED" not in section  # Chinese only
        assert 'class="alert ok"' not in section  # never under a green "found" banner
        assert "其中 1 张已撤销或暂停，不再有效" in section
        assert "未查到" not in section

    def test_every_miss_reads_the_same(self, client: TestClient, cert_demo: dict[str, Any]) -> None:
        number = cert_demo["certificates"][0]
        wrong_name = result_section(
            client.post("/certificates/verify", data={"name": "李四", "number": number}).text
        )
        unknown = result_section(
            client.post(
                "/certificates/verify",
                data={"name": "张伟", "number": "S000046460100244999999"},
            ).text
        )
        assert wrong_name == unknown
        assert "未查到与所填信息相符的证书" in unknown

    def test_one_field_is_refused_beside_the_fields(
        self, client: TestClient, cert_demo: dict[str, Any]
    ) -> None:
        page = client.post("/certificates/verify", data={"name": "张伟"})
        assert page.status_code == 422
        assert 'id="e-name" class="error" >请在身份证号、姓名、证书编号中至少填写两项' in page.text
        assert "verify-result" not in page.text

    def test_a_malformed_number_is_named(
        self, client: TestClient, cert_demo: dict[str, Any]
    ) -> None:
        page = client.post("/certificates/verify", data={"name": "张伟", "number": "X123"})
        assert page.status_code == 422
        assert re.search(r'id="e-number" class="error" >[^<]+', page.text)

    def test_the_rate_limit_is_explained(
        self, settings: Settings, cert_demo: dict[str, Any]
    ) -> None:
        from minsheng.app import create_app

        limited = settings.model_copy(update={"cert_verify_rate_per_client": 2})
        app = create_app(limited)
        with TestClient(app) as c:
            data = {"name": "李四", "number": cert_demo["certificates"][0]}
            for _ in range(2):
                assert c.post("/certificates/verify", data=data).status_code == 200
            page = c.post("/certificates/verify", data=data)
        app.state.engine.dispose()
        assert page.status_code == 429
        assert int(page.headers["retry-after"]) > 0
        assert "查询过于频繁" in page.text
        assert f"<strong>{page.headers['retry-after']}</strong> 秒后再试" in page.text


class TestLink:
    def token_of(self, client: TestClient, number: str, token: str) -> str:
        del client, number
        return token

    def test_the_link_page_shows_the_certificate_and_its_qr(
        self, client: TestClient, cert_demo: dict[str, Any], session: Any
    ) -> None:
        from minsheng.certification.service import get_certificate

        cert = get_certificate(session, cert_demo["certificates"][0])
        page = client.get(f"/certificates/v/{cert.verify_token}")
        assert page.status_code == 200
        assert "张*" in page.text
        assert f'src="/certificates/v/{cert.verify_token}/qr.png"' in page.text
        qr = client.get(f"/certificates/v/{cert.verify_token}/qr.png")
        assert qr.status_code == 200
        assert qr.headers["content-type"] == "image/png"
        assert qr.content.startswith(b"\x89PNG\r\n\x1a\n")

    def test_an_unknown_token_misses_without_a_qr(
        self, client: TestClient, cert_demo: dict[str, Any]
    ) -> None:
        for token in ("0" * 32, "not-a-token"):
            page = client.get(f"/certificates/v/{token}")
            assert page.status_code == 404
            assert "未查到与该链接对应的证书" in page.text
            assert client.get(f"/certificates/v/{token}/qr.png").status_code == 404


def test_body_registry_lookup(client: TestClient, cert_demo: dict[str, Any]) -> None:
    page = client.get("/certificates/bodies", params={"q": "4-09-07-04"})
    assert page.status_code == 200
    assert "海南民生职业技能评价中心（演示）" in page.text
    assert "碳排放管理员" in page.text
    assert "查询结果（1）" in page.text
    assert "没有找到" in client.get("/certificates/bodies", params={"q": "不存在的机构"}).text


class TestAds:
    def test_flagged_phrases_are_highlighted_with_reasons(
        self, client: TestClient, cert_demo: dict[str, Any]
    ) -> None:
        ad = "政府主推！零基础包拿证，7天拿证，不过包退，轻松月入过万。"
        page = client.post("/ads/check", data={"text": ad})
        assert page.status_code == 200
        marks = re.findall(r'<mark class="hit" title="([^"]+)">([^<]+)', page.text)
        assert len(marks) >= 4
        flagged = "".join(text for _reason, text in marks)
        for phrase in ("政府主推", "包拿证", "7天拿证", "不过包退"):
            assert phrase in flagged or phrase in page.text
        assert 'class="risk-high"' in page.text

    def test_an_honest_ad_has_no_highlight(
        self, client: TestClient, cert_demo: dict[str, Any]
    ) -> None:
        page = client.post(
            "/ads/check", data={"text": "本中心开展碳排放管理员培训，考核合格者颁发证书。"}
        )
        assert "<mark" not in page.text

    def test_an_empty_ad_is_refused_beside_the_field(self, client: TestClient) -> None:
        page = client.post("/ads/check", data={"text": "  "})
        assert page.status_code == 422
        assert 'id="e-text" class="error" >请粘贴' in page.text

    def test_a_huge_ad_is_refused_with_its_named_error(
        self, client: TestClient, cert_demo: dict[str, Any]
    ) -> None:
        page = client.post("/ads/check", data={"text": "包过" * 15_000})
        assert page.status_code == 413
        assert re.search(r'id="e-text" class="error" >广告有 30000 个字符，最多检查', page.text)
        # A megabyte of Chinese is ~9 MB form-encoded: refused before it is read (core.guard).
        page = client.post("/ads/check", data={"text": "包过" * 500_000})
        assert page.status_code == 413
        assert page.json()["error"] == "PayloadTooLarge"


hit = st.tuples(st.integers(0, 40), st.integers(1, 10)).map(
    lambda t: {"start": t[0], "end": t[0] + t[1], "reason": "r"}
)


@given(st.text(max_size=40), st.lists(hit, max_size=6))
def test_highlight_keeps_the_text_and_marks_exactly_the_hits(
    text: str, hits: list[dict[str, Any]]
) -> None:
    segments = highlight(text, hits)
    assert "".join(s.text for s in segments) == text
    pos = 0
    for s in segments:
        for i in range(pos, pos + len(s.text)):
            expected = {n + 1 for n, h in enumerate(hits) if h["start"] <= i < h["end"]}
            assert set(s.hits) == expected
        pos += len(s.text)

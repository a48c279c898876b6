"""The web framework: home page, static files, error pages, staff login and logout."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from minsheng.web import routes

STATIC = Path(routes.__file__).parent / "static"


def test_home_is_chinese_with_a_title(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert "<title>首页 · 民生</title>" in page.text
    for link in ("/certificates/verify", "/certificates/bodies", "/ads/check", "/hotline"):
        assert f'href="{link}"' in page.text


def test_htmx_is_served_by_the_app_and_matches_its_provenance(client: TestClient) -> None:
    response = client.get("/static/htmx.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    digest = hashlib.sha256(response.content).hexdigest()
    assert digest in (STATIC / "PROVENANCE.md").read_text(encoding="utf-8")
    assert 'src="/static/htmx.min.js"' in client.get("/").text


def test_only_listed_static_files_are_served(client: TestClient) -> None:
    assert client.get("/static/app.css").status_code == 200
    for name in ("PROVENANCE.md", "nope.js"):
        page = client.get(f"/static/{name}")
        assert page.status_code == 404
        assert "未找到" in page.text
    assert client.get("/static/..%2Froutes.py").status_code == 404


def test_every_input_has_a_label(client: TestClient) -> None:
    for url in ("/certificates/verify", "/certificates/bodies", "/ads/check", "/staff/login"):
        html = client.get(url).text
        ids = re.findall(r'<(?:input|textarea|select) id="([^"]+)"', html)
        assert ids, url
        for input_id in ids:
            assert f'<label for="{input_id}">' in html, (url, input_id)


class TestLogin:
    def test_staff_pages_redirect_to_the_login_form(self, client: TestClient) -> None:
        response = client.get("/staff", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/staff/login?next=%2Fstaff"

    def test_an_htmx_poll_without_login_redirects_the_whole_page(self, client: TestClient) -> None:
        response = client.get("/staff/hotline/live", headers={"HX-Request": "true"})
        assert response.status_code == 204
        assert response.headers["hx-redirect"].startswith("/staff/login?next=")

    def test_a_wrong_token_is_named_beside_the_field(self, client: TestClient) -> None:
        page = client.post("/staff/login", data={"token": "not-a-token"})
        assert page.status_code == 401
        assert 'id="e-token" class="error" >令牌无效或已停用' in page.text
        assert "minsheng_session" not in page.headers.get("set-cookie", "")

    def test_login_sets_an_httponly_cookie_and_lands_on_the_role_home(
        self, client: TestClient, login_token: Callable[[str], str]
    ) -> None:
        token = login_token("certification")
        response = client.post("/staff/login", data={"token": token}, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/staff/certification"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("minsheng_session=")
        assert token not in cookie  # the cookie is a session id, never the API token
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie

    def test_next_must_be_a_local_path(
        self, client: TestClient, login_token: Callable[[str], str]
    ) -> None:
        token = login_token("admin")
        for evil in ("https://evil.example/", "//evil.example/x"):
            response = client.post(
                "/staff/login", data={"token": token, "next": evil}, follow_redirects=False
            )
            assert response.headers["location"] == "/staff"

    def test_the_wrong_role_gets_a_403_page(
        self, client: TestClient, login_token: Callable[[str], str]
    ) -> None:
        client.post("/staff/login", data={"token": login_token("hotline")})
        page = client.get("/staff/certification")
        assert page.status_code == 403
        assert "无权访问" in page.text
        assert "text/html" in page.headers["content-type"]

    def test_admin_sees_every_system(
        self, client: TestClient, login_token: Callable[[str], str]
    ) -> None:
        client.post("/staff/login", data={"token": login_token("admin")})
        page = client.get("/staff")
        assert page.status_code == 200
        for href in ("/staff/hotline", "/staff/certification", "/staff/enforcement"):
            assert f'href="{href}"' in page.text

    def test_logout_needs_the_csrf_token_and_clears_the_cookie(
        self, client: TestClient, login_token: Callable[[str], str]
    ) -> None:
        client.post("/staff/login", data={"token": login_token("enforcement")})
        assert client.post("/staff/logout", data={}).status_code == 403
        html = client.get("/staff").text
        csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
        assert csrf
        response = client.post(
            "/staff/logout", data={"csrf_token": csrf.group(1)}, follow_redirects=False
        )
        assert response.status_code == 303
        assert 'minsheng_session=""' in response.headers["set-cookie"]
        client.cookies.clear()
        assert client.get("/staff", follow_redirects=False).status_code == 303

    def test_the_api_refuses_the_page_cookie(
        self, client: TestClient, login_token: Callable[[str], str]
    ) -> None:
        token = login_token("hotline")
        client.post("/staff/login", data={"token": token})
        assert client.get("/staff", follow_redirects=False).status_code == 200
        me = client.get("/api/core/me")
        assert me.status_code == 401
        assert me.json()["error"] == "Unauthorized"
        me = client.get("/api/core/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["role"] == "hotline"


class TestFrame:
    """Offline API docs, the HTML 404 page, the favicon, the Chinese ``message`` of API errors."""

    def test_docs_load_swagger_ui_from_the_app(self, client: TestClient) -> None:
        page = client.get("/docs")
        assert page.status_code == 200
        assert 'src="/static/swagger-ui-bundle.js"' in page.text
        assert 'href="/static/swagger-ui.css"' in page.text
        assert "https://" not in page.text  # no CDN
        csp = page.headers["content-security-policy"]
        assert "https:" not in csp
        assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
        provenance = (STATIC / "PROVENANCE.md").read_text(encoding="utf-8")
        for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
            served = client.get(f"/static/{name}")
            assert served.status_code == 200
            assert hashlib.sha256(served.content).hexdigest() in provenance, name
        assert client.get("/redoc").status_code == 404

    def test_a_missing_page_is_an_html_page_and_the_api_stays_json(
        self, client: TestClient
    ) -> None:
        page = client.get("/no-such-page", headers={"Accept": "text/html,*/*"})
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "<h1>未找到</h1>" in page.text
        assert "页面不存在" in page.text
        api = client.get("/api/no-such-thing", headers={"Accept": "text/html,*/*"})
        assert api.status_code == 404
        assert api.json()["error"] == "NotFound"
        assert api.json()["message"] == "没有找到要查看的内容。"
        assert client.get("/no-such-page").json()["detail"] == "Not Found"

    def test_favicon(self, client: TestClient) -> None:
        icon = client.get("/favicon.ico")
        assert icon.status_code == 200
        assert icon.headers["content-type"] == "image/vnd.microsoft.icon"
        assert icon.content[:4] == b"\x00\x00\x01\x00"
        assert 'rel="icon" href="/static/favicon.svg"' in client.get("/").text

    def test_api_errors_keep_english_detail_and_add_chinese_message(
        self, client: TestClient
    ) -> None:
        body = client.post("/api/certification/verify", json={"name": "张三"}).json()
        assert body["error"] in ("VerificationNeedsTwoFields", "ValidationError")
        assert body["detail"].isascii()
        assert body["message"] and not body["message"].isascii()

"""Issue item 15: security headers on every response (pages, API, errors, static files), no
inline script in any template (so the CSP needs no 'unsafe-inline' for scripts), and downloads
that a browser could render are attachments."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.responses import Response
from fastapi.testclient import TestClient

from minsheng.core.config import Settings
from minsheng.core.guard import CSP

TEMPLATES = Path(__file__).parents[2] / "src" / "minsheng" / "web" / "templates"


def assert_secured(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    script = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/certificates/verify"),
        ("GET", "/staff/login"),
        ("GET", "/staff"),  # redirect
        ("GET", "/static/htmx.min.js"),
        ("GET", "/static/app.css"),
        ("GET", "/healthz"),
        ("GET", "/api/core/regions/440300"),
        ("GET", "/api/core/me"),  # 401
        ("GET", "/no/such/page"),  # 404
        ("POST", "/api/core/idcheck"),  # 422
    ],
)
def test_every_response_carries_the_security_headers(
    client: TestClient, method: str, path: str
) -> None:
    response = client.request(method, path, follow_redirects=False)
    assert_secured(response)


def test_refusals_before_the_app_carry_them_too(client: TestClient) -> None:
    response = client.post(
        "/api/core/idcheck", content=b"x" * (600 * 1024), headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 413
    assert_secured(response)


def test_the_interactive_docs_keep_working_without_framing(client: TestClient) -> None:
    response = client.get("/docs")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "https:" not in response.headers["content-security-policy"]  # Swagger UI is local
    assert response.headers["content-security-policy"] != CSP


def test_templates_have_no_inline_script_or_event_handlers() -> None:
    for template in TEMPLATES.rglob("*.html"):
        html = template.read_text(encoding="utf-8")
        # A JSON data block is never executed (the browser runs no script of that type) and
        # Jinja2's ``tojson`` escapes <, > and & in it, so it cannot close the element early.
        data_blocks = re.findall(
            r'<script type="application/json" id="[\w-]+">(.*?)</script>', html, flags=re.S
        )
        for content in data_blocks:
            assert re.fullmatch(r"\{\{ [\w.]+\|tojson \}\}", content), (template.name, content)
        html = re.sub(r'<script type="application/json"[^>]*>.*?</script>', "", html, flags=re.S)
        for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I):
            assert "src=" in tag, (template.name, tag)
        assert not re.search(r"<script\b[^>]*>\s*[^<\s]", html), template.name
        assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I), template.name
        assert "javascript:" not in html.lower(), template.name
        assert "hx-on" not in html and "js:" not in html, template.name


def test_binary_downloads_are_attachments(settings: Settings) -> None:
    from minsheng.app import create_app

    app = create_app(settings)

    @app.get("/api/test/blob")
    def blob() -> Response:
        return Response(b"<html><script>alert(1)</script>", media_type="application/octet-stream")

    @app.get("/api/test/svg")
    def svg() -> Response:
        return Response(b"<svg onload='alert(1)'/>", media_type="image/svg+xml")

    with TestClient(app) as client:
        for path in ("/api/test/blob", "/api/test/svg"):
            response = client.get(path)
            assert response.headers["content-disposition"].startswith("attachment"), path
            assert_secured(response)
    app.state.engine.dispose()


def test_redirects_and_pages_are_not_made_downloads(client: TestClient) -> None:
    redirect = client.get("/staff", follow_redirects=False)
    assert redirect.status_code == 303
    assert "content-disposition" not in redirect.headers
    assert "content-disposition" not in client.get("/").headers

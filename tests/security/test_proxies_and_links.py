"""Issue items 13 and 14: X-Forwarded-For is believed only from configured proxies, and
verification links and QR codes come from the configured public base URL, never the Host header.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import segno
from fastapi.testclient import TestClient
from starlette.requests import Request

from minsheng.core.config import Settings
from minsheng.core.idnumber import check_character
from minsheng.core.web import client_address
from tests.security.conftest import Served


def request_from(peer: str, xff: list[str], settings: Settings) -> Request:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(b"x-forwarded-for", v.encode()) for v in xff],
        "client": (peer, 5555),
        "app": SimpleNamespace(state=SimpleNamespace(settings=settings)),
    }
    return Request(scope)


@pytest.mark.parametrize(
    ("trusted", "peer", "xff", "expected"),
    [
        ("", "127.0.0.1", ["1.2.3.4"], "127.0.0.1"),  # the default believes no one
        ("", "203.0.113.9", ["1.2.3.4"], "203.0.113.9"),
        ("10.0.0.0/8", "203.0.113.9", ["1.2.3.4"], "203.0.113.9"),  # not from the proxy
        ("10.0.0.0/8", "10.1.2.3", ["1.2.3.4"], "1.2.3.4"),
        # The client wrote its own header; the proxy appended the real address last.
        ("10.0.0.0/8", "10.1.2.3", ["6.6.6.6, 1.2.3.4"], "1.2.3.4"),
        ("10.0.0.0/8,127.0.0.1", "127.0.0.1", ["6.6.6.6", "1.2.3.4, 10.9.9.9"], "1.2.3.4"),
        ("10.0.0.0/8", "10.1.2.3", ["not-an-address"], "10.1.2.3"),
        ("10.0.0.0/8", "10.1.2.3", [], "10.1.2.3"),
    ],
)
def test_client_address(trusted: str, peer: str, xff: list[str], expected: str) -> None:
    settings = Settings(trusted_proxies=trusted, secret_key="k")
    assert client_address(request_from(peer, xff, settings)) == expected


def test_a_bad_proxy_setting_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="trusted_proxies"):
        Settings(trusted_proxies="10.0.0.0/8, localhost")


def verify_body(i: int) -> dict[str, str]:
    first17 = f"11010519900101{i:03d}"
    return {"name": "张" + chr(0x4E00 + i), "id_number": first17 + check_character(first17)}


@pytest.mark.parametrize(("trusted", "limited"), [("", True), ("127.0.0.1", False)])
def test_a_spoofed_forwarded_for_does_not_escape_the_client_limit(
    serve: Callable[..., Served], trusted: str, limited: bool
) -> None:
    server = serve(MINSHENG_CERT_VERIFY_RATE_PER_CLIENT="3", MINSHENG_TRUSTED_PROXIES=trusted)
    statuses = [
        server.call(
            "POST",
            "/api/certification/verify",
            json_body=verify_body(i),
            headers={"X-Forwarded-For": f"198.51.100.{i}"},
        ).status
        for i in range(1, 6)
    ]
    assert (429 in statuses) is limited, statuses


@pytest.fixture
def certificate_token(settings: Settings, session_factory: Any) -> str:
    from minsheng.certification import demo
    from minsheng.certification.service import get_certificate

    with session_factory() as s:
        loaded = demo.load(s, settings)
        s.commit()
        token: str = get_certificate(s, loaded["certificates"][0]).verify_token
    return token


def test_links_and_qr_codes_use_the_public_base_url(
    settings: Settings, certificate_token: str
) -> None:
    from minsheng.app import create_app

    base = "https://zs.example.gov.cn/verify"
    app = create_app(settings.model_copy(update={"public_base_url": base + "/"}))
    evil = {"Host": "evil.example"}
    with TestClient(app) as client:
        page = client.get(f"/certificates/v/{certificate_token}", headers=evil)
        qr = client.get(f"/certificates/v/{certificate_token}/qr.png", headers=evil)
    app.state.engine.dispose()
    assert page.status_code == 200
    assert "evil.example" not in page.text
    link = f"{base}/certificates/v/{certificate_token}"
    assert link in page.text
    expected = io.BytesIO()
    segno.make(link, error="m").save(expected, kind="png", scale=6, border=2)
    assert qr.content == expected.getvalue()


def test_a_public_base_url_must_be_a_plain_http_url() -> None:
    for bad in ("zs.example.gov.cn", "javascript:alert(1)", "https://x.example/?a=1"):
        with pytest.raises(ValueError, match="public_base_url"):
            Settings(public_base_url=bad)

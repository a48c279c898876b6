"""Issue items 5 and 12: out-of-range input is a 422 with the standard body at the schema, and
anything unexpected is a 500 with the standard body (logged), never a plain-text page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

STANDARD = {"error", "detail", "field"}


def assert_standard(reply: Any, status: int | None = None) -> dict[str, Any]:
    assert reply.headers["content-type"] == "application/json", reply.text
    body: dict[str, Any] = reply.json()
    assert set(body) >= STANDARD, body
    if status is not None:
        assert reply.status_code == status, body
    return body


@pytest.mark.parametrize(
    "query",
    [
        {"since": "0001-01-01T00:00:00+23:59"},
        {"until": "9999-12-31T23:59:59+00:00"},
        {"since": "2026-12-01T00:00:00+23:59"},
        {"since": "2026-12-01T00:00:00"},  # no offset: ambiguous
        {"limit": str(2**64)},
        {"limit": "0"},
        {"table": "core_users\x00"},
        {"table": "core\u202eusers"},
    ],
)
def test_core_audit_bounds_its_query(
    client: TestClient, staff_token: Callable[[str], dict[str, str]], query: dict[str, str]
) -> None:
    reply = client.get("/api/core/audit", params=query, headers=staff_token("admin"))
    body = assert_standard(reply, 422)
    assert body["error"] == "ValidationError"


def test_core_audit_time_range_filters(
    client: TestClient, staff_token: Callable[[str], dict[str, str]]
) -> None:
    headers = staff_token("admin")
    rows = client.get(
        "/api/core/audit",
        params={"since": "2000-01-01T00:00:00+08:00", "until": "2100-12-31T00:00:00+08:00"},
        headers=headers,
    ).json()
    assert any(r["action"] == "user.create" for r in rows)
    assert (
        client.get(
            "/api/core/audit", params={"until": "2000-01-01T00:00:00Z"}, headers=headers
        ).json()
        == []
    )


@pytest.mark.parametrize("text", ["1101\x0005", "11\u202e0105194912310021", "x\x1b"])
def test_control_characters_in_core_input_are_a_422(client: TestClient, text: str) -> None:
    assert_standard(client.post("/api/core/idcheck", json={"number": text}), 422)
    assert_standard(client.get(f"/api/core/regions/{quote(text)}"), 422)


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"])
def test_wild_dates_on_a_system_route_never_give_plain_text(
    client: TestClient, staff_token: Callable[[str], dict[str, str]], at: str
) -> None:
    """The hotline's route preview (its schema is bounded after the reshape): whatever it
    answers, it is the standard body, never a plain-text 500."""
    reply = client.get(
        "/api/hotline/route",
        params={"number": "12356", "at": at},
        headers=staff_token("hotline"),
    )
    assert reply.status_code in (422, 500)
    assert_standard(reply)


def test_an_unexpected_error_is_a_500_with_the_standard_body(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from minsheng.app import create_app

    app = create_app(settings)

    @app.get("/api/test/boom")
    def boom() -> None:
        raise ZeroDivisionError("division by zero in a test route")

    with TestClient(app) as client:
        reply = client.get("/api/test/boom", headers={"X-Request-ID": "req-boom-1"})
    app.state.engine.dispose()
    body = assert_standard(reply, 500)
    assert body["error"] == "InternalError"
    assert "ZeroDivisionError" not in reply.text  # no internals to the client
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert "ZeroDivisionError" in caplog.text  # the log has it


def test_a_browser_gets_an_error_page_for_an_unexpected_page_error(settings: Any) -> None:
    from minsheng.app import create_app

    app = create_app(settings)

    @app.get("/test/page-boom")
    def page_boom() -> None:
        raise ZeroDivisionError("page failed")

    with TestClient(app) as client:
        reply = client.get(
            "/test/page-boom", headers={"Accept": "text/html", "X-Request-ID": "rid<1>"}
        )
    app.state.engine.dispose()
    assert reply.status_code == 500
    assert reply.headers["content-type"].startswith("text/html")
    assert "服务器出错" in reply.text and "rid&lt;1&gt;" in reply.text
    assert "ZeroDivisionError" not in reply.text

"""The core HTTP API: health, regions, ID checks, error bodies, 401/403."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from minsheng.app import create_app
from minsheng.core.config import Settings


def test_healthz_ok(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["database"] == "ok"
    assert r.headers["X-Request-ID"]


def test_healthz_503_when_database_unreachable(tmp_path: object) -> None:
    bad = Settings(database_url="postgresql+psycopg://nobody:x@127.0.0.1:1/none", secret_key="k")
    with TestClient(create_app(bad)) as c:
        r = c.get("/healthz")
    assert r.status_code == 503
    assert r.json()["database"] == "unreachable"


def test_docs_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert "/api/core/idcheck" in client.get("/openapi.json").json()["paths"]


def test_region_by_name(client: TestClient) -> None:
    r = client.get("/api/core/regions/广东省深圳市")
    assert r.status_code == 200
    assert r.json()["code"] == "440300"
    assert r.json()["province"]["name"] == "广东省"


def test_domain_error_body_404(client: TestClient) -> None:
    r = client.get("/api/core/regions/999999")
    assert r.status_code == 404
    assert r.json() == {
        "error": "RegionNotFound",
        "detail": "no region matches '999999'",
        "field": "code_or_name",
        "message": "没有这个行政区划。",
    }


def test_unknown_route_404_body(client: TestClient) -> None:
    r = client.get("/api/nothing-here")
    assert r.status_code == 404
    assert r.json()["error"] == "NotFound"
    assert set(r.json()) >= {"error", "detail", "field"}


def test_malformed_payload_422_names_field(client: TestClient) -> None:
    r = client.post("/api/core/idcheck", json={"numbr": "x"})
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "ValidationError"
    assert body["field"] == "number"


def test_idcheck_valid_and_invalid(client: TestClient) -> None:
    ok = client.post("/api/core/idcheck", json={"number": "11010519491231002x"}).json()
    assert ok["valid"] and ok["normalized"] == "11010519491231002X"
    assert ok["birth_date"] == "1949-12-31" and ok["sex"] == "F"
    bad = client.post("/api/core/idcheck", json={"number": "110105194912310021"})
    assert bad.status_code == 200 and not bad.json()["valid"]


def test_staff_endpoint_401_without_token(client: TestClient) -> None:
    r = client.get("/api/core/me")
    assert r.status_code == 401
    assert r.json()["error"] == "Unauthorized"
    r = client.get("/api/core/me", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401


def test_staff_endpoint_403_with_wrong_role(
    client: TestClient, staff_token: Callable[[str], dict[str, str]]
) -> None:
    r = client.get("/api/core/audit", headers=staff_token("hotline"))
    assert r.status_code == 403
    assert r.json()["error"] == "Forbidden"


def test_admin_reads_audit(
    client: TestClient, staff_token: Callable[[str], dict[str, str]]
) -> None:
    headers = staff_token("admin")
    assert client.get("/api/core/me", headers=headers).json()["role"] == "admin"
    rows = client.get("/api/core/audit", headers=headers).json()
    assert rows and rows[0]["action"] == "user.create"


def test_unmigrated_database_is_a_503_naming_the_fix(tmp_path: Path) -> None:
    empty = Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}", secret_key="k")
    app = create_app(empty)
    with TestClient(app) as c:
        r = c.get("/api/core/me", headers={"Authorization": "Bearer some-token"})
    app.state.engine.dispose()
    assert r.status_code == 503
    body = r.json()
    assert body["error"] == "DatabaseNotMigrated"
    assert "run `minsheng db upgrade`" in body["detail"] and "empty.db" in body["detail"]

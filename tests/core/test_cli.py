"""The CLI: region and idcheck JSON, users create, error lines and exit codes."""

from __future__ import annotations

import json

from tests.conftest import Cli


def test_region_json(cli: Cli) -> None:
    r = cli("core", "region", "广东省深圳市", "--json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["code"] == "440300" and data["level"] == "city"
    assert data["province"] == {"code": "440000", "name": "广东省"}


def test_region_not_found_exits_1_with_one_error_line(cli: Cli) -> None:
    r = cli("core", "region", "火星", "--json")
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["error"] == "RegionNotFound"
    assert "Traceback" not in r.output


def test_idcheck_json_exit_0_both_ways(cli: Cli) -> None:
    ok = cli("core", "idcheck", "11010519491231002x", "--json")
    assert ok.exit_code == 0
    assert json.loads(ok.stdout)["normalized"] == "11010519491231002X"
    bad = cli("core", "idcheck", "110105491231002", "--json")
    assert bad.exit_code == 0
    data = json.loads(bad.stdout)
    assert data["valid"] is False and "15-digit" in data["errors"][0]
    assert set(data) >= {"valid", "normalized", "birth_date", "sex", "region", "errors", "warnings"}


def test_idcheck_usage_error_exits_2(cli: Cli) -> None:
    assert cli("core", "idcheck").exit_code == 2


def test_users_create_prints_token_once_and_refuses_duplicates(cli: Cli) -> None:
    r = cli("users", "create", "zhang", "--role", "hotline")
    assert r.exit_code == 0
    token = r.stdout.strip().splitlines()[-1]
    assert len(token) >= 40
    dup = cli("users", "create", "zhang", "--role", "hotline")
    assert dup.exit_code == 1
    assert json.loads(dup.stderr.strip())["error"] == "DuplicateUser"


def test_users_create_bad_role(cli: Cli) -> None:
    r = cli("users", "create", "li", "--role", "boss")
    assert r.exit_code == 1
    err = json.loads(r.stderr.strip())
    assert err["error"] == "InvalidRole" and err["field"] == "role"


def test_demo_load_is_idempotent(cli: Cli) -> None:
    first = cli("demo", "load")
    assert first.exit_code == 0, first.output
    second = cli("demo", "load")
    assert second.exit_code == 0, second.output

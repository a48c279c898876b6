"""The CLI: region and idcheck JSON, users create, error lines and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from minsheng.cli import app
from minsheng.core.config import Settings
from tests.conftest import TEST_SECRET, Cli, table_counts


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


@pytest.mark.parametrize(
    "system",
    [
        pytest.param(s, marks=pytest.mark.demo(s))
        for s in ("hotline", "certification", "enforcement")
    ],
)
def test_demo_load_again_changes_nothing(cli: Cli, engine: Engine, system: str) -> None:
    before = table_counts(engine)
    prefix = {"hotline": "hotline_", "certification": "cert_", "enforcement": "enf_"}[system]
    assert sum(n for table, n in before.items() if table.startswith(prefix)) > 0
    again = cli("demo", "load", system)
    assert again.exit_code == 0, again.output
    assert table_counts(engine) == before


def test_demo_load_refuses_an_unknown_system(cli: Cli) -> None:
    r = cli("demo", "load", "weather")
    assert r.exit_code == 1 and json.loads(r.stderr)["error"] == "InvalidInput"


def test_command_before_db_upgrade_says_to_upgrade(tmp_path: Path) -> None:
    env = {
        "MINSHENG_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "MINSHENG_SECRET_KEY": TEST_SECRET,
    }
    r = CliRunner().invoke(app, ["users", "create", "li", "--role", "hotline"], env=env)
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.output
    err = json.loads(lines[0])
    assert err["error"] == "DatabaseNotMigrated"
    assert "run `minsheng db upgrade`" in err["detail"]


def test_db_upgrade_prints_the_database_it_migrated(tmp_path: Path) -> None:
    env = {"MINSHENG_VAR_DIR": str(tmp_path / "home"), "MINSHENG_DATABASE_URL": ""}
    r = CliRunner().invoke(app, ["db", "upgrade"], env=env)
    assert r.exit_code == 0, r.output
    path = (tmp_path / "home" / "minsheng.db").resolve()
    assert r.stdout.strip() == f"database sqlite:///{path.as_posix()} at heads"
    assert path.exists()


def test_default_var_dir_does_not_depend_on_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MINSHENG_VAR_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    first = Settings().effective_database_url
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert Settings().effective_database_url == first
    assert first == f"sqlite:///{(tmp_path / 'data' / 'minsheng' / 'minsheng.db').as_posix()}"

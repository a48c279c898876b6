"""Test database and client fixtures shared by every system's tests.

Each test gets its own database state: on SQLite a copy of a migrated template file; on
PostgreSQL (when ``MINSHENG_TEST_DATABASE_URL`` is set, as CI does) a scratch database migrated
once per run and emptied after every test. The app, the CLI and the services all reach that
database through its URL, as they do in production.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from minsheng.core import migrate
from minsheng.core.config import Settings
from minsheng.core.db import make_engine, make_sessionmaker

TEST_SECRET = "test-secret-key-not-for-production"
PG_URL = os.environ.get("MINSHENG_TEST_DATABASE_URL", "")
REPO = Path(__file__).resolve().parents[1]


# System tools ----------------------------------------------------------------------------------
# .ci/tools names each system tool, its Debian package and the tests that need it. Those tests are
# marked ``server`` (they start a real server, and the database does not matter to them: CI runs
# them once, in the SQLite pass); a run that selected one of them while its tool is missing stops
# before any test runs, with one line saying what to install.


class Tool:
    def __init__(self, line: str) -> None:
        fields = line.split()
        self.name, self.package, self.tests = fields[0], fields[-2], fields[-1]
        self.check = " ".join(fields[1:-2])
        override = os.environ.get("MINSHENG_" + self.name.upper().replace("-", "_"))
        if override:
            self.check = override

    def present(self) -> bool:
        if self.check.startswith("font:"):
            try:
                fonts = subprocess.run(
                    ["fc-list"], capture_output=True, text=True, check=False
                ).stdout
            except FileNotFoundError:
                return False
            return re.search(self.check.removeprefix("font:"), fonts, re.IGNORECASE) is not None
        if self.check.startswith("/"):
            return os.access(self.check, os.X_OK)
        return shutil.which(self.check) is not None

    def needed_by(self, item: pytest.Item) -> bool:
        return item.path.resolve().as_posix().startswith((REPO / self.tests).as_posix())


def system_tools() -> list[Tool]:
    lines = (REPO / ".ci" / "tools").read_text(encoding="utf-8").splitlines()
    return [Tool(line) for line in lines if line.strip() and not line.startswith("#")]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "demo(system): the test's database starts as a copy of that system's demo data",
    )
    config.addinivalue_line(
        "markers", "server: needs a system tool from .ci/tools; runs once in CI (SQLite pass)"
    )
    # Nothing a test runs may touch the developer's own data directory.
    os.environ["MINSHENG_VAR_DIR"] = str(REPO / "test-output" / "var")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tools = system_tools()
    for item in items:
        if any(tool.needed_by(item) for tool in tools):
            item.add_marker(pytest.mark.server)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Stop before the first test when a selected test needs a tool that is not installed."""
    missing = [
        tool
        for tool in system_tools()
        if any(tool.needed_by(item) for item in session.items) and not tool.present()
    ]
    if missing:
        names = ", ".join(t.name for t in missing)
        packages = " ".join(dict.fromkeys(t.package for t in missing))
        pytest.exit(
            f"missing: {names} — run `sudo make provision` or `sudo apt-get install {packages}`",
            returncode=4,
        )


def is_postgres() -> bool:
    return PG_URL.startswith("postgresql")


def create_scratch_pg(base_url: str, label: str) -> str:
    """Create an empty PostgreSQL database beside ``base_url``'s and return its URL."""
    url = make_url(base_url)
    name = f"{url.database}_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_scratch_pg(scratch_url: str) -> None:
    url = make_url(scratch_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


# Hypothesis: no per-example deadline. It is a timed assertion (200 ms by default) that fails on a
# busy CI machine though nothing is wrong; speed is measured in bench/, not in unit tests.
hypothesis_settings.register_profile("minsheng", deadline=None)
hypothesis_settings.load_profile("minsheng")


# Clock -----------------------------------------------------------------------------------------
# MINSHENG_TEST_NOW=2026-12-31T23:59:30+08:00 starts every test at that moment (the clock then
# ticks on): CI runs the suite so at awkward times, to prove that no test depends on the wall clock.
FROZEN_AT = os.environ.get("MINSHENG_TEST_NOW", "")


@contextmanager
def frozen_clock() -> Iterator[None]:
    """The clock CI asked for (``MINSHENG_TEST_NOW``), or the real one."""
    if not FROZEN_AT:
        yield
        return
    import time_machine

    with time_machine.travel(datetime.fromisoformat(FROZEN_AT), tick=True):
        yield


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with frozen_clock():
        yield


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database at the newest migration: a SQLite file to copy, or a PostgreSQL URL."""
    if is_postgres():
        url = create_scratch_pg(PG_URL, "t")
        migrate.upgrade(Settings(database_url=url, secret_key=TEST_SECRET))
        yield url
        drop_scratch_pg(url)
        return
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(Settings(database_url=f"sqlite:///{path}", secret_key=TEST_SECRET))
    yield str(path)


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        names = (
            conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tablename <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        if names:
            joined = ", ".join(f'"{n}"' for n in names)
            conn.execute(text(f"TRUNCATE {joined} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def demo_templates(
    migrated_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], str]]:
    """``demo_templates("enforcement")`` → a migrated database holding that system's demo data,
    loaded by ``minsheng demo load enforcement`` once per session (a SQLite file or a PostgreSQL
    URL); tests get a copy of it through ``@pytest.mark.demo("enforcement")``."""
    built: dict[str, str] = {}

    def get(system: str) -> str:
        if system in built:
            return built[system]
        var_dir = tmp_path_factory.mktemp(f"demo-{system}")
        if is_postgres():
            url = create_scratch_pg(PG_URL, f"demo_{system[:4]}")
            migrate.upgrade(Settings(database_url=url, secret_key=TEST_SECRET))
        else:
            path = var_dir / "demo.db"
            shutil.copyfile(migrated_template, path)
            url = f"sqlite:///{path}"
        settings = Settings(database_url=url, secret_key=TEST_SECRET, var_dir=var_dir)
        with frozen_clock():
            result = Cli(settings)("demo", "load", system)
        assert result.exit_code == 0, result.output
        built[system] = url if is_postgres() else str(path)
        return built[system]

    yield get
    if is_postgres():
        for url in built.values():
            drop_scratch_pg(url)


def copy_pg_database(template_url: str, label: str) -> str:
    """A new PostgreSQL database copied from ``template_url``'s (no one may be connected to it)."""
    url = make_url(template_url)
    name = f"{url.database}_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest, migrated_template: str, tmp_path: Path
) -> Iterator[str]:
    """The test's own database: empty (migrated), or with ``@pytest.mark.demo(system)`` a copy
    of that system's demo data."""
    marker = request.node.get_closest_marker("demo")
    template = migrated_template
    if marker is not None:
        template = request.getfixturevalue("demo_templates")(marker.args[0])
        if is_postgres():
            url = copy_pg_database(template, "d")
            yield url
            drop_scratch_pg(url)
            return
    if is_postgres():
        yield migrated_template
        _truncate_all(migrated_template)
        return
    path = tmp_path / "test.db"
    shutil.copyfile(template, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, secret_key=TEST_SECRET, var_dir=tmp_path / "var")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    eng = make_engine(settings)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for service tests; the test decides whether to commit."""
    s = session_factory()
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    from minsheng.app import create_app

    app = create_app(settings)
    with TestClient(app) as c:
        yield c
    app.state.engine.dispose()


@pytest.fixture
def staff_token(engine: Engine) -> Callable[[str], dict[str, str]]:
    """``staff_token("hotline")`` → an Authorization header for a new user of that role."""
    from minsheng.core.auth import create_user

    # A writer's transaction (BEGIN IMMEDIATE on SQLite): it waits for a running SIP server's
    # writes; a reader's, upgraded after one of them committed, failed "database is locked" (CI).
    writers = make_sessionmaker(engine, write=True)

    def make(role: str) -> dict[str, str]:
        with writers() as s:
            _user, token = create_user(s, name=f"{role}-{uuid.uuid4().hex[:6]}", role=role)
            s.commit()
        return {"Authorization": f"Bearer {token}"}

    return make


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the database (for "changed nothing" assertions)."""
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        return {
            name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
            for name in names
        }


def count(session: Session, model: type) -> int:
    """Rows of one model's table, as ``session`` sees them."""
    return session.scalar(select(func.count()).select_from(model)) or 0


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 right now (for a test's own server: SIP
    and its control and media ports use UDP, HTTP uses TCP)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            try:
                tcp.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


def free_port_block(count: int) -> int:
    """The first of ``count`` consecutive ports free for UDP on 127.0.0.1 right now: sipp's
    ``-mp`` port is its audio port, and it binds a video port two above it (a test once failed
    with "Unable to bind video RTP socket … Address already in use" on a free ``-mp``)."""
    while True:
        first = free_port()
        if first + count > 65536:
            continue
        taken = []
        try:
            for port in range(first + 1, first + count):
                udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                taken.append(udp)
                udp.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for udp in taken:
                udp.close()
        return first


class Cli:
    """Runs ``minsheng …`` in-process against the test database."""

    def __init__(self, settings: Settings) -> None:
        self.env = {
            "MINSHENG_DATABASE_URL": settings.effective_database_url,
            "MINSHENG_SECRET_KEY": TEST_SECRET,
            "MINSHENG_VAR_DIR": str(settings.var_dir),
        }
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Any:
        from minsheng.cli import app

        return self.runner.invoke(app, list(args), env=self.env, input=input)


@pytest.fixture
def cli(settings: Settings) -> Cli:
    return Cli(settings)


@pytest.fixture(autouse=True)
def _deterministic_lookup_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The certificate lookup log is written only when a test flushes it (or synchronously).

    Its background writer would write another test's buffered rows at a random moment (on
    PostgreSQL, into the next test's emptied tables) and open connections on engines a test has
    already disposed; every test (certification, web, ...) therefore runs without it.
    """
    from minsheng.certification.service import verify as service_verify

    monkeypatch.setattr(service_verify, "background_flush", False)
    yield
    service_verify.discard_pending_log()

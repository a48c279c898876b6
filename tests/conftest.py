"""Test database and client fixtures shared by every system's tests.

Each test gets its own database state: on SQLite a copy of a migrated template file; on
PostgreSQL (when ``MINSHENG_TEST_DATABASE_URL`` is set, as CI does) a scratch database migrated
once per run and emptied after every test. The app, the CLI and the services all reach that
database through its URL, as they do in production.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from minsheng.core import migrate
from minsheng.core.config import Settings
from minsheng.core.db import make_engine, make_sessionmaker

TEST_SECRET = "test-secret-key-not-for-production"
PG_URL = os.environ.get("MINSHENG_TEST_DATABASE_URL", "")


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


@pytest.fixture
def database_url(migrated_template: str, tmp_path: Path) -> Iterator[str]:
    if is_postgres():
        yield migrated_template
        _truncate_all(migrated_template)
        return
    path = tmp_path / "test.db"
    shutil.copyfile(migrated_template, path)
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
def staff_token(session_factory: sessionmaker[Session]) -> Callable[[str], dict[str, str]]:
    """``staff_token("hotline")`` → an Authorization header for a new user of that role."""
    from minsheng.core.auth import create_user

    def make(role: str) -> dict[str, str]:
        with session_factory() as s:
            _user, token = create_user(s, name=f"{role}-{uuid.uuid4().hex[:6]}", role=role)
            s.commit()
        return {"Authorization": f"Bearer {token}"}

    return make


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

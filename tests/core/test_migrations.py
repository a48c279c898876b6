"""Migrations go up and down on a fresh database, and match the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from minsheng.core import migrate
from minsheng.core.config import Settings
from minsheng.core.db import make_engine
from minsheng.models import Base
from tests.conftest import PG_URL, TEST_SECRET, create_scratch_pg, drop_scratch_pg, is_postgres


@pytest.fixture
def fresh_settings(tmp_path: Path) -> Iterator[Settings]:
    if is_postgres():
        url = create_scratch_pg(PG_URL, "m")
        yield Settings(database_url=url, secret_key=TEST_SECRET)
        drop_scratch_pg(url)
    else:
        yield Settings(database_url=f"sqlite:///{tmp_path / 'm.db'}", secret_key=TEST_SECRET)


def test_upgrade_matches_models_then_downgrade_to_empty(fresh_settings: Settings) -> None:
    migrate.upgrade(fresh_settings)
    engine = make_engine(fresh_settings)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": migrate.include_object(conn.dialect.name)}
        )
        diff = compare_metadata(context, Base.metadata)
        tables = set(inspect(conn).get_table_names())
    assert diff == [], f"models and migrations differ: {diff}"
    assert {"core_users", "core_audit"} <= tables
    migrate.downgrade(fresh_settings)
    with engine.connect() as conn:
        left = set(inspect(conn).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert left == set()
    migrate.upgrade(fresh_settings)  # and up again after a full downgrade

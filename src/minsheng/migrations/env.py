"""Alembic environment: migrates the database named by the settings (or alembic.ini's URL)."""

from __future__ import annotations

from alembic import context

from minsheng.core.config import Settings
from minsheng.core.db import make_engine
from minsheng.core.migrate import include_object
from minsheng.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    settings = config.attributes.get("settings")
    if settings is None:
        settings = Settings(database_url=config.get_main_option("sqlalchemy.url") or "")
    engine = make_engine(settings)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object(connection.dialect.name),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()

"""Running the Alembic migrations from code (the CLI, ``make run`` and the tests use this).

One migration tree for all systems lives in ``minsheng/migrations`` (inside the package so that an
installed wheel can migrate too). The core has the root revision; each system has its own branch
off it, so ``upgrade`` goes to ``heads``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from minsheng.core.config import Settings
from minsheng.core.db import TRIGGER_CHECKED

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", settings.effective_database_url.replace("%", "%%"))
    cfg.attributes["settings"] = settings
    return cfg


def upgrade(settings: Settings, revision: str = "heads") -> None:
    if settings.effective_database_url.startswith("sqlite:///"):
        Path(settings.effective_database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str = "base") -> None:
    command.downgrade(alembic_config(settings), revision)


def include_object(dialect: str) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """Alembic's ``include_object`` for a comparison on ``dialect``: everything, except on
    PostgreSQL a model's foreign key marked ``TRIGGER_CHECKED`` (the database holds triggers
    there instead of the constraint, so its absence is no difference)."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if dialect != "postgresql" or type_ != "foreign_key_constraint" or reflected:
            return True
        return not any(TRIGGER_CHECKED in element.info for element in obj.elements)

    return include

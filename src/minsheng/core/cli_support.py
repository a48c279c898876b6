"""What every CLI command shares: a session scope on the configured database, JSON output, and
the error rendering (one JSON line on stderr, exit code 1, no traceback)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session
from typer.core import TyperGroup

from minsheng.core import audit
from minsheng.core.config import Settings, get_settings
from minsheng.core.db import make_engine, make_sessionmaker, not_migrated, session_scope
from minsheng.core.errors import DomainError, InvalidInput, error_body

M = TypeVar("M", bound=BaseModel)


class ErrorRenderingGroup(TyperGroup):
    """The root command group: turns a DomainError anywhere below it into one stderr line, and
    a database without its tables into the ``DatabaseNotMigrated`` line (not a traceback)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            typer.echo(exc.to_line(), err=True)
            raise typer.Exit(1) from None
        except DBAPIError as exc:
            missing = not_migrated(exc, get_settings())
            if missing is not None:
                typer.echo(missing.to_line(), err=True)
                raise typer.Exit(1) from None
            if not isinstance(exc, OperationalError):
                raise
            # The API's 503 body, as one line: a lock wait that ran out or a lost database.
            text = str(exc.orig).lower()
            busy = "locked" in text or "busy" in text
            name = "DatabaseBusy" if busy else "DatabaseUnavailable"
            detail = f"{type(exc.orig).__name__}: nothing was changed, please try again"
            typer.echo(json.dumps(error_body(name, detail), ensure_ascii=False), err=True)
            raise typer.Exit(1) from None


@contextmanager
def cli_session(settings: Settings | None = None) -> Iterator[Session]:
    """A session for one CLI command: committed on success, rolled back on error. It is a
    writer's (on SQLite it waits for the write lock, beside the API's writers)."""
    settings = settings or get_settings()
    engine = make_engine(settings)
    token = audit.current_request_id.set("cli-" + audit.new_request_id()[:12])
    try:
        with session_scope(make_sessionmaker(engine, write=True)) as session:
            yield session
    finally:
        audit.current_request_id.reset(token)
        engine.dispose()


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def read_input(path: str) -> str:
    """A file's text, or standard input for ``-``."""
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", field="file") from None


def parse_model(
    model: type[M], data: str | dict[str, Any], *, error: type[DomainError] = InvalidInput
) -> M:
    """A schema object from JSON text or a dict of option values, validated like the API does.

    The first failure becomes ``error`` (``InvalidInput`` unless a system passes its own) naming
    the field, so the CLI says what the API would say.
    """
    try:
        if isinstance(data, str):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise error(f"{loc}: {first['msg']}" if loc else first["msg"], field=loc or None) from None

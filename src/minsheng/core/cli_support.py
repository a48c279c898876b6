"""What every CLI command shares: a session scope on the configured database, JSON output, and
the error rendering (one JSON line on stderr, exit code 1, no traceback)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from sqlalchemy.orm import Session
from typer.core import TyperGroup

from minsheng.core import audit
from minsheng.core.config import Settings, get_settings
from minsheng.core.db import make_engine, make_sessionmaker, session_scope
from minsheng.core.errors import DomainError


class ErrorRenderingGroup(TyperGroup):
    """The root command group: turns a DomainError anywhere below it into one stderr line."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            typer.echo(exc.to_line(), err=True)
            raise typer.Exit(1) from None


@contextmanager
def cli_session(settings: Settings | None = None) -> Iterator[Session]:
    """A session for one CLI command: committed on success, rolled back on error."""
    settings = settings or get_settings()
    engine = make_engine(settings)
    token = audit.current_request_id.set("cli-" + audit.new_request_id()[:12])
    try:
        with session_scope(make_sessionmaker(engine)) as session:
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
        from minsheng.core.errors import InvalidInput

        raise InvalidInput(f"cannot read {path}: {exc.strerror}", field="file") from None

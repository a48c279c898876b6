"""``minsheng hotline erlang|plan|simulate``: seat planning commands (see planning issue)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the seat-planning commands to the ``hotline`` group."""
    del app

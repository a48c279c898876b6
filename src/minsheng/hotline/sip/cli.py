"""``minsheng hotline sip …``: the SIP server commands."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the ``sip`` sub-group to the ``hotline`` group."""
    del app

"""``minsheng hotline …``: the hotline system's commands."""

from __future__ import annotations

import typer

HELP = (
    "The 12356 psychological assistance hotline: directory, routing, queues, call "
    "records, KPIs, seat planning and SIP."
)
app = typer.Typer(help=HELP, no_args_is_help=True)

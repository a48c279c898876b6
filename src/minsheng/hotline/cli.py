"""``minsheng hotline …``: the hotline system's commands."""

from __future__ import annotations

import typer

HELP = (
    "The 12356 psychological assistance hotline: directory, routing, queues, call "
    "records, KPIs, seat planning and SIP."
)
app = typer.Typer(help=HELP, no_args_is_help=True)


def _register_subcommands() -> None:
    # Seat planning and SIP live in their own modules; they add their commands here.
    from minsheng.hotline import planning_cli
    from minsheng.hotline.sip import cli as sip_cli

    planning_cli.register(app)
    sip_cli.register(app)


_register_subcommands()

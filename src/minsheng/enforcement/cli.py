"""``minsheng enforcement …``: the enforcement system's commands."""

from __future__ import annotations

import typer

HELP = (
    "Credit-commitment enforcement (承诺+执法): parties, commitments, cases, first- "
    "violation exemption, repeat penalties, grading, inspection plans and statistics."
)
app = typer.Typer(help=HELP, no_args_is_help=True)

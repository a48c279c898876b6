"""``minsheng certs …``: the certification system's commands."""

from __future__ import annotations

import typer

HELP = (
    "Vocational skill certificates: occupations, standards, filed evaluation bodies, "
    "issuance, public verification, scam-ad scanning and the skill-upgrade subsidy."
)
app = typer.Typer(help=HELP, no_args_is_help=True)

"""``minsheng core …``: region lookups and ID-number checks from the terminal."""

from __future__ import annotations

from typing import Annotated

import typer

from minsheng.core import idnumber, regions
from minsheng.core.cli_support import echo_json

app = typer.Typer(help="Shared reference data: regions and ID numbers.", no_args_is_help=True)


@app.command("region")
def region(
    code_or_name: Annotated[str, typer.Argument(help="6-digit GB/T 2260 code or Chinese name")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Look up a province, city or county."""
    found = regions.describe(regions.table().lookup(code_or_name))
    if as_json:
        echo_json(found)
        return
    city = found["city"]
    province = found["province"]
    parts = [f"{found['code']} {found['name']} ({found['level']})"]
    if isinstance(city, dict) and city["code"] != found["code"]:
        parts.append(f"city {city['name']}")
    if isinstance(province, dict) and province["code"] != found["code"]:
        parts.append(f"province {province['name']}")
    typer.echo(", ".join(parts))


@app.command("idcheck")
def idcheck(
    number: Annotated[str, typer.Argument(help="18-character resident ID number")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Check a resident ID number (exit 0 whether or not it is valid)."""
    result = idnumber.check(number)
    if as_json:
        echo_json(result.to_dict())
        return
    if result.valid:
        typer.echo(f"valid: born {result.birth_date}, sex {result.sex}")
    else:
        typer.echo("invalid: " + "; ".join(result.errors))
    for warning in result.warnings:
        typer.echo(f"warning: {warning}")

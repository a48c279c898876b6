"""Option types and parsers shared by the enforcement commands."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer

from minsheng.core.cli_support import read_input
from minsheng.core.errors import InvalidInput
from minsheng.enforcement.errors import InvalidDate

Json = Annotated[bool, typer.Option("--json", help="Print JSON")]
Officer = Annotated[
    str, typer.Option("--officer", help="The officer doing this step (recorded on the case)")
]


def parse_date(value: str | None, field_name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidDate(f"{value!r} is not a YYYY-MM-DD date", field=field_name) from None


def read_json(path: str) -> Any:
    try:
        return json.loads(read_input(path))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not valid JSON: {exc.msg} (line {exc.lineno})", field="file") from None

"""``inspectors`` and ``records``: the roster, conflicts of interest, inspections and industry
records."""

from __future__ import annotations

from typing import Annotated

import typer

from minsheng.core.audit import cli_actor
from minsheng.core.cli_support import cli_session, echo_json, parse_model
from minsheng.enforcement import schemas, service
from minsheng.enforcement.cli.common import parse_date

inspectors_app = typer.Typer(help="Inspectors and conflicts of interest.", no_args_is_help=True)
records_app = typer.Typer(help="Inspections and industry records.", no_args_is_help=True)


@inspectors_app.command("add")
def inspectors_add(
    code: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Argument()],
) -> None:
    """Add an inspector to the roster."""
    data = parse_model(schemas.InspectorCreate, {"code": code, "name": name})
    with cli_session() as session:
        echo_json(service.inspector_dict(service.add_inspector(session, data, actor=cli_actor())))


@inspectors_app.command("conflict")
def inspectors_conflict(
    code: Annotated[str, typer.Argument(help="Inspector code")],
    party: Annotated[int, typer.Option(help="Party id")],
    reason: Annotated[str, typer.Option(help="Why (回避事由)")],
) -> None:
    """Record a conflict of interest: the inspector is never drawn for that party."""
    data = parse_model(
        schemas.ConflictCreate, {"inspector": code, "party_id": party, "reason": reason}
    )
    with cli_session() as session:
        c = service.add_conflict(session, data, actor=cli_actor())
        echo_json(service.conflict_dict(c, code))


@records_app.command("inspection")
def records_inspection(
    party: Annotated[int, typer.Option(help="Party id")],
    on: Annotated[str, typer.Option("--on", help="YYYY-MM-DD")],
    inspector: Annotated[list[str], typer.Option(help="Inspector code (at least two)")],
    item: Annotated[list[str], typer.Option(help="Item checked (repeatable)")],
    passed: Annotated[bool, typer.Option("--passed/--failed")] = True,
    kind: Annotated[str, typer.Option(help="routine, case or campaign")] = "routine",
) -> None:
    """Record a carried-out inspection and its result."""
    data = parse_model(
        schemas.InspectionCreate,
        {
            "party_id": party,
            "inspected_on": parse_date(on, "inspected_on"),
            "passed": passed,
            "items": item,
            "inspectors": inspector,
            "kind": kind,
        },
    )
    with cli_session() as session:
        row = service.record_inspection(session, data, actor=cli_actor())
        echo_json(service.inspection_dict(row))


@records_app.command("industry")
def records_industry(
    party: Annotated[int, typer.Option(help="Party id")],
    kind: Annotated[str, typer.Option(help="Record kind (see grade points table)")],
    on: Annotated[str, typer.Option("--on", help="YYYY-MM-DD")],
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Record an industry supervision record (good or bad)."""
    data = parse_model(
        schemas.IndustryRecordCreate,
        {
            "party_id": party,
            "kind": kind,
            "recorded_on": parse_date(on, "recorded_on"),
            "note": note,
        },
    )
    with cli_session() as session:
        row = service.add_industry_record(session, data, actor=cli_actor())
        echo_json(service.industry_record_dict(row))

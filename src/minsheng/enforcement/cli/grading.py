"""``grade``, ``plan`` and ``stats``: yearly grades, the 双随机 plan and outcome statistics."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from minsheng.core.audit import cli_actor
from minsheng.core.cli_support import cli_session, echo_json
from minsheng.core.errors import InvalidInput
from minsheng.enforcement import service
from minsheng.enforcement.cli.common import Json, parse_date, read_json
from minsheng.enforcement.rules import grading as rules_grading
from minsheng.enforcement.service import catalog

grade_app = typer.Typer(help="Yearly A/B/C/D grading of construction-site firms.")


@grade_app.callback(invoke_without_command=True)
def grade(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Option(help="Grade all firms for this year")] = None,
    as_json: Json = False,
) -> None:
    """Grade every construction-site firm for --year from the previous year's records."""
    if ctx.invoked_subcommand is not None:
        return
    if year is None:
        raise InvalidInput("give --year (or a sub-command: explain, show, table)", field="year")
    with cli_session() as session:
        result = service.grade_year(session, year, actor=cli_actor())
    if as_json:
        echo_json(result)
        return
    counts = ", ".join(f"{g} {n}" for g, n in result["by_grade"].items())
    typer.echo(f"graded {result['firms']} firms for {year} ({result['rule_version']}): {counts}")


@grade_app.command("explain")
def grade_explain(
    file: Annotated[str, typer.Argument(help="Summary JSON, or - for stdin")], as_json: Json = False
) -> None:
    """Grade one summary and explain it item by item."""
    summary = rules_grading.parse_summary(read_json(file))
    table = catalog.grading_table()
    result = rules_grading.grade(table, summary)
    status = table.status_dict()
    if as_json:
        echo_json({**result.to_dict(), "rule_set": status})
        return
    typer.echo(f"grade {result.grade} ({result.points} points, {result.rule_version})")
    typer.echo(f"rule set: {status['label']} ({status['status']})")
    for line in result.breakdown:
        typer.echo(f"  {line['points']:+4d}  {line['item']}: {line['note']}")


@grade_app.command("show")
def grade_show(
    party: Annotated[int, typer.Option(help="Party id")], year: Annotated[int, typer.Option()]
) -> None:
    """A firm's stored grade with its breakdown."""
    with cli_session() as session:
        echo_json(service.grade_dict(service.get_grade(session, party, year)))


@grade_app.command("table")
def grade_table() -> None:
    """The points table in force."""
    echo_json(catalog.grading_table().to_dict())


def plan(
    year: Annotated[int, typer.Option(help="Plan year")],
    seed: Annotated[int, typer.Option(help="Random seed (the same seed gives the same plan)")],
    month: Annotated[int | None, typer.Option(help="Only this month's visits")] = None,
    as_json: Json = False,
) -> None:
    """The year's 双随机 visits (date, target, inspectors, items) and the burden."""
    if month is not None and not 1 <= month <= 12:
        raise InvalidInput("month must be 1 to 12", field="month")
    with cli_session() as session:
        result = service.plan(session, year=year, seed=seed)
    data = result.to_dict(month)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))
        return
    for v in data["visits"]:
        typer.echo(
            f"{v['date']}  firm {v['target']:>6} [{v['grade']}]  {','.join(v['inspectors'])}  "
            f"{'+'.join(v['items'])}"
        )
    b = data["burden"]
    typer.echo(
        f"{data['visit_count']} visits shown; year: {b['visits']} visits for {b['firms']} firms "
        f"vs {b['visits_without_grading']} without grading ({b['reduction_vs_ungraded']:.1%} fewer)"
    )


def stats_command(
    from_: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
    as_json: Json = False,
) -> None:
    """Outcome statistics computed from the records."""
    with cli_session() as session:
        data = service.compute_stats(
            session, start=parse_date(from_, "from"), end=parse_date(to, "to")
        )
    if as_json:
        echo_json(data)
        return
    c = data["commitments"]
    v = data["violated_after_commitment"]
    s = data["street_shops"]
    sites = data["sites"]
    by_domain = ", ".join(f"{k} {n}" for k, n in c["by_domain"].items())
    typer.echo(f"commitments signed: {c['total']} ({by_domain})")
    typer.echo(f"violated again after committing: {v['count']} = {v['percent']}")
    again = s["penalised_again"]
    typer.echo(
        f"street shops: {s['commitments']} commitments, penalised again {again['count']}"
        f" = {again['percent']}"
    )
    vendors = data["street_vendors"]
    typer.echo(
        f"street vendors (counted apart): {vendors['commitments']} commitments, "
        f"{vendors['vending_points']} vending points"
    )
    managers = data["compound_property_managers"]
    typer.echo(
        f"compound property managers with commitments: {managers['with_commitments']} "
        f"({managers['compounds_managed']} compounds)"
    )
    typer.echo(
        f"garbage-sorting rooms {sites['garbage_sorting_rooms']}, model compounds "
        f"{sites['model_compounds']}, compounds rectified {sites['compounds_rectified']}, "
        f"vending points {sites['vending_points']}"
    )
    d = data["decisions"]
    typer.echo(
        f"decisions: {d['exemptions']} not punished, {d['penalties']} penalties "
        f"({d['repeat_penalties']} repeats); fines {data['fines']['total_yuan']} yuan; "
        f"rectification {data['rectification']['percent']}"
    )
    pending = d["pending"]
    typer.echo(
        f"not counted (decided and served only): {pending['proposals']} proposals, "
        f"{pending['awaiting_service']} decisions awaiting service, "
        f"{pending['cancelled']} cancelled"
    )

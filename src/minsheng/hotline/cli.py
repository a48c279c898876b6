"""``minsheng hotline …``: the hotline system's commands."""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from minsheng.core.cli_support import cli_session, echo_json, read_input
from minsheng.core.config import get_settings
from minsheng.hotline import service
from minsheng.hotline.errors import InvalidHotline, InvalidImport
from minsheng.hotline.rules import BEIJING
from minsheng.hotline.schemas import AssessmentCreate, CounsellorCreate

HELP = (
    "The 12356 psychological assistance hotline: directory, routing, queues, call "
    "records, KPIs, seat planning and SIP."
)
app = typer.Typer(help=HELP, no_args_is_help=True)
counsellor_app = typer.Typer(help="Counsellors of the hotlines.", no_args_is_help=True)
followup_app = typer.Typer(help="Crisis follow-up tasks.", no_args_is_help=True)
app.add_typer(counsellor_app, name="counsellor")
app.add_typer(followup_app, name="followup")


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _when(value: str | None, name: str) -> datetime | None:
    """An ISO date or date-time; without a zone it is Beijing time."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidHotline(f"{value!r} is not an ISO date-time", field=name) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BEIJING)


# directory -------------------------------------------------------------------------------------
@app.command("import")
def import_(
    file: Annotated[str, typer.Argument(help="JSON list of hotlines, or - for stdin")],
) -> None:
    """Load hotlines from a JSON file (all-or-nothing; every bad row and field is named)."""
    text = read_input(file)
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidImport(f"not JSON: {exc.msg} at line {exc.lineno}", field="file") from None
    with cli_session() as session:
        echo_json(service.import_hotlines(session, data, actor=_actor()))


@app.command("export")
def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (default stdout)")
    ] = None,
) -> None:
    """Write the directory in the import format."""
    with cli_session() as session:
        rows = service.export_hotlines(session)
    text = json.dumps(rows, ensure_ascii=False, indent=2)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"{len(rows)} hotlines written to {output}")


@app.command("list")
def list_(
    level: Annotated[str | None, typer.Option(help="city | province | national")] = None,
    region: Annotated[str | None, typer.Option(help="Region code or name served")] = None,
) -> None:
    """List hotlines (optionally those serving a region)."""
    with cli_session() as session:
        echo_json(
            [
                service.hotline_dict(h)
                for h in service.list_hotlines(session, level=level, region=region)
            ]
        )


@app.command("compliance")
def compliance(
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """Every hotline against the official minimums and every prefecture city's coverage."""
    with cli_session() as session:
        report = service.compliance(session)
    if as_json:
        echo_json(report)
        return
    s = report["summary"]
    typer.echo(f"hotlines meeting the minimums: {s['hotlines_ok']} of {s['hotlines']}")
    for h in report["hotlines"]:
        if not h["ok"]:
            typer.echo(f"  {h['hotline_id']}: " + "; ".join(h["problems"]))
    typer.echo(f"prefecture cities: {s['cities']}, served by {s['cities_served_by']}")


# routing ---------------------------------------------------------------------------------------
@app.command("route")
def route(
    number: Annotated[str, typer.Argument(help="Caller number (mobile, landline, +86, 0086)")],
    origin: Annotated[
        str | None, typer.Option(help="Carrier origin: area code or region code")
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="ISO date-time (default now; no zone = Beijing)")
    ] = None,
    dialled: Annotated[
        str | None, typer.Option(help="Number dialled (a legacy local number)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """Where a call from NUMBER would go: the ordered steps and the lines skipped."""
    settings = get_settings()
    with cli_session(settings) as session:
        plan = service.route_preview(
            session, settings, number, origin=origin, at=_when(at, "at"), dialled=dialled
        )
    if as_json:
        echo_json(plan)
        return
    caller = plan["caller"]
    where = (caller["city"] or caller["province"] or {"name": "unknown"})["name"]
    typer.echo(f"caller {caller['masked']} in {where} (from {caller['location_source']})")
    for i, step in enumerate(plan["steps"], 1):
        typer.echo(
            f"  {i}. {step['hotline_id']} ({step['level']}, {step['timeout_s']} s) [{step['rule']}]"
        )
    for skip in plan["skipped"]:
        typer.echo(f"  skipped {skip['hotline_id']}: {skip['reason']}")


# records and KPIs ------------------------------------------------------------------------------
@app.command("kpi")
def kpi(
    from_: Annotated[str, typer.Option("--from", help="Start (ISO date or date-time, Beijing)")],
    to: Annotated[str, typer.Option("--to", help="End, exclusive")],
    by: Annotated[str, typer.Option(help="hotline | province | day | hour")] = "hotline",
    threshold: Annotated[float | None, typer.Option(help="Service-level T in seconds")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """Offered, answered, answer rate, in-province rate, ASA, abandonment, service level..."""
    settings = get_settings()
    start, end = _when(from_, "from"), _when(to, "to")
    assert start is not None
    assert end is not None
    with cli_session(settings) as session:
        result = service.kpis(session, settings, start=start, end=end, by=by, threshold_s=threshold)
    if as_json:
        echo_json(result)
        return
    cols = ("offered", "answered", "answer_rate", "asa_s", "abandonment_rate", "service_level")
    typer.echo("key".ljust(16) + "".join(c.rjust(17) for c in cols))
    for row in [*result["groups"], result["total"]]:
        typer.echo(str(row["key"]).ljust(16) + "".join(str(row[c]).rjust(17) for c in cols))


@app.command("calls")
def calls(
    from_: Annotated[str | None, typer.Option("--from", help="Arrived at or after")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Arrived before")] = None,
    hotline: Annotated[str | None, typer.Option(help="Answered by this hotline")] = None,
    outcome: Annotated[str | None, typer.Option(help="answered | abandoned | no_answer")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 20,
) -> None:
    """Call records (newest first; caller numbers masked)."""
    with cli_session() as session:
        rows = service.list_calls(
            session,
            start=_when(from_, "from"),
            end=_when(to, "to"),
            hotline_id=hotline,
            outcome=outcome,
            limit=limit,
        )
        echo_json([service.call_dict(c) for c in rows])


@app.command("purge")
def purge() -> None:
    """Delete call records older than the retention (MINSHENG_HOTLINE_RETENTION_DAYS)."""
    settings = get_settings()
    with cli_session(settings) as session:
        echo_json(service.purge(session, settings, actor=_actor()))


# crisis follow-up ------------------------------------------------------------------------------
@app.command("assess")
def assess(
    call_ref: Annotated[str, typer.Argument(help="The call's reference")],
    counsellor: Annotated[str, typer.Option(help="Counsellor id")],
    ideation: Annotated[str, typer.Option(help="Suicidal ideation: none|mild|moderate|severe")],
    hopelessness: Annotated[str, typer.Option(help="Hopelessness: none|mild|moderate|severe")],
    handover: Annotated[str | None, typer.Option(help="Handed over to 110, 119 or 120")] = None,
    due: Annotated[str | None, typer.Option(help="Follow-up due (ISO; default by risk)")] = None,
    notes: Annotated[str, typer.Option(help="Notes (numbers are masked)")] = "",
) -> None:
    """Record a risk assessment, a hand-over and a follow-up task for a call."""
    data = _validated(
        AssessmentCreate,
        {
            "counsellor_id": counsellor,
            "suicidal_ideation": ideation,
            "hopelessness": hopelessness,
            "handover_to": handover,
            "follow_up_due": _when(due, "due"),
            "notes": notes,
        },
    )
    with cli_session() as session:
        echo_json(service.record_assessment(session, call_ref, data, actor=_actor()))


@followup_app.command("list")
def followup_list(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue ones")] = False,
) -> None:
    """Follow-up tasks (``--overdue``: open and past their due time)."""
    with cli_session() as session:
        echo_json(service.list_followups(session, overdue_only=overdue))


@followup_app.command("done")
def followup_done(
    followup_id: Annotated[int, typer.Argument()],
    note: Annotated[str, typer.Option(help="What was done")] = "",
) -> None:
    """Mark a follow-up task done."""
    with cli_session() as session:
        echo_json(service.complete_followup(session, followup_id, note, actor=_actor()))


@counsellor_app.command("add")
def counsellor_add(
    counsellor_id: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option()],
    hotline: Annotated[str, typer.Option(help="The one hotline they answer for")],
    skill: Annotated[
        list[str] | None, typer.Option(help="crisis, youth, elderly, a dialect...")
    ] = None,
    qualification: Annotated[str, typer.Option()] = "",
) -> None:
    """Add a counsellor to a hotline."""
    data = _validated(
        CounsellorCreate,
        {
            "id": counsellor_id,
            "name": name,
            "hotline_id": hotline,
            "skills": skill or [],
            "qualification": qualification,
        },
    )
    with cli_session() as session:
        echo_json(service.counsellor_dict(service.create_counsellor(session, data, actor=_actor())))


@counsellor_app.command("state")
def counsellor_state(
    counsellor_id: Annotated[str, typer.Argument()],
    state: Annotated[str, typer.Argument(help="offline | available | break")],
) -> None:
    """Set a counsellor's state in the directory."""
    with cli_session() as session:
        c = service.set_counsellor_state(session, counsellor_id, state, actor=_actor())
        echo_json(service.counsellor_dict(c))


@counsellor_app.command("list")
def counsellor_list(hotline: Annotated[str | None, typer.Option()] = None) -> None:
    """Counsellors (optionally of one hotline)."""
    with cli_session() as session:
        echo_json(
            [
                service.counsellor_dict(c)
                for c in service.list_counsellors(session, hotline_id=hotline)
            ]
        )


def _validated(model: Any, values: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    try:
        return model.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise InvalidHotline(f"{field}: {err['msg']}", field=field) from None


def _register_subcommands() -> None:
    # Seat planning and SIP live in their own modules; they add their commands here.
    from minsheng.hotline import planning_cli
    from minsheng.hotline.sip import cli as sip_cli

    planning_cli.register(app)
    sip_cli.register(app)


_register_subcommands()

"""``minsheng hotline …``: the hotline system's commands: directory, routing, records and KPIs,
crisis follow-up, seat planning and the simulator (the SIP front registers its own from ``sip/``).
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from minsheng.core import audit
from minsheng.core.cli_support import cli_session, echo_json, parse_model, read_input
from minsheng.core.config import get_settings
from minsheng.core.timeutil import BEIJING
from minsheng.hotline import service
from minsheng.hotline.cli.workforce import register_commands, report_app, roster_app
from minsheng.hotline.errors import InvalidHotline, InvalidImport
from minsheng.hotline.rules import erlang
from minsheng.hotline.rules.planning import PlanningError, PlanTarget
from minsheng.hotline.schemas import AssessmentCreate, CounsellorCreate
from minsheng.hotline.sim import report as sim_report
from minsheng.hotline.sip import cli as sip_cli

HELP = (
    "The 12356 psychological assistance hotline: directory, routing, queues, call "
    "records, KPIs, seat planning and SIP."
)
app = typer.Typer(help=HELP, no_args_is_help=True)
counsellor_app = typer.Typer(help="Counsellors of the hotlines.", no_args_is_help=True)
followup_app = typer.Typer(help="Crisis follow-up tasks.", no_args_is_help=True)
app.add_typer(counsellor_app, name="counsellor")
app.add_typer(followup_app, name="followup")
app.add_typer(roster_app, name="roster")
app.add_typer(report_app, name="report")
register_commands(counsellor_app)


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
        echo_json(
            service.import_hotlines(
                session,
                data,
                actor=audit.cli_actor(),
                default_recording=get_settings().hotline_recording,
            )
        )


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
        echo_json(service.purge(session, settings, actor=audit.cli_actor()))


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
    data = parse_model(
        AssessmentCreate,
        {
            "counsellor_id": counsellor,
            "suicidal_ideation": ideation,
            "hopelessness": hopelessness,
            "handover_to": handover,
            "follow_up_due": _when(due, "due"),
            "notes": notes,
        },
        error=InvalidHotline,
    )
    with cli_session() as session:
        echo_json(service.record_assessment(session, call_ref, data, actor=audit.cli_actor()))


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
        echo_json(service.complete_followup(session, followup_id, note, actor=audit.cli_actor()))


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
    data = parse_model(
        CounsellorCreate,
        {
            "id": counsellor_id,
            "name": name,
            "hotline_id": hotline,
            "skills": skill or [],
            "qualification": qualification,
        },
        error=InvalidHotline,
    )
    with cli_session() as session:
        echo_json(
            service.counsellor_dict(
                service.create_counsellor(session, data, actor=audit.cli_actor())
            )
        )


@counsellor_app.command("state")
def counsellor_state(
    counsellor_id: Annotated[str, typer.Argument()],
    state: Annotated[str, typer.Argument(help="offline | available | break")],
) -> None:
    """Set a counsellor's state in the directory."""
    with cli_session() as session:
        c = service.set_counsellor_state(session, counsellor_id, state, actor=audit.cli_actor())
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


# seat planning and simulation -------------------------------------------------------------
def _erlang_command(
    calls: Annotated[float, typer.Option("--calls", help="Calls offered in the interval")],
    interval_s: Annotated[float, typer.Option("--interval-s", help="Interval length, seconds")],
    aht_s: Annotated[float, typer.Option("--aht-s", help="Average handling time, seconds")],
    target_s: Annotated[float, typer.Option("--target-s", help="Answer within this, seconds")],
    service_level: Annotated[
        float, typer.Option("--service-level", help="Share answered within target, in (0, 1)")
    ],
    shrinkage: Annotated[
        float, typer.Option("--shrinkage", help="Share of paid time off the phones, [0, 1)")
    ] = 0.0,
    max_occupancy: Annotated[
        float, typer.Option("--max-occupancy", help="Highest share of time busy, (0, 1]")
    ] = 1.0,
    patience_s: Annotated[
        float | None,
        typer.Option("--patience-s", help="Mean caller patience, seconds (selects Erlang A)"),
    ] = None,
    max_abandon: Annotated[
        float | None,
        typer.Option("--max-abandon", help="Highest share hanging up (Erlang A only)"),
    ] = None,
    seats: Annotated[
        int | None,
        typer.Option("--seats", help="Evaluate this many seats instead of sizing"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Seats needed for one interval (Erlang C, or Erlang A with --patience-s)."""
    result, out = erlang.answer(
        calls=calls,
        interval_s=interval_s,
        aht_s=aht_s,
        target_s=target_s,
        service_level=service_level,
        shrinkage=shrinkage,
        max_occupancy=max_occupancy,
        patience_s=patience_s,
        max_abandon=max_abandon,
        seats=seats,
    )

    if as_json:
        echo_json(out)
        return
    model = "Erlang A" if result.model == "A" else "Erlang C"
    lines = [
        f"{model}: {result.traffic_erlangs:.3f} Erlangs offered",
        f"seats needed: {result.seats} ({result.positions} positions after shrinkage)",
        f"service level: {result.service_level:.5f} within {target_s:g} s",
        f"probability of waiting: {result.p_wait:.5f}",
        f"average speed of answer: {result.asa_s:.2f} s",
        f"occupancy: {result.occupancy:.4f}",
    ]
    if result.abandon_rate is not None:
        lines.append(f"abandonment: {result.abandon_rate:.4%}")
    if "evaluated" in out:
        ev = out["evaluated"]
        lines.append(
            f"with {ev['seats']} seats: service level {ev['service_level']:.5f}, "
            f"ASA {ev['asa_s']:.2f} s"
        )
    typer.echo("\n".join(lines))


def _parse_date(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PlanningError(
            f"{field} must be a date YYYY-MM-DD, got {text!r}", field=field
        ) from None


def _plan_command(
    hotline: Annotated[
        str | None, typer.Option("--hotline", help="Plan this hotline only (its id)")
    ] = None,
    weeks: Annotated[int, typer.Option("--weeks", help="Weeks of records to average")] = 4,
    smooth: Annotated[
        int, typer.Option("--smooth", help="Average each half hour with N neighbours a side")
    ] = 1,
    pool_weekdays: Annotated[
        bool,
        typer.Option("--pool-weekdays", help="Average Mon-Fri together and Sat-Sun together"),
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Forecast from the weeks before this date (YYYY-MM-DD)"),
    ] = None,
    target_s: Annotated[float, typer.Option("--target-s", help="Answer within, seconds")] = 30.0,
    service_level: Annotated[
        float, typer.Option("--service-level", help="Share answered within target")
    ] = 0.8,
    max_abandon: Annotated[
        float, typer.Option("--max-abandon", help="Highest share of callers hanging up")
    ] = 0.05,
    aht_s: Annotated[float, typer.Option("--aht-s", help="Average handling time, s")] = 1080.0,
    patience_s: Annotated[
        float, typer.Option("--patience-s", help="Mean caller patience, seconds")
    ] = 180.0,
    detail: Annotated[bool, typer.Option("--detail", help="Include every half hour")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Seats each hotline needs per half hour, from its call records, as plain advice."""

    target = PlanTarget(
        target_s=target_s,
        service_level=service_level,
        max_abandon=max_abandon,
        aht_s=aht_s,
        patience_s=patience_s,
    )
    with cli_session() as session:
        result = service.plan(
            session,
            hotline_id=hotline,
            as_of=_parse_date(as_of, "as_of"),
            weeks=weeks,
            smooth=smooth,
            pool_weekdays=pool_weekdays,
            target=target,
            detail=detail,
        )
    if as_json:
        echo_json(result)
        return
    typer.echo(
        f"plan from {result['weeks']} weeks of records before {result['as_of']}: "
        f"{result['hotlines_short_of_seats']} of {result['hotlines_planned']} hotlines short"
    )
    for p in result["hotlines"]:
        typer.echo(
            f"{p['hotline_id']} ({p['name']}): {p['seats']} seats, "
            f"up to {p['peak_seats_needed']} needed"
        )
        for line in p["summary"]:
            typer.echo(f"  - {line}")


def _simulate_command(
    scenario: Annotated[str, typer.Argument(help="Scenario file, or a shipped scenario name")],
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (overrides)")] = None,
    variant: Annotated[
        list[str] | None, typer.Option("--variant", help="Run only these variants (repeat)")
    ] = None,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Write an SVG chart of answer rate by hour")
    ] = None,
    progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Progress bar on stderr (default: tty)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Simulate a scenario on the real routing and queueing engine; compare its variants."""
    show = sys.stderr.isatty() if progress is None else progress
    with cli_session() as session:
        run = service.simulate(
            session,
            service.scenario_path(scenario),
            seed=seed,
            variants=variant,
            progress=sim_report.ProgressBar() if show else None,
        )
    parsed = run.scenario
    if chart is not None:
        chart.write_text(
            sim_report.svg_chart(run.results, f"{parsed.name}: answer rate by hour"),
            encoding="utf-8",
        )
    if as_json:
        echo_json(run.to_dict(chart=chart))
        return
    typer.echo(f"{parsed.name} (seed {parsed.seed}, {parsed.duration_s / 3600:g} h)")
    typer.echo(sim_report.table(run.results))
    if chart is not None:
        typer.echo(f"chart: {chart}")


app.command("erlang")(_erlang_command)
app.command("plan")(_plan_command)
app.command("simulate")(_simulate_command)
sip_cli.register(app)  # the SIP front's commands live with it, under sip/

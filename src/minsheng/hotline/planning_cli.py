"""``minsheng hotline erlang|plan|simulate``: seat planning commands (see planning issue)."""

from __future__ import annotations

import sys
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer

from minsheng.core.cli_support import cli_session, echo_json
from minsheng.hotline import erlang, planning
from minsheng.hotline.sim import report
from minsheng.hotline.sim import scenario as sim_scenario


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
        raise planning.PlanningError(
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
    from minsheng.hotline import planning_service

    target = planning.PlanTarget(
        target_s=target_s,
        service_level=service_level,
        max_abandon=max_abandon,
        aht_s=aht_s,
        patience_s=patience_s,
    )
    with cli_session() as session:
        result = planning_service.plan(
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


def _scenario_path(name: str) -> Path:
    path = Path(name)
    if path.exists():
        return path
    shipped = resources.files("minsheng.hotline.sim") / "scenarios"
    for suffix in (".yaml", ".yml", ".json"):
        candidate = shipped / (name + suffix)
        if candidate.is_file():
            return Path(str(candidate))
    names = sorted(p.name.rsplit(".", 1)[0] for p in shipped.iterdir() if p.is_file())
    raise sim_scenario.ScenarioError(
        f"no scenario file {name!r} and no shipped scenario of that name "
        f"(shipped: {', '.join(names)})",
        field="scenario",
    )


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
    from minsheng.hotline.sim import runner

    raw = sim_scenario.load_file(_scenario_path(scenario))
    raw = sim_scenario.with_overrides(raw, seed=seed)
    parsed = sim_scenario.parse(raw, variant_names=variant or None)
    hotlines = parsed.hotlines
    if hotlines is None:
        from minsheng.hotline import service

        with cli_session() as session:
            hotlines = service.directory_snapshot(session).hotlines
        if not hotlines:
            raise sim_scenario.ScenarioError(
                "the directory is empty: run `minsheng demo load` or list hotlines in the scenario",
                field="hotlines",
            )
    sim_scenario.check_against(parsed, hotlines)
    show = sys.stderr.isatty() if progress is None else progress
    bar = report.ProgressBar() if show else None
    results = runner.run(parsed, hotlines, progress=bar)
    if chart is not None:
        chart.write_text(
            report.svg_chart(results, f"{parsed.name}: answer rate by hour"), encoding="utf-8"
        )
    if as_json:
        out: dict[str, Any] = {
            "scenario": parsed.name,
            "seed": parsed.seed,
            "start": parsed.start.isoformat(),
            "duration_h": parsed.duration_s / 3600,
            "comparison": report.comparison_rows(results),
            "variants": [r.to_dict() for r in results],
            "chart": str(chart) if chart is not None else None,
        }
        echo_json(out)
        return
    typer.echo(f"{parsed.name} (seed {parsed.seed}, {parsed.duration_s / 3600:g} h)")
    typer.echo(report.table(results))
    if chart is not None:
        typer.echo(f"chart: {chart}")


def register(app: typer.Typer) -> None:
    """Add the seat-planning commands to the ``hotline`` group."""
    app.command("erlang")(_erlang_command)
    app.command("plan")(_plan_command)
    app.command("simulate")(_simulate_command)

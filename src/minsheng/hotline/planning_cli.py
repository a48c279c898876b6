"""``minsheng hotline erlang|plan|simulate``: seat planning commands (see planning issue)."""

from __future__ import annotations

from typing import Annotated

import typer

from minsheng.core.cli_support import echo_json
from minsheng.hotline import erlang


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
    result = erlang.staff(
        calls=calls,
        interval_s=interval_s,
        aht_s=aht_s,
        target_s=target_s,
        service_level=service_level,
        shrinkage=shrinkage,
        max_occupancy=max_occupancy,
        patience_s=patience_s,
        max_abandon=max_abandon,
    )
    out = result.to_dict()
    if seats is not None:
        perf = erlang.evaluate(
            seats=seats,
            calls=calls,
            interval_s=interval_s,
            aht_s=aht_s,
            target_s=target_s,
            patience_s=patience_s,
        )
        out["evaluated"] = {
            "seats": perf.seats,
            "service_level": perf.service_level,
            "p_wait": perf.p_wait,
            "asa_s": perf.asa_s,
            "occupancy": perf.occupancy,
            "abandon_rate": perf.abandon_rate,
            "meets_target": erlang.meets(
                perf,
                erlang.Target(
                    target_s=target_s,
                    service_level=service_level,
                    max_occupancy=max_occupancy,
                    max_abandon=max_abandon,
                ),
            ),
        }
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


def register(app: typer.Typer) -> None:
    """Add the seat-planning commands to the ``hotline`` group."""
    app.command("erlang")(_erlang_command)

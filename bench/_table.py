"""The one row format of docs/performance.md's table, shared by every benchmark in ``bench/``.

A benchmark calls :func:`row` at its end for each figure it measured (or :func:`skipped` for one
it could not measure, saying why): the row is printed as a line of the Markdown table and, when
``MINSHENG_BENCH_OUT`` names a file, appended to it as one JSON object a line, which
``bench/report.py`` turns into the table of the document. Every row carries the machine's load
average (1, 5, 15 min) and CPU count at the time it was measured: the machine may be shared, and a
figure means little without the load it was taken under.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

OUT_ENV = "MINSHENG_BENCH_OUT"
COLUMNS = ("figure", "measured", "baseline, same run", "ratio", "target", "load (1, 5, 15 min)")


def machine_load() -> list[float]:
    """The load average now (1, 5, 15 min), rounded for the table."""
    return [round(x, 2) for x in os.getloadavg()]


def row(
    bench: str,
    figure: str,
    measured: str,
    baseline: str,
    ratio: float | None,
    *,
    ratio_note: str = "",
    target: str = "",
    met: bool | None = None,
    load: list[float] | None = None,
) -> dict[str, Any]:
    """Emit one measured figure. ``ratio`` is the figure over its baseline (higher is better
    unless ``ratio_note`` says otherwise); ``target`` names the issue's target and ``met``
    whether this run met it (None: no target, or not checkable at this size); ``load`` is the
    load average when the measurement started (now when not given)."""
    record = {
        "bench": Path(bench).name,
        "figure": figure,
        "measured": measured,
        "baseline": baseline,
        "ratio": None if ratio is None else round(ratio, 3),
        "ratio_note": ratio_note,
        "target": target,
        "met": met,
        "skipped": None,
        "load": load if load is not None else machine_load(),
        "cpus": os.cpu_count() or 1,
        "quick": "--quick" in sys.argv[1:],
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _emit(record)
    return record


def skipped(bench: str, figure: str, reason: str) -> dict[str, Any]:
    """Emit a row for a figure that was not measured, with the reason (never a figure)."""
    record = skipped_record(bench, figure, reason)
    _emit(record)
    return record


def skipped_record(bench: str, figure: str, reason: str) -> dict[str, Any]:
    """The row :func:`skipped` emits, built without emitting it (for ``bench/report.py``)."""
    return {
        "bench": Path(bench).name,
        "figure": figure,
        "measured": "",
        "baseline": "",
        "ratio": None,
        "ratio_note": "",
        "target": "",
        "met": None,
        "skipped": reason,
        "load": machine_load(),
        "cpus": os.cpu_count() or 1,
        "quick": "--quick" in sys.argv[1:],
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def markdown(record: dict[str, Any]) -> str:
    """One line of the Markdown table for a row (as emitted, or read back from the JSON)."""
    figure = f"{record['figure']}, `bench/{record['bench']}`"
    load = " ".join(f"{x:.2f}" for x in record["load"]) + f" ({record['cpus']} CPUs)"
    if record["skipped"]:
        cells = [figure, f"not measured: {record['skipped']}", "", "", "", load]
    else:
        ratio = "" if record["ratio"] is None else f"{record['ratio']:.2f}"
        if record["ratio_note"]:
            ratio = f"{ratio} ({record['ratio_note']})" if ratio else record["ratio_note"]
        target = record["target"]
        if target and record["met"] is not None:
            target += ": **met**" if record["met"] else ": **not met**"
        cells = [figure, record["measured"], record["baseline"], ratio, target, load]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _cell(text: str) -> str:
    # A pipe would end the cell early; a newline would end the row.
    return text.replace("|", "\\|").replace("\n", " ")


def _emit(record: dict[str, Any]) -> None:
    print(markdown(record), flush=True)
    out = os.environ.get(OUT_ENV)
    if out:
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")

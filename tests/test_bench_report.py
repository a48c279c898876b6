"""The writer of docs/performance.md's table (bench/report.py, bench/_table.py) on sample rows:
what each row says, the order of the table, the document rewritten only between its markers.
No benchmark runs here."""

from __future__ import annotations

import importlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def report() -> Any:
    # bench/ is a folder of scripts, not a package: its modules import each other by name.
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("report")
    finally:
        sys.path.remove(str(BENCH))


def sample(report: Any, **changes: Any) -> dict[str, Any]:
    row = {
        "bench": "erlang.py",
        "figure": "Erlang C: 24,000 single sizings (`size_c`)",
        "measured": "0.034 s CPU",
        "baseline": "pyworkforce `ErlangC`: 0.104 s CPU",
        "ratio": 3.0588,
        "ratio_note": "speed on CPU",
        "target": "≥ 3× pyworkforce",
        "met": True,
        "skipped": None,
        "load": [10.37, 11.2, 12.355],
        "cpus": 2,
        "quick": True,
        "at": "2026-12-02T10:00:00+00:00",
    }
    return row | changes


def a_run(report: Any, **changes: Any) -> Any:
    run = report.Run(
        quick=True,
        started=datetime(2026, 12, 2, 10, 0, tzinfo=UTC),
        finished=datetime(2026, 12, 2, 16, 5, tzinfo=UTC),
        load_start=[5.5, 4.25, 3.0],
        load_end=[7.0, 6.0, 5.0],
        cpus=2,
        seconds={"erlang.py": 12.4, "simulate.py": 50.0},
    )
    for key, value in changes.items():
        setattr(run, key, value)
    return run


def test_a_measured_row_has_every_column(report: Any) -> None:
    line = report._table.markdown(sample(report))
    assert line == (
        "| Erlang C: 24,000 single sizings (`size_c`), `bench/erlang.py` | 0.034 s CPU | "
        "pyworkforce `ErlangC`: 0.104 s CPU | 3.06 (speed on CPU) | ≥ 3× pyworkforce: **met** "
        "| 10.37 11.20 12.36 (2 CPUs) |"
    )


def test_a_missed_target_and_a_row_without_ratio_or_target(report: Any) -> None:
    missed = report._table.markdown(sample(report, met=False, ratio=2.5))
    assert "| 2.50 (speed on CPU) | ≥ 3× pyworkforce: **not met** |" in missed
    bare = report._table.markdown(sample(report, ratio=None, ratio_note="", target="", met=None))
    assert "| pyworkforce `ErlangC`: 0.104 s CPU |  |  | 10.37" in bare


def test_a_skipped_row_says_why_and_carries_no_figure(report: Any) -> None:
    row = report._table.skipped_record("serve_speed.py", "Framework speed", "wrk is not installed")
    assert row["ratio"] is None
    assert row["measured"] == ""
    line = report._table.markdown(row)
    assert line.startswith(
        "| Framework speed, `bench/serve_speed.py` | not measured: wrk is not installed |  |  |  |"
    )


def test_a_pipe_in_a_cell_does_not_split_it(report: Any) -> None:
    line = report._table.markdown(sample(report, measured="a | b\nc"))
    assert "| a \\| b c |" in line


def test_the_table_follows_the_order_of_the_benchmarks_and_heads_with_the_run(
    report: Any,
) -> None:
    rows = [
        sample(report, bench="sip_mixer.py", figure="mixer"),
        sample(report, bench="simulate.py", figure="sim events"),
        sample(report, bench="erlang.py", figure="erlang single"),
        sample(report, bench="simulate.py", figure="sim calls"),
    ]
    text = report.render(rows, a_run(report))
    lines = text.splitlines()
    # 10:00–16:05 UTC is 18:00–00:05 in Beijing: the date is the start's, in Beijing time.
    assert lines[0].startswith(
        "Produced by `make bench QUICK=1` (each benchmark's `--quick` sizes) on 2026-12-02, "
        "18:00–00:05 Beijing time, on 2 CPUs; load average (1, 5, 15 min) 5.50 4.25 3.00 at "
        "the start, 7.00 6.00 5.00 at the end."
    )
    assert lines[2] == (
        "| figure | measured | baseline, same run | ratio | target | load (1, 5, 15 min) |"
    )
    figures = [line.split(",")[0].removeprefix("| ") for line in lines[4:8]]
    assert figures == ["erlang single", "sim events", "sim calls", "mixer"]
    assert lines[-1] == (
        "Run time of each benchmark: `erlang.py` 12 s, `simulate.py` 50 s; 1.0 min in all."
    )


def test_the_hosts_speed_when_measured(report: Any) -> None:
    heading = report.render([sample(report)], a_run(report)).splitlines()[0]
    assert "host's speed" not in heading  # rows read back from JSON carry no speed
    heading = report.render(
        [sample(report)], a_run(report, speed_start=1.234, speed_end=0.5)
    ).splitlines()[0]
    assert heading.endswith(
        "The host's speed: a fixed pure-Python loop (10,000,000 additions) took 1.23 s of CPU "
        "at the start and 0.50 s at the end (a rough gauge of the host for the absolute figures "
        "— rows/s, decisions/s, p99; work bound by memory rather than the CPU can move by more)."
    )


def test_a_full_run_says_so(report: Any) -> None:
    text = report.render([sample(report)], a_run(report, quick=False, seconds={}))
    assert text.startswith("Produced by `make bench` (full sizes) on 2026-12-02")
    assert "Run time" not in text


def test_rewrite_replaces_only_what_is_between_the_markers(report: Any) -> None:
    doc = (
        "# Performance\n\nprose before\n\n"
        f"{report.START}\n\nold table\n| a |\n\n{report.END}\n\n## Erlang\n\nprose after\n"
    )
    new = report.rewrite(doc, "new table\n")
    assert new == (
        "# Performance\n\nprose before\n\n"
        f"{report.START}\n\nnew table\n\n{report.END}\n\n## Erlang\n\nprose after\n"
    )
    assert report.rewrite(new, "new table\n") == new  # a second run changes nothing more


def test_rewrite_refuses_a_document_without_its_markers(report: Any) -> None:
    with pytest.raises(ValueError, match="marker"):
        report.rewrite("# Performance\n\nno markers\n", "table\n")


def test_rows_read_back_from_the_json_lines_file(report: Any, tmp_path: Path) -> None:
    out = tmp_path / "rows.jsonl"
    rows = [sample(report), sample(report, bench="roster.py")]
    out.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n")
    assert report.read_rows(out) == rows
    assert report.read_rows(tmp_path / "missing.jsonl") == []


def test_emitted_rows_are_printed_and_appended_when_asked(
    report: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rows.jsonl"
    monkeypatch.setenv(report._table.OUT_ENV, str(out))
    row = report._table.row("bench/erlang.py", "fig", "1 s", "2 s", 2.0, load=[1.0, 2.0, 3.0])
    assert row["bench"] == "erlang.py"
    assert report.read_rows(out) == [row]
    assert capsys.readouterr().out == report._table.markdown(row) + "\n"
    monkeypatch.delenv(report._table.OUT_ENV)
    report._table.row("bench/erlang.py", "fig", "1 s", "2 s", 2.0)
    assert len(report.read_rows(out)) == 1


def test_a_failed_benchmark_gets_a_row_saying_so(report: Any) -> None:
    row = report.failed_row("sip_cluster.py", 1, "--pg postgresql+psycopg://... needed", 0)
    assert row["skipped"] == (
        "exited with code 1 before measuring anything: --pg postgresql+psycopg://... needed"
    )
    assert row["ratio"] is None


def test_every_benchmark_is_run_by_make_bench(report: Any) -> None:
    scripts = {p.name for p in BENCH.glob("*.py")} - set(report.NOT_BENCHES)
    assert scripts == set(report.BENCHES)

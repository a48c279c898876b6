"""Run every benchmark and rewrite the table of docs/performance.md from the rows they emit.

``make bench`` (full sizes) and ``make bench QUICK=1`` (each benchmark's ``--quick``) call this.
Each benchmark runs in its own process with ``MINSHENG_BENCH_OUT`` pointing at a JSON-lines file,
where ``bench/_table.py`` appends its rows; a benchmark that fails before emitting a row gets one
saying so (with its last error line), never a figure. When no PostgreSQL is given
(``MINSHENG_BENCH_PG_URL``), a throwaway cluster is started with ``.ci/pg.sh`` as the tests do,
and stopped at the end. The table is written between the two marker lines of the document (the
prose around it stays), headed by the run's date and time in Beijing time and the machine's load.

    .venv/bin/python bench/report.py --quick                # what `make bench QUICK=1` runs
    .venv/bin/python bench/report.py --only erlang.py simulate.py --no-write
    .venv/bin/python bench/report.py --from-json rows.jsonl  # rewrite the table, run nothing
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import _table
from minsheng.core.timeutil import BEIJING

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
START = "<!-- bench table: written by bench/report.py (make bench); edit the benches, not this -->"
END = "<!-- end of bench table -->"
# Every benchmark, in the order of the table (bare_verify_app.py is serve_speed.py's baseline
# server, not a benchmark).
BENCHES = (
    "erlang.py",
    "simulate.py",
    "hotline_engine.py",
    "roster.py",
    "enforcement_grading.py",
    "enforcement_planning.py",
    "enforcement_decisions.py",
    "serve_speed.py",
    "cert_http.py",
    "cert_registry.py",
    "import_copy.py",
    "adscan_worst.py",
    "sip_load.py",
    "sip_media.py",
    "sip_mixer.py",
    "sip_cluster.py",
)
NO_PG = "no PostgreSQL: none given (MINSHENG_BENCH_PG_URL) and .ci/pg.sh could not start one"
NOT_BENCHES = ("_table.py", "report.py", "bare_verify_app.py")


@dataclass
class Run:
    """What the table's heading says about the run that produced it."""

    quick: bool
    started: datetime
    finished: datetime
    load_start: list[float]
    load_end: list[float]
    cpus: int
    seconds: dict[str, float] = field(default_factory=dict)
    # CPU seconds of one fixed pure-Python workload (``host_speed``) at the start and the end.
    speed_start: float | None = None
    speed_end: float | None = None


def host_speed() -> float:
    """CPU seconds this host takes for a fixed pure-Python loop (10,000,000 additions), best of
    3. Ratios in the table are taken against baselines of the same run, but absolute figures
    (rows/s, decisions/s, p99) move with the host: on the shared machines these tables come from,
    the same loop has taken from under 0.5 s to about 1.8 s on different days."""
    best = float("inf")
    for _ in range(3):
        t = time.process_time()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.process_time() - t)
    return best


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSON-lines file (blank lines ignored)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def ordered(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows grouped by benchmark in the table's order, each benchmark's rows as emitted."""
    rank = {name: i for i, name in enumerate(BENCHES)}
    return sorted(rows, key=lambda r: rank.get(r["bench"], len(BENCHES)))


def _load(values: Sequence[float]) -> str:
    return " ".join(f"{x:.2f}" for x in values)


def render(rows: Iterable[dict[str, Any]], run: Run) -> str:
    """The heading line, the Markdown table and the benchmarks' run times."""
    day = run.started.astimezone(BEIJING)
    end = run.finished.astimezone(BEIJING)
    command = "make bench QUICK=1" if run.quick else "make bench"
    sizes = "each benchmark's `--quick` sizes" if run.quick else "full sizes"
    lines = [
        f"Produced by `{command}` ({sizes}) on {day:%Y-%m-%d}, {day:%H:%M}–{end:%H:%M} Beijing "
        f"time, on {run.cpus} CPUs; load average (1, 5, 15 min) {_load(run.load_start)} at the "
        f"start, {_load(run.load_end)} at the end. Each row gives the load when its measurement "
        "began; every ratio is against a baseline measured in the same run."
        + (
            f" The host's speed: a fixed pure-Python loop (10,000,000 additions) took "
            f"{run.speed_start:.2f} s of CPU at the start and {run.speed_end:.2f} s at the end "
            "(a rough gauge of the host for the absolute figures — rows/s, decisions/s, p99; "
            "work bound by memory rather than the CPU can move by more)."
            if run.speed_start is not None and run.speed_end is not None
            else ""
        ),
        "",
        "| " + " | ".join(_table.COLUMNS) + " |",
        "|" + "---|" * len(_table.COLUMNS),
    ]
    lines += [_table.markdown(r) for r in ordered(rows)]
    if run.seconds:
        spent = ", ".join(f"`{name}` {secs:,.0f} s" for name, secs in run.seconds.items())
        total = sum(run.seconds.values())
        lines += ["", f"Run time of each benchmark: {spent}; {total / 60:,.1f} min in all."]
    return "\n".join(lines) + "\n"


def rewrite(doc: str, table: str) -> str:
    """``doc`` with everything between the marker lines replaced by ``table``."""
    head, start, rest = doc.partition(START + "\n")
    _old, end, tail = rest.partition(END + "\n")
    if not start or not end:
        raise ValueError(f"the document lacks the marker lines {START!r} and {END!r}")
    return head + start + "\n" + table + "\n" + end + tail


def failed_row(name: str, code: int, last: str, emitted: int) -> dict[str, Any]:
    """The row of a benchmark that exited with an error: what it said, no figure."""
    said = f": {last}" if last else ""
    when = "after its rows" if emitted else "before measuring anything"
    return _table.skipped_record(name, "(the run)", f"exited with code {code} {when}{said}")


def append(out: Path, record: dict[str, Any]) -> None:
    with out.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_postgres(data_dir: Path) -> str | None:
    """A throwaway cluster by .ci/pg.sh (as the tests start one): its URL, or None."""
    try:
        out = subprocess.run(
            ["bash", str(ROOT / ".ci" / "pg.sh"), "start", str(data_dir), str(free_port())],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"report: no PostgreSQL ({exc}); its rows will say so", file=sys.stderr)
        return None
    return out.strip().rsplit("=", 1)[1]


def run_one(name: str, args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run one benchmark (its output shown as it comes); its exit code and last error line."""
    cmd = [sys.executable, str(ROOT / "bench" / name), *args]
    last: collections.deque[str] = collections.deque(maxlen=1)
    with subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, cwd=ROOT) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            sys.stderr.write(line)
            if line.strip():
                last.append(line.strip().rsplit("\r", 1)[-1])
    return proc.returncode, last[0] if last else ""


def run_all(names: Sequence[str], quick: bool, out: Path) -> Run:
    """Run ``names`` one after the other, their rows appended to ``out``."""
    env = dict(os.environ, **{_table.OUT_ENV: str(out)})
    pg_dir = None
    if "MINSHENG_BENCH_PG_URL" not in env and {"import_copy.py", "cert_registry.py",
                                               "sip_cluster.py"} & set(names):  # fmt: skip
        pg_dir = Path(tempfile.mkdtemp(prefix="minsheng-bench-pg-")) / "data"
        url = start_postgres(pg_dir)
        if url:
            env["MINSHENG_BENCH_PG_URL"] = url
    if "MINSHENG_BENCH_PG_URL" in env:
        env.setdefault("MINSHENG_TEST_DATABASE_URL", env["MINSHENG_BENCH_PG_URL"])
    run = Run(
        quick=quick,
        started=datetime.now(UTC),
        finished=datetime.now(UTC),
        load_start=_table.machine_load(),
        load_end=[],
        cpus=os.cpu_count() or 1,
        speed_start=host_speed(),
    )
    try:
        for name in names:
            print(f"=== bench/{name}", flush=True)
            before = len(read_rows(out))
            t0 = time.perf_counter()
            args = ["--quick"] if quick else []
            if name == "import_copy.py" and "MINSHENG_BENCH_PG_URL" not in env:
                args.append("--db=sqlite")
                append(out, _table.skipped_record(name, "Bulk import (postgresql)", NO_PG))
            code, last = run_one(name, args, env)
            run.seconds[name] = time.perf_counter() - t0
            emitted = read_rows(out)[before:]
            # A benchmark that stopped after saying why in a row (a missing tool) needs no more.
            if code != 0 and not (emitted and all(r["skipped"] for r in emitted)):
                append(out, failed_row(name, code, last, len(emitted)))
    finally:
        if pg_dir is not None:
            subprocess.run(["bash", str(ROOT / ".ci" / "pg.sh"), "stop", str(pg_dir)], check=False)
            shutil.rmtree(pg_dir.parent, ignore_errors=True)
    run.finished = datetime.now(UTC)
    run.load_end = _table.machine_load()
    run.speed_end = host_speed()
    return run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="each benchmark's --quick sizes")
    parser.add_argument("--only", nargs="+", choices=BENCHES, help="these benchmarks only")
    parser.add_argument("--doc", type=Path, default=DOC, help="the document to rewrite")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument("--out", type=Path, help="keep the rows (JSON lines) in this file")
    parser.add_argument(
        "--from-json", type=Path, help="write the table from this file of rows; run nothing"
    )
    args = parser.parse_args(argv)
    if args.from_json:
        rows = read_rows(args.from_json)
        at = [datetime.fromisoformat(r["at"]) for r in rows]
        loads = [r["load"] for r in sorted(rows, key=lambda r: r["at"])]
        run = Run(
            quick=all(r["quick"] for r in rows),
            started=min(at),
            finished=max(at),
            load_start=loads[0],
            load_end=loads[-1],
            cpus=rows[0]["cpus"],
        )
    else:
        with tempfile.TemporaryDirectory(prefix="minsheng-bench-") as tmp:
            out = args.out or Path(tmp) / "rows.jsonl"
            out.write_text("", encoding="utf-8")
            run = run_all(args.only or BENCHES, args.quick, out)
            rows = read_rows(out)
    table = render(rows, run)
    print("\n" + table)
    if not args.no_write:
        args.doc.write_text(rewrite(args.doc.read_text(encoding="utf-8"), table), "utf-8")
        print(f"written to {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

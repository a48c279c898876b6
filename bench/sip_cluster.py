"""The SIP cluster's cost and its failover gap: Kamailio + two B2BUA nodes vs one node direct.

Same machine, same run, PostgreSQL for the records in both (the cluster needs it; ``--pg URL``,
default ``$MINSHENG_TEST_DATABASE_URL``; scratch databases are created beside it and dropped):

* **direct** — one ``minsheng hotline sip serve`` (no cluster), sipp calling it directly;
* **cluster** — Kamailio (generated ``kamailio.cfg``, one worker) in front of nodes n1 (partition
  ``south``: Guangdong) and n2 (``north``: Beijing, and the national backup); two sipp callers,
  half the calls from Shenzhen (``X-Origin-Area: 0755``) and half dialling ``01012356``.

Both directories hold a Guangdong and a Beijing line with 500 static seats each (never the
limit), all pointing at one sipp seat. The rate steps up as in ``bench/sip_load.py`` until a trial
fails (sipp exit code not 0, or a call without its record). Then the failover gap: 20 calls/s
through the cluster for 12 s, ``kill -9`` of n1 after 4 s, and the longest time a caller waited
for the answer (sipp's response times) before, around and after the kill.

    .venv/bin/python bench/sip_cluster.py --quick
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sip_load import (
    cpu_seconds,
    free_port,
    sipp_args,
    wait_listening,
)

SEATS = 500
HOLD_MS = 500
RATES = (50, 100, 150, 200, 300, 400)


def scratch_db(base: str, label: str) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.conftest import create_scratch_pg

    return create_scratch_pg(base, label)


def drop_db(url: str) -> None:
    from tests.conftest import drop_scratch_pg

    drop_scratch_pg(url)


@dataclass
class Target:
    """What a trial calls: a host:port and scenario per caller, and the processes to measure."""

    name: str
    callers: list[tuple[int, str, dict[str, str]]]  # (port, dialled, keys)
    scenario: str
    processes: list[subprocess.Popen[str]]
    count: Any
    stop_fns: list[Any] = field(default_factory=list)

    def stop(self) -> None:
        for fn in self.stop_fns:
            fn()


class Bench:
    def __init__(self, workdir: Path, pg: str) -> None:
        from minsheng.core import migrate
        from minsheng.core.config import Settings
        from minsheng.core.db import make_engine, make_sessionmaker, session_scope
        from minsheng.hotline import service
        from minsheng.hotline.schemas import CounsellorCreate
        from minsheng.hotline.service import cluster as cluster_service

        self.workdir = workdir
        self.db = scratch_db(pg, "bench")
        self.kam_db = scratch_db(pg, "benchkam")
        self.settings = Settings(database_url=self.db, secret_key="bench", var_dir=workdir)
        migrate.upgrade(self.settings)
        self.engine = make_engine(self.settings)
        self.sessions = make_sessionmaker(self.engine)
        self.seat_port = free_port()
        lines = [
            {"id": "gd-province", "name": "广东", "level": "province", "regions": ["440000"]},
            {"id": "bj-province", "name": "北京", "level": "province", "regions": ["110000"]},
            {"id": "national", "name": "全国", "level": "national", "regions": []},
        ]
        for line in lines:
            line.update(hours="00:00-24:00", seats=SEATS, legacy_numbers=[],
                        connected_at="2025-04-30T00:00:00+08:00")  # fmt: skip
        seats = []
        with session_scope(self.sessions) as session:
            service.import_hotlines(session, lines, actor="bench")
            for prefix, hid in (("gd", "gd-province"), ("bj", "bj-province")):
                for i in range(SEATS):
                    cid = f"{prefix}{i:03d}"
                    data = CounsellorCreate(id=cid, name=f"咨询员{cid}", hotline_id=hid)
                    service.create_counsellor(session, data, actor="bench")
                    seats.append(
                        {"counsellor_id": cid, "contact": f"sip:{cid}@127.0.0.1:{self.seat_port}"}
                    )
        self.seats_file = workdir / "seats.json"
        self.seats_file.write_text(json.dumps(seats))
        self.nodes = {n: (free_port(), free_port()) for n in ("n1", "n2")}
        layout = {
            "nodes": [
                {"id": n, "sip": f"127.0.0.1:{p}", "control": f"127.0.0.1:{c}"}
                for n, (p, c) in self.nodes.items()
            ],
            "partitions": [
                {"id": "south", "provinces": ["440000"], "primary": "n1", "standby": "n2"},
                {"id": "north", "provinces": ["110000"], "primary": "n2", "standby": "n1"},
                {"id": "national", "national": True, "primary": "n2", "standby": "n1"},
            ],
        }
        with session_scope(self.sessions) as session:
            cluster_service.load_cluster(session, layout, actor="bench")
        self.kamailio_port = free_port()
        out = subprocess.run(
            [sys.executable, "-c", "from minsheng.cli import main; main()", "hotline", "sip",
             "kamailio-config", "--out", str(workdir / "kamailio"), "--seats",
             str(self.seats_file), "--listen", f"127.0.0.1:{self.kamailio_port}",
             "--kamailio-db", self.kam_db, "--children", "1"],
            env=self.env(), capture_output=True, text=True, check=False,
        )  # fmt: skip
        if out.returncode != 0:
            raise SystemExit(f"kamailio-config failed: {out.stdout}{out.stderr}")

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "MINSHENG_DATABASE_URL": self.db,
            "MINSHENG_SECRET_KEY": "bench",
            "MINSHENG_VAR_DIR": str(self.workdir),
            "MINSHENG_HOTLINE_WRAPUP_S": "0",
        }

    def count(self) -> int:
        from minsheng.hotline import service

        with self.sessions() as session:
            return service.count_calls(session)

    def _serve(self, *extra: str, port: int) -> subprocess.Popen[str]:
        args = [
            sys.executable, "-c", "from minsheng.cli import main; main()",
            "hotline", "sip", "serve", "--listen", f"127.0.0.1:{port}",
            "--seats", str(self.seats_file), *extra,
        ]  # fmt: skip
        process = subprocess.Popen(
            args, env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        wait_listening(process)
        return process

    def direct(self) -> Target:
        port = free_port()
        process = self._serve("--control", "off", port=port)
        _settle([process])
        keys = {"caller": "13800138000", "origin": "0755", "crisis": "0"}
        target = Target("direct", [(port, "12356", keys)], "caller.xml", [process], self.count)
        target.stop_fns.append(lambda: _stop(process))
        return target

    def cluster(self) -> Target:
        run = self.workdir / "kamailio-run"
        run.mkdir(exist_ok=True)
        kam = subprocess.Popen(
            ["kamailio", "-f", str(self.workdir / "kamailio" / "kamailio.cfg"), "-DD", "-E",
             "-m", "1024", "-Y", str(run)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        nodes = []
        for node, (port, control) in self.nodes.items():
            nodes.append(
                self._serve(
                    "--node",
                    node,
                    "--control",
                    f"127.0.0.1:{control}",
                    "--kamailio-db",
                    self.kam_db,
                    port=port,
                )
            )
        _wait_probed(self.workdir / "kamailio" / "kamailio_ctl")
        _settle(nodes)
        south = {"caller": "13800138000", "origin": "0755", "crisis": "0"}
        north = {"caller": "13800138000", "origin": "", "crisis": "0"}
        callers = [(self.kamailio_port, "12356", south), (self.kamailio_port, "01012356", north)]
        target = Target("cluster", callers, "caller_proxy.xml", [*nodes, kam], self.count)
        target.stop_fns += [lambda p=p: _stop(p) for p in [*nodes, kam]]
        return target

    def close(self) -> None:
        self.engine.dispose()
        drop_db(self.db)
        drop_db(self.kam_db)


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _settle(processes: list[subprocess.Popen[str]], timeout: float = 20.0) -> None:
    """Wait until freshly started servers (and their record-writer children, which import the
    whole application) are idle: a node busy starting answers its first INVITEs late."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cpu0 = sum(cpu_seconds(p.pid) for p in processes)
        time.sleep(0.5)
        if sum(cpu_seconds(p.pid) for p in processes) - cpu0 < 0.05:
            break
    time.sleep(1.0)  # the record writers' children (not measured above)


def _wait_probed(ctl: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["kamcmd", "-s", str(ctl), "dispatcher.list"],
                             capture_output=True, text=True, check=False).stdout  # fmt: skip
        flags = [ln.split(":", 1)[1].strip() for ln in out.splitlines() if "FLAGS" in ln]
        if flags and all(f.startswith("A") for f in flags):
            return
        time.sleep(0.2)
    raise RuntimeError("Kamailio never saw both nodes alive")


def trial(target: Target, rate: int, seconds: float, workdir: Path, recv: int,
          extra: tuple[str, ...] = ()) -> tuple[bool, list[Path], float]:  # fmt: skip
    calls_each = int(rate * seconds / len(target.callers))
    total = calls_each * len(target.callers)
    before = target.count()
    cpu0 = sum(cpu_seconds(p.pid) for p in target.processes)
    runs, procs = [], []
    started = time.monotonic()
    started_at = time.time()
    for i, (port, dialled, keys) in enumerate(target.callers):
        run = workdir / f"{target.name}-{rate}-{i}-{int(time.time() * 1000)}"
        run.mkdir()
        args = [*sipp_args(target.scenario, run, free_port()), f"127.0.0.1:{port}",
                "-s", dialled, "-r", str(rate / len(target.callers)), "-m", str(calls_each),
                "-d", str(HOLD_MS), "-recv_timeout", str(recv),
                "-timeout", f"{int(seconds) + 60}s", "-timeout_error", *extra]  # fmt: skip
        for name, value in keys.items():
            args += ["-key", name, value]
        runs.append(run)
        procs.append(subprocess.Popen(args, cwd=run, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))  # fmt: skip
    return_codes = [p.wait() for p in procs]
    took = time.monotonic() - started
    cpu = (sum(cpu_seconds(p.pid) for p in target.processes if p.poll() is None) - cpu0) / took
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and target.count() - before < total:
        time.sleep(0.2)
    stored = target.count() - before
    ok = all(rc == 0 for rc in return_codes) and stored == total
    print(f"  {target.name:8s} {rate:4d} calls/s x {seconds:g}s: {'ok  ' if ok else 'FAIL'} "
          f"(sipp exit {return_codes}, records {stored}/{total}, servers CPU {cpu:.0%})",
          flush=True)  # fmt: skip
    return ok, runs, started_at


def failover_gap(bench: Bench, workdir: Path, rate: int = 20, seconds: float = 12.0) -> None:
    target = bench.cluster()
    try:
        n1 = target.processes[0]
        callers = [(p, d, k) for p, d, k in target.callers if k["origin"] == "0755"]
        south_only = Target("failover", callers, target.scenario, [], bench.count)
        import threading

        killed: list[float] = []

        def kill_later() -> None:
            time.sleep(4.0)
            killed.append(time.time())
            n1.send_signal(signal.SIGKILL)

        threading.Thread(target=kill_later, daemon=True).start()
        _ok, runs, t0 = trial(south_only, rate, seconds, workdir, 10_000,
                              ("-trace_rtt", "-rtt_freq", "1"))  # fmt: skip
        times: list[tuple[float, float]] = []
        for run in runs:
            for f in run.glob("*_rtt.csv"):
                with f.open() as fh:
                    for row in csv.reader(fh, delimiter=";"):
                        try:
                            # Date_ms counts from sipp's start
                            times.append((t0 + float(row[0]) / 1000.0, float(row[1])))
                        except (ValueError, IndexError):
                            continue
        if not times or not killed:
            print("failover: no response times recorded")
            return
        k = killed[0]
        before = [ms for t, ms in times if t < k]
        around = [ms for t, ms in times if k <= t < k + 3]
        after = [ms for t, ms in times if t >= k + 3]
        print(
            f"failover at {rate} calls/s: longest wait for the answer before the kill "
            f"{max(before, default=0):.0f} ms, "
            f"in the 3 s after it {max(around, default=0):.0f} ms "
            f"({sum(ms > 500 for ms in around)} calls over 0.5 s), "
            f"later {max(after, default=0):.0f} ms"
        )
    finally:
        target.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s trials, fewer rates")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--rates", help="comma-separated rates")
    parser.add_argument("--pg", default=os.environ.get("MINSHENG_TEST_DATABASE_URL", ""))
    parser.add_argument("--recv-timeout", type=int, default=5000)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--skip-failover", action="store_true")
    args = parser.parse_args()
    if not args.pg.startswith("postgresql"):
        raise SystemExit("--pg postgresql+psycopg://... (or MINSHENG_TEST_DATABASE_URL) needed")
    if shutil.which("kamailio") is None and not Path("/usr/sbin/kamailio").exists():
        raise SystemExit("kamailio is not installed (.ci/provision.d/kamailio.sh)")
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    rates = RATES[:4] if args.quick else RATES
    if args.rates:
        rates = tuple(int(r) for r in args.rates.split(","))
    os.environ["PATH"] = "/usr/sbin:" + os.environ.get("PATH", "")
    with tempfile.TemporaryDirectory(prefix="sip-cluster-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        bench = Bench(workdir, args.pg)
        seat_dir = workdir / "seat"
        seat_dir.mkdir()
        seat = subprocess.Popen(
            [*sipp_args("seat_answers.xml", seat_dir, bench.seat_port), "127.0.0.1:5060"],
            cwd=seat_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            print(f"hold {HOLD_MS} ms; trials of {seconds:g}s; records in PostgreSQL")

            def measure(start: Any) -> int:
                def one(rate: int) -> bool:
                    target = start()
                    try:
                        return trial(target, rate, seconds, workdir, args.recv_timeout)[0]
                    finally:
                        target.stop()

                return highest_rate_with(one, rates)

            print("one node, called directly:")
            direct = measure(bench.direct)
            print("Kamailio + two nodes (half the calls each):")
            cluster = measure(bench.cluster)
            print()
            print(f"one node direct:        {direct} calls/s with zero failed calls")
            print(f"Kamailio + two nodes:   {cluster} calls/s with zero failed calls")
            ratio = cluster / direct if direct else float("nan")
            print(f"ratio: {ratio:.2f} (the front must cost < 10% of one node: ratio >= 0.9)")
            __import__("_table").row(
                __file__, f"SIP cluster: Kamailio + two nodes, trials of {seconds:g} s, highest"
                " rate with zero failed calls", f"{cluster} calls/s (steps up to {max(rates)})",
                f"one node called directly: {direct} calls/s", ratio if direct else None,
                target="ratio ≥ 0.9", met=ratio >= 0.9,
            )  # fmt: skip
            if not args.skip_failover:
                failover_gap(bench, workdir)
        finally:
            seat.kill()
            seat.wait()
            bench.close()


def highest_rate_with(run: Any, rates: tuple[int, ...]) -> int:
    """The search of ``sip_load.highest_rate``: step up until a trial fails, then halve the gap
    to the last good rate twice."""
    good, bad = 0, None
    for rate in rates:
        if run(rate):
            good = rate
        else:
            bad = rate
            break
    if bad is not None and good > 0:
        for _ in range(2):
            mid = (good + bad) // 2
            if mid in (good, bad):
                break
            if run(mid):
                good = mid
            else:
                bad = mid
    return good


if __name__ == "__main__":
    main()

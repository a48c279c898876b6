"""The SIP cluster's cost and its failover gap: Kamailio + two B2BUA nodes vs one node direct.

Same machine, same run, PostgreSQL for the records in both (the cluster needs it; ``--pg URL``,
default ``$MINSHENG_TEST_DATABASE_URL``; scratch databases are created beside it and dropped):

* **direct** — one ``minsheng hotline sip serve`` (no cluster), sipp calling it directly;
* **cluster** — Kamailio (generated ``kamailio.cfg``, one worker) in front of nodes n1 (partition
  ``south``: Guangdong) and n2 (``north``: Beijing, and the national backup); two sipp callers,
  half the calls from Shenzhen (``X-Origin-Area: 0755``) and half dialling ``01012356``.

Both directories hold a Guangdong and a Beijing line with 500 static seats each (never the
limit), all pointing at one sipp seat. The rate steps up as in ``bench/sip_load.py`` until a trial
fails (sipp exit code not 0, a call without its record, or calls placed late: sipp needed more
than 1.2 times the trial's time, so the rate was not kept), then halves the gap twice (below the
first step too). Then the failover gap: 20 calls/s through the cluster for 12 s, ``kill -9`` of
n1 after 4 s, and the longest time a caller waited for the answer (sipp's response times)
before, around and after the kill.

Every trial prints the CPU milliseconds per call of each process (from ``/proc``: Kamailio and
its children, each node, each node's record writer, the PostgreSQL server and its backends when
it runs here, sipp), counted until the trial's records are stored, and the run ends with both
sides' at the highest rate both passed and their ratio. The machine is shared: rates with zero
failures move with the other jobs' load, CPU per call much less — compare those.

    .venv/bin/python bench/sip_cluster.py --quick
    .venv/bin/python bench/sip_cluster.py --only-failover --keep DIR   # keeps logs, databases
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
    free_port,
    sipp_args,
    wait_listening,
)

SEATS = 500
HOLD_MS = 500
RATES = (50, 100, 150, 200, 250, 300, 400)
# --quick: 3 s trials, and steps that go on past one node's rate on an idle machine (~225/s): a
# last step both sides pass would cap the ratio at cluster/that step
QUICK_RATES = (50, 100, 150, 200, 300, 400, 500)


def _proc_table() -> dict[int, tuple[int, float]]:
    """Every process: pid → (parent pid, CPU seconds of it and of its children it has reaped)."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        cpu = sum(int(f) for f in fields[11:15]) / tick  # utime stime cutime cstime
        table[int(entry.name)] = (int(fields[1]), cpu)
    return table


def _tree(table: dict[int, tuple[int, float]], root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _cpu) in table.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            out.append(pid)
            todo.extend(children.get(pid, []))
    return out


def postmaster_pid(url: str) -> int | None:
    """The PostgreSQL server behind ``url`` when it runs on this machine (found by its port)."""
    port = url.rsplit("@", 1)[-1].split("/", 1)[0].rpartition(":")[2] or "5432"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if args[0].endswith(b"postgres") and b"-p" in args:
            at = args.index(b"-p")
            if at + 1 < len(args) and args[at + 1] == port.encode():
                return int(entry.name)
    return None


class Meter:
    """CPU seconds per role, for CPU per call: the machine is shared with other jobs, so rates
    move with their load while a process's CPU time per call does not (much)."""

    def __init__(self, roles: dict[str, tuple[int, str]]) -> None:
        # role → (pid, "own" = that process alone | "children" = its descendants | "tree")
        self.roles = roles

    def read(self) -> dict[str, float]:
        table = _proc_table()
        out: dict[str, float] = {}
        for role, (pid, what) in self.roles.items():
            tree = _tree(table, pid)
            if what == "own":
                pids = tree[:1]
            elif what == "children":
                pids = tree[1:]
            else:
                pids = tree
            out[role] = sum(table[p][1] for p in pids)
        times = os.times()
        out["sipp callers"] = times.children_user + times.children_system  # reaped sipp runs
        return out


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
    roles: dict[str, tuple[int, str]] = field(default_factory=dict)  # for the Meter

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
        self.pg_pid = 0  # the PostgreSQL server's process when it is on this machine (main)
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
        name = extra[extra.index("--node") + 1] if "--node" in extra else "direct"
        with (self.workdir / f"{name}-{port}.log").open("w") as log:  # kept with --keep
            process = subprocess.Popen(
                args, env=self.env(), stdout=subprocess.PIPE, stderr=log, text=True
            )
        wait_listening(process)
        return process

    def direct(self) -> Target:
        port = free_port()
        process = self._serve("--control", "off", port=port)
        _settle([process])
        keys = {"caller": "13800138000", "origin": "0755", "crisis": "0"}
        target = Target("direct", [(port, "12356", keys)], "caller.xml", [process], self.count)
        target.roles = {"node": (process.pid, "own"), "node writer": (process.pid, "children")}
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
        target.roles = {"kamailio": (kam.pid, "tree")}
        for name, process in zip(self.nodes, nodes, strict=True):
            target.roles[name] = (process.pid, "own")
            target.roles[f"{name} writer"] = (process.pid, "children")
        return target

    def close(self, *, drop: bool = True) -> None:
        self.engine.dispose()
        if drop:
            drop_db(self.db)
            drop_db(self.kam_db)
        else:
            print(f"databases kept: {self.db} {self.kam_db}")


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _settle(processes: list[subprocess.Popen[str]], timeout: float = 60.0) -> None:
    """Wait until freshly started servers and their record-writer children (which import the
    whole application) are idle: a node busy starting answers its first INVITEs late, and its
    start-up would count in the first trial's CPU per call. On a loaded machine a process still
    starting gets a fifth of a core or less, so each process is looked at on its own, twice."""

    def cpu() -> dict[int, float]:
        table = _proc_table()
        return {pid: table[pid][1] for p in processes for pid in _tree(table, p.pid)}

    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline and quiet < 2:
        before = cpu()
        time.sleep(1.0)
        after = cpu()
        busy = [pid for pid, t in after.items() if t - before.get(pid, 0.0) > 0.05]
        quiet = 0 if busy or set(after) != set(before) else quiet + 1


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


@dataclass
class Result:
    ok: bool
    runs: list[Path]
    started_at: float
    calls: int
    cpu_ms: dict[str, float]  # role → CPU milliseconds per call


def trial(target: Target, rate: int, seconds: float, workdir: Path, recv: int,
          extra: tuple[str, ...] = (), common: dict[str, tuple[int, str]] | None = None,
          ) -> Result:  # fmt: skip
    calls_each = int(rate * seconds / len(target.callers))
    total = calls_each * len(target.callers)
    before = target.count()
    meter = Meter({**target.roles, **(common or {})})
    cpu0 = meter.read()
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
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and target.count() - before < total:
        time.sleep(0.2)
    stored = target.count() - before
    # after the records are stored: their writing is part of a call's cost
    cpu1 = meter.read()
    cpu_ms = {role: (cpu1[role] - cpu0[role]) * 1000 / max(total, 1) for role in cpu1}
    servers = sum(v for r, v in cpu_ms.items() if not r.startswith("sipp"))
    # zero failures at a rate the callers did not keep (sipp falls behind when the servers
    # answer slowly) would be a lower rate: the calls must go out on time too
    on_time = took <= seconds * 1.2 + HOLD_MS / 1000 + 1.0
    ok = all(rc == 0 for rc in return_codes) and stored == total and on_time
    print(f"  {target.name:8s} {rate:4d} calls/s x {seconds:g}s: {'ok  ' if ok else 'FAIL'} "
          f"(sipp exit {return_codes}, records {stored}/{total}, "
          f"{took:.1f} s{'' if on_time else ' LATE'}, "
          f"servers {servers:.1f} ms CPU/call, load {os.getloadavg()[0]:.1f})",
          flush=True)  # fmt: skip
    print("           " + ", ".join(f"{r} {v:.2f}" for r, v in cpu_ms.items()), flush=True)
    return Result(ok, runs, started_at, total, cpu_ms)


def show_cpu(label: str, cpu_ms: dict[str, float]) -> float:
    """Print CPU milliseconds per call by process; returns the servers' total (not sipp)."""
    servers = sum(v for r, v in cpu_ms.items() if not r.startswith("sipp"))
    parts = ", ".join(f"{r} {v:.2f}" for r, v in cpu_ms.items())
    print(f"  {label}: {servers:.2f} ms CPU/call in the servers ({parts})")
    return servers


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
        result = trial(south_only, rate, seconds, workdir, 10_000,
                       ("-trace_rtt", "-rtt_freq", "1"))  # fmt: skip
        runs, t0 = result.runs, result.started_at
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
    parser.add_argument("--only-failover", action="store_true", help="no rate steps")
    args = parser.parse_args()
    if not args.pg.startswith("postgresql"):
        raise SystemExit("--pg postgresql+psycopg://... (or MINSHENG_TEST_DATABASE_URL) needed")
    if shutil.which("kamailio") is None and not Path("/usr/sbin/kamailio").exists():
        raise SystemExit("kamailio is not installed (.ci/provision.d/kamailio.sh)")
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    rates = QUICK_RATES if args.quick else RATES
    if args.rates:
        rates = tuple(int(r) for r in args.rates.split(","))
    os.environ["PATH"] = "/usr/sbin:" + os.environ.get("PATH", "")
    with tempfile.TemporaryDirectory(prefix="sip-cluster-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        bench = Bench(workdir, args.pg)
        bench.pg_pid = postmaster_pid(args.pg) or 0
        seat_dir = workdir / "seat"
        seat_dir.mkdir()
        seat = subprocess.Popen(
            [*sipp_args("seat_answers.xml", seat_dir, bench.seat_port), "127.0.0.1:5060"],
            cwd=seat_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            print(f"hold {HOLD_MS} ms; trials of {seconds:g}s; records in PostgreSQL")

            common = {"postgres": (bench.pg_pid, "tree"), "sipp seat": (seat.pid, "tree")}
            if not bench.pg_pid:
                del common["postgres"]
                print("(PostgreSQL is not on this machine: its CPU is not counted)")

            def measure(start: Any) -> tuple[int, dict[int, Result]]:
                results: dict[int, Result] = {}

                def one(rate: int) -> bool:
                    target = start()
                    try:
                        results[rate] = trial(target, rate, seconds, workdir, args.recv_timeout,
                                              common=common)  # fmt: skip
                        return results[rate].ok
                    finally:
                        target.stop()

                return highest_rate_with(one, rates), results

            if args.only_failover:
                failover_gap(bench, workdir)
                return
            print("one node, called directly:")
            direct, direct_runs = measure(bench.direct)
            print("Kamailio + two nodes (half the calls each):")
            cluster, cluster_runs = measure(bench.cluster)
            print()
            print(f"one node direct:        {direct} calls/s with zero failed calls")
            print(f"Kamailio + two nodes:   {cluster} calls/s with zero failed calls")
            ratio = cluster / direct if direct else float("nan")
            print(f"ratio: {ratio:.2f} (the front must cost < 10% of one node: ratio >= 0.9)")
            both = [r for r in direct_runs if r in cluster_runs and direct_runs[r].ok
                    and cluster_runs[r].ok]  # fmt: skip
            if both:
                rate = max(both)
                print(f"CPU per call at {rate} calls/s (both sides passed), load "
                      f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}:")  # fmt: skip
                d = show_cpu("direct ", direct_runs[rate].cpu_ms)
                c = show_cpu("cluster", cluster_runs[rate].cpu_ms)
                print(f"  CPU ratio direct/cluster: {d / c:.2f} (what the cluster's rate would "
                      f"be, as a share of one node's, with the CPU as the only limit)")  # fmt: skip
                __import__("_table").row(
                    __file__, f"SIP cluster: CPU per call of every process (Kamailio, nodes, "
                    f"record writers, PostgreSQL) at {rate} calls/s", f"cluster {c:.2f} ms",
                    f"one node directly: {d:.2f} ms", d / c,
                    ratio_note="direct / cluster CPU per call: the share of one node's rate the "
                    "cluster would reach with the CPU as the only limit",
                )  # fmt: skip
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
            bench.close(drop=args.keep is None)  # --keep: the databases too (printed)


def highest_rate_with(run: Any, rates: tuple[int, ...]) -> int:
    """The search of ``sip_load.highest_rate``: step up until a trial fails, then halve the gap
    to the last good rate twice (from half the first rate when that one failed)."""
    good, bad = 0, None
    for rate in rates:
        if run(rate):
            good = rate
        else:
            bad = rate
            break
    if bad is not None and good == 0:
        good = bad // 2 if run(bad // 2) else 0
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

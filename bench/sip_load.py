"""Highest call rate with zero failed calls: the 12356 SIP server vs a plain sippy B2BUA.

Both run on this machine in the same run, against the same sipp caller and the same sipp seat
(``-sn``-style scenarios from tests/hotline/sip/scenarios), UDP on 127.0.0.1:

* **minsheng** — ``minsheng hotline sip serve`` with routing (rules), queueing (the engine) and
  call records (SQLite, through the hotline service) and SIP detail records on: a national line
  with 1,000 static seats (never the limit) that all point at the sipp seat;
* **baseline** — the same sippy set-up (one UDP worker, transport fix) with the
  ``sippy/b2bua_simple.py`` call controller: every INVITE goes to the sipp seat, nothing else.

For each server the rate steps up (50, 100, 150, 200, 300, 400, 600 calls/s) until a trial fails,
then halves the gap to the last good rate twice. A trial passes when sipp's exit code is 0 (no
failed call, no unexpected message, every message within ``--recv-timeout``) and, for minsheng,
when every call has its record in the database. Prints both rates and their ratio (targets from
issue 5: ≥ 100 calls/s, ratio ≥ 0.8) and the servers' CPU use at their best rate.

    .venv/bin/python bench/sip_load.py            # 10 s trials
    .venv/bin/python bench/sip_load.py --quick    # 3 s trials, fewer steps
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _table

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "tests" / "hotline" / "sip" / "scenarios"
RATES = (50, 100, 150, 200, 300, 400, 600)
SEATS = 1000  # never the limit: a call is answered at once, as by the baseline's seat
HOLD_MS = 500


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# the plain sippy B2BUA (baseline) ------------------------------------------------------------
def run_baseline_server(listen_port: int, dest_port: int) -> None:
    """``sippy/b2bua_simple.py``'s call controller with our sippy settings; never returns."""
    from sippy.CCEvents import CCEventDisconnect, CCEventTry
    from sippy.SipTransactionManager import SipTransactionManager
    from sippy.UA import UA

    from minsheng.hotline.sip import stack

    stack.configure_sippy(log="none")
    config = stack.make_global_config(
        stack.ListenAddress("127.0.0.1", listen_port), user_agent="plain-b2bua"
    )

    class CallController:
        def __init__(self) -> None:
            self.ua_a = UA(config, self.recv_event)
            self.ua_o: Any = None

        def recv_event(self, event: Any, ua: Any) -> None:
            if ua is self.ua_a:
                if self.ua_o is None:
                    if not isinstance(event, CCEventTry):
                        self.ua_a.recvEvent(CCEventDisconnect())
                        return
                    self.ua_o = UA(config, self.recv_event, nh_address=("127.0.0.1", dest_port))
                self.ua_o.recvEvent(event)
            else:
                self.ua_a.recvEvent(event)

    def recv_request(req: Any, sip_t: Any) -> Any:
        if req.getHFBody("to").getTag() is not None:
            return (req.genResponse(481, "Call Leg/Transaction Does Not Exist"), None, None)
        if req.getMethod() == "INVITE":
            return CallController().ua_a.recvRequest(req, sip_t)
        return (req.genResponse(501, "Not Implemented"), None, None)

    config["_sip_tm"] = SipTransactionManager(config, recv_request)
    print("listening", flush=True)
    stack.run_loop()


# servers under test ---------------------------------------------------------------------------
@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[str]
    records: Callable[[], int] | None = None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print(f"  ({self.name} did not stop in 30 s: killed)", flush=True)
                self.process.kill()
                self.process.wait()
            took = time.monotonic() - started
            if took > 5:
                print(f"  ({self.name} took {took:.0f} s to stop)", flush=True)


def wait_listening(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening" not in line:
        process.kill()
        raise RuntimeError(f"server did not start: {line}{process.communicate()[1]}")


class MinshengFactory:
    """A migrated SQLite database with the directory, and a fresh server per trial."""

    def __init__(self, workdir: Path, seat_port: int) -> None:
        from minsheng.core import migrate
        from minsheng.core.config import Settings
        from minsheng.core.db import make_engine, make_sessionmaker, session_scope
        from minsheng.hotline import service
        from minsheng.hotline.schemas import CounsellorCreate

        self.workdir = workdir
        self.db_url = f"sqlite:///{workdir / 'bench.db'}"
        self.settings = Settings(database_url=self.db_url, secret_key="bench", var_dir=workdir)
        migrate.upgrade(self.settings)
        self.engine = make_engine(self.settings)
        self.sessions = make_sessionmaker(self.engine)
        hotline = {
            "id": "national", "name": "全国心理援助热线", "level": "national", "regions": [],
            "legacy_numbers": [], "hours": "00:00-24:00", "seats": SEATS,
            "connected_at": "2025-04-30T00:00:00+08:00",
        }  # fmt: skip
        ids = [f"n{i:02d}" for i in range(SEATS)]
        with session_scope(self.sessions) as session:
            service.import_hotlines(session, [hotline], actor="bench")
            for cid in ids:
                data = CounsellorCreate(id=cid, name=f"咨询员{cid}", hotline_id="national")
                service.create_counsellor(session, data, actor="bench")
        seats = [{"counsellor_id": c, "contact": f"sip:{c}@127.0.0.1:{seat_port}"} for c in ids]
        self.seats_file = workdir / "seats.json"
        self.seats_file.write_text(json.dumps(seats))

    def count(self) -> int:
        from minsheng.hotline import service

        with self.sessions() as session:
            return service.count_calls(session)

    def start(self) -> Server:
        port = free_port()
        env = {
            **os.environ,
            "MINSHENG_DATABASE_URL": self.db_url,
            "MINSHENG_SECRET_KEY": "bench",
            "MINSHENG_VAR_DIR": str(self.workdir),
            "MINSHENG_HOTLINE_WRAPUP_S": "0",
        }
        args = [
            sys.executable, "-c", "from minsheng.cli import main; main()",
            "hotline", "sip", "serve", "--listen", f"127.0.0.1:{port}",
            "--seats", str(self.seats_file), "--control", "off",
        ]  # fmt: skip
        process = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        wait_listening(process)
        return Server("minsheng", port, process, self.count)


def start_baseline(seat_port: int) -> Server:
    port = free_port()
    args = [sys.executable, __file__, "--baseline-server", str(port), str(seat_port)]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    wait_listening(process)
    return Server("baseline", port, process)


# trials ---------------------------------------------------------------------------------------
def sipp_args(scenario: str, workdir: Path, port: int) -> list[str]:
    sipp = shutil.which("sipp")
    if sipp is None:
        raise SystemExit("sipp is not installed (Debian package sip-tester)")
    return [
        sipp, "-sf", str(SCENARIOS / scenario), "-i", "127.0.0.1", "-p", str(port),
        "-mp", str(free_port()), "-cp", str(free_port()), "-nostdin", "-trace_err",
    ]  # fmt: skip


def trial(server: Server, rate: int, seconds: float, workdir: Path, recv_timeout_ms: int) -> bool:
    calls = int(rate * seconds)
    before = server.records() if server.records else 0
    cpu0 = cpu_seconds(server.process.pid)
    run = workdir / f"{server.name}-{rate}"
    run.mkdir()
    args = [
        *sipp_args("caller.xml", run, free_port()),
        f"127.0.0.1:{server.port}", "-s", "12356",
        "-key", "caller", "13800138000", "-key", "origin", "", "-key", "crisis", "0",
        "-r", str(rate), "-m", str(calls), "-d", str(HOLD_MS),
        "-l", str(max(50, int(rate * (HOLD_MS / 1000 + 1) * 3))),
        "-recv_timeout", str(recv_timeout_ms), "-timeout", f"{int(seconds) + 60}s",
        "-timeout_error",
    ]  # fmt: skip
    started = time.monotonic()
    rc = subprocess.run(
        args, cwd=run, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ).returncode
    took = time.monotonic() - started
    cpu = (cpu_seconds(server.process.pid) - cpu0) / took
    ok = rc == 0
    stored = None
    if server.records is not None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and server.records() - before < calls:
            time.sleep(0.2)
        stored = server.records() - before
        ok = ok and stored == calls
    note = f", records {stored}/{calls}" if stored is not None else ""
    print(
        f"  {server.name:9s} {rate:4d} calls/s x {seconds:g}s: "
        f"{'ok  ' if ok else 'FAIL'} (sipp exit {rc}{note}, server CPU {cpu:.0%})",
        flush=True,
    )
    return ok


def highest_rate(
    start: Callable[[], Server], seconds: float, workdir: Path, rates: tuple[int, ...], recv: int
) -> int:
    def run(rate: int) -> bool:
        server = start()
        try:
            return trial(server, rate, seconds, workdir, recv)
        finally:
            server.stop()

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s trials, fewer rates")
    parser.add_argument("--seconds", type=float, default=None, help="length of one trial")
    parser.add_argument("--recv-timeout", type=int, default=5000, help="ms a call may wait")
    parser.add_argument("--keep", type=Path, help="keep sipp logs and the database here")
    parser.add_argument("--rates", help="comma-separated rates to step through")
    parser.add_argument("--only", choices=("minsheng", "baseline"), help="measure one server")
    parser.add_argument("--baseline-server", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_server:
        run_baseline_server(*args.baseline_server)
        return
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    rates = RATES[:5] if args.quick else RATES
    figure = f"Highest call rate with zero failed calls, UDP, trials of {seconds:g} s"
    if shutil.which("sipp") is None:
        _table.skipped(__file__, figure, "sipp is not installed (Debian package sip-tester)")
        raise SystemExit("sipp is not installed")
    load = _table.machine_load()
    if args.rates:
        rates = tuple(int(r) for r in args.rates.split(","))
    with tempfile.TemporaryDirectory(prefix="sip-load-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        seat_port = free_port()
        seat_dir = workdir / "seat"
        seat_dir.mkdir()
        seat = subprocess.Popen(
            [*sipp_args("seat_answers.xml", seat_dir, seat_port), "127.0.0.1:5060"],
            cwd=seat_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            print(f"sipp seat on 127.0.0.1:{seat_port}; hold {HOLD_MS} ms; trials of {seconds:g}s")
            ours = base = 0
            if args.only != "baseline":
                factory = MinshengFactory(workdir, seat_port)
                print("minsheng hotline sip serve (routing + engine + records):")
                ours = highest_rate(factory.start, seconds, workdir, rates, args.recv_timeout)
            if args.only != "minsheng":
                print("plain sippy B2BUA, every call to one destination (baseline):")
                base = highest_rate(
                    lambda: start_baseline(seat_port), seconds, workdir, rates, args.recv_timeout
                )
        finally:
            seat.kill()
            seat.wait()
    ratio = ours / base if base else float("nan")
    print()
    print(f"minsheng hotline sip serve: {ours} calls/s with zero failed calls (target >= 100)")
    print(f"plain sippy B2BUA baseline: {base} calls/s with zero failed calls")
    print(f"ratio: {ratio:.2f} (target >= 0.8)")
    # A baseline at the top step may go faster: a ratio that passes is then not proven.
    capped = base == max(rates) and bool(base) and ours / base >= 0.8
    if args.only is None:
        _table.row(
            __file__,
            f"{figure}: `minsheng hotline sip serve` (routing, engine, records)",
            f"{ours} calls/s (steps up to {max(rates)})",
            f"plain sippy B2BUA, every call to one destination: {base} calls/s",
            ours / base if base else None,
            ratio_note="baseline at the top step: its real rate may be higher" if capped else "",
            target="≥ 100 calls/s and ratio ≥ 0.8" + (", not judged" if capped else ""),
            met=None if capped else ours >= 100 and bool(base) and ours / base >= 0.8,
            load=load,
        )


if __name__ == "__main__":
    main()

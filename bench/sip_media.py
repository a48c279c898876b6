"""12356 with media relayed by rtpengine: calls held at once with announcements, and call rates.

Two measurements, on this machine, UDP on 127.0.0.1, a real rtpengine (userspace) started here:

1. **Held calls with announcements** — N sipp callers dial ``minsheng hotline sip serve
   --rtpengine`` while the only counsellor is busy, so every caller is answered by the platform,
   hears the greeting and then its queue position and expected wait every 30 s (comfort audio in
   between), all played by rtpengine. A step passes when sipp's exit code is 0 (no failed call),
   rtpengine never failed a request, and every caller heard at least one position announcement
   (SIP detail records). N steps up (100, 250, 500, 750, 1000 …) until a step fails. The CPU of
   rtpengine and of our server while the calls are held is printed per call.
2. **Call rate with vs without media** — the highest rate with zero failed calls of short calls
   (500 ms, answered at once by 1,000 seats, as in ``bench/sip_load.py``) through the server in
   signalling-only mode and with every call anchored in rtpengine (offer, answer, seat answer,
   delete; no prompts), and their ratio.

    .venv/bin/python bench/sip_media.py                 # both (about 10 minutes)
    .venv/bin/python bench/sip_media.py --quick         # smaller steps, shorter holds
    .venv/bin/python bench/sip_media.py --only held --steps 500
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _table
import sip_load  # the sibling benchmark: servers, sipp and trials

STEPS = (100, 250, 500, 750, 1000, 1500)
RATES = (50, 100, 150, 200, 300, 400, 600)


class Rtpengine:
    """rtpengine in the foreground with its own config and ports; stopped by pid."""

    def __init__(self, workdir: Path, ports: int) -> None:
        binary = shutil.which("rtpengine")
        if binary is None:
            raise SystemExit("rtpengine is not installed (Debian rtpengine-daemon)")
        self.ng_port = sip_load.free_port()
        base = random.randrange(20000, 60000 - ports, 2)
        config = workdir / "rtpengine.conf"
        config.write_text(
            "[rtpengine]\ntable = -1\ninterface = 127.0.0.1\n"
            f"listen-ng = 127.0.0.1:{self.ng_port}\nport-min = {base}\n"
            f"port-max = {base + ports - 1}\nforeground = true\nlog-stderr = true\n"
            "log-level = 4\ndelete-delay = 0\n"
            # sipp callers send no RTP: rtpengine would drop their calls after its default
            # 60 s without media (phones send RTP all the time, so production keeps 60)
            "timeout = 3600\nsilent-timeout = 3600\n"
        )
        with (workdir / "rtpengine.log").open("ab") as log:
            self.process = subprocess.Popen(
                [binary, f"--config-file={config}", "--config-section=rtpengine"],
                stdout=log,
                stderr=log,
            )
        from minsheng.hotline.sip.ngproto import NgClient

        client = NgClient("127.0.0.1", self.ng_port, timeout_s=0.5)
        try:
            for _ in range(100):
                if client.ping():
                    return
                time.sleep(0.1)
        finally:
            client.close()
        raise SystemExit("rtpengine did not start")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.ng_port}"

    def cpu(self) -> float:
        return sip_load.cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class MediaFactory(sip_load.MinshengFactory):
    """``sip_load``'s database and seats; servers started with extra settings."""

    def __init__(self, workdir: Path, seat_port: int, *, seats: int | None = None) -> None:
        if seats is not None:
            sip_load.SEATS = seats
        super().__init__(workdir, seat_port)
        self.env: dict[str, str] = {}
        self.control_port: int | None = None

    def start(self) -> sip_load.Server:
        port = sip_load.free_port()
        self.control_port = sip_load.free_port() if "CONTROL" in self.env else None
        env = {
            **os.environ,
            "MINSHENG_DATABASE_URL": self.db_url,
            "MINSHENG_SECRET_KEY": "bench",
            "MINSHENG_VAR_DIR": str(self.workdir),
            "MINSHENG_HOTLINE_WRAPUP_S": "0",
            **{k: v for k, v in self.env.items() if k != "CONTROL"},
        }
        control = f"127.0.0.1:{self.control_port}" if self.control_port else "off"
        args = [
            sys.executable, "-c", "from minsheng.cli import main; main()",
            "hotline", "sip", "serve", "--listen", f"127.0.0.1:{port}",
            "--seats", str(self.seats_file), "--control", control,
        ]  # fmt: skip
        process = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        sip_load.wait_listening(process)
        return sip_load.Server("minsheng", port, process, self.count)


def media_env(rtp: Rtpengine, prompts: Path | None) -> dict[str, str]:
    return {
        "MINSHENG_HOTLINE_SIP_RTPENGINE": rtp.address,
        "MINSHENG_HOTLINE_PROMPTS_DIR": str(prompts or "/nonexistent-prompts"),
    }


# 1. calls held with announcements ---------------------------------------------------------------
def staff_token(factory: MediaFactory) -> str:
    from minsheng.core import auth
    from minsheng.core.db import session_scope

    with session_scope(factory.sessions) as session:
        name = f"bench{random.randrange(10**6)}"
        _user, token = auth.create_user(session, name=name, role="admin", actor="bench")
    return token


def status(port: int, token: str) -> dict[str, Any]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/status")
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))


def held_step(workdir: Path, prompts: Path, calls: int, hold_s: float, interval_s: float) -> bool:
    run = workdir / f"held-{calls}"
    run.mkdir()
    rtp = Rtpengine(run, ports=max(2000, calls * 4 + 400))
    seat_port = sip_load.free_port()
    factory = MediaFactory(run, seat_port, seats=1)
    factory.env = {
        **media_env(rtp, prompts),
        "MINSHENG_HOTLINE_SIP_DETAILS": str(run / "details.jsonl"),
        "MINSHENG_HOTLINE_ANNOUNCE_INTERVAL_S": str(interval_s),
        "MINSHENG_HOTLINE_BACKUP_TIMEOUT_S": "3600",
        "MINSHENG_HOTLINE_STEP_TIMEOUT_S": "3600",
        "CONTROL": "1",
    }
    token = staff_token(factory)
    server = factory.start()
    seat_dir = run / "seat"
    seat_dir.mkdir()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        # the one counsellor takes the first call and keeps it: everybody else waits
        procs.append(subprocess.Popen(
            [*sip_load.sipp_args("seat_answers.xml", seat_dir, seat_port), "127.0.0.1:5060",
             "-m", "1"],
            cwd=seat_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))  # fmt: skip
        first_dir = run / "first"
        first_dir.mkdir()
        procs.append(subprocess.Popen(
            [*caller_args(first_dir, server.port, 1, 1, hold_s + 60)],
            cwd=first_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))  # fmt: skip
        time.sleep(1)
        callers_dir = run / "callers"
        callers_dir.mkdir()
        rate = 50
        callers = subprocess.Popen(
            caller_args(callers_dir, server.port, calls, rate, hold_s),
            cwd=callers_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        ramp = calls / rate
        time.sleep(ramp + 2)
        # steady state: every call is up, hearing its greeting or its queue announcements
        window = max(10.0, hold_s - ramp - 10)
        cpu_rtp0, cpu_ours0, t0 = rtp.cpu(), sip_load.cpu_seconds(server.process.pid), time.time()
        time.sleep(window)
        try:
            up = status(factory.control_port or 0, token)
        except OSError as exc:  # the server is too busy to answer its staff endpoint
            print(f"        (staff endpoint: {exc})", flush=True)
            up = {}
        cpu_rtp = (rtp.cpu() - cpu_rtp0) / (time.time() - t0)
        cpu_ours = (sip_load.cpu_seconds(server.process.pid) - cpu_ours0) / (time.time() - t0)
        rc = callers.wait(timeout=hold_s + 120)
        media = up.get("media", {})
        server.stop()
        details = [json.loads(line) for line in (run / "details.jsonl").read_text().splitlines()]
        mine = [d for d in details if d.get("media")]
        announced = sum(1 for d in mine if "position" in d["media"]["heard"])
        ok = (
            rc == 0
            and media.get("media_failed", 1) == 0
            and media.get("ng_errors", 1) == 0
            and announced >= calls
        )
        print(
            f"  {calls:5d} calls held {hold_s:.0f} s: {'ok  ' if ok else 'FAIL'} "
            f"(sipp exit {rc}; {media.get('sessions')} rtpengine sessions at the check; "
            f"heard a position: {announced}/{calls}; prompts played {media.get('prompts_played')}; "
            f"rtpengine failures {media.get('media_failed')})\n"
            f"        CPU while held: rtpengine {cpu_rtp:.0%} of a core "
            f"({cpu_rtp / calls * 1000:.2f}‰ per call), our server {cpu_ours:.0%} "
            f"({cpu_ours / calls * 1000:.2f}‰ per call)",
            flush=True,
        )
        return ok
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        server.stop()
        rtp.stop()


def caller_args(workdir: Path, port: int, calls: int, rate: int, hold_s: float) -> list[str]:
    return [
        *sip_load.sipp_args("caller.xml", workdir, sip_load.free_port()),
        f"127.0.0.1:{port}", "-s", "12356",
        "-key", "caller", "13800138000", "-key", "origin", "", "-key", "crisis", "0",
        "-r", str(rate), "-m", str(calls), "-l", str(calls + 10), "-d", str(int(hold_s * 1000)),
        "-timeout", f"{int(hold_s) + 120}s", "-timeout_error",
    ]  # fmt: skip


# 2. call rate with vs without media -------------------------------------------------------------
def rates(workdir: Path, seconds: float, steps: tuple[int, ...]) -> tuple[int, int]:
    seat_port = sip_load.free_port()
    seat_dir = workdir / "rate-seat"
    seat_dir.mkdir()
    seat = subprocess.Popen(
        [*sip_load.sipp_args("seat_answers.xml", seat_dir, seat_port), "127.0.0.1:5060"],
        cwd=seat_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    rtp_dir = workdir / "rate-rtpengine"
    rtp_dir.mkdir()
    rtp = Rtpengine(rtp_dir, ports=8000)
    try:
        factory = MediaFactory(workdir, seat_port, seats=1000)
        print("signalling only:")
        plain = sip_load.highest_rate(factory.start, seconds, workdir, steps, 5000)
        factory.env = media_env(rtp, None)
        print("every call anchored in rtpengine (no prompts):")
        relayed = sip_load.highest_rate(
            lambda: rename(factory.start(), "media"), seconds, workdir, steps, 5000
        )
    finally:
        seat.kill()
        seat.wait()
        rtp.stop()
    return plain, relayed


def rename(server: sip_load.Server, name: str) -> sip_load.Server:
    server.name = name
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small steps, short holds")
    parser.add_argument("--only", choices=("held", "rate"), help="one of the two measurements")
    parser.add_argument("--steps", help="comma-separated numbers of held calls")
    parser.add_argument("--hold", type=float, help="seconds each held call lasts")
    parser.add_argument("--keep", type=Path, help="keep logs and databases here")
    args = parser.parse_args()
    steps = STEPS[:2] if args.quick else STEPS
    if args.steps:
        steps = tuple(int(s) for s in args.steps.split(","))
    hold = args.hold or (50.0 if args.quick else 80.0)
    rate_steps = RATES[:3] if args.quick else RATES
    missing = [tool for tool in ("sipp", "rtpengine") if shutil.which(tool) is None]
    if missing:
        reason = f"not installed: {', '.join(missing)} (make provision)"
        _table.skipped(__file__, "Calls held with announcements; call rate with media", reason)
        raise SystemExit(reason)
    load = _table.machine_load()
    with tempfile.TemporaryDirectory(prefix="sip-media-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        most = 0
        if args.only != "rate":
            from minsheng.hotline.sip.prompts import build_defaults

            prompts = workdir / "prompts"
            build_defaults(prompts)
            print(f"held calls, announcement every 30 s, hold {hold:.0f} s (greeting ~21 s first):")
            for calls in steps:
                if not held_step(workdir, prompts, calls, hold, 30.0):
                    break
                most = calls
        plain = relayed = 0
        if args.only != "held":
            seconds = 3.0 if args.quick else 10.0
            plain, relayed = rates(workdir, seconds, rate_steps)
    print()
    if args.only != "rate":
        print(f"most calls held with announcements and no failed call: {most} (target >= 500)")
    if args.only != "held":
        ratio = relayed / plain if plain else float("nan")
        print(f"call rate: {plain} calls/s signalling only, {relayed} calls/s with media relayed")
        print(f"ratio with/without media: {ratio:.2f}")
    if args.only != "rate":
        _table.row(
            __file__,
            f"Calls held at once with announcements by rtpengine, hold {hold:.0f} s, steps "
            + ", ".join(str(s) for s in steps),
            f"{most} calls held, no failed call",
            "none: a count against the target",
            None,
            target="≥ 500 calls"
            + (f" (not reachable: the steps stop at {max(steps)})" if max(steps) < 500 else ""),
            met=most >= 500 if max(steps) >= 500 else None,
            load=load,
        )
    if args.only != "held":
        _table.row(
            __file__,
            "Highest call rate with zero failed calls, every call anchored in rtpengine",
            f"{relayed} calls/s with media relayed (steps up to {max(rate_steps)})",
            f"the same server, signalling only: {plain} calls/s",
            relayed / plain if plain else None,
            load=load,
        )


if __name__ == "__main__":
    main()

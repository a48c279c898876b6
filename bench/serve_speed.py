"""Framework speed: ``minsheng serve`` against a bare FastAPI app (``bench/bare_verify_app.py``)
doing the same indexed SELECT on the same SQLite file, one process each, in the same run.

Three loads, each by ``wrk`` with 16 connections from its own process, on each server in turn
(rounds alternate the order; the best of the rounds is kept for each):

- ``POST /api/certification/verify`` with name + number of existing certificates (hit),
- the same with unknown numbers or wrong names (miss: the same single query, no answer),
- ``GET /healthz`` (``SELECT 1``).

``minsheng serve`` runs as operators run it (the command, its defaults: no access log, uvloop
and httptools when installed), with the rate limits lifted, since all the load comes from one
address; everything else — middleware, security headers, limit counting, the lookup log — is
on. Prints both rates and their ratio per load, the load average, and a last line for the table
in docs/performance.md.

    .venv/bin/python bench/serve_speed.py            # 200k certificates, 10 s per load, 2 rounds
    .venv/bin/python bench/serve_speed.py --quick    # 20k certificates, 5 s, 1 round
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
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _table
import cert_http
import cert_registry as cr
from cert_http import free_port, wait_ready

HERE = Path(__file__).resolve().parent

VERIFY = "/api/certification/verify"


def start_minsheng(url: str, port: int, var_dir: str) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "MINSHENG_DATABASE_URL": url,
        "MINSHENG_SECRET_KEY": cr.SECRET,
        "MINSHENG_VAR_DIR": var_dir,
        "MINSHENG_ALLOW_DEMO_RULES": "1",
        **{f"MINSHENG_{name.upper()}": str(10**9) for name in cr.RATE_SETTINGS},
    }
    exe = str(Path(sys.executable).parent / "minsheng")
    cmd = [exe, "serve", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_bare(url: str, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {"BARE_DATABASE_URL": url, "PYTHONPATH": str(HERE)}
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", "bare_verify_app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    return subprocess.Popen(cmd, env=env)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bodies(size: int, count: int, *, hit: bool) -> list[str]:
    rng = random.Random(5 if hit else 7)
    out = []
    for k in range(count):
        i = rng.randrange(size)
        name, _ = cr.person(i)
        if hit:
            query = {"name": name, "number": cr.number(i)}
        elif k % 2:  # a number nobody holds (well formed)
            query = {"name": name, "number": cr.number(size + i)}
        else:  # a real number with another person's name
            query = {"name": cr.person(i + 1)[0] + "某", "number": cr.number(i)}
        out.append(json.dumps(query, ensure_ascii=False))
    return out


def check(port: int, body: str, found: bool) -> None:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{VERIFY}",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        answer = json.load(r)
    if answer["found"] is not found:
        raise SystemExit(f"server on {port}: expected found={found}, got {answer}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--size", type=int, default=200_000, help="certificates in the registry")
    p.add_argument("--seconds", type=int, default=10, help="per load and server")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--quick", action="store_true", help="20k certificates, 5 s, one round")
    args = p.parse_args()
    if args.quick:
        args.size, args.seconds, args.rounds = 20_000, 5, 1
    if not shutil.which("wrk"):
        _table.skipped(
            __file__,
            "`minsheng serve` against a bare FastAPI app (verify hit, miss, `/healthz`)",
            "wrk is not installed (Debian package wrk)",
        )
        raise SystemExit("wrk is needed (Debian package wrk)")
    tmp = tempfile.mkdtemp(prefix="serve_speed_")
    url = f"sqlite:///{tmp}/registry.db"
    settings, body_id, _ = cr.prepare(url)
    cr.fill(settings, args.size, body_id)
    loads = {
        "verify hit": bodies(args.size, 2000, hit=True),
        "verify miss": bodies(args.size, 2000, hit=False),
        "healthz": None,
    }
    ports = {"minsheng": free_port(), "bare": free_port()}
    procs = {
        "minsheng": start_minsheng(url, ports["minsheng"], tmp),
        "bare": start_bare(url, ports["bare"]),
    }
    best: dict[tuple[str, str], dict[str, float]] = {}
    try:
        for name, port in ports.items():
            wait_ready(procs[name], port)
            check(port, loads["verify hit"][0] or "", True)  # type: ignore[index]
            check(port, loads["verify miss"][0] or "", False)  # type: ignore[index]
        print(
            f"{args.size:,} certificates (SQLite); wrk {args.connections} connections, "
            f"{args.seconds} s per load, {args.rounds} round(s), best kept; "
            f"load average before {os.getloadavg()}"
        )
        machine = _table.machine_load()  # for the table: the load when measuring began
        for rnd in range(args.rounds):
            order = list(ports) if rnd % 2 == 0 else list(reversed(ports))
            for kind, payload in loads.items():
                path = "/healthz" if payload is None else VERIFY
                for server in order:
                    cpu = cpu_seconds(procs[server].pid)
                    r = cert_http.run_wrk(
                        ports[server], path, payload, args.seconds, args.connections
                    )
                    r["per_cpu_s"] = r["requests"] / max(cpu_seconds(procs[server].pid) - cpu, 1e-3)
                    cert_http.show(f"  {server:9s} {kind}", r)
                    print(f"{'':42s}{r['per_cpu_s']:9,.0f} requests per CPU second of the server")
                    if r["errors"]:
                        raise SystemExit(f"{server} {kind}: {r['errors']:.0f} non-2xx answers")
                    if r["rps"] > best.get((server, kind), {"rps": 0.0})["rps"]:
                        best[(server, kind)] = r
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average after {os.getloadavg()}")
    print(
        f"{'load':14s} {'minsheng':>10s} {'bare':>10s} {'ratio':>6s}   per CPU s: minsheng, "
        "bare, ratio   p99 minsheng / bare"
    )
    ratios = {}
    for load in loads:
        m, b = best[("minsheng", load)], best[("bare", load)]
        ratios[load] = m["rps"] / b["rps"]
        print(
            f"{load:14s} {m['rps']:10,.0f} {b['rps']:10,.0f} {ratios[load]:6.2f}   "
            f"{m['per_cpu_s']:8,.0f} {b['per_cpu_s']:8,.0f} {m['per_cpu_s'] / b['per_cpu_s']:5.2f}"
            f"   {m.get('p99_ms', 0):.1f} / {b.get('p99_ms', 0):.1f} ms"
        )
    hit, miss = best[("minsheng", "verify hit")], best[("minsheng", "verify miss")]
    print(
        f"serve_speed: verify hit {ratios['verify hit']:.2f}, miss {ratios['verify miss']:.2f}, "
        f"healthz {ratios['healthz']:.2f} of the bare app; miss/hit {miss['rps'] / hit['rps']:.2f}"
    )
    what = {
        "verify hit": "`POST /api/certification/verify`, hits",
        "verify miss": "the same, misses (unknown numbers, wrong names)",
        "healthz": "the same, `GET /healthz`",
    }
    for name, label in what.items():
        m, b = best[("minsheng", name)], best[("bare", name)]
        _table.row(
            __file__,
            f"{label}: `minsheng serve`, one process, wrk {args.connections} connections, "
            f"{args.size:,} certificates (SQLite), best of {args.rounds} round(s) of "
            f"{args.seconds} s",
            f"{m['rps']:,.0f} req/s; {m['per_cpu_s']:,.0f} per CPU s",
            f"bare FastAPI app, same query, same file: {b['rps']:,.0f} req/s; "
            f"{b['per_cpu_s']:,.0f} per CPU s",
            ratios[name],
            ratio_note=f"per CPU s {m['per_cpu_s'] / b['per_cpu_s']:.2f}",
            target="≥ 0.5 of the bare app" if name != "healthz" else "",
            met=ratios[name] >= 0.5 if name != "healthz" else None,
            load=machine,
        )


if __name__ == "__main__":
    main()

"""Requests per second of ``POST /api/certification/verify`` under a load tool in another process.

The server (uvicorn, the real app) runs as one subprocess; the load comes from ``wrk`` (Debian
package ``wrk``) as a second process, or from a Python load generator in its own process when wrk
is missing. The registry is a benchmark database built by ``bench/cert_registry.py --keep`` (pass
its URL) or, by default, a fresh one of ``--size`` certificates. Rate limits are raised for the
run (all load comes from 127.0.0.1); everything else is the production path, including the
rate-limit upsert and the lookup-log insert of every request.

    .venv/bin/python bench/cert_http.py                    # 1M-row SQLite registry, 30 s
    .venv/bin/python bench/cert_http.py --quick            # 20k rows, 10 s
    .venv/bin/python bench/cert_http.py --database-url postgresql+psycopg://…/cert_bench_x

Baseline printed in the same run: ``GET /healthz`` (framework + one ``SELECT 1``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _table
import cert_registry as cr

VERIFY = "/api/certification/verify"


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "MINSHENG_DATABASE_URL": url,
        "MINSHENG_SECRET_KEY": cr.SECRET,
        **{f"MINSHENG_{name.upper()}": str(10**9) for name in cr.RATE_SETTINGS},
    }
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", "minsheng.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env)
    wait_ready(proc, port)
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(proc: subprocess.Popen[bytes], port: int) -> None:
    """Wait for ``/healthz`` to answer 200 (a minute at most: the machine may be loaded)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server on {port} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server on {port} did not start")


def payloads(size: int, count: int) -> list[str]:
    rng = random.Random(3)
    out = []
    for _ in range(count):
        i = rng.randrange(size)
        name, _idn = cr.person(i)
        out.append(json.dumps({"name": name, "number": cr.number(i)}, ensure_ascii=False))
    return out


LUA = """
local bodies = {%s}
local n = 0
request = function()
  n = n + 1
  local headers = {["Content-Type"] = "application/json"}
  return wrk.format("POST", "%s", headers, bodies[(n %% #bodies) + 1])
end
"""


def run_wrk(
    port: int, path: str, bodies: list[str] | None, seconds: int, conns: int
) -> dict[str, float]:
    args = ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--latency"]
    script = None
    if bodies is not None:
        lua_bodies = ",".join("[[" + b + "]]" for b in bodies)
        fd, script = tempfile.mkstemp(suffix=".lua")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(LUA % (lua_bodies, path))
        args += ["-s", script]
    args.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    if script:
        os.unlink(script)
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for q in ("50", "99"):
        m = re.search(rf"\s{q}%\s+([\d.]+)(us|ms|s)", out)
        if m:
            scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
            result[f"p{q}_ms"] = float(m.group(1)) * scale
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    result["errors"] = float(m.group(1)) if m else 0.0
    m = re.search(r"(\d+) requests in", out)
    result["requests"] = float(m.group(1)) if m else 0.0
    return result


def _python_worker(
    port: int,
    path: str,
    bodies: list[str] | None,
    until: float,
    q: multiprocessing.Queue[tuple[int, int, list[float]]],
) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port)
    ok = bad = 0
    lat: list[float] = []
    i = 0
    while time.time() < until:
        t = time.perf_counter()
        if bodies is None:
            conn.request("GET", path)
        else:
            conn.request(
                "POST", path, bodies[i % len(bodies)].encode(), {"Content-Type": "application/json"}
            )
        resp = conn.getresponse()
        resp.read()
        lat.append((time.perf_counter() - t) * 1000)
        ok, bad = (ok + 1, bad) if resp.status == 200 else (ok, bad + 1)
        i += 1
    q.put((ok, bad, lat))


def run_python(
    port: int, path: str, bodies: list[str] | None, seconds: int, conns: int
) -> dict[str, float]:
    q: multiprocessing.Queue[tuple[int, int, list[float]]] = multiprocessing.Queue()
    until = time.time() + seconds
    procs = [
        multiprocessing.Process(target=_python_worker, args=(port, path, bodies, until, q))
        for _ in range(conns)
    ]
    for p in procs:
        p.start()
    results = [q.get() for _ in procs]
    for p in procs:
        p.join()
    lat = sorted(x for r in results for x in r[2])
    total = sum(r[0] + r[1] for r in results)
    return {
        "rps": total / seconds,
        "p50_ms": lat[len(lat) // 2],
        "p99_ms": lat[int(len(lat) * 0.99)],
        "errors": float(sum(r[1] for r in results)),
        "requests": float(total),
    }


def show(label: str, r: dict[str, float]) -> None:
    print(
        f"{label:40s} {r['rps']:9,.0f} req/s   p50 {r.get('p50_ms', 0):7.2f} ms   "
        f"p99 {r.get('p99_ms', 0):7.2f} ms   non-200 {r['errors']:.0f} of {r['requests']:.0f}"
    )


def main() -> None:
    p = argparse.ArgumentParser(description="HTTP verification throughput")
    p.add_argument("--database-url", help="an existing benchmark registry (cert_registry --keep)")
    p.add_argument(
        "--size",
        type=int,
        default=1_000_000,
        help="rows of the registry to build when no --database-url (and to sample)",
    )
    p.add_argument("--seconds", type=int, default=30)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    p.add_argument("--port", type=int, default=0, help="0: a free port")
    p.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    p.add_argument("--quick", action="store_true", help="20k rows, 10 s")
    args = p.parse_args()
    if args.quick:
        args.size, args.seconds = 20_000, 10
    tmpdir = None
    url = args.database_url
    if url is None:
        tmpdir = tempfile.mkdtemp(prefix="cert_http_")
        url = f"sqlite:///{tmpdir}/registry.db"
        settings, body_id, _filing = cr.prepare(url)
        rate = cr.fill(settings, args.size, body_id)
        print(f"built a {args.size:,}-certificate SQLite registry ({rate:,.0f} rows/s)")
    tool = args.tool
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
    runner = run_wrk if tool == "wrk" else run_python
    backend = url.split(":", 1)[0]
    print(
        f"server: uvicorn, {args.workers} worker(s), {backend}; load: {tool}, "
        f"{args.connections} connections, {args.seconds} s, from a separate process"
    )
    port = args.port or free_port()
    server = start_server(url, port, args.workers)
    load = _table.machine_load()
    try:
        bodies = payloads(args.size, 2000)
        base = runner(port, "/healthz", None, args.seconds, args.connections)
        show("baseline GET /healthz", base)
        verify = runner(port, VERIFY, bodies, args.seconds, args.connections)
        show("POST /api/certification/verify", verify)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    _table.row(
        __file__,
        f"`POST /api/certification/verify`, uvicorn {args.workers} worker(s), {args.size:,} "
        f"certificates ({backend}), {tool} {args.connections} connections, {args.seconds} s",
        f"{verify['rps']:,.0f} req/s, p99 {verify.get('p99_ms', 0):.1f} ms, "
        f"{verify['errors']:.0f} non-2xx",
        f"`GET /healthz` on the same server: {base['rps']:,.0f} req/s, "
        f"p99 {base.get('p99_ms', 0):.1f} ms",
        verify["rps"] / base["rps"],
        load=load,
    )


if __name__ == "__main__":
    main()

"""Benchmark: bulk import of certificates (``minsheng certs import``'s service) against the raw
insert of the same rows, in the same run, on PostgreSQL and SQLite (issue 17 item 3).

The service parses the CSV, checks every field of every row (certificate number, name, ID number
with its check character, occupation, level, body, date, status, duplicates in the file and in the
registry), hashes and masks the ID number, draws the verification tokens, and inserts in the
caller's transaction — by psycopg's ``COPY … FROM STDIN`` on PostgreSQL and by the driver's
``executemany`` on SQLite — all or nothing. The baseline is the floor of that insert: the same
rows, already hashed and masked (not timed), written by a plain COPY (PostgreSQL) or a plain
``executemany`` (SQLite) with no validation, then committed. Both go into the same registry
(``--registry`` rows first, 1,000,000 by default; the secondary indexes rebuilt after the fill),
each with certificate numbers of its own, and both are committed.

Printed per database: rows/s of the service (wall; and per CPU-second of this process), rows/s
of the raw insert, their ratio, the targets (≥ 50,000 rows/s on PostgreSQL, ≥ 30,000 on SQLite),
and the machine's load average at the start (the machine may be shared); on PostgreSQL running
on this machine also the CPU-seconds of the server's backend for each (read from /proc): the
service's client and server work overlap, so on an idle 2-core machine its wall time is about the
larger of the two.

    .venv/bin/python bench/import_copy.py --pg-url postgresql+psycopg://postgres@127.0.0.1:55507/postgres
    .venv/bin/python bench/import_copy.py --quick --db sqlite      # 100k registry, 50k rows
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import secrets
import sys
import time
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy.engine import make_url

import _table
from minsheng.certification import service
from minsheng.certification.service.imports import COLUMNS, SQLITE_IMPORT_CACHE_KIB
from minsheng.core.config import Settings
from minsheng.core.db import make_engine, make_sessionmaker, session_scope
from minsheng.core.privacy import keyed_hash, mask_id

TARGET = {"postgresql": 50_000, "sqlite": 30_000}
TODAY = date(2026, 1, 1)


def _registry_bench() -> ModuleType:
    """bench/cert_registry.py: its generator of certificates and its registry fill."""
    path = Path(__file__).with_name("cert_registry.py")
    spec = importlib.util.spec_from_file_location("cert_registry_bench", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reg = _registry_bench()


def csv_of(rows_n: int, base: int, filing: str) -> str:
    buf = io.StringIO()
    buf.write("number,name,id_number,occupation_code,level,body_code,issued_on\n")
    for i in range(rows_n):
        name, idn = reg.person(i)
        buf.write(
            f"{reg.number(i, base=base)},{name},{idn},{reg.OCCUPATION},4,{filing},2024-05-10\n"
        )
    return buf.getvalue()


def raw_rows(rows_n: int, base: int, key: bytes, body_id: int) -> list[tuple[Any, ...]]:
    """The rows the service would write for ``csv_of(rows_n, base, …)``, in ``COLUMNS`` order."""
    out = []
    for i in range(rows_n):
        name, idn = reg.person(i)
        out.append(
            (
                reg.number(i, base=base),
                name,
                keyed_hash(idn, key, purpose=service.ID_PURPOSE),
                mask_id(idn),
                reg.OCCUPATION,
                4,
                body_id,
                "2024-05-10",
                "valid",
                None,
                secrets.token_hex(16),
                True,
            )
        )
    return out


def backend_cpu(pid: int | None) -> float | None:
    """CPU-seconds used so far by a PostgreSQL backend on this machine (None elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def spent(before: float | None, pid: int | None) -> float | None:
    after = backend_cpu(pid)
    return None if before is None or after is None else after - before


def settle(settings: Settings) -> None:
    """On PostgreSQL, a CHECKPOINT before each timed import (as superuser, as the bench's server
    runs): the fill and the previous import leave gigabytes of WAL and dirty buffers, and a
    checkpoint the server starts in the middle of one of the two timed imports would bill that
    one alone for the other's writes (seen: the same code at 42k and 60k rows/s in two runs)."""
    url = settings.effective_database_url
    if not url.startswith("postgresql"):
        return
    import psycopg

    pg = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute("CHECKPOINT")
    except psycopg.errors.InsufficientPrivilege:
        pass  # not a superuser on someone else's server: measured as it comes


def time_service(settings: Settings, text: str, rows_n: int) -> tuple[float, float, float | None]:
    """(seconds wall, CPU-seconds of this process, of the server's backend when on this
    machine) of one import, committed."""
    engine = make_engine(settings)
    factory = make_sessionmaker(engine)
    with session_scope(factory) as s:
        pid = None
        if engine.dialect.name == "postgresql":
            pid = s.connection().connection.driver_connection.info.backend_pid
        server = backend_cpu(pid)
        t, cpu = time.perf_counter(), time.process_time()
        result = service.import_certificates(s, text, settings, actor="bench", today=TODAY)
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    server_cpu = spent(server, pid)  # before dispose() ends the backend (its /proc entry goes)
    engine.dispose()
    assert result["imported"] == rows_n, result
    return elapsed, cpu, server_cpu


def time_raw(settings: Settings, rows: list[tuple[Any, ...]]) -> tuple[float, float | None]:
    """Seconds of a plain COPY / executemany of ``rows``, committed (and CPU-seconds of the
    server's backend when on this machine)."""
    url = settings.effective_database_url
    columns = ", ".join(COLUMNS)
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")  # as the service does
        sql = f"INSERT INTO cert_certificates ({columns}) VALUES ({', '.join('?' * len(COLUMNS))})"
        t = time.perf_counter()
        conn.executemany(sql, rows)
        conn.commit()
        elapsed = time.perf_counter() - t
        conn.close()
        return elapsed, None
    import psycopg

    pg = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(pg) as conn:
        server = backend_cpu(conn.info.backend_pid)
        t = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY cert_certificates ({columns}) FROM STDIN") as cp:
            for r in rows:
                cp.write_row(r)
        conn.commit()
        return time.perf_counter() - t, spent(server, conn.info.backend_pid)


def run(backend: str, args: argparse.Namespace) -> None:
    if backend == "sqlite":
        path = Path(args.dir) / f"import_copy_{args.registry}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        url = reg.scratch_pg(args.pg_url)
    try:
        settings, body_id, filing = reg.prepare(url)
        t = time.perf_counter()
        reg.fill(settings, args.registry, body_id)
        print(
            f"\n== {backend}: registry of {args.registry:,} certificates filled in "
            f"{time.perf_counter() - t:,.1f} s; import of {args.rows:,} rows; load average "
            f"{os.getloadavg()[0]:.1f} ==",
            flush=True,
        )
        for rep in range(args.repeat):
            # Each run writes numbers of its own evaluation sites (never the fill's).
            base_raw = 900_000 * (100 + 4 * rep)
            base_svc = 900_000 * (102 + 4 * rep)
            rows = raw_rows(args.rows, base_raw, settings.hmac_key, body_id)
            settle(settings)
            raw_s, raw_server = time_raw(settings, rows)
            del rows
            text = csv_of(args.rows, base_svc, filing)
            settle(settings)
            svc_s, svc_cpu, svc_server = time_service(settings, text, args.rows)
            svc_rate, raw_rate = args.rows / svc_s, args.rows / raw_s
            verdict = "met" if svc_rate >= TARGET[backend] else "NOT met"
            print(
                f"service import {svc_rate:10,.0f} rows/s ({args.rows / svc_cpu:,.0f} per CPU-s "
                f"of this process)   raw {'COPY' if backend == 'postgresql' else 'executemany'} "
                f"{raw_rate:10,.0f} rows/s   ratio {svc_rate / raw_rate:.2f}   target ≥ "
                f"{TARGET[backend]:,} rows/s: {verdict}",
                flush=True,
            )
            if svc_server is not None and raw_server is not None:
                print(
                    f"  server backend CPU: service {svc_server:.2f} s, raw {raw_server:.2f} s; "
                    f"this process: service {svc_cpu:.2f} s; wall: service {svc_s:.2f} s, raw "
                    f"{raw_s:.2f} s; load average now {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
            _table.row(
                __file__,
                f"Bulk import, {args.rows:,} rows into a {args.registry:,}-certificate registry "
                f"({backend}), run {rep + 1} of {args.repeat}",
                f"{svc_rate:,.0f} rows/s wall, {args.rows / svc_cpu:,.0f} per CPU s of the client"
                + (f", server {svc_server:.2f} s CPU" if svc_server is not None else ""),
                f"raw {'COPY' if backend == 'postgresql' else 'executemany'}: {raw_rate:,.0f} "
                "rows/s wall" + (f", server {raw_server:.2f} s CPU" if raw_server else ""),
                svc_rate / raw_rate,
                target=f"≥ {TARGET[backend]:,} rows/s",
                met=svc_rate >= TARGET[backend],
            )
    finally:
        if backend == "postgresql":
            reg.drop_pg(url)
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{url.removeprefix('sqlite:///')}{suffix}").unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "MINSHENG_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:55432/postgres"
        ),
        help="a PostgreSQL server where a scratch database may be created and dropped",
    )
    parser.add_argument("--registry", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--dir", default="var/bench")
    parser.add_argument("--quick", action="store_true", help="100k registry, 50k rows, once")
    args = parser.parse_args()
    if args.quick:
        args.registry, args.rows, args.repeat = 100_000, 50_000, 1
    for backend in ("postgresql", "sqlite") if args.db == "both" else (args.db,):
        run(backend, args)


if __name__ == "__main__":
    sys.exit(main())

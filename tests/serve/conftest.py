"""Real servers for the multi-process tests: Redis, PostgreSQL, ``minsheng serve`` and nginx, each
on 127.0.0.1 at a free port, each started in its own process group and stopped by its pid
(``tests/processes.py``); every wait has a timeout."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO, free_port
from tests.processes import stop_group


def wait_port(port: int, proc: subprocess.Popen[str], timeout: float = 30.0) -> None:
    """Until something accepts on 127.0.0.1:``port`` (or the process died, or time ran out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port} after {timeout} s")


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A Redis without persistence on a free port; its URL."""
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        wait_port(port, proc)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_group(proc)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A fresh Redis for one test."""
    with redis_server(tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def pg_base() -> Iterator[str]:
    """A PostgreSQL URL to create databases beside: the suite's own when it runs on PostgreSQL,
    else a throwaway cluster started here (``.ci/pg.sh``, as root) on a free port."""
    from tests.conftest import PG_URL, is_postgres

    if is_postgres():
        yield PG_URL
        return
    data = Path(tempfile.mkdtemp(prefix="minsheng-serve-pg-")) / "data"
    out = subprocess.run(
        [str(REPO / ".ci" / "pg.sh"), "start", str(data), str(free_port())],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    if out.returncode != 0:
        pytest.fail(f"cannot start PostgreSQL: {out.stderr[-500:]}")
    try:
        yield out.stdout.strip().split("=", 1)[1]
    finally:
        subprocess.run([str(REPO / ".ci" / "pg.sh"), "stop", str(data)], check=False, timeout=60)
        shutil.rmtree(data.parent, ignore_errors=True)

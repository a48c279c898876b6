"""``minsheng serve --workers 2`` as operators run it (issue 17 item 2): two worker processes
behind one port on 127.0.0.1, each answering; with ``MINSHENG_REDIS_URL`` (a redis-server started
here) a rate limit holds across both; without it each worker counts alone, as documented, and the
command says so when it starts.

Which worker answered a request is read from the kernel, not from the app: the server side of the
test's connection is a socket that one worker process holds open (``/proc/net/tcp`` gives its
inode, ``/proc/<pid>/fd`` its owner)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from minsheng.certification.service.ratelimit import MINUTE, window_start
from minsheng.core import migrate
from minsheng.core.config import Settings
from tests.conftest import TEST_SECRET, free_port
from tests.processes import stop_group
from tests.serve.conftest import redis_server, wait_port

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc (Linux)"),
]

BIN = Path(sys.executable).parent
PER_NAME = 5


def descendants(pid: int) -> set[int]:
    """The processes started by ``pid``, and theirs."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def owner_of_peer(client_port: int, server_port: int, pids: set[int]) -> int | None:
    """The process among ``pids`` holding the server side of the connection from
    ``client_port`` (None if none holds it)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if parts[1].endswith(f":{server_port:04X}") and parts[2].endswith(f":{client_port:04X}"):
            inode = parts[9]
    if inode is None:
        return None
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


@dataclass
class Server:
    port: int
    process: subprocess.Popen[str]
    workers: set[int]

    def verify(self, name: str, number: str) -> tuple[int, int | None]:
        """(status, pid of the worker that answered) of one lookup on a new connection."""
        body = json.dumps({"name": name, "number": number}, ensure_ascii=False).encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request(
                "POST",
                "/api/certification/verify",
                body=body,
                headers={"Content-Type": "application/json"},
            )
            response = conn.getresponse()
            response.read()
            assert conn.sock is not None
            # The connection is still open (keep-alive): its server side belongs to one worker.
            worker = owner_of_peer(conn.sock.getsockname()[1], self.port, self.workers)
            return response.status, worker
        finally:
            conn.close()


def number(i: int) -> str:
    return f"S000111000001244{i + 1:06d}"  # well formed, held by nobody here


@contextmanager
def serve(tmp_path: Path, redis_url: str | None) -> Iterator[tuple[Server, str]]:
    """``minsheng serve --workers 2`` on a migrated SQLite file: the server, its stderr so far."""
    database = f"sqlite:///{tmp_path / 'serve.db'}"
    migrate.upgrade(Settings(database_url=database, secret_key=TEST_SECRET))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINSHENG_")}
    env.update(
        MINSHENG_DATABASE_URL=database,
        MINSHENG_SECRET_KEY=TEST_SECRET,
        MINSHENG_VAR_DIR=str(tmp_path / "var"),
        MINSHENG_ALLOW_DEMO_RULES="1",
        MINSHENG_CERT_VERIFY_RATE_PER_NAME=str(PER_NAME),
        MINSHENG_CERT_VERIFY_DAILY_PER_NAME="1000",
        MINSHENG_CERT_VERIFY_RATE_PER_CLIENT="100000",
        MINSHENG_CERT_VERIFY_DAILY_PER_CLIENT="100000",
    )
    if redis_url:
        env["MINSHENG_REDIS_URL"] = redis_url
    port = free_port()
    log = tmp_path / "serve.err"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [str(BIN / "minsheng"), "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", "2"],
            env=env, stdout=subprocess.DEVNULL, stderr=err, text=True, start_new_session=True,
        )  # fmt: skip
    try:
        wait_port(port, proc, timeout=150)
        deadline = time.monotonic() + 150
        workers: set[int] = set()
        while time.monotonic() < deadline:
            # uvicorn's supervisor, then the workers it spawned (and multiprocessing's helper)
            workers = descendants(proc.pid)
            if log.read_text().count("Application startup complete") >= 2:
                break
            time.sleep(0.1)
        yield Server(port, proc, workers), log.read_text()
    finally:
        stop_group(proc)


def burst(server: Server, name: str, count: int, first: int) -> list[tuple[int, int | None]]:
    """``count`` lookups of ``name``, each of another number (from ``first``): only the limit
    per name can refuse them."""
    return [server.verify(name, number(first + i)) for i in range(count)]


def first_burst_on_both(
    server: Server, count: int, tries: int = 20
) -> list[tuple[int, int | None]]:
    """A burst of ``count`` lookups of one name (a new name each try) that both workers took
    part in and that did not straddle a minute (a new window counts from zero)."""
    for attempt in range(tries):
        before = window_start(int(time.time()), MINUTE)
        results = burst(server, f"测试{attempt}", count, first=100 * attempt)
        if window_start(int(time.time()), MINUTE) != before:
            continue
        if len({pid for _, pid in results}) == 2 and None not in {pid for _, pid in results}:
            return results
    pytest.fail(f"no burst of {tries} reached both workers")


def test_two_workers_answer_and_share_limits_through_redis(tmp_path: Path) -> None:
    with redis_server(tmp_path) as redis_url, serve(tmp_path, redis_url) as (server, err):
        assert "without MINSHENG_REDIS_URL" not in err
        results = first_burst_on_both(server, PER_NAME + 3)
        # Counted apart, the worker refusing the sixth lookup would have passed only its own
        # five, and the other's (at least one) would have come on top: counted together in
        # Redis, exactly five pass and every later lookup of the name is refused.
        assert [status for status, _ in results] == [200] * PER_NAME + [429] * 3


def test_without_redis_each_worker_counts_alone_and_says_so(tmp_path: Path) -> None:
    with serve(tmp_path, None) as (server, err):
        assert "2 workers without MINSHENG_REDIS_URL" in err
        results = first_burst_on_both(server, 2 * PER_NAME + 2)
        per_worker: dict[int | None, list[int]] = {}
        for status, pid in results:
            per_worker.setdefault(pid, []).append(status)
        assert len(per_worker) == 2
        for statuses in per_worker.values():
            # Each worker's own window: five lookups of the name pass, the rest are refused.
            allowed = min(len(statuses), PER_NAME)
            assert statuses == [200] * allowed + [429] * (len(statuses) - allowed)
        assert [s for s, _ in results].count(200) > PER_NAME

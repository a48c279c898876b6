"""A real ``minsheng serve`` process for the security tests that need one: uvicorn's own logs,
its socket handling (Content-Length before the body), and several writers at once.

Each server listens on 127.0.0.1 at a free port, uses the test's database, writes stdout and
stderr to files the test can read, and is stopped by its process id.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from minsheng.core.config import Settings
from tests.conftest import TEST_SECRET

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINSHENG_")}
    env.update(
        {
            "MINSHENG_DATABASE_URL": settings.effective_database_url,
            "MINSHENG_SECRET_KEY": TEST_SECRET,
            "MINSHENG_VAR_DIR": str(settings.var_dir),
            # The shipped enforcement rule base is demo data: serving it must be allowed.
            "MINSHENG_ALLOW_DEMO_RULES": "1",
        }
    )
    env.update(extra)
    return env


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> Reply:
    """One HTTP request on a fresh connection (stdlib only)."""
    all_headers = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body, ensure_ascii=False).encode()
        all_headers.setdefault("Content-Type", "application/json")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        conn.close()


@dataclass
class Served:
    base: str
    port: int
    proc: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    env: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, **kwargs: Any) -> Reply:
        return call(self.port, method, path, **kwargs)

    def logs(self) -> str:
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")

    def rss_bytes(self) -> int:
        """Resident memory of the server process (Linux /proc)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS line")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture
def serve(settings: Settings, tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """``serve(MINSHENG_X="1")`` → a started server on the test's database."""
    started: list[Served] = []

    def start(**extra: str) -> Served:
        port = free_port()
        out = tmp_path / f"serve-{port}.out"
        err = tmp_path / f"serve-{port}.err"
        env = cli_env(settings, **extra)
        with out.open("wb") as fo, err.open("wb") as fe:
            proc = subprocess.Popen(
                [str(BIN / "minsheng"), "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                stdout=fo,
                stderr=fe,
                stdin=subprocess.DEVNULL,
            )
        served = Served(f"http://127.0.0.1:{port}", port, proc, out, err, env)
        started.append(served)
        # Generous: on a loaded 2-core machine an idle server has been measured taking over 60 s
        # to import and start while both cores ran other test workers.
        deadline = time.monotonic() + 150
        while True:
            if proc.poll() is not None:
                raise AssertionError("server exited:\n" + served.logs())
            try:
                if served.call("GET", "/healthz", timeout=2).status == 200:
                    return served
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("server did not start:\n" + served.logs())
            time.sleep(0.2)

    yield start
    for served in started:
        served.stop()

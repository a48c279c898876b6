"""Harness for the SIP tests: the real ``minsheng hotline sip serve`` in a subprocess, and sipp.

Every server and every sipp instance gets its own free ports on 127.0.0.1 (SIP ``-p``, media
``-mp`` and control ``-cp`` for sipp), so tests never collide with each other or with other
processes on the machine. Timers are shortened through the settings' environment variables.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_SECRET

SCENARIOS = Path(__file__).parent / "scenarios"
SIPP = shutil.which("sipp")

# Short timers so that rollovers and ring-outs happen within a second or two.
FAST_ENV = {
    "MINSHENG_HOTLINE_STEP_TIMEOUT_S": "2",
    "MINSHENG_HOTLINE_OFFER_TIMEOUT_S": "1",
    "MINSHENG_HOTLINE_SIP_NO_REPLY_S": "0.5",
    "MINSHENG_HOTLINE_WRAPUP_S": "0",
    "MINSHENG_HOTLINE_MAX_NO_ANSWER": "3",
}


def free_port() -> int:
    """A port free for UDP and TCP on 127.0.0.1 (sipp's control port is UDP, media UDP)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            try:
                tcp.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


def directory(hotlines: list[dict[str, Any]], counsellors: list[dict[str, Any]]) -> dict[str, Any]:
    rows = [{"legacy_numbers": [], "regions": [], "name": h["id"], **h} for h in hotlines]
    return {"hotlines": rows, "counsellors": counsellors}


@dataclass
class SipServer:
    """A running ``minsheng hotline sip serve``."""

    port: int
    records_path: Path
    process: subprocess.Popen[str]
    control_port: int | None = None
    stderr: str | None = None

    def records(self) -> list[dict[str, Any]]:
        if not self.records_path.exists():
            return []
        lines = self.records_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def wait_records(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Records are written by a thread in batches: wait until ``count`` are on disk."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.records()
            if len(found) >= count:
                return found
            time.sleep(0.05)
        return self.records()

    def stop(self) -> str:
        """SIGTERM, wait, and return what the server printed on stderr."""
        if self.stderr is not None:
            return self.stderr
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            _out, err = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _out, err = self.process.communicate()
        self.stderr = err
        return err


class ServerFactory:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.servers: list[SipServer] = []

    def __call__(
        self,
        directory_data: dict[str, Any],
        *,
        env: dict[str, str] | None = None,
        control: bool = False,
        records: Path | None = None,
        port: int | None = None,
    ) -> SipServer:
        path = self.tmp_path / "directory.json"
        path.write_text(json.dumps(directory_data, ensure_ascii=False), encoding="utf-8")
        port = port or free_port()
        control_port = free_port() if control else None
        records = records or self.tmp_path / "calls.jsonl"
        full_env = {
            **os.environ,
            "MINSHENG_SECRET_KEY": TEST_SECRET,
            "MINSHENG_VAR_DIR": str(self.tmp_path / "var"),
            **FAST_ENV,
            **(env or {}),
        }
        args = [
            sys.executable, "-c", "from minsheng.cli import main; main()",
            "hotline", "sip", "serve",
            "--listen", f"127.0.0.1:{port}",
            "--directory", str(path),
            "--records", str(records),
            "--control", f"127.0.0.1:{control_port}" if control_port else "off",
        ]  # fmt: skip
        process = subprocess.Popen(
            args, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening" not in line:
            process.kill()
            _out, err = process.communicate()
            raise AssertionError(f"the SIP server did not start: {line}{err}")
        server = SipServer(port, records, process, control_port)
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture
def sip_server(tmp_path: Path) -> Iterator[ServerFactory]:
    if SIPP is None:
        pytest.fail("sipp is not installed (Debian package sip-tester; .ci/provision.d/sip.sh)")
    factory = ServerFactory(tmp_path)
    yield factory
    factory.close()


@dataclass
class Sipp:
    """One sipp instance with its own ports."""

    scenario: str
    port: int
    process: subprocess.Popen[str]
    workdir: Path

    def wait(self, timeout: float = 30.0) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"sipp {self.scenario} did not finish in {timeout}s") from None

    def errors(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.workdir.glob("*errors.log"))

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class SippFactory:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.instances: list[Sipp] = []

    def __call__(
        self,
        scenario: str,
        target: SipServer,
        *,
        calls: int = 1,
        rate: float | None = None,
        hold_ms: int = 0,
        service: str = "12356",
        keys: dict[str, str] | None = None,
        port: int | None = None,
        extra: list[str] | None = None,
    ) -> Sipp:
        port = port or free_port()
        workdir = self.tmp_path / f"sipp{len(self.instances)}-{scenario}-{port}"
        workdir.mkdir()
        args = [
            str(SIPP), f"127.0.0.1:{target.port}",
            "-sf", str(SCENARIOS / f"{scenario}.xml"),
            "-i", "127.0.0.1", "-p", str(port), "-mp", str(free_port()), "-cp", str(free_port()),
            "-m", str(calls), "-d", str(hold_ms), "-s", service,
            "-nostdin", "-trace_err", "-timeout", "60s", "-timeout_error",
        ]  # fmt: skip
        if rate is not None:
            args += ["-r", str(rate)]
        for name, value in (keys or {}).items():
            args += ["-key", name, value]
        args += extra or []
        process = subprocess.Popen(
            args, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
        )
        sipp = Sipp(scenario, port, process, workdir)
        self.instances.append(sipp)
        return sipp

    def caller(
        self,
        target: SipServer,
        scenario: str = "caller",
        *,
        number: str = "13800138000",
        origin: str = "",
        crisis: bool = False,
        **kwargs: Any,
    ) -> Sipp:
        keys = {"caller": number, "origin": origin, "crisis": "1" if crisis else "0"}
        return self(scenario, target, keys=keys, **kwargs)

    def close(self) -> None:
        for sipp in self.instances:
            sipp.kill()


@pytest.fixture
def sipp(tmp_path: Path) -> Iterator[SippFactory]:
    factory = SippFactory(tmp_path)
    yield factory
    factory.close()

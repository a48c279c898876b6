"""Harness for the SIP tests: the real ``minsheng hotline sip serve`` in a subprocess, and sipp.

Every server and every sipp instance gets its own free ports on 127.0.0.1 (SIP ``-p``, media
``-mp`` and control ``-cp`` for sipp), so tests never collide with each other or with other
processes on the machine. Timers are shortened through the settings' environment variables.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core.config import Settings
from minsheng.core.db import session_scope
from minsheng.hotline import service
from minsheng.hotline.models import Call
from minsheng.hotline.schemas import CounsellorCreate
from minsheng.hotline.sip.records import read_jsonl
from tests.conftest import TEST_SECRET, free_port, free_port_block
from tests.processes import stop_group

SCENARIOS = Path(__file__).parent / "scenarios"
SIPP = shutil.which("sipp")

# Short timers so that rollovers and ring-outs happen within a second or two.
FAST_ENV = {
    "MINSHENG_HOTLINE_STEP_TIMEOUT_S": "2",
    "MINSHENG_HOTLINE_BACKUP_TIMEOUT_S": "2",
    "MINSHENG_HOTLINE_OFFER_TIMEOUT_S": "1",
    "MINSHENG_HOTLINE_SIP_NO_REPLY_S": "0.5",
    "MINSHENG_HOTLINE_WRAPUP_S": "0",
    "MINSHENG_HOTLINE_MAX_NO_ANSWER": "3",
    # a writer thread starts faster than a writer process; the load and restart tests use the
    # process, as production does
    "MINSHENG_HOTLINE_SIP_RECORD_WRITER": "thread",
}
CONNECTED = "2025-04-30T00:00:00+08:00"


def hotline(hid: str, level: str, regions: list[str] | None = None, **kw: Any) -> dict[str, Any]:
    """A directory row as ``minsheng hotline import`` takes it: open round the clock."""
    return {
        "id": hid,
        "name": f"{hid} 心理援助热线",
        "level": level,
        "regions": regions or [],
        "legacy_numbers": [],
        "hours": "00:00-24:00",
        "seats": 2,
        "connected_at": CONNECTED,
        **kw,
    }


NATIONAL = hotline("national", "national")


def static_seat(cid: str, port: int) -> dict[str, Any]:
    return {"counsellor_id": cid, "contact": f"sip:{cid}@127.0.0.1:{port}"}


@dataclass
class SipServer:
    """A running ``minsheng hotline sip serve``."""

    port: int
    process: subprocess.Popen[str]
    sessions: sessionmaker[Session]
    details_path: Path
    control_port: int | None = None
    stderr: str | None = None
    stderr_path: Path | None = None  # where the server's stderr goes (a file: a pipe can fill)

    def records(self) -> list[dict[str, Any]]:
        """The hotline's call records in the database, oldest first, with offers and number."""
        with self.sessions() as session:
            calls = session.scalars(select(Call).order_by(Call.id)).all()
            return [
                {**service.call_dict(c), "offers": c.offers, "dialled": c.dialled} for c in calls
            ]

    def details(self, count: int = 0, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The SIP detail records; with ``count``, wait until that many are written (a writer
        thread appends them in batches, after the call records)."""
        deadline = time.monotonic() + timeout
        found = read_jsonl(self.details_path)
        while len(found) < count and time.monotonic() < deadline:
            time.sleep(0.05)
            found = read_jsonl(self.details_path)
        return found

    def wait_records(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Records are written by a thread in batches: wait until ``count`` are stored."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.sessions() as session:
                if service.count_calls(session) >= count:
                    break
            time.sleep(0.05)
        return self.records()

    def stop(self) -> str:
        """SIGTERM, wait, and return what the server printed on stderr."""
        if self.stderr is not None:
            return self.stderr
        err = stop_group(self.process)
        if self.stderr_path is not None:
            err = self.stderr_path.read_text(errors="replace")
        self.stderr = err
        return err


class ServerFactory:
    """Loads a directory into the test database and starts SIP servers on it."""

    def __init__(self, tmp_path: Path, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.tmp_path = tmp_path
        self.settings = settings
        self.sessions = sessions
        self.servers: list[SipServer] = []

    def load(self, hotlines: list[dict[str, Any]], counsellors: list[dict[str, Any]]) -> None:
        with session_scope(self.sessions) as session:
            service.import_hotlines(session, hotlines, actor="test")
            for c in counsellors:
                data = CounsellorCreate(name=f"咨询员{c['id']}", **c)
                service.create_counsellor(session, data, actor="test")

    def __call__(
        self,
        hotlines: list[dict[str, Any]],
        counsellors: list[dict[str, Any]],
        seats: list[dict[str, Any]],
        **kwargs: Any,
    ) -> SipServer:
        self.load(hotlines, counsellors)
        return self.start(seats, **kwargs)

    def start(
        self,
        seats: list[dict[str, Any]],
        *,
        env: dict[str, str] | None = None,
        control: bool = False,
        port: int | None = None,
        control_port: int | None = None,
    ) -> SipServer:
        path = self.tmp_path / "seats.json"
        path.write_text(json.dumps(seats, ensure_ascii=False), encoding="utf-8")
        port = port or free_port()
        if control and control_port is None:
            control_port = free_port()
        details = self.tmp_path / "sip-details.jsonl"
        full_env = {
            **os.environ,
            "MINSHENG_DATABASE_URL": self.settings.effective_database_url,
            "MINSHENG_SECRET_KEY": TEST_SECRET,
            "MINSHENG_VAR_DIR": str(self.settings.var_dir),
            "MINSHENG_HOTLINE_SIP_DETAILS": str(details),
            **FAST_ENV,
            **(env or {}),
        }
        args = [
            sys.executable, "-c", "from minsheng.cli import main; main()",
            "hotline", "sip", "serve",
            "--listen", f"127.0.0.1:{port}",
            "--seats", str(path),
            "--control", f"127.0.0.1:{control_port}" if control_port else "off",
        ]  # fmt: skip
        # stderr to a file, not a pipe nobody reads while the server runs (a full pipe stops the
        # server's next write), and kept for a failing test's post-mortem
        stderr_path = self.tmp_path / f"sip-serve-{port}.err"
        with stderr_path.open("a", encoding="utf-8") as stderr:
            process = subprocess.Popen(
                args,
                env=full_env,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                start_new_session=True,  # its own process group, killed as one (stop)
            )
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening" not in line:
            process.kill()
            process.communicate()
            err = stderr_path.read_text(errors="replace")
            raise AssertionError(f"the SIP server did not start: {line}{err}")
        server = SipServer(port, process, self.sessions, details, control_port, None, stderr_path)
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture
def sip_server(
    tmp_path: Path, settings: Settings, session_factory: sessionmaker[Session]
) -> Iterator[ServerFactory]:
    if SIPP is None:
        pytest.fail("sipp is not installed (Debian package sip-tester; .ci/provision.d/sip.sh)")
    factory = ServerFactory(tmp_path, settings, session_factory)
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


def _udp_port_bound(port: int) -> bool:
    """Whether a process has bound UDP ``port`` (read from /proc; a probe bind would race)."""
    suffix = f":{port:04X}"
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as fh:
                next(fh, None)
                if any(line.split()[1].endswith(suffix) for line in fh if line.strip()):
                    return True
        except OSError:
            continue
    return False


def _wait_until_bound(port: int, process: subprocess.Popen[str], timeout: float = 10.0) -> None:
    # A seat's sipp must be listening before a caller dials, or the first INVITE to it is lost
    # and the call rolls on (seen as a rare 480 on a loaded machine).
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if _udp_port_bound(port):
            return
        time.sleep(0.02)


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
            "-i", "127.0.0.1", "-p", str(port), "-cp", str(free_port()),
            "-mp", str(free_port_block(4)),  # audio, and video two above it
            "-m", str(calls), "-d", str(hold_ms), "-s", service,
            "-nostdin", "-trace_err", "-timeout", "120s", "-timeout_error",
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
        _wait_until_bound(port, process)
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


# media (rtpengine, prompts): helpers in media_support.py ------------------------------------------
@pytest.fixture
def rtpengine(tmp_path: Path) -> Iterator[Any]:
    """A real rtpengine (userspace) on free ports of 127.0.0.1, stopped by pid after the test."""
    from tests.hotline.sip.media_support import running_rtpengine

    yield from running_rtpengine(tmp_path)


@pytest.fixture(scope="session")
def default_prompts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The national default prompts, generated once per test session with espeak-ng and sox."""
    from tests.hotline.sip.media_support import built_prompts

    return built_prompts(tmp_path_factory)

"""Harness for the media tests: a real rtpengine (userspace) per test, and generated prompts.

rtpengine runs in the foreground with its own config file (``table = -1``: no kernel module),
its own ng port, its own media port range and a ``dtmf-log-dest`` pointing at the SIP server's
DTMF port; it is stopped by its pid. The default prompts are generated once per test session
with espeak-ng and sox (``minsheng hotline prompts build``), never read from the repository.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from minsheng.hotline.sip.ngproto import NgClient
from minsheng.hotline.sip.prompts import build_defaults, missing_tools
from tests.hotline.sip.conftest import free_port

RTPENGINE = shutil.which("rtpengine")


@dataclass
class Rtpengine:
    """A running rtpengine: its ng address, DTMF log target and process."""

    ng_port: int
    dtmf_port: int
    port_min: int
    port_max: int
    config: Path
    log: Path
    spool: Path  # recording-dir: pcaps of recorded calls
    process: subprocess.Popen[bytes] | None = None

    @property
    def ng_address(self) -> str:
        return f"127.0.0.1:{self.ng_port}"

    def client(self) -> NgClient:
        return NgClient("127.0.0.1", self.ng_port, timeout_s=1.0)

    def start(self) -> None:
        assert RTPENGINE is not None
        self.spool.mkdir(exist_ok=True)
        self.config.write_text(
            "[rtpengine]\n"
            "table = -1\n"
            "interface = 127.0.0.1\n"
            f"listen-ng = 127.0.0.1:{self.ng_port}\n"
            f"port-min = {self.port_min}\nport-max = {self.port_max}\n"
            "foreground = true\nlog-stderr = true\nlog-level = 5\n"
            "delete-delay = 0\n"
            f"dtmf-log-dest = 127.0.0.1:{self.dtmf_port}\n"
            f"recording-dir = {self.spool}\nrecording-method = pcap\n",
            encoding="utf-8",
        )
        with self.log.open("ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [RTPENGINE, f"--config-file={self.config}", "--config-section=rtpengine"],
                stdout=log,
                stderr=log,
            )
        client = self.client()
        try:
            # 30 s: on an idle CI machine one rtpengine was seen answering its first ping only
            # after more than 10 s (it then ran normally)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise AssertionError("rtpengine exited:\n" + self.log.read_text()[-2000:])
                if client.ping():
                    return
                time.sleep(0.05)
        finally:
            client.close()
        self.stop()  # a test that fails here must not leave its rtpengine running
        raise AssertionError("rtpengine did not answer ng ping:\n" + self.log.read_text()[-2000:])

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def calls(self) -> list[str]:
        client = self.client()
        try:
            return [str(c) for c in client.request("list").get("calls", [])]
        finally:
            client.close()


def running_rtpengine(tmp_path: Path) -> Iterator[Rtpengine]:
    """The ``rtpengine`` fixture (conftest): started before the test, stopped by pid after."""
    if RTPENGINE is None:
        pytest.fail("rtpengine not installed (Debian rtpengine-daemon; sudo make provision)")
    base = random.randrange(20000, 58000, 2)
    engine = Rtpengine(
        ng_port=free_port(),
        dtmf_port=free_port(),
        port_min=base,
        port_max=base + 1999,
        config=tmp_path / "rtpengine.conf",
        log=tmp_path / "rtpengine.log",
        spool=tmp_path / "rtpengine-spool",
    )
    engine.start()
    yield engine
    engine.stop()


def built_prompts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``default_prompts`` fixture (conftest): generated once per session (espeak-ng, sox)."""
    missing = missing_tools()
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed (sudo make provision)")
    root = tmp_path_factory.mktemp("prompts")
    build_defaults(root)
    return root


def media_env(engine: Rtpengine, prompts: Path | None) -> dict[str, str]:
    """Settings that put ``minsheng hotline sip serve`` in media mode on ``engine``."""
    env = {
        "MINSHENG_HOTLINE_SIP_RTPENGINE": engine.ng_address,
        "MINSHENG_HOTLINE_SIP_DTMF_LISTEN": f"127.0.0.1:{engine.dtmf_port}",
        "MINSHENG_HOTLINE_RECORDING_SPOOL": str(engine.spool),
    }
    env["MINSHENG_HOTLINE_PROMPTS_DIR"] = str(prompts) if prompts else "/nonexistent-prompts"
    return env


def wait_for(predicate: object, timeout: float = 10.0) -> bool:
    """Poll ``predicate()`` until it is true or ``timeout`` passes."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())

"""Real SIP phones for the audio tests: baresip, headless, one instance per phone.

Each phone gets its own config folder, SIP port (baresip also binds the port above it), RTP port
range and ctrl_tcp port on 127.0.0.1. Its microphone is a WAV file (``audio_source aufile``; the
call hangs up when the file ends) and the ``sndfile`` module dumps what it heard (``*-dec.wav``)
and what it sent (``*-enc.wav``). Commands (``dial``, ``sndcode`` for DTMF) go over ctrl_tcp as
netstrings. Also the audio helpers: generated test speech and normalised cross-correlation.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BARESIP = shutil.which("baresip")


def free_port_pair() -> int:
    """An even port p with p and p+1 free for UDP and TCP (baresip binds sip_listen + 1)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1]) & ~1
        try:
            for p in (port, port + 1):
                for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    with socket.socket(socket.AF_INET, kind) as s:
                        s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return port


@dataclass
class Phone:
    """One baresip: ``start`` it, ``command`` it, ``stop`` it by pid, read what it ``heard``."""

    name: str
    folder: Path
    sip_port: int
    ctrl_port: int
    rtp_base: int
    microphone: Path
    account: str  # e.g. "<sip:c1@127.0.0.1>;regint=0;answermode=auto"
    process: subprocess.Popen[bytes] | None = None

    @property
    def dumps(self) -> Path:
        return self.folder / "dumps"

    def start(self, *commands: str) -> None:
        assert BARESIP is not None
        self.dumps.mkdir(parents=True, exist_ok=True)
        (self.folder / "config").write_text(
            "poll_method epoll\n"
            f"sip_listen 127.0.0.1:{self.sip_port}\n"
            "net_interface 127.0.0.1\n"
            "audio_player aubridge,nil\n"
            "audio_alert aubridge,nil\n"
            f"audio_source aufile,{self.microphone}\n"
            "module_path /usr/lib/baresip/modules\n"
            "module g711.so\nmodule aufile.so\nmodule aubridge.so\nmodule sndfile.so\n"
            "module account.so\nmodule menu.so\nmodule ctrl_tcp.so\n"
            f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}\n"
            f"snd_path {self.dumps}\n"
            f"rtp_ports {self.rtp_base}-{self.rtp_base + 99}\n",
            encoding="utf-8",
        )
        (self.folder / "accounts").write_text(self.account + "\n", encoding="utf-8")
        args = [BARESIP, "-f", str(self.folder)]
        for command in commands:
            args += ["-e", command]
        with (self.folder / "baresip.log").open("ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"baresip {self.name} did not start: {self.log()[-2000:]}")

    def command(self, command: str, params: str = "") -> None:
        """Send a ctrl_tcp command (a netstring of JSON), e.g. ``sndcode 1`` for DTMF 1."""
        body = json.dumps({"command": command, "params": params, "token": command}).encode()
        with socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=2) as conn:
            conn.sendall(b"%d:%s," % (len(body), body))
            conn.recv(4096)

    def log(self) -> str:
        path = self.folder / "baresip.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def calls_ended(self) -> int:
        return self.log().count(" terminated (duration")

    def wait_hangup(self, timeout: float, calls: int = 1) -> None:
        """Wait until ``calls`` calls of this phone have ended, then stop it (baresip stays up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.calls_ended() < calls:
            time.sleep(0.1)
        ended = self.calls_ended()
        self.stop()
        assert ended >= calls, f"baresip {self.name}: {ended} calls ended: {self.log()[-1500:]}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def heard(self) -> np.ndarray:
        """Everything this phone received (all its calls, in order), as floats."""
        files = sorted(self.dumps.glob("*-dec.wav"))
        assert files, f"baresip {self.name} dumped nothing: {self.log()[-2000:]}"
        return np.concatenate([read_wav(f) for f in files])


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2), path
        data = w.readframes(w.getnframes())
    return np.frombuffer(data, dtype="<i2").astype(np.float64)


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.clip(samples, -32768, 32767).astype("<i2").tobytes())
    return path


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * 8000))


def match(haystack: np.ndarray, needle: np.ndarray) -> tuple[float, int]:
    """Best normalised cross-correlation of ``needle`` inside ``haystack``, and where (sample).

    1.0 means the exact waveform (up to its loudness) is there; unrelated speech scores well
    under 0.5. G.711 on the way costs about 0.01.
    """
    n = len(needle)
    if len(haystack) < n or n == 0:
        return 0.0, 0
    needle = needle - needle.mean()
    size = 1 << int(np.ceil(np.log2(len(haystack) + n)))
    corr = np.fft.irfft(np.fft.rfft(haystack, size) * np.conj(np.fft.rfft(needle, size)), size)
    corr = corr[: len(haystack) - n + 1]
    squares = np.concatenate([[0.0], np.cumsum(haystack**2)])
    sums = np.concatenate([[0.0], np.cumsum(haystack)])
    window_sq = squares[n:] - squares[:-n]
    window_sum = sums[n:] - sums[:-n]
    energy = np.sqrt(np.maximum(window_sq - window_sum**2 / n, 1e-9) * float(np.sum(needle**2)))
    score = corr / energy
    best = int(np.argmax(score))
    return float(score[best]), best


def match_pieces(haystack: np.ndarray, needle: np.ndarray, piece_s: float = 0.5) -> float:
    """The median ``match`` score of the needle's voiced half-second pieces inside ``haystack``,
    each found on its own.

    A browser's WebRTC receiver (its jitter buffer) stretches or squeezes its playout by a few
    milliseconds at a time when packets come unevenly, as they do on a loaded host. That shifts
    the rest of the sentence, and the whole-sentence correlation of ``match`` falls to 0.5–0.8
    although every piece was heard: measured on two such runs, the pieces scored 0.96–0.98 each
    at their places, apart from one or two around a shift. Speech that was not heard (another
    voice, silence) scores under 0.5 piece by piece as it does whole."""
    step = int(piece_s * 8000)
    loud = float(np.sqrt(np.mean(needle**2)))
    scores = [
        match(haystack, needle[start : start + step])[0]
        for start in range(0, len(needle) - step + 1, step)
        # a quiet piece (a pause between words) has no waveform to find
        if float(np.sqrt(np.mean(needle[start : start + step] ** 2))) > loud / 4
    ]
    return float(np.median(scores)) if scores else 0.0

"""A small RTP mixer for supervision (督导): the supervisor hears both sides; whisper and join
add the supervisor's voice to what the counsellor (and, for join, the caller) hears.

rtpengine 10.5 (Debian 12) forwards, copies (``subscribe request``) and transcodes media but does
not mix two streams into one, and a phone plays one audio stream per call. So each supervised call
gets a :class:`Bridge` here: up to three UDP ports (``caller``, ``counsellor``, ``supervisor``),
each receiving one G.711 stream and sending the mix of the others that its matrix names. One
thread runs every bridge on a 20 ms clock: each tick takes at most one frame from every input,
decodes, sums with clipping, encodes and sends with the port's own RTP sequence, timestamp and
SSRC (a late tick is caught up at once). Telephone-events and other payload types are not mixed.

Each input is a small jitter buffer: it is played only once ``depth`` frames are queued (3, 60
ms, to begin with), and when it runs dry it waits for ``depth`` frames again, ``depth`` now two
frames deeper (up to ``MAX_DEPTH``, 300 ms), so a jittery sender gets the buffer it needs; more
than ``SLACK`` frames (100 ms) queued beyond that are dropped while they are silent, which brings
the delay back down after a stall without cutting speech (a dropped pause inside a sentence is
still a slip, hence the slack). Without it (frames taken as they came) a packet a few
milliseconds later than the mixer's tick missed its tick and went out one tick later: a 20 ms gap
inserted into that party's speech for every late packet, and on a loaded machine the supervisor
and the counsellor heard the caller chopped (issue 14). A queue longer than ``MAX_QUEUE`` (500
ms, a sender that stalled and then sent all at once) loses its oldest frames.

An output may continue one input's stream (``set_follow``: whisper and join make the counsellor's
output continue the caller's stream and the caller's the counsellor's): its SSRC, and per frame
the input's sequence number and timestamp, so a phone moved to the bridge sees the same stream go
on instead of a new one (baresip's jitter buffer drops a new SSRC whose sequence numbers are
behind the old one's).

Cost: pure Python, about 1–2 % of a core per supervised call (three 160-sample frames a tick),
and only supervised calls pass through it; every other call stays in rtpengine alone.
"""

from __future__ import annotations

import logging
import secrets
import selectors
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import ClassVar

from minsheng.hotline.sip.recording import ALAW, ULAW

log = logging.getLogger(__name__)

FRAME = 160  # samples per 20 ms at 8 kHz
TICK_S = 0.02
MAX_QUEUE = 25  # frames kept per input (500 ms)
PREFILL = 3  # frames an input queues before it is first played (60 ms of jitter absorbed)
MAX_DEPTH = 15  # the most an input's buffer grows to after running dry (300 ms)
QUIET = 64  # a decoded frame whose samples all stay under this is silence (may be dropped)
SLACK = 5  # frames queued beyond ``depth`` before silent ones are dropped (100 ms)


def _ulaw_encode(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sample < 0 else sample, 32635) + 0x84
    exponent = max(magnitude.bit_length() - 8, 0)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _alaw_encode(sample: int) -> int:
    sign = 0x80 if sample >= 0 else 0
    magnitude = min(-sample if sample < 0 else sample, 32767) >> 3
    if magnitude < 32:
        code = magnitude >> 1
    else:
        exponent = magnitude.bit_length() - 5
        code = (exponent << 4) | ((magnitude >> exponent) & 0x0F)
    return (sign | code) ^ 0x55


class G711:
    """Decode and encode tables of one G.711 law (payload type 0 PCMU or 8 PCMA)."""

    _cache: ClassVar[dict[int, G711]] = {}

    def __init__(self, payload_type: int) -> None:
        # decoding as the recordings do (recording.py); encoding is the mixer's own
        decode_table, encode = {0: (ULAW, _ulaw_encode), 8: (ALAW, _alaw_encode)}[payload_type]
        self.payload_type = payload_type
        self.decode_table = decode_table
        self.encode_table = bytes(encode(s) for s in range(-32768, 32768))

    @classmethod
    def of(cls, payload_type: int) -> G711:
        if payload_type not in cls._cache:
            cls._cache[payload_type] = cls(payload_type)
        return cls._cache[payload_type]

    def decode(self, payload: bytes) -> list[int]:
        table = self.decode_table
        return [table[b] for b in payload]

    def mix(self, frames: list[list[int]]) -> bytes:
        encode = self.encode_table
        if len(frames) == 1:
            return bytes(encode[s + 32768] for s in frames[0])
        out = bytearray(FRAME)
        for i, samples in enumerate(zip(*frames, strict=False)):
            total = min(max(sum(samples), -32768), 32767)
            out[i] = encode[total + 32768]
        return bytes(out)


def _silent(samples: list[int]) -> bool:
    return max(samples) < QUIET and min(samples) > -QUIET


@dataclass
class _Port:
    name: str
    sock: socket.socket
    dest: tuple[str, int] | None = None  # where this port sends its mix (None: nowhere yet)
    learn: bool = True  # without a destination, answer to where packets come from
    frames: deque[list[int]] = field(default_factory=lambda: deque(maxlen=MAX_QUEUE))
    stamps: deque[tuple[int, int, int]] = field(default_factory=lambda: deque(maxlen=MAX_QUEUE))
    current: list[int] | None = None
    current_rtp: tuple[int, int, int] | None = None  # the SSRC, sequence and timestamp it came with
    follow: str | None = None  # as an output: the input whose stream it continues (see set_follow)
    adopted: bool = False  # that input's first frame went out: this output is its stream now
    playing: bool = False  # ``depth`` frames were queued; False again when the queue runs dry
    depth: int = PREFILL  # frames to queue before playing (deeper after each time it ran dry)
    seq: int = field(default_factory=lambda: secrets.randbelow(0x10000))
    ts: int = field(default_factory=lambda: secrets.randbelow(0x100000000))
    ssrc: int = field(default_factory=lambda: secrets.randbelow(0x100000000))
    received: int = 0
    sent: int = 0
    underruns: int = 0  # ticks that found a playing input's queue empty (a gap in its audio)
    dropped: int = 0  # silent frames dropped to bring the delay back to ``depth``

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])


class Bridge:
    """The ports of one supervised call and who hears whom (``matrix``: output → inputs)."""

    def __init__(self, key: str, host: str, names: tuple[str, ...], payload_type: int) -> None:
        self.key = key
        self.codec = G711.of(payload_type)
        self.ports: dict[str, _Port] = {}
        for name in names:
            sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                                 socket.SOCK_DGRAM)  # fmt: skip
            sock.bind((host, 0))
            sock.setblocking(False)
            self.ports[name] = _Port(name, sock)
        self.matrix: dict[str, tuple[str, ...]] = {}

    def port(self, name: str) -> int:
        return self.ports[name].port

    def close(self) -> None:
        for p in self.ports.values():
            p.sock.close()

    def stats(self) -> dict[str, dict[str, int]]:
        keys = ("received", "sent", "underruns", "dropped")
        return {n: {k: getattr(p, k) for k in keys} for n, p in self.ports.items()}


class Mixer:
    """One thread mixing every supervised call's bridge (start lazily, close at shutdown)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.bridges: dict[str, Bridge] = {}
        self._lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._work = threading.Event()  # set while there are bridges: idle, the thread sleeps

    # control (any thread) ------------------------------------------------------------------
    def open(self, key: str, names: tuple[str, ...], payload_type: int) -> Bridge:
        bridge = Bridge(key, self.host, names, payload_type)
        with self._lock:
            self.bridges[key] = bridge
            for p in bridge.ports.values():
                self._selector.register(p.sock, selectors.EVENT_READ, (bridge, p))
            self._work.set()
        self._ensure_thread()
        return bridge

    def set_dest(self, key: str, name: str, dest: tuple[str, int] | None) -> None:
        with self._lock:
            bridge = self.bridges.get(key)
            if bridge is not None:
                bridge.ports[name].dest = dest

    def set_follow(self, key: str, follow: dict[str, str]) -> None:
        """Outputs that continue an input's stream (output → input): its SSRC, and per frame its
        sequence number and timestamp, nothing sent before its first frame. A phone moved to the
        bridge then sees no new stream: baresip 1.0's jitter buffer dropped every packet of a new
        SSRC whose sequence numbers were behind the old stream's ("packet too late"), so half the
        whispers reached the counsellor as silence (issue 14)."""
        with self._lock:
            bridge = self.bridges.get(key)
            if bridge is not None:
                for name, source in follow.items():
                    bridge.ports[name].follow = source

    def set_matrix(self, key: str, matrix: dict[str, tuple[str, ...]]) -> None:
        with self._lock:
            bridge = self.bridges.get(key)
            if bridge is not None:
                bridge.matrix = dict(matrix)

    def close_bridge(self, key: str) -> Bridge | None:
        with self._lock:
            bridge = self.bridges.pop(key, None)
            if bridge is not None:
                for p in bridge.ports.values():
                    self._selector.unregister(p.sock)
                bridge.close()
            if not self.bridges:
                self._work.clear()
        return bridge

    def close(self) -> None:
        self._stop.set()
        self._work.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        for key in list(self.bridges):
            self.close_bridge(key)
        self._selector.close()

    # the mixing thread ---------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sip-mixer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        next_tick = time.monotonic() + TICK_S
        while not self._stop.is_set():
            timeout = max(0.0, next_tick - time.monotonic())
            with self._lock:
                registered = bool(self.bridges)
            if registered:
                for key, _mask in self._selector.select(timeout):
                    self._receive(*key.data)
            else:
                self._work.wait()  # nothing to mix: sleep until a bridge opens (or close)
                next_tick = time.monotonic() + TICK_S
                continue
            now = time.monotonic()
            if now >= next_tick:
                with self._lock:
                    for bridge in list(self.bridges.values()):
                        self._tick(bridge)
                next_tick += TICK_S
                if now - next_tick > 0.2:  # far behind (a stalled machine): start afresh
                    next_tick = now + TICK_S

    def _receive(self, bridge: Bridge, port: _Port) -> None:
        while True:
            try:
                data, peer = port.sock.recvfrom(2048)
            except (BlockingIOError, OSError):
                return
            if len(data) < 12 or data[0] >> 6 != 2:
                continue
            pt = data[1] & 0x7F
            if pt != bridge.codec.payload_type:
                continue  # telephone-event, comfort noise: not mixed
            header = 12 + 4 * (data[0] & 0x0F)
            if data[0] & 0x10 and len(data) >= header + 4:  # header extension
                header += 4 + 4 * struct.unpack_from("!H", data, header + 2)[0]
            payload = data[header:]
            if data[0] & 0x20 and payload:  # padding
                payload = payload[: -payload[-1]]
            if len(payload) != FRAME:
                continue
            port.received += 1
            if port.dest is None and port.learn:
                port.dest = (peer[0], peer[1])
            port.frames.append(bridge.codec.decode(payload))
            seq, ts, ssrc = struct.unpack_from("!HII", data, 2)
            port.stamps.append((ssrc, seq, ts))

    def _tick(self, bridge: Bridge) -> None:
        for p in bridge.ports.values():
            if not p.playing and len(p.frames) >= p.depth:
                p.playing = True
            if p.playing and p.frames:
                p.current, p.current_rtp = p.frames.popleft(), p.stamps.popleft()
                while len(p.frames) > p.depth + SLACK and _silent(p.current):
                    # late frames caught up: shorten the delay
                    p.current, p.current_rtp = p.frames.popleft(), p.stamps.popleft()
                    p.dropped += 1
            else:
                p.current = p.current_rtp = None
                if p.playing:  # ran dry: queue a deeper buffer before playing on
                    p.playing = False
                    p.underruns += 1
                    p.depth = min(p.depth + 2, MAX_DEPTH)
        for name, inputs in bridge.matrix.items():
            out = bridge.ports[name]
            frames = [f for i in inputs if (f := bridge.ports[i].current) is not None]
            lead = bridge.ports[out.follow].current_rtp if out.follow in bridge.ports else None
            # the followed stream goes on: its SSRC and numbering, but never a sequence number
            # sent already (after the input ran dry its late frames come with numbers the
            # output used meanwhile, and a phone drops a duplicate: baresip "already in progress")
            if lead is not None and (not out.adopted or (lead[1] - out.seq) & 0xFFFF < 0x8000):
                out.ssrc, out.seq, out.ts = lead
                out.adopted = True
            seq, ts = out.seq, out.ts
            out.ts = (ts + FRAME) & 0xFFFFFFFF  # the clock runs through silence too
            if out.dest is None or not frames or (out.follow is not None and not out.adopted):
                continue
            header = struct.pack("!BBHII", 0x80, bridge.codec.payload_type, seq, ts, out.ssrc)
            out.seq = (seq + 1) & 0xFFFF
            try:
                out.sock.sendto(header + bridge.codec.mix(frames), out.dest)
                out.sent += 1
            except OSError as exc:
                log.debug("mixer %s/%s: %s", bridge.key, name, exc)

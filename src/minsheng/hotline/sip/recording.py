"""Call recordings: rtpengine's pcap of a call → a stereo WAV, encrypted at rest.

rtpengine (``recording-method = pcap``, ``recording-dir = SPOOL``) writes every packet the two
endpoints sent, from ``start recording`` (sent when the counsellor answers, after the caller heard
the recording notice) until the call is deleted, to ``SPOOL/pcaps/<call-id>-<random>.pcap``
(link type raw IPv4), with a metadata file beside it. Injected prompts are not in it. When the
call has ended, :class:`Recorder` (a thread, off the SIP thread) turns the pcap into a WAV —
8 kHz, 16-bit, left channel the caller, right channel the counsellor, placed by RTP timestamp —
encrypts it with AES-256-GCM under the key from the settings (``HOTLINE_RECORDING_KEY``), writes
it to the recordings folder named by a hash of the call reference, and deletes the pcap and its
metadata, so no clear audio stays on disk.

File format: ``b"MSREC1"`` + 8 bytes of key id (SHA-256 of the key) + 12-byte nonce + ciphertext
with its GCM tag; the call reference is the associated data, so a file renamed to another call
does not decrypt. Playback (``minsheng hotline recording play``) decrypts and audits; ``purge``
deletes recordings older than the retention (``HOTLINE_RETENTION_DAYS``, ≥ 3 years).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import queue
import struct
import threading
import wave
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from urllib.parse import unquote

log = logging.getLogger(__name__)

MAGIC = b"MSREC1"
RATE = 8000


# G.711 ----------------------------------------------------------------------------------------
def _ulaw(byte: int) -> int:
    u = ~byte & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return (0x84 - t) if u & 0x80 else (t - 0x84)


def _alaw(byte: int) -> int:
    a = byte ^ 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (seg - 1)
    return t if a & 0x80 else -t


ULAW = [_ulaw(b) for b in range(256)]
ALAW = [_alaw(b) for b in range(256)]
DECODERS = {0: ULAW, 8: ALAW}  # RTP payload types 0 (PCMU) and 8 (PCMA)


# pcap ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RtpPacket:
    at: float  # capture time, seconds
    src_port: int
    dst_port: int
    payload_type: int
    timestamp: int
    ssrc: int
    payload: bytes


def read_pcap(path: Path) -> list[RtpPacket]:
    """The RTP packets of a pcap written by rtpengine (link type raw IPv4, or Ethernet)."""
    data = path.read_bytes()
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path} is not a pcap file")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    offset = {101: 0, 228: 0, 1: 14}.get(linktype)
    if offset is None:
        raise ValueError(f"{path}: unsupported pcap link type {linktype}")
    packets: list[RtpPacket] = []
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(endian + "IIII", data[pos : pos + 16])
        frame = data[pos + 16 : pos + 16 + incl]
        pos += 16 + incl
        ip = frame[offset:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue  # only IPv4 UDP
        ihl = (ip[0] & 0x0F) * 4
        udp = ip[ihl:]
        if len(udp) < 8 + 12:
            continue
        src_port, dst_port = struct.unpack("!HH", udp[:4])
        rtp = udp[8:]
        if rtp[0] >> 6 != 2:
            continue
        cc = rtp[0] & 0x0F
        header = 12 + 4 * cc
        payload_type = rtp[1] & 0x7F
        timestamp, ssrc = struct.unpack("!II", rtp[4:12])
        body = rtp[header:]
        if rtp[0] & 0x20 and body:  # padding
            body = body[: -body[-1]]
        at = sec + frac / (1e9 if nano else 1e6)
        packets.append(RtpPacket(at, src_port, dst_port, payload_type, timestamp, ssrc, body))
    return packets


def pcap_to_wav(path: Path, caller_port: int) -> tuple[bytes, float]:
    """A stereo WAV (left: caller, right: counsellor) of a call's pcap, and its length in seconds.

    ``caller_port`` is rtpengine's port facing the caller: packets sent to it are the caller's,
    everything else is the counsellor's. Audio (PCMU/PCMA) is placed by RTP timestamp from the
    capture time of each stream's first packet; telephone-events and other payloads are skipped.
    """
    packets = [p for p in read_pcap(path) if p.payload_type in DECODERS]
    if not packets:
        return _wav([], []), 0.0
    start = min(p.at for p in packets)
    channels: list[list[int]] = [[], []]
    first: dict[tuple[int, int], tuple[float, int]] = {}  # (side, ssrc) → (time, timestamp)
    for p in packets:
        side = 0 if p.dst_port == caller_port else 1
        key = (side, p.ssrc)
        if key not in first:
            first[key] = (p.at, p.timestamp)
        t0, ts0 = first[key]
        index = round((t0 - start) * RATE) + ((p.timestamp - ts0) & 0xFFFFFFFF)
        if index < 0 or index > RATE * 4 * 3600:
            continue  # a timestamp jump no call has
        samples = [DECODERS[p.payload_type][b] for b in p.payload]
        channel = channels[side]
        end = index + len(samples)
        if len(channel) < end:
            channel.extend([0] * (end - len(channel)))
        channel[index:end] = samples
    return _wav(channels[0], channels[1]), max(len(c) for c in channels) / RATE


def _wav(left: list[int], right: list[int]) -> bytes:
    length = max(len(left), len(right))
    left = left + [0] * (length - len(left))
    right = right + [0] * (length - len(right))
    frames = bytearray()
    for a, b in zip(left, right, strict=True):
        frames += struct.pack("<hh", a, b)
    out = BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))
    return out.getvalue()


# encryption ------------------------------------------------------------------------------------
def parse_key(text: str) -> bytes:
    """A 256-bit key from 64 hex digits or URL-safe base64 (``recording keygen`` prints one)."""
    text = text.strip()
    try:
        key = bytes.fromhex(text) if len(text) == 64 else base64.urlsafe_b64decode(text + "==")
    except (ValueError, binascii.Error) as exc:
        raise ValueError("the recording key is not hex or base64") from exc
    if len(key) != 32:
        raise ValueError("the recording key must be 32 bytes (256 bits)")
    return key


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:8]


def encrypt(data: bytes, key: bytes, call_ref: str) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, data, call_ref.encode())
    return MAGIC + key_id(key) + nonce + sealed


def decrypt(blob: bytes, key: bytes, call_ref: str) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not blob.startswith(MAGIC):
        raise ValueError("not a minsheng recording")
    kid, nonce, sealed = blob[6:14], blob[14:26], blob[26:]
    if kid != key_id(key):
        raise ValueError("the recording was encrypted with another key")
    try:
        return AESGCM(key).decrypt(nonce, sealed, call_ref.encode())
    except InvalidTag as exc:
        raise ValueError("the recording does not belong to this call or was altered") from exc


def file_name(call_ref: str) -> str:
    """The recording's file name: a hash of the call reference (which may hold any character)."""
    return hashlib.sha256(call_ref.encode()).hexdigest()[:40] + ".wav.enc"


def purge(folder: Path, older_than: datetime) -> list[Path]:
    """Delete recordings last written before ``older_than`` (the retention's end)."""
    removed = []
    limit = older_than.timestamp()
    for path in sorted(folder.glob("*.wav.enc")):
        if path.stat().st_mtime < limit:
            path.unlink()
            removed.append(path)
    return removed


# the recorder ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    call_id: str  # rtpengine's call id (the SIP Call-ID)
    call_ref: str  # the call record's reference
    caller_port: int


class Recorder:
    """Converts and encrypts finished calls' pcaps on its own thread; ``put`` from any thread."""

    def __init__(self, spool: Path, folder: Path, key: bytes, *, wait_s: float = 5.0) -> None:
        self.spool = spool
        self.folder = folder
        self.key = key
        self.wait_s = wait_s  # rtpengine closes the pcap just after the delete
        self.stored = 0
        self.failed = 0
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="sip-recorder", daemon=True)
        self._thread.start()

    def put(self, job: Job) -> None:
        self._queue.put(job)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=60)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                self.store(job)
                self.stored += 1
            except Exception:
                self.failed += 1
                log.exception("recording of a call could not be stored")

    def _pcaps(self, call_id: str) -> list[Path]:
        # rtpengine names the file <call-id>-<random>.pcap with the call id %-escaped
        # ("1-2@host" → "1-2%40host-….pcap", measured)
        prefix = f"{call_id}-"
        folder = self.spool / "pcaps"
        if not folder.is_dir():
            return []
        return [p for p in folder.glob("*.pcap") if unquote(p.name).startswith(prefix)]

    def store(self, job: Job) -> Path:
        import time

        deadline = time.monotonic() + self.wait_s
        pcaps = self._pcaps(job.call_id)
        while not pcaps and time.monotonic() < deadline:
            time.sleep(0.05)
            pcaps = self._pcaps(job.call_id)
        if not pcaps:
            raise FileNotFoundError(f"no pcap for call {job.call_ref!r} in {self.spool}")
        pcap = max(pcaps, key=lambda p: p.stat().st_mtime)
        wav, _seconds = pcap_to_wav(pcap, job.caller_port)
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / file_name(job.call_ref)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(encrypt(wav, self.key, job.call_ref))
        tmp.replace(target)
        for path in pcaps:
            path.unlink(missing_ok=True)
            meta = self.spool / "metadata" / f"rtpengine-meta-{path.stem}.txt"
            meta.unlink(missing_ok=True)
        return target

"""rtpengine's ng control protocol: bencoded dictionaries over UDP.

A request is ``COOKIE <bencoded dict>``; the answer is ``COOKIE <bencoded dict>`` with a
``result`` of ``ok`` (or ``pong``), ``error`` (with ``error-reason``) or ``load limit``. The
bencoder is the twenty lines below rather than PyPI ``bencode.py``: the format is tiny, stable
(BitTorrent's), and one dependency fewer to pin and audit.

:class:`NgClient` is blocking with a short timeout and one retransmission, on purpose: rtpengine
runs next to the B2BUA and answers in well under a millisecond, so a round trip on the SIP thread
costs less than the bookkeeping an asynchronous client would need; when rtpengine is down each
request fails after ``timeout_s × (retries + 1)`` and the caller treats it as a media failure.
"""

from __future__ import annotations

import secrets
import socket
import threading
from typing import Any

Bencodable = int | str | bytes | list[Any] | dict[str, Any]


def bencode(value: Bencodable) -> bytes:
    """Encode ints, strings (UTF-8), bytes, lists and dicts (keys sorted, as the format asks)."""
    if isinstance(value, bool):
        raise TypeError("bencode has no booleans")
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    if isinstance(value, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in value.items())
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"
    raise TypeError(f"cannot bencode {type(value).__name__}")


def bdecode(data: bytes) -> Any:
    """Decode one bencoded value; strings come back as ``str`` (UTF-8), or ``bytes`` if not text."""
    value, end = _decode(data, 0)
    if end != len(data):
        raise ValueError("trailing data after the bencoded value")
    return value


def _decode(data: bytes, pos: int) -> tuple[Any, int]:
    lead = data[pos : pos + 1]
    if lead == b"i":
        end = data.index(b"e", pos)
        return int(data[pos + 1 : end]), end + 1
    if lead == b"l":
        pos += 1
        items = []
        while data[pos : pos + 1] != b"e":
            item, pos = _decode(data, pos)
            items.append(item)
        return items, pos + 1
    if lead == b"d":
        pos += 1
        result = {}
        while data[pos : pos + 1] != b"e":
            key, pos = _decode(data, pos)
            result[key], pos = _decode(data, pos)
        return result, pos + 1
    if lead.isdigit():
        colon = data.index(b":", pos)
        size = int(data[pos:colon])
        raw = data[colon + 1 : colon + 1 + size]
        if len(raw) != size:
            raise ValueError("truncated string")
        try:
            return raw.decode(), colon + 1 + size
        except UnicodeDecodeError:
            return raw, colon + 1 + size
    raise ValueError(f"not bencode at offset {pos}")


class NgError(Exception):
    """rtpengine answered ``error`` (or did not answer)."""


class NgClient:
    """Send ng commands to one rtpengine and return its answers (thread-safe)."""

    def __init__(self, host: str, port: int, *, timeout_s: float = 0.5, retries: int = 1) -> None:
        self.address = (host, port)
        self.timeout_s = timeout_s
        self.retries = retries
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                                   socket.SOCK_DGRAM)  # fmt: skip
        self._sock.settimeout(timeout_s)
        self._seq = 0
        # rtpengine answers a repeated cookie from its cache (that is how retransmissions are
        # made safe), so cookies must never repeat, also across clients in one process
        self._prefix = secrets.token_hex(6)

    def close(self) -> None:
        self._sock.close()

    def request(self, command: str, **params: Any) -> dict[str, Any]:
        """Send ``command`` with ``params`` (underscores in names become dashes)."""
        message: dict[str, Any] = {"command": command}
        for key, value in params.items():
            if value is not None:
                message[key.replace("_", "-")] = value
        with self._lock:
            self._seq += 1
            cookie = f"{self._prefix}_{self._seq}".encode()
            packet = cookie + b" " + bencode(message)
            for _attempt in range(self.retries + 1):
                self._sock.sendto(packet, self.address)
                try:
                    while True:
                        data, _peer = self._sock.recvfrom(65536)
                        got, _, body = data.partition(b" ")
                        if got == cookie:
                            break  # an answer to an earlier, timed-out request is skipped
                except TimeoutError:
                    continue
                except OSError as exc:  # e.g. ICMP port unreachable: nobody listens
                    raise NgError(f"rtpengine {self.address}: {exc}") from exc
                answer = bdecode(body)
                if not isinstance(answer, dict):
                    raise NgError("rtpengine answered something that is not a dictionary")
                if answer.get("result") == "error":
                    raise NgError(str(answer.get("error-reason", "error")))
                return answer
        raise NgError(f"rtpengine {self.address} did not answer {command!r}")

    def ping(self) -> bool:
        try:
            return self.request("ping").get("result") == "pong"
        except NgError:
            return False

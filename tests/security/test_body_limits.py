"""Issue item 7: request bodies are limited per route before they are read, streamed bodies are
counted as they arrive, and a stream of large bodies leaves the server's memory flat."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable

from fastapi.testclient import TestClient

from minsheng.core.config import Settings
from tests.security.conftest import Served

MB = 1024 * 1024


def raw_exchange(port: int, head: str, body_chunks: int = 0, chunk: bytes = b"") -> bytes:
    """Send a request head (and optionally chunked body pieces) on a raw socket; return what
    the server answers. The server may close while we still send: that is the point."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(head.encode())
        try:
            for _ in range(body_chunks):
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            if body_chunks:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        try:
            while b"\r\n\r\n" not in data or not _complete(data):
                piece = sock.recv(65536)
                if not piece:
                    break
                data += piece
        except ConnectionResetError:
            pass
        return data


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def status_and_body(data: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body)


def test_a_declared_huge_body_is_refused_before_it_is_sent(
    serve: Callable[..., Served],
) -> None:
    server = serve()
    head = (
        "POST /api/certification/scan-ad HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"
    )
    # Nothing of the 100 MB is sent: the answer must come from the headers alone.
    status, body = status_and_body(raw_exchange(server.port, head))
    assert status == 413
    assert body["error"] == "PayloadTooLarge" and body["field"] == "body"
    assert body["max_bytes"] == 512 * 1024


def test_a_streamed_body_is_cut_off_at_the_cap(serve: Callable[..., Served]) -> None:
    server = serve()
    head = (
        "POST /api/core/idcheck HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    status, body = status_and_body(raw_exchange(server.port, head, 40, b"[" * 64 * 1024))
    assert status == 413
    assert body["error"] == "PayloadTooLarge"


def test_imports_have_their_own_larger_cap(settings: Settings) -> None:
    from minsheng.app import create_app

    app = create_app(settings.model_copy(update={"max_upload_bytes": 2 * MB}))
    with TestClient(app) as client:
        big = b"number,name\n" + b"x" * MB
        # Over the general cap but under the upload cap: reaches the route (which wants a token).
        reply = client.post("/api/certification/certificates/import", content=big)
        assert reply.status_code == 401
        reply = client.post("/api/certification/certificates/import", content=big * 3)
        assert reply.status_code == 413
        assert reply.json()["max_bytes"] == 2 * MB
        # The general cap on an ordinary JSON route, streamed without a Content-Length.
        reply = client.post(
            "/api/core/idcheck",
            content=iter([b'{"number": "', b"1" * MB, b'"}']),
            headers={"Content-Type": "application/json"},
        )
        assert reply.status_code == 413
    app.state.engine.dispose()


def test_a_stream_of_large_bodies_keeps_memory_flat(serve: Callable[..., Served]) -> None:
    """200 bodies of 5 MB (half declared, half streamed): resident memory grows by a bounded
    amount, not with the bytes sent."""
    server = serve()
    declared = (
        "POST /api/certification/scan-ad HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/json\r\nContent-Length: 5242880\r\n\r\n"
    )
    streamed = (
        "POST /api/certification/scan-ad HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"9" * 256 * 1024
    for _ in range(10):  # warm-up: imports, caches, first allocations
        raw_exchange(server.port, streamed, 20, chunk)
    before = server.rss_bytes()
    statuses = []
    for i in range(200):
        if i % 2:
            data = raw_exchange(server.port, streamed, 20, chunk)
        else:
            data = raw_exchange(server.port, declared)
        if data:
            statuses.append(status_and_body(data)[0])
    after = server.rss_bytes()
    assert statuses and set(statuses) == {413}
    assert after - before < 40 * MB, (before, after)

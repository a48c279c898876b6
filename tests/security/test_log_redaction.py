"""Issue item 4: no log line of the platform's processes carries a phone or ID number in clear:
uvicorn's access and error logs, the app's loggers (messages, arguments and tracebacks) and
the SIP server's message log.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import privacy
from minsheng.core.auth import create_user
from minsheng.core.config import Settings
from tests.security.conftest import Served

PHONE = "13912345678"
ID = "110105194912310021"
CLEAR = (PHONE, ID, "1391234", "19491231")


def assert_redacted(text: str) -> None:
    for secret in CLEAR:
        assert secret not in text, f"{secret} logged in clear:\n{text}"


def test_a_served_process_logs_no_number_in_clear(
    serve: Callable[..., Served], session_factory: sessionmaker[Session]
) -> None:
    server = serve(MINSHENG_ACCESS_LOG="1")  # off by default (docs/performance.md)
    with session_factory() as s:
        _user, token = create_user(s, name="desk", role="hotline")
        s.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    requests = [
        ("GET", f"/api/hotline/route?number={PHONE}", None),
        ("GET", f"/api/hotline/route?number={quote('+86' + PHONE)}&origin={ID}", None),
        ("GET", f"/api/hotline/route?number={PHONE}&at=0001-01-01T00:00:00%2B23:59", None),
        ("GET", f"/api/core/regions/{ID}", None),
        ("GET", f"/no/such/page/{PHONE}/{ID}", None),
        ("POST", "/api/core/idcheck", {"number": ID}),
        ("POST", "/api/core/idcheck", {"number": PHONE * 3}),
        ("POST", f"/api/hotline/counsellors/{PHONE}/state", {"state": ID}),
    ]
    for method, path, body in requests:
        server.call(method, path, json_body=body, headers=bearer)
    server.stop()
    logs = server.logs()
    assert "139****5678" in logs  # the access log did print those lines, masked
    assert "110105********0021" in logs
    assert_redacted(logs)


@pytest.fixture
def failing_client(settings: Settings) -> Iterator[TestClient]:
    """The app plus one route that fails with numbers in its error and its log arguments."""
    from minsheng.app import create_app

    app = create_app(settings)

    @app.post("/api/test/fail")
    def fail(payload: dict[str, str]) -> None:
        logging.getLogger("minsheng.test").warning(
            "about to fail for %s (%r)", payload["phone"], payload
        )
        raise RuntimeError(f"caller {payload['phone']} with id {payload['id']} broke it")

    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


def test_messages_arguments_and_tracebacks_are_redacted(
    failing_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # a handler added after start-up, no filter on it
    logging.getLogger().addHandler(handler)
    try:
        with caplog.at_level(logging.INFO):
            reply = failing_client.post("/api/test/fail", json={"phone": PHONE, "id": ID})
    finally:
        logging.getLogger().removeHandler(handler)
    assert reply.status_code == 500
    assert "RuntimeError" in caplog.text  # the traceback was logged
    assert_redacted(caplog.text)
    assert_redacted(stream.getvalue())
    assert "139****5678" in stream.getvalue()
    assert_redacted(reply.text)


def test_uvicorn_access_records_keep_their_shape() -> None:
    """uvicorn's access formatter reads ``record.args`` itself: redaction keeps the tuple."""
    from uvicorn.logging import AccessFormatter

    privacy.install_log_redaction()
    record = logging.getLogger("uvicorn.access").makeRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", f"/api/hotline/route?number={PHONE}", "1.1", 200),
        None,
    )
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(record)
    assert line == '127.0.0.1:5 - "GET /api/hotline/route?number=139****5678 HTTP/1.1" 200 OK'


def test_the_sip_message_log_is_redacted() -> None:
    from minsheng.hotline.sip.stack import configure_sippy

    configure_sippy()
    from sippy.SipLogger import SipLogger

    line = SipLogger.format(
        SipLogger.__new__(SipLogger),
        (f"INVITE sip:12356@10.0.0.1 SIP/2.0\r\nFrom: <sip:+86{PHONE}@carrier>;tag=1\r\n",),
        {"ltime": 0.0, "call_id": "c1"},
    )
    assert "139****5678" in line
    assert_redacted(line)

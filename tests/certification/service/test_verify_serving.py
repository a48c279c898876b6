"""How the public route runs a lookup (docs/performance.md, "Framework speed"): on a bare Core
connection with the same answer as through a session, and on the event loop only when nothing
in it can wait."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from minsheng.certification import service
from minsheng.certification.schemas import VerifyRequest
from minsheng.core.config import Settings
from tests.certification import factories as f


def test_a_connection_answers_as_a_session_does(
    session: Session, settings: Settings, engine: Engine
) -> None:
    f.reference(session)
    cert = service.issue_certificate(
        session, f.issue_request(f.body(session).filing_no), settings, actor="t"
    )
    session.commit()
    query = VerifyRequest(name="张伟", number=cert.number)
    through_session = service.verify_certificate(session, settings, query, client="a")
    with engine.connect() as conn:
        through_connection = service.verify_certificate(conn, settings, query, client="b")
        conn.commit()
    assert through_connection == through_session
    assert through_connection["found"] is True
    (shown,) = through_connection["certificates"]
    assert shown["name_masked"] == "张*"
    assert shown["id_masked"] is None  # the query did not give the ID


@pytest.mark.parametrize(
    ("url", "update", "inline"),
    [
        ("sqlite://", {}, True),
        ("sqlite://", {"cert_verify_rate_store": "memory"}, True),
        ("sqlite://", {"redis_url": "redis://127.0.0.1:1/0"}, False),
        ("sqlite://", {"cert_verify_rate_store": "database"}, False),
        ("sqlite://", {"cert_verify_log_flush_s": 0}, False),
        ("postgresql+psycopg://u@127.0.0.1:1/x", {}, False),
    ],
)
def test_only_a_lookup_that_cannot_wait_runs_on_the_event_loop(
    settings: Settings, url: str, update: dict[str, object], inline: bool
) -> None:
    engine = create_engine(url)  # no connection is made
    try:
        assert service.lookup_never_waits(engine, settings.model_copy(update=update)) is inline
    finally:
        engine.dispose()

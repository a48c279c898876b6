"""The cluster's call records in the database when two transactions meet (PostgreSQL): a standby
recording a dead node's calls lost while a record writer stores one of them. Here rather than
beside the running cluster's tests (tests/hotline/sip/, which need sipp and run only in CI's
SQLite pass) so that it runs in the PostgreSQL pass."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from minsheng.hotline.engine import Attempt, CallRecord, Outcome, StepResult
from minsheng.hotline.models import Call
from minsheng.hotline.rules.snapshot import CallTag, Level
from minsheng.hotline.service import cluster as cluster_service
from minsheng.hotline.sip.records import database_sink
from tests.conftest import is_postgres
from tests.hotline.factories import live_row, load_guangdong_cluster


def test_a_standby_marking_calls_lost_and_a_writer_storing_one_take_turns(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    """The race CI met: the standby records a dead node's waiting call lost while the standby's
    own record writer stores that call answered (Kamailio moved it there). The writer waits for
    the standby's transaction (``lock_call_records``), drops the lost record, and stores its own."""
    if not is_postgres():
        pytest.skip("the lock is PostgreSQL's; SQLite serialises its writers already")
    load_guangdong_cluster(session)
    waiting = live_row("moved", state="waiting", counsellor_id=None, answered_at=None)
    now = waiting["arrived_at"] + timedelta(minutes=1)
    cluster_service.publish_calls(session, "n1", now=now, changed=[waiting], gone=[])
    session.commit()
    at = waiting["arrived_at"].timestamp()
    answered = CallRecord(
        call_id="moved",
        tag=CallTag("h" * 64, "138****8000", "carrier", "440000", "440300", "test", "12356"),
        arrived_at=at, ended_at=at + 9, outcome=Outcome.ANSWERED, crisis=False, skill=None,
        last_resort=False, hotline_id="gd-province", counsellor_id="gd-01", answered_at=at + 2,
        wait_s=2.0, talk_s=7.0,
        attempts=[Attempt("gd-province", "province", Level.PROVINCE, at, at + 2,
                          StepResult.ANSWERED)],
    )  # fmt: skip
    errors: list[BaseException] = []

    def write() -> None:
        try:
            database_sink(session_factory)([answered])
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    standby = session_factory()
    try:
        assert cluster_service.mark_lost(standby, "n1", ["south"], now) == 1
        writer = threading.Thread(target=write)
        writer.start()
        writer.join(0.5)
        assert writer.is_alive()  # waiting for the standby's transaction
        standby.commit()
    finally:
        standby.close()
    writer.join(10)
    assert not writer.is_alive()
    assert errors == []
    with session_factory() as s:
        (call,) = s.scalars(select(Call).where(Call.call_ref == "moved"))
        assert (call.outcome, call.counsellor_id) == ("answered", "gd-01")

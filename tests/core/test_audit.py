"""The audit row commits with its change and disappears with a rollback; the log is append-only."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import audit
from minsheng.core.audit import AuditEntry
from minsheng.core.auth import User, create_user
from tests.conftest import count


def count_in(factory: sessionmaker[Session], model: type) -> int:
    with factory() as s:
        return count(s, model)


def test_audit_row_commits_with_its_change(session_factory: sessionmaker[Session]) -> None:
    token = audit.current_request_id.set("req-1")
    try:
        with session_factory() as s:
            create_user(s, name="ann", role="hotline", actor="tester")
            s.commit()
    finally:
        audit.current_request_id.reset(token)
    assert count_in(session_factory, User) == 1
    with session_factory() as s:
        entry = s.scalars(select(AuditEntry)).one()
        assert (entry.actor, entry.action) == ("tester", "user.create")
        assert entry.table_name == "core_users"
        assert entry.request_id == "req-1"
        assert entry.at.tzinfo is not None


def test_rollback_leaves_no_audit_row(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s:
        create_user(s, name="bob", role="hotline")
        s.rollback()
    assert count_in(session_factory, User) == 0
    assert count_in(session_factory, AuditEntry) == 0


def test_audit_is_append_only(session: Session) -> None:
    entry = audit.record(session, actor="a", action="x", table="t", record_id=1)
    entry.action = "changed"
    with pytest.raises(RuntimeError, match="append-only"):
        session.flush()
    session.rollback()
    entry = audit.record(session, actor="a", action="x", table="t", record_id=1)
    session.delete(entry)
    with pytest.raises(RuntimeError, match="append-only"):
        session.flush()


def test_add_and_record_audits_the_new_row(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        user = User(name="zhao", role="hotline", token_hash="x" * 64)
        audit.add_and_record(session, user, actor=audit.cli_actor(), action="create")
        entry = audit.list_entries(session, table="core_users", limit=1)[0]
        assert entry.record_id == str(user.id)
        assert entry.actor.startswith("cli:")

"""The append-only audit log of staff actions.

An audit row is added to the *same* session as the change it records, so it commits with that
change and vanishes with its rollback. Rows hold no personal data in clear: record ids and short
non-personal details only. The request id comes from a context variable that the HTTP middleware
and the CLI set; the acting staff member's scope (region, bureau) from one that ``require_role``
sets, so each row says within which scope a change was made.

Actors are written one way everywhere: ``<channel>:<name>`` — ``user:<name>`` for a staff user
signed in to the API or the pages (``Principal.actor``), ``cli:<os user>`` for the command line
(:func:`cli_actor`), ``system:<component>`` for the platform itself (demo loader, SIP server).
An officer named on a case step is data of the case, not the audit actor.
"""

from __future__ import annotations

import getpass
import uuid
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from minsheng.core.db import Base, UTCDateTime, utcnow

current_request_id: ContextVar[str | None] = ContextVar("minsheng_request_id", default=None)
# The acting staff member's scope (``Scope.audit_text``), set by ``core.web.require_role``;
# None for national staff with no bureau, the CLI and the platform itself.
current_scope: ContextVar[str | None] = ContextVar("minsheng_scope", default=None)


class AuditEntry(Base):
    __tablename__ = "core_audit"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    table_name: Mapped[str] = mapped_column(String(100))
    record_id: Mapped[str] = mapped_column(String(100))
    request_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    scope: Mapped[str | None] = mapped_column(String(80), nullable=True)


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(*_args: Any) -> None:
    raise RuntimeError("the audit log is append-only")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(*_args: Any) -> None:
    raise RuntimeError("the audit log is append-only")


def cli_actor() -> str:
    """The audit actor of a command-line change: ``cli:<operating-system user>``."""
    return f"cli:{getpass.getuser()}"


def system_actor(component: str) -> str:
    """The audit actor of a change the platform makes by itself, e.g. ``system:demo``."""
    return f"system:{component}"


def new_request_id() -> str:
    return uuid.uuid4().hex


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    table: str,
    record_id: str | int,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit row to the session's current transaction (flushes, never commits)."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        table_name=table,
        record_id=str(record_id),
        request_id=current_request_id.get(),
        detail=detail,
        scope=current_scope.get(),
    )
    session.add(entry)
    session.flush()
    return entry


def add_and_record(
    session: Session,
    row: Any,
    *,
    actor: str,
    action: str,
    detail: dict[str, Any] | None = None,
) -> Any:
    """Add ``row`` (a mapped object), flush so it has its id, and audit it in the same transaction.

    The audit row names the row's table and primary key; returns ``row`` for chaining.
    """
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor,
        action=action,
        table=row.__tablename__,
        record_id=row.id,
        detail=detail,
    )
    return row


def list_entries(
    session: Session,
    *,
    table: str | None = None,
    limit: int = 100,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditEntry]:
    """The newest entries first; ``since`` inclusive, ``until`` exclusive."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if table:
        stmt = stmt.where(AuditEntry.table_name == table)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.at < until)
    return list(session.scalars(stmt))

"""Database plumbing: the one declarative ``Base``, portable column types, engines and sessions.

Services receive a ``Session`` and only flush; whoever opened the session (a request, a CLI
command) commits on success and rolls back on error, through ``session_scope``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from minsheng.core.config import Settings
from minsheng.core.errors import DatabaseNotMigrated

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# ``ForeignKey(..., info={TRIGGER_CHECKED: "<migration>"})``: a foreign key that the migration
# named replaced on PostgreSQL by triggers doing the same check once per statement
# (``migrate.include_object`` keeps Alembic's comparison from asking for the constraint there).
TRIGGER_CHECKED = "postgresql_checked_by_triggers"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp stored in UTC on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    """An engine for the settings' database; SQLite gets real transactions and foreign keys."""
    url = settings.effective_database_url
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault(
            "connect_args",
            {"check_same_thread": False, "timeout": settings.sqlite_busy_timeout_s},
        )
        engine = create_engine(url, echo=settings.sql_echo, **kwargs)
        _sqlite_pragmas(engine, busy_timeout_ms=int(settings.sqlite_busy_timeout_s * 1000))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, echo=settings.sql_echo, **kwargs)


def _sqlite_pragmas(engine: Engine, *, busy_timeout_ms: int) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and defers BEGIN; take it over, as
    # the SQLAlchemy docs recommend, and switch on foreign keys and WAL for concurrent readers.
    #
    # A writer's transaction (``writer(engine)``: API requests that change things, CLI
    # commands) starts with BEGIN IMMEDIATE: it takes the write lock at the start and waits up to
    # the busy timeout for it. A deferred BEGIN reads first and upgrades to a writer at its first
    # write; in WAL mode that upgrade fails at once with "database is locked" when another writer
    # committed meanwhile (the busy timeout does not apply), which is what 111 of 300 concurrent
    # API writes met. Readers keep the deferred BEGIN and are never blocked (WAL).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms:d}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(WRITER_OPTION, False):
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # may wait and fail: SQLAlchemy's errors
        else:
            # A reader's BEGIN takes no lock and cannot fail for lack of one: sent on the
            # driver's connection, since through ``exec_driver_sql`` it cost as much as the
            # lookup it opens (SQLAlchemy's execution context and events for one BEGIN).
            conn.connection.driver_connection.execute("BEGIN")


def describe_url(url: str) -> str:
    """A database URL fit to print: the password hidden, a SQLite path made absolute."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        from pathlib import Path

        return "sqlite:///" + Path(url.removeprefix("sqlite:///")).resolve().as_posix()
    return make_url(url).render_as_string(hide_password=True)


# SQLite says "no such table"/"no such column"; PostgreSQL raises SQLSTATE 42P01 (undefined
# table) or 42703 (undefined column) when the schema is missing or older than the code.
_NOT_MIGRATED_SQLSTATES = {"42P01", "42703"}


def not_migrated(exc: BaseException, settings: Settings) -> DatabaseNotMigrated | None:
    """The ``DatabaseNotMigrated`` that ``exc`` really means, or None for any other failure."""
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    message = str(orig)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in _NOT_MIGRATED_SQLSTATES or message.startswith(
        ("no such table", "no such column")
    ):
        return DatabaseNotMigrated(describe_url(settings.effective_database_url))
    return None


WRITER_OPTION = "minsheng_writer"


def writer(engine: Engine) -> Engine:
    """The same engine (and pool) for transactions that write: on SQLite they wait their turn
    for the write lock from the start (BEGIN IMMEDIATE); elsewhere nothing changes."""
    return engine.execution_options(**{WRITER_OPTION: True})


def make_sessionmaker(engine: Engine, *, write: bool = False) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``write=True`` for the transactions of writers (see ``writer``)."""
    return sessionmaker(bind=writer(engine) if write else engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """The transaction boundary: commit if the block succeeds, roll back if it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

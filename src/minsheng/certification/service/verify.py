"""Public verification of certificates: any two of ID number, name and certificate number,
masked answers, uniform misses, per-client and per-person rate limits, a lookup log without clear
personal data, the QR-code token link, and the log's retention purge.

The request path does one indexed SELECT and nothing else on the database (target p99 ≤ 5 ms):

- Rate-limit counters are kept in process memory by default (``cert_verify_rate_store =
  "memory"``): a fixed one-minute window per hashed client and hashed subject. With several
  worker processes each has its own window, so the effective limit is the setting times the
  number of workers; ``"database"`` keeps one shared counter per key in ``cert_rate_windows``
  (two upserts a lookup, as before) for deployments that need the exact figure.
- The lookup log is written behind (``cert_verify_log_flush_s`` > 0): entries go to a per-engine
  buffer that a background thread writes, with its own connection, every ``flush_s`` seconds or
  as soon as ``cert_verify_log_batch`` entries wait; the buffer is written at interpreter exit,
  and a request that finds it ten batches long writes it itself (back-pressure, so the buffer
  stays bounded and no lookup goes unlogged). ``flush_s = 0`` writes each entry in the
  request's own transaction.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, text
from sqlalchemy.orm import Session

from minsheng.certification.errors import (
    InvalidCertificateNumber,
    VerificationNeedsTwoFields,
    VerificationRateLimited,
)
from minsheng.certification.models import (
    Body,
    Certificate,
    Occupation,
    RateWindow,
    VerificationLog,
)
from minsheng.certification.rules.numbering import decode_number, normalize_number
from minsheng.certification.rules.verification import verification_fields
from minsheng.certification.schemas import VerifyRequest
from minsheng.certification.service.registry import ID_PURPOSE, present
from minsheng.core import idnumber
from minsheng.core.config import Settings
from minsheng.core.db import utcnow
from minsheng.core.privacy import keyed_hash

WINDOW_S = 60
log = logging.getLogger(__name__)


# One statement, the same on SQLite (≥ 3.35) and PostgreSQL, counts a lookup against both keys
# (client and subject) in the current minute: O(1) per key, unlike counting log rows.
RATE_SQL = text(
    "INSERT INTO cert_rate_windows (key, window_start, count) "
    "VALUES (:client_key, :window, 1), (:subject_key, :window, 1) "
    "ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN cert_rate_windows.window_start = excluded.window_start "
    "THEN cert_rate_windows.count + 1 ELSE 1 END, "
    "window_start = excluded.window_start "
    "RETURNING key, count"
)
LOG_INSERT = insert(VerificationLog)
LOOKUP_COLUMNS = (
    Certificate.number,
    Certificate.holder_name,
    Certificate.id_masked,
    Certificate.occupation_code,
    Certificate.level,
    Certificate.work_type,
    Certificate.issued_on,
    Certificate.status,
    Certificate.status_reason,
    Occupation.name.label("occupation"),
    Body.name.label("body"),
)
_LOOKUPS: dict[tuple[str, ...], Any] = {}


def lookup_statement(fields: tuple[str, ...]) -> Any:
    """The lookup for a combination of fields, built once (statement building is costly)."""
    if fields not in _LOOKUPS:
        stmt = (
            select(*LOOKUP_COLUMNS)
            .join(Occupation, Occupation.code == Certificate.occupation_code, isouter=True)
            .join(Body, Body.id == Certificate.body_id, isouter=True)
        )
        if "id_number" in fields:
            stmt = stmt.where(Certificate.id_hash == bindparam("id_hash"))
        if "number" in fields:
            stmt = stmt.where(Certificate.number == bindparam("number"))
        if "name" in fields:
            stmt = stmt.where(Certificate.holder_name == bindparam("name"))
        _LOOKUPS[fields] = stmt.limit(50)
    return _LOOKUPS[fields]


def count_lookup(
    conn: Connection, client_key: str, subject_key: str, now: datetime
) -> tuple[dict[str, int], int]:
    """Counts of both keys in the current window, and the seconds until it ends."""
    window = int(now.timestamp()) // WINDOW_S * WINDOW_S
    rows = conn.execute(
        RATE_SQL, {"client_key": client_key, "subject_key": subject_key, "window": window}
    )
    counts = {k: int(c) for k, c in rows}
    return counts, max(1, window + WINDOW_S - int(now.timestamp()))


class MemoryRateLimiter:
    """Fixed one-minute windows per key, in this process. A refused lookup counts for nothing
    (as with the database counters, whose refusal rolls back), so refusals never extend a
    block. Memory: one integer per key seen in the current minute."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}

    def hit(
        self, client_key: str, subject_key: str, now: datetime, settings: Settings
    ) -> tuple[str | None, int]:
        """Count a lookup against both keys, or name the limit it would break (and the seconds
        until the window ends) without counting it."""
        now_s = int(now.timestamp())
        window = now_s // WINDOW_S * WINDOW_S
        wait = max(1, window + WINDOW_S - now_s)
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            counts = self._counts
            client_n = counts.get(client_key, 0) + 1
            subject_n = counts.get(subject_key, 0) + 1
            if client_n > settings.cert_verify_rate_per_client:
                return "client", wait
            if subject_n > settings.cert_verify_rate_per_subject:
                return "subject", wait
            counts[client_key], counts[subject_key] = client_n, subject_n
        return None, wait


class LookupLogBuffer:
    """Lookup-log rows waiting to be written to one engine's database."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: list[dict[str, Any]] = []

    def take(self) -> list[dict[str, Any]]:
        with self.lock:
            rows, self.rows = self.rows, []
        return rows

    def put_back(self, rows: list[dict[str, Any]]) -> None:
        with self.lock:
            self.rows[:0] = rows


# Per engine (one per process in production; one per test in the suite), dropped with it.
_limiters: weakref.WeakKeyDictionary[Engine, MemoryRateLimiter] = weakref.WeakKeyDictionary()
_buffers: weakref.WeakKeyDictionary[Engine, LookupLogBuffer] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()
_wake = threading.Event()
_flusher: threading.Thread | None = None
_flush_interval_s = 1.0
# The background writer can be switched off (tests flush explicitly, deterministically).
background_flush = True


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _limiter(engine: Engine) -> MemoryRateLimiter:
    with _registry_lock:
        limiter = _limiters.get(engine)
        if limiter is None:
            limiter = _limiters[engine] = MemoryRateLimiter()
        return limiter


def _buffer(engine: Engine, flush_s: float) -> LookupLogBuffer:
    global _flusher, _flush_interval_s
    with _registry_lock:
        buf = _buffers.get(engine)
        if buf is None:
            buf = _buffers[engine] = LookupLogBuffer()
        _flush_interval_s = min(_flush_interval_s, flush_s)
        if _flusher is None and background_flush:
            _flusher = threading.Thread(target=_flush_forever, name="cert-lookup-log", daemon=True)
            _flusher.start()
        return buf


def _write(engine: Engine, buf: LookupLogBuffer, conn: Connection | None = None) -> int:
    """Write the buffer's rows (on ``conn``, else in a transaction of its own); on failure
    the rows go back to the buffer and the error is raised."""
    rows = buf.take()
    if not rows:
        return 0
    try:
        if conn is not None:
            conn.execute(LOG_INSERT, rows)
        else:
            with engine.begin() as own:
                own.execute(LOG_INSERT, rows)
    except Exception:
        buf.put_back(rows)
        raise
    return len(rows)


def _flush_forever() -> None:
    while True:
        _wake.wait(_flush_interval_s)
        _wake.clear()
        if background_flush:
            flush_all()


def flush_all() -> int:
    """Write every engine's pending lookup-log rows (the background thread, and at exit)."""
    written = 0
    with _registry_lock:
        pending = [(e, b) for e, b in _buffers.items() if b.rows]
    for engine, buf in pending:
        try:
            written += _write(engine, buf)
        except Exception:  # kept for the next round; the server goes on
            log.exception("lookup log: %d rows not written yet", len(buf.rows))
    return written


atexit.register(flush_all)


def flush_log(session: Session) -> int:
    """Write the pending lookup-log rows of the session's database in its transaction (the
    CLI, tests, and anyone who needs the log complete now). Returns the rows written."""
    engine = _engine_of(session)
    with _registry_lock:
        buf = _buffers.get(engine)
    return 0 if buf is None else _write(engine, buf, session.connection())


def discard_pending_log() -> None:
    """Forget every buffered lookup-log row (test isolation only)."""
    with _registry_lock:
        for buf in _buffers.values():
            buf.take()


def _log_lookup(session: Session, settings: Settings, row: dict[str, Any]) -> None:
    if settings.cert_verify_log_flush_s <= 0:
        session.connection().execute(LOG_INSERT, row)
        return
    engine = _engine_of(session)
    buf = _buffer(engine, settings.cert_verify_log_flush_s)
    with buf.lock:
        buf.rows.append(row)
        waiting = len(buf.rows)
    if waiting >= 10 * settings.cert_verify_log_batch:
        _write(engine, buf)  # the writer is behind or failing: no unbounded growth
    elif waiting >= settings.cert_verify_log_batch:
        _wake.set()


def verify_certificate(
    session: Session,
    settings: Settings,
    data: VerifyRequest,
    *,
    client: str,
    channel: str = "api",
) -> dict[str, Any]:
    """Public lookup by any two of ID number, name and certificate number.

    Every miss answers ``{"found": false, "certificates": []}`` after the same single query as
    a hit; the lookup is logged with keyed hashes only; limits are per client and per subject
    (a refused lookup raises and counts for nothing, so refusals never extend a block).
    """
    id_number, name, number = data.id_number, data.name, data.number
    fields = tuple(verification_fields(id_number, name, number))
    if len(fields) < 2:
        raise VerificationNeedsTwoFields(
            "give any two of id_number, name and number", field="+".join(fields) or None
        )
    key = settings.hmac_key
    params: dict[str, str] = {}
    if "id_number" in fields:
        idc = idnumber.check(id_number or "")
        if idc.normalized is None:
            raise idnumber.InvalidIdNumber("; ".join(idc.errors), field="id_number")
        params["id_hash"] = keyed_hash(idc.normalized, key, purpose=ID_PURPOSE)
    if "number" in fields:
        params["number"] = normalize_number(number or "")
        dec = decode_number(params["number"])
        if not dec.valid:
            raise InvalidCertificateNumber("; ".join(dec.errors), field="number")
    if "name" in fields:
        params["name"] = (name or "").strip()
    subject_hash = params.get("id_hash") or keyed_hash(params["number"], key, purpose="cert-number")
    client_hash = keyed_hash(client, key, purpose="cert-client")
    now = utcnow()
    conn = session.connection()
    client_key, subject_key = "c:" + client_hash, "s:" + subject_hash
    if settings.cert_verify_rate_store == "database":
        counts, wait = count_lookup(conn, client_key, subject_key, now)
        broken = (
            "client"
            if counts[client_key] > settings.cert_verify_rate_per_client
            else "subject"
            if counts[subject_key] > settings.cert_verify_rate_per_subject
            else None
        )
    else:
        broken, wait = _limiter(_engine_of(session)).hit(client_key, subject_key, now, settings)
    if broken == "client":
        raise VerificationRateLimited(
            f"at most {settings.cert_verify_rate_per_client} lookups a minute per client",
            retry_after_s=wait,
        )
    if broken == "subject":
        raise VerificationRateLimited(
            f"at most {settings.cert_verify_rate_per_subject} lookups a minute per person",
            retry_after_s=wait,
        )
    found = [
        present(r, r.occupation, r.body) for r in conn.execute(lookup_statement(fields), params)
    ]
    _log_lookup(
        session,
        settings,
        {
            "at": now,
            "client_hash": client_hash,
            "subject_hash": subject_hash,
            "fields": "+".join(fields),
            "channel": channel,
            "found": bool(found),
            "results": len(found),
        },
    )
    return {"found": bool(found), "certificates": found}


def purge_verification_log(
    session: Session, settings: Settings, *, now: datetime | None = None
) -> dict[str, int]:
    """Delete lookup-log rows past their retention and rate windows older than an hour."""
    now = now or utcnow()
    cutoff = now - timedelta(days=settings.cert_verify_log_retention_days)
    logs = session.execute(delete(VerificationLog).where(VerificationLog.at < cutoff))
    old_window = int(now.timestamp()) - 3600
    windows = session.execute(delete(RateWindow).where(RateWindow.window_start < old_window))
    session.flush()
    return {
        "verification_log": int(getattr(logs, "rowcount", 0) or 0),
        "rate_windows": int(getattr(windows, "rowcount", 0) or 0),
    }


def verify_token(session: Session, token: str) -> dict[str, Any]:
    """The QR-code link: a random token, never the ID number. Unknown tokens miss uniformly."""
    stmt = (
        select(Certificate, Occupation.name, Body.name)
        .join(Occupation, Occupation.code == Certificate.occupation_code, isouter=True)
        .join(Body, Body.id == Certificate.body_id, isouter=True)
        .where(Certificate.verify_token == token.strip().lower()[:32])
    )
    found = [present(c, occ, body) for c, occ, body in session.execute(stmt)]
    return {"found": bool(found), "certificates": found}

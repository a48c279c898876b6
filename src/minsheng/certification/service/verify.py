"""Public verification of certificates: any two of ID number, name and certificate number,
masked answers, uniform misses, rate limits on the client and on every subject of a lookup, a
lookup log without clear personal data, the QR-code token link, and the log's retention purge.

Against recovering an ID number (docs/security.md, "Public certificate verification"):

- every field given is a subject with its own counters, keyed by a keyed hash: the certificate
  number, the ID number and the name each have a per-minute limit and a daily (Beijing) cap,
  and the client has both too. Trying 200 candidate IDs against one certificate number runs
  into that number's daily cap, whatever the number of client addresses used;
- every miss — wrong name, wrong ID, unknown number, revoked body — is the same answer after
  the same single query; only malformed input (a bad check digit, a number that cannot be a
  certificate number) is refused, and that says nothing about any certificate;
- the answer shows no ID digits unless the query contained the ID number, and then only its
  first and last character (``public_id_mask``), so a name+number lookup gives nothing to
  enumerate.

The request path does one indexed SELECT and nothing else on the database (target p99 ≤ 5 ms):
the counters are in process memory by default, shared in Redis when ``MINSHENG_REDIS_URL`` is set
(several workers, several machines), or shared in ``cert_rate_windows``
(``cert_verify_rate_store = "database"``), all behind ``service.ratelimit.RateStore``. The lookup
log is written behind (``cert_verify_log_flush_s`` > 0): entries go to a per-engine buffer that a
background thread writes, with its own connection, every ``flush_s`` seconds or as soon as
``cert_verify_log_batch`` entries wait; the buffer is written at interpreter exit, and a request
that finds it ten batches long writes it itself (back-pressure, so the buffer stays bounded and no
lookup goes unlogged). ``flush_s = 0`` writes each entry in the request's own transaction.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select
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
from minsheng.certification.service.ratelimit import (
    DAY,
    MINUTE,
    DatabaseRateStore,
    Limit,
    MemoryRateStore,
    RateStore,
    RedisRateStore,
    retry_after,
)
from minsheng.certification.service.registry import ID_PURPOSE, present
from minsheng.core import idnumber, metrics
from minsheng.core.config import Settings
from minsheng.core.db import utcnow
from minsheng.core.privacy import keyed_hash

log = logging.getLogger(__name__)
LOOKUPS = metrics.counter(
    "minsheng_cert_verifications_total",
    "Public certificate lookups by outcome (hit, miss, limited)",
    ["outcome"],
)
_HIT, _MISS, _LIMITED = (LOOKUPS.labels(o) for o in ("hit", "miss", "limited"))


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
_limiters: weakref.WeakKeyDictionary[Engine, MemoryRateStore] = weakref.WeakKeyDictionary()
_buffers: weakref.WeakKeyDictionary[Engine, LookupLogBuffer] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()
_wake = threading.Event()
_flusher: threading.Thread | None = None
_flush_interval_s = 1.0
# The background writer can be switched off (tests flush explicitly, deterministically).
background_flush = True


# The lookup takes a Session like every service, or a bare Connection: the public route opens
# only a Core connection, since the ORM session's transaction bookkeeping cost more than the
# lookup itself (docs/performance.md, "Framework speed"). Neither is ever committed here.
Db = Session | Connection


def _connection(db: Db) -> Connection:
    return db if isinstance(db, Connection) else db.connection()


def _engine_of(session: Db) -> Engine:
    if isinstance(session, Connection):
        return session.engine
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _limiter(engine: Engine) -> MemoryRateStore:
    with _registry_lock:
        limiter = _limiters.get(engine)
        if limiter is None:
            limiter = _limiters[engine] = MemoryRateStore()
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


def _log_lookup(session: Db, settings: Settings, row: dict[str, Any]) -> None:
    if settings.cert_verify_log_flush_s <= 0:
        _connection(session).execute(LOG_INSERT, row)
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


_redis_stores: dict[str, RedisRateStore] = {}


def _redis_store(url: str) -> RedisRateStore:
    with _registry_lock:
        store = _redis_stores.get(url)
        if store is None:
            store = _redis_stores[url] = RedisRateStore(url)
        return store


def rate_store(session: Db, settings: Settings) -> RateStore:
    """The configured store of the rate-limit counters."""
    kind = settings.cert_verify_rate_store
    if kind == "auto":
        kind = "redis" if settings.redis_url else "memory"
    if kind == "database":
        return DatabaseRateStore(_connection(session))
    if kind == "redis":
        if not settings.redis_url:
            raise ValueError("cert_verify_rate_store = redis needs MINSHENG_REDIS_URL")
        return _redis_store(settings.redis_url)
    return _limiter(_engine_of(session))


def lookup_never_waits(engine: Engine, settings: Settings) -> bool:
    """Whether a lookup does nothing that can wait on another process: a SQLite reader (WAL:
    never blocked by writers), counters in this process, the log written behind. The route then
    runs it on the event loop (no thread-pool hop); PostgreSQL, Redis or a database rate store
    can wait on the network or a lock, and go to the thread pool."""
    kind = settings.cert_verify_rate_store
    in_memory = kind == "memory" or (kind == "auto" and not settings.redis_url)
    return engine.dialect.name == "sqlite" and in_memory and settings.cert_verify_log_flush_s > 0


def lookup_limits(
    settings: Settings, key: bytes, client: str, params: dict[str, str]
) -> list[Limit]:
    """The counters one lookup is counted against: the client, and every subject it names."""
    return limits_of(settings, _hashes(key, client, params))


def _hashes(key: bytes, client: str, params: dict[str, str]) -> dict[str, str]:
    """The keyed hashes a lookup is counted and logged under, each computed once."""
    out = {"client": keyed_hash(client, key, purpose="cert-client")}
    if "id_hash" in params:
        out["id"] = params["id_hash"]
    if "number" in params:
        out["number"] = keyed_hash(params["number"], key, purpose="cert-number")
    if "name" in params:
        out["name"] = keyed_hash(params["name"], key, purpose="cert-name")
    return out


def limits_of(settings: Settings, hashes: dict[str, str]) -> list[Limit]:
    client_hash = hashes["client"]
    limits = [
        Limit("c:" + client_hash, MINUTE, settings.cert_verify_rate_per_client, "client"),
        Limit("cd:" + client_hash, DAY, settings.cert_verify_daily_per_client, "client_day"),
    ]
    if "id" in hashes:
        h = hashes["id"]
        limits.append(Limit("s:" + h, MINUTE, settings.cert_verify_rate_per_subject, "id"))
        limits.append(Limit("sd:" + h, DAY, settings.cert_verify_daily_per_id, "id_day"))
    if "number" in hashes:
        h = hashes["number"]
        limits.append(Limit("n:" + h, MINUTE, settings.cert_verify_rate_per_subject, "number"))
        limits.append(Limit("nd:" + h, DAY, settings.cert_verify_daily_per_number, "number_day"))
    if "name" in hashes:
        h = hashes["name"]
        limits.append(Limit("m:" + h, MINUTE, settings.cert_verify_rate_per_name, "name"))
        limits.append(Limit("md:" + h, DAY, settings.cert_verify_daily_per_name, "name_day"))
    return limits


# What a refusal says: the same sentence whichever subject's counter is full (it never tells
# which of the fields made the lookup refused), the client's own limits apart.
LIMIT_MESSAGES = {
    "client": "本机查询过于频繁，请稍后再试 (too many lookups from this client)",
    "client_day": "本机今日查询次数已达上限，请明日再试 (daily limit of this client reached)",
}
SUBJECT_MESSAGE = (
    "该证书或持证人的查询过于频繁，请稍后再试 (too many lookups of this certificate or holder)"
)


def public_id_mask(id_masked: str) -> str:
    """The ID as the public answer shows it when the query contained the ID: first and last
    character only. The six region digits and the sequence number are hidden too: with them and
    the check character, about 200 birth dates remain for a six-year window (issue 12, item 1)."""
    if len(id_masked) < 2:
        return "*" * len(id_masked)
    return id_masked[0] + "*" * (len(id_masked) - 2) + id_masked[-1]


def public_view(row: Any, *, id_given: bool) -> dict[str, Any]:
    """The public, masked view of a found certificate (``present`` with the public ID mask)."""
    out = present(row, row.occupation, row.body)
    out["id_masked"] = public_id_mask(row.id_masked) if id_given else None
    return out


def verify_certificate(
    session: Db,
    settings: Settings,
    data: VerifyRequest,
    *,
    client: str,
    channel: str = "api",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Public lookup by any two of ID number, name and certificate number.

    Every miss answers ``{"found": false, "certificates": []}`` after the same single query as
    a hit; the lookup is logged with keyed hashes only; it is counted against the client and
    every subject it names (a refused lookup raises and counts for nothing, so refusals never
    extend a block).
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
    hashes = _hashes(key, client, params)
    subject_hash = hashes.get("id") or hashes["number"]
    client_hash = hashes["client"]
    now = now or utcnow()
    now_s = int(now.timestamp())
    broken = rate_store(session, settings).take(limits_of(settings, hashes), now_s)
    if broken is not None:
        _LIMITED.inc()
        raise VerificationRateLimited(
            LIMIT_MESSAGES.get(broken.kind, SUBJECT_MESSAGE),
            retry_after_s=retry_after(broken, now_s),
        )
    conn = _connection(session)
    found = [
        public_view(r, id_given="id_hash" in params)
        for r in conn.execute(lookup_statement(fields), params)
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
    (_HIT if found else _MISS).inc()
    return {"found": bool(found), "certificates": found}


def purge_verification_log(
    session: Session, settings: Settings, *, now: datetime | None = None
) -> dict[str, int]:
    """Delete lookup-log rows past their retention and rate windows ended over a day ago."""
    now = now or utcnow()
    cutoff = now - timedelta(days=settings.cert_verify_log_retention_days)
    logs = session.execute(delete(VerificationLog).where(VerificationLog.at < cutoff))
    old_window = int(now.timestamp()) - 2 * DAY  # day caps live a day
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
    found = []
    for c, occ, body in session.execute(stmt):
        view = present(c, occ, body)
        view["id_masked"] = public_id_mask(c.id_masked)
        found.append(view)
    return {"found": bool(found), "certificates": found}

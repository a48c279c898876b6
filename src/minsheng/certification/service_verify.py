"""Public verification of certificates: any two of ID number, name and certificate number,
masked answers, uniform misses, per-client and per-person rate limits, a lookup log without clear
personal data, the QR-code token link, and the log's retention purge."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, text
from sqlalchemy.orm import Session

from minsheng.certification import rules
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
from minsheng.certification.service import ID_PURPOSE, present
from minsheng.core import idnumber
from minsheng.core.config import Settings
from minsheng.core.db import utcnow
from minsheng.core.privacy import keyed_hash

WINDOW_S = 60


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


def verify(
    session: Session,
    settings: Settings,
    *,
    id_number: str | None,
    name: str | None,
    number: str | None,
    client: str,
    channel: str = "api",
) -> dict[str, Any]:
    """Public lookup by any two of ID number, name and certificate number.

    Every miss answers ``{"found": false, "certificates": []}`` after the same single query as
    a hit; the lookup is logged with keyed hashes only; limits are per client and per subject
    (a refused lookup raises, the transaction rolls back, so refusals never extend a block).
    """
    fields = tuple(rules.verification_fields(id_number, name, number))
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
        params["number"] = rules.normalize_number(number or "")
        dec = rules.decode_number(params["number"])
        if not dec.valid:
            raise InvalidCertificateNumber("; ".join(dec.errors), field="number")
    if "name" in fields:
        params["name"] = (name or "").strip()
    subject_hash = params.get("id_hash") or keyed_hash(params["number"], key, purpose="cert-number")
    client_hash = keyed_hash(client, key, purpose="cert-client")
    now = utcnow()
    conn = session.connection()
    counts, wait = count_lookup(conn, "c:" + client_hash, "s:" + subject_hash, now)
    if counts["c:" + client_hash] > settings.cert_verify_rate_per_client:
        raise VerificationRateLimited(
            f"at most {settings.cert_verify_rate_per_client} lookups a minute per client",
            retry_after_s=wait,
        )
    if counts["s:" + subject_hash] > settings.cert_verify_rate_per_subject:
        raise VerificationRateLimited(
            f"at most {settings.cert_verify_rate_per_subject} lookups a minute per person",
            retry_after_s=wait,
        )
    found = [
        present(r, r.occupation, r.body) for r in conn.execute(lookup_statement(fields), params)
    ]
    conn.execute(
        LOG_INSERT,
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


def purge(session: Session, settings: Settings, *, now: datetime | None = None) -> dict[str, int]:
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

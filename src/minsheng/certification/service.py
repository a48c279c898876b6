"""Services of the certificate registry: filed evaluation bodies, rule-checked issuance with
collision-free numbers, suspension and revocation, bulk import, and the public two-of-three
verification with its rate limits and lookup log. Functions flush, never commit.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
import secrets
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from operator import mul
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, or_, select, text
from sqlalchemy.orm import Session

from minsheng.certification import rules
from minsheng.certification.errors import (
    BodyNotFound,
    CertificateNotFound,
    DuplicateBody,
    ImportRejected,
    InvalidCertificateNumber,
    InvalidDate,
    IssuanceRefused,
    VerificationNeedsTwoFields,
    VerificationRateLimited,
)
from minsheng.certification.models import (
    Body,
    BodyScope,
    Certificate,
    Occupation,
    RateWindow,
    SerialCounter,
    VerificationLog,
)
from minsheng.certification.schemas import BodyCreate, CertificateIssue
from minsheng.certification.service_reference import load_reference, occupation_view
from minsheng.core import audit, idnumber
from minsheng.core.config import Settings
from minsheng.core.db import utcnow
from minsheng.core.errors import InvalidInput
from minsheng.core.privacy import keyed_hash, mask_id, mask_name

ID_PURPOSE = "cert-id"


def prefixed_hmac(key: bytes, purpose: str) -> Callable[[str], str]:
    """``keyed_hash(value, key, purpose=purpose)`` for many values: the HMAC state after the
    key and the ``purpose:`` prefix is computed once and copied (same digests, half the cost)."""
    base = hmac.new(key, f"{purpose}:".encode(), hashlib.sha256)

    def digest(value: str) -> str:
        h = base.copy()
        h.update(value.encode())
        return h.hexdigest()

    return digest


def new_token() -> str:
    """A verification token: 8 hex digits of time (so that bulk inserts land together in the
    token index) and 24 random hex digits (96 bits: not guessable)."""
    return f"{time.time_ns() // 1_000_000_000 & 0xFFFFFFFF:08x}{secrets.token_hex(12)}"


# Bodies -------------------------------------------------------------------------------------


def create_body(session: Session, data: BodyCreate, *, actor: str, demo: bool = False) -> Body:
    load_reference(session)
    if data.code == "0000" and not data.province_code:
        raise InvalidInput(
            "a body filed with a province (code 0000) needs province_code", field="province_code"
        )
    if data.province_code and data.province_code not in rules.PROVINCE_CODES:
        raise InvalidInput(f"{data.province_code} is not a province code", field="province_code")
    if data.valid_to and data.valid_to < data.valid_from:
        raise InvalidDate("valid_to is before valid_from", field="valid_to")
    if data.code != "0000":
        filing_no = f"{data.body_type}{data.code}"
    else:
        count = session.scalar(
            select(func.count())
            .select_from(Body)
            .where(Body.code == "0000", Body.province_code == data.province_code)
        )
        filing_no = f"{data.body_type}0000-{data.province_code}-{(count or 0) + 1:04d}"
    if session.scalar(select(Body.id).where(Body.filing_no == filing_no)) is not None:
        raise DuplicateBody(f"a body with filing number {filing_no} exists", field="code")
    known = set(session.scalars(select(Occupation.code)))
    for i, item in enumerate(data.scope):
        if item.occupation_code not in known:
            raise InvalidInput(
                f"{item.occupation_code} is not in the classification",
                field=f"scope.{i}.occupation_code",
            )
        if any(v not in rules.LEVELS for v in item.levels):
            raise InvalidInput("levels are 1–5", field=f"scope.{i}.levels")
    body = Body(
        filing_no=filing_no,
        body_type=data.body_type,
        code=data.code,
        province_code=data.province_code,
        name=data.name.strip(),
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        status="active",
        demo=demo,
    )
    session.add(body)
    session.flush()
    pairs = {(s.occupation_code, lv) for s in data.scope for lv in s.levels}
    session.add_all(
        BodyScope(body_id=body.id, occupation_code=o, level=lv) for o, lv in sorted(pairs)
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="body.create",
        table="cert_bodies",
        record_id=body.id,
        detail={"filing_no": filing_no},
    )
    return body


def get_body(session: Session, filing_no: str) -> Body:
    body = session.scalar(select(Body).where(Body.filing_no == filing_no.strip().upper()))
    if body is None:
        raise BodyNotFound(f"no filed body {filing_no}", field="body")
    return body


def body_scope(session: Session, body_id: int) -> list[tuple[str, int]]:
    stmt = select(BodyScope.occupation_code, BodyScope.level).where(BodyScope.body_id == body_id)
    return [(o, lv) for o, lv in session.execute(stmt.order_by(BodyScope.occupation_code))]


def body_to_dict(session: Session, body: Body) -> dict[str, Any]:
    scope: dict[str, list[int]] = {}
    for occ, lv in body_scope(session, body.id):
        scope.setdefault(occ, []).append(lv)
    return {
        "filing_no": body.filing_no,
        "name": body.name,
        "body_type": body.body_type,
        "code": body.code,
        "filed_with": "MOHRSS" if body.code != "0000" else f"province {body.province_code}",
        "province_code": body.province_code,
        "valid_from": body.valid_from.isoformat(),
        "valid_to": body.valid_to.isoformat() if body.valid_to else None,
        "status": body.status,
        "status_reason": body.status_reason,
        "scope": [{"occupation_code": k, "levels": sorted(v)} for k, v in scope.items()],
    }


def search_bodies(session: Session, query: str, limit: int = 50) -> list[Body]:
    """The public registry lookup: by filing number or code, by name, or by occupation code."""
    q = query.strip()
    stmt = select(Body)
    if rules.OCCUPATION_CODE_RE.match(q):
        stmt = stmt.where(
            Body.id.in_(select(BodyScope.body_id).where(BodyScope.occupation_code == q))
        )
    else:
        stmt = stmt.where(or_(Body.filing_no == q.upper(), Body.code == q, Body.name.contains(q)))
    return list(session.scalars(stmt.order_by(Body.filing_no).limit(limit)))


def set_body_status(
    session: Session, filing_no: str, status: str, reason: str, *, actor: str
) -> Body:
    body = get_body(session, filing_no)
    old = body.status
    body.status = status
    body.status_reason = reason
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"body.{status}",
        table="cert_bodies",
        record_id=body.id,
        detail={"from": old, "reason": reason},
    )
    return body


def body_facts(session: Session, body: Body) -> rules.BodyFacts:
    return rules.BodyFacts(
        filing_no=body.filing_no,
        body_type=body.body_type,
        code=body.code,
        province_code=body.province_code,
        status=body.status,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        scope=frozenset(body_scope(session, body.id)),
    )


# Issuance -----------------------------------------------------------------------------------


def next_serial(session: Session, prefix: str) -> int:
    """Reserve the next serial of a prefix; the row lock (PostgreSQL) or the database write
    lock (SQLite) makes concurrent issuers wait, and the unique number is the last guard."""
    counter = session.scalar(
        select(SerialCounter).where(SerialCounter.prefix == prefix).with_for_update()
    )
    if counter is None:
        counter = SerialCounter(prefix=prefix, last_serial=0)
        session.add(counter)
    counter.last_serial += 1
    session.flush()
    return counter.last_serial


def issue(
    session: Session,
    data: CertificateIssue,
    settings: Settings,
    *,
    actor: str,
    today: date | None = None,
) -> Certificate:
    load_reference(session)
    today = today or date.today()
    view = occupation_view(session, data.occupation_code.strip())
    body = session.scalar(select(Body).where(Body.filing_no == data.body.strip().upper()))
    id_check = idnumber.check(data.id_number, today=today)
    decision = rules.check_issuance(
        rules.IssuanceFacts(
            occupation_code=data.occupation_code.strip(),
            occupation=view.facts() if view else None,
            body_filing_no=data.body,
            body=body_facts(session, body) if body else None,
            level=data.level,
            issued_on=data.issued_on,
            today=today,
            id_errors=tuple(id_check.errors),
            province_code=data.province_code,
            site_code=data.site_code,
        )
    )
    if not decision.allowed or body is None or id_check.normalized is None:
        raise IssuanceRefused([f.to_dict() for f in decision.failures], decision.rule_set)
    prefix = rules.number_prefix(
        issuer_type=body.body_type,
        body_code=body.code,
        province_code=data.province_code,
        site_code=data.site_code,
        year=data.issued_on.year,
        level=data.level,
    )
    number = rules.compose_number(prefix, next_serial(session, prefix))
    cert = Certificate(
        number=number,
        holder_name=data.name.strip(),
        id_hash=keyed_hash(id_check.normalized, settings.hmac_key, purpose=ID_PURPOSE),
        id_masked=mask_id(id_check.normalized),
        occupation_code=data.occupation_code.strip(),
        work_type=data.work_type,
        level=data.level,
        body_id=body.id,
        issued_on=data.issued_on,
        status="valid",
        verify_token=new_token(),
    )
    session.add(cert)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="certificate.issue",
        table="cert_certificates",
        record_id=cert.id,
        detail={"number": number, "rule_set": decision.rule_set},
    )
    return cert


def get_certificate(session: Session, number: str) -> Certificate:
    cert = session.scalar(
        select(Certificate).where(Certificate.number == rules.normalize_number(number))
    )
    if cert is None:
        raise CertificateNotFound(f"no certificate {number}", field="number")
    return cert


def set_certificate_status(
    session: Session, number: str, status: str, reason: str, *, actor: str
) -> Certificate:
    cert = get_certificate(session, number)
    old = cert.status
    cert.status = status
    cert.status_reason = reason
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"certificate.{status}",
        table="cert_certificates",
        record_id=cert.id,
        detail={"from": old, "reason": reason},
    )
    return cert


# Import -------------------------------------------------------------------------------------

ID_FAST_RE = re.compile(r"^\d{17}[\dX]$")
CERT_INSERT = insert(cast(Table, Certificate.__table__))


def quick_id(raw: str, today: date) -> tuple[str | None, list[str]]:
    """The normalised ID and no errors for the common valid case, computed without the
    general checker's report; anything unusual goes to ``core.idnumber.check``."""
    text = raw.strip().upper()
    if ID_FAST_RE.match(text):
        total = sum(map(mul, map(int, text[:17]), idnumber.WEIGHTS))
        if idnumber.CHECK_CHARS[total % 11] == text[17]:
            try:
                birth = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
            except ValueError:
                birth = None
            if birth is not None and birth.year >= 1850 and birth <= today:
                return text, []
    result = idnumber.check(raw, today=today)
    return result.normalized, result.errors


IMPORT_FIELDS = (
    "number",
    "name",
    "id_number",
    "occupation_code",
    "level",
    "body_code",
    "issued_on",
)
STATUSES = ("valid", "suspended", "revoked")


def import_certificates(
    session: Session, text: str, settings: Settings, *, actor: str, today: date | None = None
) -> dict[str, Any]:
    """Import existing records; formats are checked (not issuance rules); all or nothing."""
    load_reference(session)
    today = today or date.today()
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    missing = [f for f in IMPORT_FIELDS if f not in header]
    if missing:
        raise ImportRejected(
            [{"line": 1, "field": missing[0], "reason": f"missing columns: {missing}"}], 0
        )
    col = {name: header.index(name) for name in (*IMPORT_FIELDS, "status") if name in header}
    i_number, i_name, i_id = col["number"], col["name"], col["id_number"]
    i_occ, i_level, i_body, i_issued = (
        col["occupation_code"], col["level"], col["body_code"], col["issued_on"],
    )  # fmt: skip
    i_status = col.get("status")
    width = len(header)
    occupations = set(session.scalars(select(Occupation.code)))
    bodies = {b.filing_no: b for b in session.scalars(select(Body))}
    id_hasher = prefixed_hmac(settings.hmac_key, ID_PURPOSE)
    token_prefix = new_token()[:8]
    bad: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    total = 0
    for line, fields in enumerate(reader, start=2):
        if not fields:
            continue  # a blank line, as DictReader would skip it
        total += 1
        errs: list[tuple[str, str]] = []
        if len(fields) < width:
            fields = fields + [""] * (width - len(fields))
        number = rules.normalize_number(fields[i_number])
        dec = rules.decode_number(number)
        if not dec.valid:
            errs.append(("number", "; ".join(dec.errors)))
        elif number in seen:
            errs.append(("number", f"duplicate of line {seen[number]}"))
        else:
            seen[number] = line
        name = fields[i_name].strip()
        if not 1 <= len(name) <= 50:
            errs.append(("name", "1–50 characters required"))
        id_norm, id_errors = quick_id(fields[i_id], today)
        if id_errors:
            errs.append(("id_number", "; ".join(id_errors)))
        occ = fields[i_occ].strip()
        if occ not in occupations:
            errs.append(("occupation_code", f"{occ!r} is not in the classification"))
        level_text = fields[i_level].strip()
        level = int(level_text) if level_text.isdigit() else 0
        if level not in rules.LEVELS:
            errs.append(("level", "level must be 1–5"))
        elif dec.valid and dec.level != level:
            errs.append(("level", f"level {level} differs from the number's level {dec.level}"))
        body = bodies.get(fields[i_body].strip().upper())
        if body is None:
            errs.append(("body_code", f"{fields[i_body]!r} is not a filed body"))
        elif dec.valid and (dec.issuer_type, dec.body_code) != (body.body_type, body.code):
            errs.append(("body_code", "the number's body type and code differ from the body's"))
        try:
            issued = date.fromisoformat(fields[i_issued].strip())
            if issued > today:
                errs.append(("issued_on", "issue date is in the future"))
            elif dec.valid and dec.year != issued.year:
                errs.append(("issued_on", f"year differs from the number's year {dec.year}"))
        except ValueError:
            errs.append(("issued_on", "not a date YYYY-MM-DD"))
            issued = date.min
        status = (fields[i_status].strip() if i_status is not None else "") or "valid"
        if status not in STATUSES:
            errs.append(("status", f"status must be one of {', '.join(STATUSES)}"))
        for fld, reason in errs:
            bad.append({"line": line, "field": fld, "reason": reason})
        if errs or body is None or id_norm is None:
            continue
        rows.append(
            {
                "number": number,
                "holder_name": name,
                "id_hash": id_hasher(id_norm),
                "id_masked": mask_id(id_norm),
                "occupation_code": occ,
                "work_type": None,
                "level": level,
                "body_id": body.id,
                "issued_on": issued,
                "status": status,
                "status_reason": None if status == "valid" else "imported",
                "verify_token": token_prefix + secrets.token_hex(12),
                "imported": True,
            }
        )
    numbers = list(seen)
    for i in range(0, len(numbers), 500):
        chunk = numbers[i : i + 500]
        for existing in session.scalars(
            select(Certificate.number).where(Certificate.number.in_(chunk))
        ):
            bad.append(
                {
                    "line": seen[existing],
                    "field": "number",
                    "reason": f"certificate {existing} is already in the registry",
                }
            )
    if bad:
        bad.sort(key=lambda b: (b["line"], b["field"]))
        raise ImportRejected(bad, total)
    # Sorted by the keyed hash, the rows reach the (id_hash, name) index in order instead of
    # at random places: on a registry of millions that is the difference that matters.
    rows.sort(key=lambda r: r["id_hash"])
    insert_rows(session, rows)
    advance_serials(session, numbers)
    audit.record(
        session,
        actor=actor,
        action="certificate.import",
        table="cert_certificates",
        record_id="-",
        detail={"rows": len(rows)},
    )
    session.flush()
    return {"imported": len(rows)}


def insert_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk insert in the session's transaction: COPY on PostgreSQL, executemany elsewhere
    (the ORM's bulk path costs more than the format checks themselves)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql" and rows:
        columns = list(rows[0])
        raw: Any = conn.connection.driver_connection
        copy_sql = f"COPY cert_certificates ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cur, cur.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
        return
    if conn.dialect.name == "sqlite" and rows:
        # The driver's executemany with positional rows; dates as the ISO text SQLAlchemy
        # itself stores on SQLite, booleans as 0/1.
        columns = list(rows[0])  # our own column names, never user input
        sql = (
            f"INSERT INTO cert_certificates ({', '.join(columns)}) "  # noqa: S608
            f"VALUES ({', '.join('?' * len(columns))})"
        )
        cursor: Any = conn.connection.driver_connection
        cursor.executemany(
            sql,
            (
                tuple(v.isoformat() if isinstance(v, date) else v for v in row.values())
                for row in rows
            ),
        )
        return
    for i in range(0, len(rows), 5000):
        conn.execute(CERT_INSERT, rows[i : i + 5000])


def advance_serials(session: Session, numbers: list[str]) -> None:
    """Move each prefix's counter past imported serials so that issuance never collides."""
    top: dict[str, int] = {}
    for n in numbers:
        prefix, serial = n[:16], int(n[16:])
        top[prefix] = max(top.get(prefix, 0), serial)
    for prefix, serial in top.items():
        counter = session.get(SerialCounter, prefix)
        if counter is None:
            session.add(SerialCounter(prefix=prefix, last_serial=serial))
        elif counter.last_serial < serial:
            counter.last_serial = serial
    session.flush()


# Verification -------------------------------------------------------------------------------

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


def present(cert: Any, occupation: str | None, body: str | None) -> dict[str, Any]:
    """The public, masked view of a certificate."""
    return {
        "number": cert.number,
        "name_masked": mask_name(cert.holder_name),
        "id_masked": cert.id_masked,
        "occupation_code": cert.occupation_code,
        "occupation": occupation or "",
        "level": cert.level,
        "level_name": rules.LEVELS.get(cert.level, ""),
        "work_type": cert.work_type,
        "body": body,
        "issued_on": cert.issued_on.isoformat(),
        "status": cert.status,
        "status_reason": cert.status_reason,
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


def certificate_to_dict(session: Session, cert: Certificate) -> dict[str, Any]:
    occ = session.get(Occupation, cert.occupation_code)
    body = session.get(Body, cert.body_id) if cert.body_id else None
    out = present(cert, occ.name if occ else None, body.name if body else None)
    out["verify_path"] = f"/api/certification/v/{cert.verify_token}"
    out["body_filing_no"] = body.filing_no if body else None
    return out

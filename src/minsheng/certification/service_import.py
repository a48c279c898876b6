"""Bulk import of existing certificate records (``minsheng certs import``): formats are checked
(not issuance rules), every bad row is reported with its line and field, and nothing is imported
unless every row is good. Built for volume: fast paths for the common valid row, one HMAC state
reused, COPY on PostgreSQL and the driver's executemany on SQLite."""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import date
from operator import mul
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from minsheng.certification import rules
from minsheng.certification.errors import ImportRejected
from minsheng.certification.models import Body, Certificate, Occupation, SerialCounter
from minsheng.certification.service import ID_PURPOSE, new_token, prefixed_hmac
from minsheng.certification.service_reference import load_reference
from minsheng.core import audit, idnumber
from minsheng.core.config import Settings
from minsheng.core.privacy import mask_id

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

"""Bulk import of existing certificate records (``minsheng certs import``): formats are checked
(not issuance rules), every bad row is reported with its line and field, and nothing is imported
unless every row is good.

Built for volume (target ≥ 50,000 rows/s): each row first goes through a tight fast path of
precompiled patterns and set/dict look-ups that only answers "good"; a row that fails any fast
check is re-checked by the full checker, which names every field and rule broken. Keyed hashes
come from HMAC states keyed once (``privacy.keyed_hasher``), verification tokens from one random
draw a chunk; a file without quotes is split on commas (what the csv module would read, at a
fraction of its cost); rows stay plain text (no ORM objects), and the insert runs a chunk at a
time in a worker thread while the rest of the file is checked (``_Stream``): a COPY per chunk on
PostgreSQL, one ``INSERT … SELECT`` per chunk of fixed-width records on SQLite, in the session's
transaction.

What a file may be (issue 12, item 6): bytes in UTF-8 with or without a BOM, or GBK/GB18030 (what
Excel writes on Chinese Windows), detected in that order (``decode_csv``); CR, LF or CRLF line
ends; at most ``MAX_IMPORT_BYTES``; no field longer than ``MAX_FIELD_CHARS``; column headers in
English or Chinese (``HEADER_ALIASES``: 证书编号, 姓名, 身份证号, …). Anything else is refused with
a named error giving the line and the column (``ImportEncodingUnknown``, ``ImportMalformed``,
``ImportFieldTooLong``, ``ImportTooLarge``), never a reader's traceback."""

from __future__ import annotations

import codecs
import csv
import io
import queue
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from operator import itemgetter, mul
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minsheng.certification.errors import (
    ImportEncodingUnknown,
    ImportFieldTooLong,
    ImportMalformed,
    ImportRejected,
    ImportTooLarge,
)
from minsheng.certification.models import Body, Certificate, Occupation, SerialCounter
from minsheng.certification.rules import numbering
from minsheng.certification.service.reference import load_reference
from minsheng.certification.service.registry import ID_PURPOSE, token_prefix, token_second
from minsheng.core import audit, idnumber, timeutil
from minsheng.core.config import Settings
from minsheng.core.privacy import keyed_hasher
from minsheng.core.scope import Scope

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
# Chinese column headers (what a bureau's spreadsheet says) for the English ones.
HEADER_ALIASES = {
    "证书编号": "number",
    "证书号": "number",
    "证书号码": "number",
    "姓名": "name",
    "持证人姓名": "name",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "职业编码": "occupation_code",
    "职业代码": "occupation_code",
    "职业（工种）编码": "occupation_code",
    "等级": "level",
    "技能等级": "level",
    "职业技能等级": "level",
    "评价机构备案号": "body_code",
    "机构备案号": "body_code",
    "评价机构编号": "body_code",
    "发证日期": "issued_on",
    "发证时间": "issued_on",
    "状态": "status",
    "证书状态": "status",
    "备注": "note",
    "说明": "note",
}
# The template's example row says 示例 in its 备注 column; the import skips such rows, so a
# template filled in below its example imports as it is.
EXAMPLE_MARK = "示例"
TEMPLATE_EXAMPLE = (
    "S000046460100244000001",
    "张三",
    "460105199001011234",
    "4-09-07-04",
    "4",
    "S0000-46-0001",
    "2024-06-01",
    "valid",
    EXAMPLE_MARK,
)
TEMPLATE_HEADERS = (
    "证书编号",
    "姓名",
    "身份证号",
    "职业编码",
    "等级",
    "评价机构备案号",
    "发证日期",
    "状态",
    "备注",
)
MAX_IMPORT_BYTES = 32 * 1024 * 1024
MAX_FIELD_CHARS = 200  # the longest legitimate field (a name) has 50 characters
ENCODINGS = ("utf-8", "gb18030")  # GB18030 is a superset of GBK and GB2312
# The columns written, in this order, by both bulk paths (our own names, never user input).
COLUMNS = (
    "number", "holder_name", "id_hash", "id_masked", "occupation_code", "level", "body_id",
    "issued_on", "status", "status_reason", "verify_token", "imported",
)  # fmt: skip
# Fast path of a certificate number (人社鉴发〔2019〕2号): type, body, province, site, year, level,
# serial. Anything it rejects goes to numbering.decode_number for the precise message.
# ASCII digits only: a number or ID typed in other digits goes to the checker, which normalises it.
FAST_NUMBER = re.compile(r"([YS])(\d{4})(\d{2})\d{6}(\d{2})([1-5])(\d{6})", re.ASCII).fullmatch
FAST_ID = re.compile(r"\d{17}[\dX]", re.ASCII).fullmatch
WEIGHTS = idnumber.WEIGHTS
CHECK_CHARS = idnumber.CHECK_CHARS
# SQLite's default page cache is 2 MB; the registry's four B-trees take far more on a large
# registry, and every miss is a read (and a spill of dirty pages) in the middle of the insert.
SQLITE_IMPORT_CACHE_KIB = 512 * 1024
# Rows per chunk of the stream: the database works on one while the next is checked.
COPY_CHUNK = 16_384
# The first chunk is small: the server has nothing to do until it arrives.
COPY_FIRST_CHUNK = 2_048
NULL_REASON = "\\N"  # COPY text's NULL: a valid certificate has no status reason
COPY_QUEUE = 4  # chunks checked ahead of the server at most (memory stays bounded)


def quick_id(raw: str, today: date) -> tuple[str | None, list[str]]:
    """The normalised ID and no errors for the common valid case, computed without the
    general checker's report; anything unusual goes to ``core.idnumber.check``."""
    text = raw.strip().upper()
    if FAST_ID(text):
        total = sum(map(mul, map(int, text[:17]), WEIGHTS))
        if CHECK_CHARS[total % 11] == text[17]:
            try:
                birth = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
            except ValueError:
                birth = None
            if birth is not None and birth.year >= 1850 and birth <= today:
                return text, []
    result = idnumber.check(raw, today=today)
    return result.normalized, result.errors


class _Checker:
    """The full check of one row: every field, every rule broken (the slow, precise path)."""

    def __init__(
        self,
        cols: dict[str, int],
        occupations: set[str],
        bodies: dict[str, tuple[int, str, str]],
        today: date,
    ) -> None:
        self.cols = cols
        self.occupations = occupations
        self.bodies = bodies
        self.today = today

    def errors(self, fields: list[str], seen: dict[str, int]) -> list[tuple[str, str]]:
        c = self.cols
        errs: list[tuple[str, str]] = []
        number = numbering.normalize_number(fields[c["number"]])
        dec = numbering.decode_number(number)
        if not dec.valid:
            errs.append(("number", "; ".join(dec.errors)))
        elif number in seen:
            errs.append(("number", f"duplicate of line {seen[number]}"))
        name = fields[c["name"]].strip()
        if not 1 <= len(name) <= 50:
            errs.append(("name", "1–50 characters required"))
        elif not name.isprintable():
            errs.append(("name", "control characters (tab, line break, …) are not allowed"))
        _, id_errors = quick_id(fields[c["id_number"]], self.today)
        if id_errors:
            errs.append(("id_number", "; ".join(id_errors)))
        occ = fields[c["occupation_code"]].strip()
        if occ not in self.occupations:
            errs.append(("occupation_code", f"{occ!r} is not in the classification"))
        level_text = fields[c["level"]].strip()
        level = int(level_text) if level_text.isdigit() else 0
        if level not in numbering.LEVELS:
            errs.append(("level", "level must be 1–5"))
        elif dec.valid and dec.level != level:
            errs.append(("level", f"level {level} differs from the number's level {dec.level}"))
        raw_body = fields[c["body_code"]]
        body = self.bodies.get(raw_body.strip().upper())
        if body is None:
            errs.append(("body_code", f"{raw_body!r} is not a filed body"))
        elif dec.valid and (dec.issuer_type, dec.body_code) != body[1:]:
            errs.append(("body_code", "the number's body type and code differ from the body's"))
        try:
            issued = date.fromisoformat(fields[c["issued_on"]].strip())
            if issued > self.today:
                errs.append(("issued_on", "issue date is in the future"))
            elif dec.valid and dec.year != issued.year:
                errs.append(("issued_on", f"year differs from the number's year {dec.year}"))
        except ValueError:
            errs.append(("issued_on", "not a date YYYY-MM-DD"))
        if "status" in c:
            status = fields[c["status"]].strip() or "valid"
            if status not in STATUSES:
                errs.append(("status", f"status must be one of {', '.join(STATUSES)}"))
        return errs


def decode_csv(raw: bytes) -> tuple[str, str]:
    """The text of an uploaded file and the encoding it was in: UTF-8 (a BOM is dropped), else
    GB18030/GBK; ``ImportEncodingUnknown`` when it is neither, ``ImportTooLarge`` over the cap."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportTooLarge(
            f"the file has {len(raw):,} bytes; at most {MAX_IMPORT_BYTES:,} (split it)",
            field="file",
        )
    if raw.startswith(codecs.BOM_UTF8):
        raw, bom = raw[len(codecs.BOM_UTF8) :], True
    else:
        bom = False
    for encoding in ENCODINGS[:1] if bom else ENCODINGS:
        try:
            return raw.decode(encoding), encoding + ("-sig" if bom else "")
        except UnicodeDecodeError:
            continue
    raise ImportEncodingUnknown(
        "文件编码无法识别：请另存为 UTF-8 或 GBK 编码的 CSV "
        "(the file is neither UTF-8 nor GBK/GB18030)",
        field="file",
    )


def canonical_header(cell: str) -> str:
    """The English column name of a header cell (English, or a Chinese alias)."""
    name = cell.strip().lstrip("\ufeff").strip()
    return HEADER_ALIASES.get(name, name.lower() if name.isascii() else name)


def template_csv() -> bytes:
    """The import file to fill in: the Chinese headers and one example row marked 示例 in its
    备注 column (skipped by the import), UTF-8 with a BOM (so that Excel opens it as Unicode),
    CRLF line ends."""
    lines = (",".join(TEMPLATE_HEADERS), ",".join(TEMPLATE_EXAMPLE))
    return codecs.BOM_UTF8 + "".join(line + "\r\n" for line in lines).encode("utf-8")


def _too_long(text: str, line: int, header: list[str]) -> ImportFieldTooLong:
    """The error for an over-long field on physical ``line`` (found by splitting the line)."""
    physical = text.split("\n", line)[line - 1] if line >= 1 else ""
    cells = physical.split(",")
    index = next((i for i, c in enumerate(cells) if len(c) > MAX_FIELD_CHARS), len(cells) - 1)
    column = header[index] if index < len(header) else f"column {index + 1}"
    return ImportFieldTooLong(
        f"line {line}, field {column}: longer than {MAX_FIELD_CHARS} characters",
        line=line,
        field=column,
    )


def import_certificates(
    session: Session,
    text: str | bytes,
    settings: Settings,
    *,
    actor: str,
    today: date | None = None,
    scope: Scope = Scope.ALL,
) -> dict[str, Any]:
    """Import existing records; formats are checked (not issuance rules); all or nothing.
    ``text`` is the file's bytes (any accepted encoding) or its decoded text. A provincial
    clerk imports certificates of their own province only (the number's positions 6–7)."""
    load_reference(session)
    today = today or timeutil.today()
    encoding = "text"
    if isinstance(text, bytes):
        text, encoding = decode_csv(text)
    elif len(text) > MAX_IMPORT_BYTES:
        raise ImportTooLarge(f"at most {MAX_IMPORT_BYTES:,} characters (split it)", field="file")
    # CR, LF or CRLF: one line end for the reader (a CR alone made it fail).
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    # Without a quote or a NUL anywhere, each line's fields are exactly what the csv module
    # would read: the line split on commas (an empty line, no fields). That costs a fifth of
    # the module's parsing; any quote sends the whole file through the module.
    plain = '"' not in text and "\0" not in text
    records: Iterator[tuple[int, Any]]
    if plain:
        lines = iter(text.split("\n"))
        header = [canonical_header(h) for h in next(lines).split(",")] if text else []
        records = enumerate(lines, start=2)
    else:
        reader = csv.reader(io.StringIO(text))
        try:
            header = [canonical_header(h) for h in next(reader, [])]
        except csv.Error:
            raise _too_long(text, reader.line_num, []) from None
        records = enumerate(reader, start=2)
    missing = [f for f in IMPORT_FIELDS if f not in header]
    if missing:
        raise ImportRejected(
            [{"line": 1, "field": missing[0], "reason": f"missing columns: {missing}"}], 0
        )
    col = {
        name: header.index(name) for name in (*IMPORT_FIELDS, "status", "note") if name in header
    }
    i_number, i_name, i_id = col["number"], col["name"], col["id_number"]
    i_occ, i_level, i_body, i_issued = (
        col["occupation_code"], col["level"], col["body_code"], col["issued_on"],
    )  # fmt: skip
    i_status = col.get("status")
    i_note = col.get("note")
    examples = 0
    width = len(header)
    occupations = set(session.scalars(select(Occupation.code)))
    bodies = {
        filing: (body_id, body_type, code)
        for filing, body_id, body_type, code in session.execute(
            select(Body.filing_no, Body.id, Body.body_type, Body.code)
        )
    }
    checker = _Checker(col, occupations, bodies, today)
    provinces = numbering.PROVINCE_CODES
    sequences = SEQUENCE_SUMS
    # Keyed once for the file: the one-shot hmac.digest keys itself on every call.
    id_hash = keyed_hasher(settings.hmac_key, purpose=ID_PURPOSE)
    fast_number, fast_id = FAST_NUMBER, FAST_ID
    today_iso = today.isoformat()
    dates: dict[str, tuple[str, str] | None] = {}  # text → (ISO date, 2-digit year) or bad
    births: dict[str, int] = {}  # YYYYMMDD → weighted sum, or -1 if not a plausible date
    regions: dict[str, int] = {}  # address code → weighted sum
    bad: list[dict[str, Any]] = []
    rows: list[Any] = []  # COPY lines on PostgreSQL, records on SQLite (``_Stream``), else lists
    seen: dict[str, int] = {}
    total = 0
    # On PostgreSQL and SQLite the good rows go to the registry while the rest of the file is
    # still being read (the database's index work overlaps the checks here); a bad row stops the
    # stream and everything sent is rolled back. Elsewhere the rows are inserted at the end.
    stream = _Stream.open_for(session, occupations, [b[0] for b in bodies.values()])
    copy_lines = isinstance(stream, _CopyStream)
    sqlite_record = stream.record if isinstance(stream, _SqliteStream) else None
    chunk = min(COPY_FIRST_CHUNK, COPY_CHUNK)
    copied = False
    try:
        while True:
            try:
                line, record = next(records)
            except StopIteration:
                break
            except csv.Error as exc:
                if "field limit" in str(exc):
                    raise _too_long(text, reader.line_num, header) from None
                raise ImportMalformed(
                    f"line {reader.line_num}: not valid CSV ({exc})", line=reader.line_num
                ) from None
            if not record:
                continue  # a blank line, as DictReader would skip it
            if plain:
                # A line no longer than the limit has no field longer than it.
                long_line = len(record) > MAX_FIELD_CHARS
                fields = record.split(",")
            else:
                long_line, fields = True, record
            if (
                i_note is not None
                and i_note < len(fields)
                and fields[i_note].strip() == EXAMPLE_MARK
            ):
                examples += 1
                continue  # the template's example row
            total += 1
            if long_line and max(map(len, fields)) > MAX_FIELD_CHARS:
                index = next(i for i, v in enumerate(fields) if len(v) > MAX_FIELD_CHARS)
                column = header[index] if index < width else f"column {index + 1}"
                # The same words as ``_too_long`` (the catalogue has them in Chinese).
                raise ImportFieldTooLong(
                    f"line {line}, field {column}: longer than {MAX_FIELD_CHARS} characters",
                    line=line,
                    field=column,
                )
            if len(fields) < width:
                fields = fields + [""] * (width - len(fields))
            # Fast path: each test only confirms a good field; any doubt goes to the checker.
            number = fields[i_number].strip().upper()
            m = fast_number(number)
            name = fields[i_name].strip()
            idn = fields[i_id].strip().upper()
            body = bodies.get(fields[i_body].strip().upper())
            issued_text = fields[i_issued].strip()
            if issued_text in dates:
                issued = dates[issued_text]
            else:
                issued = dates[issued_text] = _parse_date(issued_text, today_iso)
            status = (fields[i_status].strip() if i_status is not None else "") or "valid"
            # ISO 7064 weighted sum in three cached parts (address, birth date, sequence): a
            # per-digit sum costs more than everything else in the row. An impossible birth date
            # caches as -1, so the sum below cannot match any check character.
            birth = idn[6:14]
            birth_sum = births.get(birth)
            if birth_sum is None:
                birth_sum = births[birth] = _birth_sum(birth, today_iso)
            region = idn[:6]
            region_sum = regions.get(region)
            if region_sum is None:
                region_sum = regions[region] = _weighted(region, 0)
            seq_sum = sequences.get(idn[14:17], -1)
            if not (
                m is not None
                and number not in seen
                and m[3] in provinces
                and m[6] != "000000"
                and 0 < len(name) <= 50
                and name.isprintable()
                and fast_id(idn) is not None
                and birth_sum >= 0
                and seq_sum >= 0
                and CHECK_CHARS[(region_sum + birth_sum + seq_sum) % 11] == idn[17]
                and fields[i_occ].strip() in occupations
                and fields[i_level].strip() == m[5]
                and body is not None
                and body[1] == m[1]
                and body[2] == m[2]
                and issued is not None
                and issued[1] == m[4]
                and status in STATUSES
            ):
                # Typed with spaces or full-width characters: the number as the checker reads it.
                number = numbering.normalize_number(fields[i_number])
                errs = checker.errors(fields, seen)
                if number not in seen and not any(f == "number" for f, _ in errs):
                    seen[number] = line
                for fld, reason in errs:
                    bad.append({"line": line, "field": fld, "reason": reason})
                if errs:
                    continue
                # The checker found nothing wrong (e.g. an ID with inner spaces, level "04"):
                # take the normalised values it accepted.
                idn = quick_id(fields[i_id], today)[0] or ""
                m = fast_number(number)
                issued = _parse_date(fields[i_issued].strip(), "9999-12-31")
            seen[number] = line
            if bad or m is None or body is None or issued is None:
                continue  # nothing will be inserted (the last three cannot be None here)
            hashed = id_hash(idn)
            masked = idn[:6] + "********" + idn[14:]
            if sqlite_record is not None:
                occ = fields[i_occ].strip()
                rows.append(
                    (sqlite_record(hashed, number, masked, occ, m[5], body[0], issued[0], status),
                     name)
                )  # fmt: skip
            elif copy_lines:
                # The row as a line of COPY text up to its token (``_CopyStream.send`` adds it):
                # no list a row, no formatting pass later. Only the name is free text, and the
                # checks let no control character through: a backslash is all to escape.
                if "\\" in name:
                    name = name.replace("\\", "\\\\")
                rows.append(
                    f"{number}\t{name}\t{hashed}\t{masked}\t"
                    f"{fields[i_occ].strip()}\t{m[5]}\t{body[0]}\t{issued[0]}\t{status}\t"
                    f"{NULL_REASON if status == 'valid' else 'imported'}\t"
                )
            else:
                rows.append(
                    [
                        number,
                        name,
                        hashed,
                        masked,
                        fields[i_occ].strip(),
                        int(m[5]),
                        body[0],
                        issued[0],
                        status,
                        None if status == "valid" else "imported",
                        "",  # the verification token, set when inserted
                        True,
                    ]
                )
            if stream is not None and len(rows) >= chunk:
                if not bad:
                    stream.send(rows, scope)
                rows.clear()  # sent, or never to be inserted
                chunk = COPY_CHUNK
        if stream is not None and not bad:
            stream.send(rows, scope)
            rows.clear()
        # Work that needs only the file, done while the server takes the last chunks.
        out_of_scope = scope_problems(seen, scope)
        tops = serial_tops(seen) if not bad else {}
        # A number the registry holds already fails its chunk (its unique index is the
        # set-based check); the look-up below then names the lines.
        copied = stream is not None and not bad and stream.finish()
    finally:
        if stream is not None:
            stream.abort()  # rolls back what was sent, unless the stream finished
    bad.extend(out_of_scope)
    refused: BaseException | None = stream.error if stream is not None else None
    if stream is None and not bad:
        # As the COPY stream does: insert first, and look the numbers up only if a unique index
        # refused a row (a look-up of every number costs a tenth of a clean import).
        refused = insert_rows(session, rows)
        copied = refused is None
    if bad or not copied:
        # Out-of-scope numbers are not looked up: "already registered" would reveal them.
        ours = (
            seen
            if scope.region is None
            else {n: ln for n, ln in seen.items() if scope.covers_province2(n[5:7])}
        )
        bad.extend(already_registered(session, ours))
        if not bad and refused is not None:
            raise refused  # a unique violation no number explains (a token drawn twice)
        bad.sort(key=lambda b: (b["line"], b["field"]))
        raise ImportRejected(bad, total)
    imported = stream.sent if stream is not None else len(rows)
    advance_serials(session, tops)
    audit.record(
        session,
        actor=actor,
        action="certificate.import",
        table="cert_certificates",
        record_id="-",
        detail={"rows": imported},
    )
    session.flush()
    return {"imported": imported, "encoding": encoding, "examples_skipped": examples}


def scope_problems(seen: dict[str, int], scope: Scope) -> list[dict[str, Any]]:
    """A refusal for each certificate number of a province outside ``scope``."""
    if scope.region is None:
        return []  # national: every province
    return [
        {
            "line": line,
            "field": "number",
            "reason": f"province {number[5:7]} lies outside your scope ({scope.label()})",
        }
        for number, line in seen.items()
        if not scope.covers_province2(number[5:7])
    ]


def _parse_date(text: str, today_iso: str) -> tuple[str, str] | None:
    """(ISO date, two-digit year) of a valid issue date not in the future, else None."""
    try:
        iso = date.fromisoformat(text).isoformat()
    except ValueError:
        return None
    if iso > today_iso or not iso.startswith("20"):
        return None  # the checker says why (the number encodes years 2000–2099 only)
    return iso, iso[2:4]


def _weighted(digits: str, offset: int) -> int:
    """The ISO 7064 weighted sum of ``digits`` at positions ``offset``… of an ID, or -1."""
    if not (digits.isdigit() and digits.isascii()):
        return -1
    return sum(map(mul, map(int, digits), WEIGHTS[offset : offset + len(digits)]))


def _birth_sum(yyyymmdd: str, today_iso: str) -> int:
    """The weighted sum of a birth date between 1850 and today, -1 for any other text."""
    if len(yyyymmdd) != 8 or not (yyyymmdd.isdigit() and yyyymmdd.isascii()):
        return -1
    try:
        birth = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return -1
    if birth.year < 1850 or birth.isoformat() > today_iso:
        return -1
    return _weighted(yyyymmdd, 6)


# The weighted sums of the 1,000 possible sequence numbers (positions 15–17).
SEQUENCE_SUMS = {f"{i:03d}": _weighted(f"{i:03d}", 14) for i in range(1000)}


def already_registered(session: Session, seen: dict[str, int]) -> list[dict[str, Any]]:
    """A problem for each number of the file that the registry already has (through the
    unique index, in large batches on the driver: compiling thousands of bound parameters
    in SQLAlchemy would cost more than the look-ups)."""
    conn = session.connection()
    raw: Any = conn.connection.driver_connection
    numbers = list(seen)
    found: list[str] = []
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur:
            for i in range(0, len(numbers), 50_000):
                cur.execute(
                    "SELECT number FROM cert_certificates WHERE number = ANY(%s)",
                    (numbers[i : i + 50_000],),
                )
                found.extend(r[0] for r in cur.fetchall())
    elif conn.dialect.name == "sqlite":
        step = 10_000  # under SQLite's limit of 32,766 parameters a statement
        for i in range(0, len(numbers), step):
            chunk = numbers[i : i + step]
            sql = (
                "SELECT number FROM cert_certificates WHERE number IN "  # noqa: S608
                f"({','.join('?' * len(chunk))})"
            )
            found.extend(r[0] for r in raw.execute(sql, chunk))
    else:
        for i in range(0, len(numbers), 1000):
            found.extend(
                session.scalars(
                    select(Certificate.number).where(Certificate.number.in_(numbers[i : i + 1000]))
                )
            )
    return [
        {
            "line": seen[n],
            "field": "number",
            "reason": f"certificate {n} is already in the registry",
        }
        for n in found
    ]


def insert_rows(session: Session, rows: list[list[Any]]) -> Exception | None:
    """Bulk insert where no stream runs (PostgreSQL and SQLite have ``_Stream``): the ORM's bulk
    insert in a SAVEPOINT of the session's transaction, with the verification tokens drawn
    here. None when every row is in, else the error of the unique index (or key) that refused
    a row, with every row rolled back and the transaction still usable."""
    if not rows:
        return None
    for row, token in zip(rows, sorted_tokens(len(rows)), strict=True):
        row[10] = token
    savepoint = session.begin_nested()
    try:
        session.connection().execute(
            Certificate.__table__.insert(),  # type: ignore[attr-defined]
            [dict(zip(COLUMNS, row, strict=True)) for row in rows],
        )
    except IntegrityError as exc:
        savepoint.rollback()
        return exc
    savepoint.commit()
    return None


def sorted_tokens(count: int, prefix: str | None = None) -> list[str]:
    """``count`` verification tokens, sorted: one random draw for them all, 24 hex digits (96
    bits) each after a shared 8-digit time prefix (``prefix``, else the current second's), so
    that a file's tokens land together at the end of the unique token index instead of at
    random places in it. Each is still 96 random bits; neighbours are ~2^96/count apart."""
    prefix = prefix or token_prefix(token_second())
    randomness = secrets.token_bytes(12 * count).hex()
    return sorted(prefix + randomness[k : k + 24] for k in range(0, 24 * count, 24))


class _Stream:
    """The good rows of a file, sent to the registry a chunk at a time while the rest is still
    checked: a worker thread runs one statement per chunk on the session's connection (the
    reading thread does not touch the connection until ``finish``/``abort``), so that the
    database's work on one chunk (the heap, the indexes, the body's key) runs on the other core
    while this one checks the next chunk. Everything runs in a SAVEPOINT of the caller's
    transaction: a bad row anywhere in the file, an error while reading it, or a number the
    registry holds already (its unique index fails the chunk's statement) rolls back every chunk
    sent, and the caller's transaction stays usable. Each chunk gets sorted tokens of its own
    whose time prefix is one more than the chunk before's (the import's first second, plus one a
    chunk): chunk after chunk the token index grows at its end, and no token for the whole file
    is drawn and sorted before the first chunk can go. Subclasses say how a chunk is written."""

    def __init__(self, session: Session, raw: Any) -> None:
        self.savepoint = session.begin_nested()
        session.connection()  # emits the SAVEPOINT (begin_nested alone defers it)
        self.second = token_second()
        self.chunks_sent = 0
        self.sent = 0
        self.open = True
        self.cancelled = False
        self.error: BaseException | None = None
        self.chunks: queue.Queue[Any] = queue.Queue(maxsize=COPY_QUEUE)
        self.worker = threading.Thread(target=self._run, args=(raw,), name="import-stream")
        self.worker.start()

    @staticmethod
    def open_for(session: Session, occupations: set[str], body_ids: list[int]) -> _Stream | None:
        """A COPY stream on PostgreSQL, a statement stream on SQLite, None elsewhere."""
        conn = session.connection()
        raw = conn.connection.driver_connection
        if conn.dialect.name == "postgresql":
            # The import's commit need not wait for its WAL to reach the disk: a crash in the
            # following fraction of a second loses the whole import (all or nothing still
            # holds, the clerk saw no answer and runs it again) and never half of it.
            # docs/performance.md.
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
            return _CopyStream(session, raw)
        if conn.dialect.name == "sqlite":
            return _SqliteStream(session, raw, occupations, body_ids)
        return None

    def _run(self, raw: Any) -> None:
        """The worker: one statement per chunk until ``None``; after an error, only drain."""
        try:
            with self._writer(raw) as write:
                while (chunk := self.chunks.get()) is not None:
                    if not self.cancelled:
                        write(chunk)
        except BaseException as exc:  # handed to the reading thread by finish()
            self.error = exc
            while self.chunks.get() is not None:
                pass

    def _writer(self, raw: Any) -> Any:
        """A context manager giving the function that writes one chunk."""
        raise NotImplementedError

    def _payload(self, rows: list[Any], tokens: list[str]) -> Any:
        """What the worker's statement takes for ``rows`` (sorted) and their tokens."""
        raise NotImplementedError

    def _refused(self, exc: BaseException) -> bool:
        """Whether ``exc`` is a key or index refusing a row (the numbers are looked up then)."""
        raise NotImplementedError

    def send(self, rows: list[Any], scope: Scope) -> None:
        """Queue ``rows`` (all good; one out of ``scope`` stops the stream), sorted: each is a
        str or a tuple whose first str starts with the key its database's widest B-tree wants."""
        if not self.open or not rows:
            return
        if scope.region is not None and not all(
            scope.covers_province2(self.number(r)[5:7]) for r in rows
        ):
            self.abort()
            return
        rows.sort()
        tokens = sorted_tokens(len(rows), token_prefix(self.second + self.chunks_sent))
        self.chunks_sent += 1
        self.sent += len(rows)
        self.chunks.put(self._payload(rows, tokens))

    @staticmethod
    def number(row: Any) -> str:
        """The certificate number of a queued row."""
        raise NotImplementedError

    def _stop(self) -> None:
        self.open = False
        self.chunks.put(None)
        self.worker.join()

    def finish(self) -> bool:
        """Wait for the last chunk and release the savepoint: True. False when a key or unique
        index refused a row: every chunk is rolled back and ``error`` says why."""
        if not self.open:
            return False
        self._stop()
        if self.error is None:
            self.savepoint.commit()
            return True
        self.savepoint.rollback()
        if self._refused(self.error):
            return False
        raise self.error

    def abort(self) -> None:
        """Drop the chunks not yet sent and roll back those sent (nothing once finished)."""
        if not self.open:
            return
        self.cancelled = True
        self._stop()
        self.savepoint.rollback()


class _CopyStream(_Stream):
    """PostgreSQL: one ``COPY cert_certificates FROM STDIN`` per chunk (one COPY for the whole
    file would leave the body checks, done per statement by migration certification_0004's
    trigger, until after the last row). A row is its line of COPY text up to its token; each
    chunk is sorted by certificate number (each line starts with it), so that the number's
    unique B-tree takes its inserts in order (the keyed hash's index is a hash index on
    PostgreSQL, where order does not help: migration certification_0003)."""

    @contextmanager
    def _writer(self, raw: Any) -> Iterator[Any]:
        sql = f"COPY cert_certificates ({', '.join(COLUMNS)}) FROM STDIN"

        def write(data: bytes) -> None:
            with cur.copy(sql) as copy:
                copy.write(data)

        with raw.cursor() as cur:
            yield write

    def _payload(self, rows: list[str], tokens: list[str]) -> bytes:
        # Each line: the row's text, its token, then ``imported`` (the join's separator).
        return ("\tt\n".join(map(str.__add__, rows, tokens)) + "\tt\n").encode()

    @staticmethod
    def number(row: str) -> str:
        return row[:22]

    def _refused(self, exc: BaseException) -> bool:
        from psycopg import errors

        return isinstance(exc, errors.UniqueViolation)


# SQLite rows travel as fixed-width ASCII records (``_SqliteStream``); these are their fields.
STATUS_CELLS = {s: s.ljust(9) for s in STATUSES}
NAME_BYTES = 4 * 50  # a name of 50 characters, each up to 4 bytes of UTF-8


class _SqliteStream(_Stream):
    """SQLite: one ``INSERT … SELECT`` per chunk, which reads the chunk's rows out of two
    parameters with ``substr``: a fixed-width ASCII record a row (the keyed hash first, then the
    number, the masked ID, the occupation, level, body, date, status and token) and the names in
    fixed 200-byte UTF-8 slots. The driver's ``executemany`` takes the interpreter's lock back
    for every row, so a worker running it cannot overlap the checks (measured: no gain); one
    statement a chunk runs entirely without it, and costs SQLite as much as ``executemany``
    (200,000 rows into a copy of a 1 M registry: 3.5–3.7 s of CPU either way; a JSON array
    read with ``json_each`` cost 4 times as much). Each chunk
    is sorted by the keyed hash, so that the rows reach the id_hash index, the widest B-tree
    here, in order instead of at random places. The connection's page cache is raised while
    the stream runs: the registry's B-trees take far more than the default 2 MB on a large
    registry, and every miss is a read (and a spill of dirty pages) in the middle of a chunk."""

    def __init__(
        self, session: Session, raw: Any, occupations: set[str], body_ids: list[int]
    ) -> None:
        occ_width = max(map(len, occupations), default=1)
        self.occ_cells = {code: code.ljust(occ_width) for code in occupations}
        width = len(str(max(body_ids, default=0)))
        self.body_cells = {body_id: str(body_id).zfill(width) for body_id in body_ids}
        # (column, width, SQL of the column from the slice ``s``) in record order
        layout = [
            ("id_hash", 64, "{s}"),
            ("number", 22, "{s}"),
            ("id_masked", 18, "{s}"),
            ("occupation_code", occ_width, "rtrim({s})"),
            ("level", 1, "CAST({s} AS INTEGER)"),
            ("body_id", width, "CAST({s} AS INTEGER)"),
            ("issued_on", 10, "{s}"),
            ("status", 9, "rtrim({s})"),
            ("status_reason", 9, "CASE rtrim({s}) WHEN 'valid' THEN NULL ELSE 'imported' END"),
            ("verify_token", 32, "{s}"),
        ]
        columns, select, offset = [], [], 0
        for column, size, sql in layout:
            if column == "status_reason":
                offset -= size  # read from the status's own cells
            columns.append(column)
            select.append(sql.format(s=f"CAST(substr(?1, o + {offset}, {size}) AS TEXT)"))
            offset += size
        self.sql = (
            f"WITH RECURSIVE r(o, p) AS (VALUES (1, 1) UNION ALL "  # noqa: S608 (our layout)
            f"SELECT o + {offset}, p + {NAME_BYTES} FROM r WHERE o + {offset} <= ?3) "
            f"INSERT INTO cert_certificates ({', '.join(columns)}, holder_name, imported) "
            f"SELECT {', '.join(select)}, "
            f"rtrim(CAST(substr(?2, p, {NAME_BYTES}) AS TEXT)), 1 FROM r"
        )
        (self.previous_cache,) = raw.execute("PRAGMA cache_size").fetchone()
        raw.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
        self.raw = raw
        super().__init__(session, raw)

    def record(self, hashed: str, number: str, masked: str, occ: str, level: str,
               body_id: int, issued: str, status: str) -> str:  # fmt: skip
        """A row's fixed-width record up to its token, in the layout ``sql`` reads."""
        return (
            f"{hashed}{number}{masked}{self.occ_cells[occ]}{level}{self.body_cells[body_id]}"
            f"{issued}{STATUS_CELLS[status]}"
        )

    @contextmanager
    def _writer(self, raw: Any) -> Iterator[Any]:
        def write(payload: tuple[bytes, bytes, int]) -> None:
            raw.execute(self.sql, payload)

        yield write

    def _payload(self, rows: list[tuple[str, str]], tokens: list[str]) -> tuple[bytes, bytes, int]:
        # ASCII by construction (the fast path's patterns are ASCII-only); a stray character
        # fails here, loudly, instead of shifting every field after it.
        records = "".join(map(str.__add__, map(itemgetter(0), rows), tokens)).encode("ascii")
        names = b"".join(name.encode().ljust(NAME_BYTES) for _, name in rows)
        return records, names, len(records)

    @staticmethod
    def number(row: tuple[str, str]) -> str:
        return row[0][64:86]

    def _refused(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.IntegrityError)

    def _stop(self) -> None:
        super()._stop()
        self.raw.execute(f"PRAGMA cache_size = {int(self.previous_cache)}")


def serial_tops(numbers: Iterable[str]) -> dict[str, int]:
    """The highest serial of ``numbers`` per 16-character prefix."""
    top: dict[str, str] = {}
    for n in numbers:
        # Numbers of one prefix have the same length: the larger string is the larger serial.
        prefix = n[:16]
        if n > top.get(prefix, ""):
            top[prefix] = n
    return {prefix: int(n[16:]) for prefix, n in top.items()}


def advance_serials(session: Session, top: dict[str, int]) -> None:
    """Move each prefix's counter past the imported serials (``serial_tops``) so that issuance
    never collides."""
    for prefix, serial in top.items():
        counter = session.get(SerialCounter, prefix)
        if counter is None:
            session.add(SerialCounter(prefix=prefix, last_serial=serial))
        elif counter.last_serial < serial:
            counter.last_serial = serial
    session.flush()

"""Database models of the certification system (tables prefixed ``cert_``).

Reference data (occupations, the qualification catalogue, skill standards) lives in tables so that
it can grow: occupations added after 2022 are new rows with ``added_on`` set. The certificate
registry keeps the holder's ID number only as a keyed hash (for matching) and a masked form (for
display); the clear number is never stored.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from minsheng.core.db import TRIGGER_CHECKED, Base, UTCDateTime, utcnow

BIGINT = BigInteger().with_variant(Integer, "sqlite")


def code_string(length: int) -> String:
    """A code-like text column (certificate number, keyed hash, token: ASCII letters and digits,
    compared for equality and prefix only) that PostgreSQL compares byte by byte (``COLLATE
    "C"``): the database's locale collation costs a ``strcoll`` per B-tree comparison, a tenth of
    a bulk import's server time, and keeps ``LIKE 'prefix%'`` off the index. For these values
    the order is the same either way. SQLite compares bytes already (docs/performance.md)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class Occupation(Base):
    """An occupation (细类) of the National Occupational Classification."""

    __tablename__ = "cert_occupations"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    major_group: Mapped[int] = mapped_column(Integer)
    definition: Mapped[str] = mapped_column(Text, default="")
    green: Mapped[bool] = mapped_column(Boolean, default=False)
    digital: Mapped[bool] = mapped_column(Boolean, default=False)
    edition: Mapped[str] = mapped_column(String(10), default="2022")
    added_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300), default="")


class Qualification(Base):
    """An entry of the National Vocational Qualification Catalogue (国家职业资格目录)."""

    __tablename__ = "cert_qualifications"
    __table_args__ = (UniqueConstraint("edition", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    edition: Mapped[str] = mapped_column(String(10))
    seq: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(20))  # professional | skill
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # access (准入类) | level (水平评价类)
    authority: Mapped[str] = mapped_column(String(200))
    occupation_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    confidence: Mapped[str] = mapped_column(String(20))


class SkillStandard(Base):
    """A national occupational skill standard (国家职业技能标准)."""

    __tablename__ = "cert_standards"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    occupation_code: Mapped[str] = mapped_column(ForeignKey("cert_occupations.code"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    issue_number: Mapped[str] = mapped_column(String(60))
    issued_on: Mapped[date] = mapped_column(Date)
    levels: Mapped[list[int]] = mapped_column(JSON)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Body(Base):
    """A filed (备案) evaluation body: an employer (Y) or a social training-evaluation body (S)."""

    __tablename__ = "cert_bodies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    filing_no: Mapped[str] = mapped_column(String(20), unique=True)
    body_type: Mapped[str] = mapped_column(String(1))
    code: Mapped[str] = mapped_column(String(4), index=True)
    province_code: Mapped[str | None] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(200), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")
    status_reason: Mapped[str | None] = mapped_column(String(200))
    demo: Mapped[bool] = mapped_column(Boolean, default=False)


class BodyScope(Base):
    """One occupation and level a body is filed for."""

    __tablename__ = "cert_body_scopes"
    __table_args__ = (UniqueConstraint("body_id", "occupation_code", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("cert_bodies.id", ondelete="CASCADE"))
    occupation_code: Mapped[str] = mapped_column(ForeignKey("cert_occupations.code"), index=True)
    level: Mapped[int] = mapped_column(Integer)


class Certificate(Base):
    """A skill certificate in the registry."""

    __tablename__ = "cert_certificates"
    __table_args__ = (
        # The look-ups by ID (alone, with a name or with a number) fetch the few rows of one
        # keyed hash and filter them. On PostgreSQL a hash index: a 4-byte code a row instead of
        # 64 hex digits and a name, a third of the size, and a fifth less server CPU for a bulk
        # import (migration certification_0003). SQLite ignores the option: a B-tree there.
        Index("ix_cert_certificates_id_hash", "id_hash", postgresql_using="hash"),
        # A unique index rather than a constraint so that bulk loads may drop and rebuild it.
        Index("ix_cert_certificates_verify_token", "verify_token", unique=True),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(code_string(22), unique=True)
    holder_name: Mapped[str] = mapped_column(String(50))
    id_hash: Mapped[str] = mapped_column(code_string(64))
    id_masked: Mapped[str] = mapped_column(String(18))
    occupation_code: Mapped[str] = mapped_column(String(10))
    work_type: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer)
    # On PostgreSQL checked once per statement by triggers, not row by row by the constraint
    # (migration certification_0004); SQLite keeps the constraint.
    body_id: Mapped[int | None] = mapped_column(
        ForeignKey("cert_bodies.id", info={TRIGGER_CHECKED: "certification_0004"}), index=True
    )
    issued_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="valid")
    status_reason: Mapped[str | None] = mapped_column(String(200))
    verify_token: Mapped[str] = mapped_column(code_string(32))
    imported: Mapped[bool] = mapped_column(Boolean, default=False)


class SerialCounter(Base):
    """The next certificate serial per 16-character number prefix (no collisions)."""

    __tablename__ = "cert_serials"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer, default=0)


class VerificationLog(Base):
    """One public lookup, without clear personal data (keyed hashes of client and subject)."""

    __tablename__ = "cert_verification_log"
    __table_args__ = (
        Index("ix_cert_verification_log_client_at", "client_hash", "at"),
        Index("ix_cert_verification_log_subject_at", "subject_hash", "at"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    client_hash: Mapped[str] = mapped_column(String(64))
    subject_hash: Mapped[str] = mapped_column(String(64))
    fields: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(10))
    found: Mapped[bool] = mapped_column(Boolean)
    results: Mapped[int] = mapped_column(Integer)


class RateWindow(Base):
    """A fixed one-minute window counter per rate-limit key (client or subject, hashed)."""

    __tablename__ = "cert_rate_windows"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger)  # epoch seconds, multiple of 60
    count: Mapped[int] = mapped_column(Integer)


class SubsidyClaim(Base):
    """A decided skill-upgrade subsidy claim (paid or refused), for the statistics."""

    __tablename__ = "cert_subsidy_claims"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    person_hash: Mapped[str] = mapped_column(String(64), index=True)
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    occupation_code: Mapped[str] = mapped_column(String(10))
    level: Mapped[int] = mapped_column(Integer)
    applied_on: Mapped[date] = mapped_column(Date, index=True)
    eligible: Mapped[bool] = mapped_column(Boolean)
    amount_yuan: Mapped[int] = mapped_column(Integer)
    rule_set: Mapped[str] = mapped_column(String(60))
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)

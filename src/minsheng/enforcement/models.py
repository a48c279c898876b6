"""Database models of the enforcement system (tables prefixed ``enf_``).

Parties (persons by keyed hash and masked ID, organisations by their public credit code), credit
commitments, cases with their timestamped steps, decisions (with the rule version and factors that
produced them), evidence kept by content hash *in the database* (so that it commits or rolls back
with the case step that added it), sites (compounds, garbage-sorting rooms, vending points),
inspectors and their conflicts of interest, inspections, industry records and yearly grades.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from minsheng.core.db import Base, UTCDateTime, utcnow


class Party(Base):
    """A supervised party. Persons: no ID number in clear, only its keyed hash and mask."""

    __tablename__ = "enf_parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))  # person | organisation
    category: Mapped[str] = mapped_column(String(30), index=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    id_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_masked: Mapped[str | None] = mapped_column(String(18))
    address: Mapped[str | None] = mapped_column(String(300))  # 《行政处罚法》第五十九条第一项
    # Persons: the birth date of the ID number, for 《行政处罚法》第三十条 (age at the violation).
    birth_date: Mapped[date | None] = mapped_column(Date)
    registered_on: Mapped[date] = mapped_column(Date)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Site(Base):
    """A place under supervision: a residential compound, a garbage-sorting room, a vending
    point (公益便民疏导点), a construction site or a farmland plot."""

    __tablename__ = "enf_sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    name: Mapped[str] = mapped_column(String(200))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("enf_parties.id"), index=True)
    opened_on: Mapped[date] = mapped_column(Date)
    model_since: Mapped[date | None] = mapped_column(Date)  # 垃圾分类达标示范小区 from


class Commitment(Base):
    """A signed credit commitment (信用承诺书) for one item or a whole domain."""

    __tablename__ = "enf_commitments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("enf_parties.id"), index=True)
    domain: Mapped[str] = mapped_column(String(30), index=True)
    item_id: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))  # case | proactive | repair
    promises: Mapped[list[str]] = mapped_column(JSON)
    consent_publish: Mapped[bool] = mapped_column(Boolean)
    signed_on: Mapped[date] = mapped_column(Date, index=True)
    valid_until: Mapped[date] = mapped_column(Date)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("enf_cases.id"))
    officer: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Case(Base):
    """One violation case from discovery to closure."""

    __tablename__ = "enf_cases"
    __table_args__ = (Index("ix_enf_cases_party_item", "party_id", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("enf_parties.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("enf_sites.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(20))
    domain: Mapped[str] = mapped_column(String(30), index=True)
    discovery: Mapped[str] = mapped_column(String(20))  # patrol | complaint | inspection
    status: Mapped[str] = mapped_column(String(30), index=True)
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    ended_on: Mapped[date | None] = mapped_column(Date)
    discovered_on: Mapped[date] = mapped_column(Date)
    facts: Mapped[str] = mapped_column(Text, default="")
    harm: Mapped[str | None] = mapped_column(String(20))
    corrected_in_time: Mapped[bool | None] = mapped_column(Boolean)
    endangers_safety: Mapped[bool] = mapped_column(Boolean, default=False)
    aggravating: Mapped[list[str]] = mapped_column(JSON, default=list)
    mitigating: Mapped[list[str]] = mapped_column(JSON, default=list)
    # 《行政处罚法》第三十二条第五项: the provisions a 其他依法从轻减轻 ground relies on.
    mitigating_basis: Mapped[list[str]] = mapped_column(JSON, default=list)
    no_fault_proven: Mapped[bool] = mapped_column(Boolean, default=False)  # 第三十三条第二款
    mental_state: Mapped[str] = mapped_column(String(20), default="normal")  # 第三十一条
    fine_base_yuan: Mapped[int | None] = mapped_column(Integer)  # e.g. 耕地开垦费 (GD-01)
    rectify_by: Mapped[date | None] = mapped_column(Date)
    rectified: Mapped[bool | None] = mapped_column(Boolean)
    officer: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A cancelled case: withdrawn (撤销立案) | transferred (移送, 第五十七条第四项) | revoked
    # (决定被撤销或确认无效, 第四十八条第二款).
    cancel_reason: Mapped[str | None] = mapped_column(String(20))


class CaseEvent(Base):
    """One step of a case: who did what, when (the case's own timeline beside core_audit)."""

    __tablename__ = "enf_case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enf_cases.id"), index=True)
    step: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    officer: Mapped[str] = mapped_column(String(100))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Decision(Base):
    """The engine's result for a case with everything that produced it (rule version, factors):
    a penalty is a *proposal* (``stage`` proposed) until the 行政处罚决定 is made after the
    notice, statement, hearing and 法制审核; only a decided and served row counts as a decision or
    a violation (``rules/history.py``)."""

    __tablename__ = "enf_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enf_cases.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(20), index=True)
    # rules.base.DecisionStage: proposed | decided | withdrawn.
    stage: Mapped[str] = mapped_column(
        String(20), index=True, default="decided", server_default="decided"
    )
    tier: Mapped[str | None] = mapped_column(String(20))
    fine_min: Mapped[int | None] = mapped_column(Integer)
    fine_max: Mapped[int | None] = mapped_column(Integer)
    fine_yuan: Mapped[int | None] = mapped_column(Integer)
    item_id: Mapped[str] = mapped_column(String(20))
    rule_id: Mapped[str] = mapped_column(String(40), default="")  # rules.decision.RULES
    rule_version: Mapped[str] = mapped_column(String(30))
    # The rule set's status when decided: {"name", "status": official|demo, "label", "source"}.
    rule_set: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    legal_basis: Mapped[str] = mapped_column(Text)
    repeat: Mapped[bool] = mapped_column(Boolean)
    breached_commitment_id: Mapped[int | None] = mapped_column(ForeignKey("enf_commitments.id"))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    factors: Mapped[dict[str, Any]] = mapped_column(JSON)
    education: Mapped[str | None] = mapped_column(Text)
    decided_on: Mapped[date] = mapped_column(Date, index=True)
    officer: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvidenceBlob(Base):
    """Evidence content, stored once per SHA-256 (content-addressed, deduplicated)."""

    __tablename__ = "enf_evidence_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Evidence(Base):
    __tablename__ = "enf_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enf_cases.id"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("enf_evidence_blobs.sha256"))
    filename: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(500), default="")
    officer: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Inspector(Base):
    __tablename__ = "enf_inspectors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Conflict(Base):
    """A recorded conflict of interest: the inspector never inspects that party (回避)."""

    __tablename__ = "enf_conflicts"
    __table_args__ = (UniqueConstraint("inspector_id", "party_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("enf_inspectors.id"))
    party_id: Mapped[int] = mapped_column(ForeignKey("enf_parties.id"))
    reason: Mapped[str] = mapped_column(String(200))


class Inspection(Base):
    """A carried-out inspection (routine, case-triggered or campaign) and its result."""

    __tablename__ = "enf_inspections"
    __table_args__ = (Index("ix_enf_inspections_party_on", "party_id", "inspected_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("enf_parties.id"))
    inspected_on: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(20))  # routine | case | campaign
    passed: Mapped[bool] = mapped_column(Boolean)
    items: Mapped[list[str]] = mapped_column(JSON)
    inspectors: Mapped[list[str]] = mapped_column(JSON)


class IndustryRecord(Base):
    """Industry supervision information: good and bad records (住建 credit records)."""

    __tablename__ = "enf_industry_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("enf_parties.id"), index=True)
    recorded_on: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(String(500), default="")


class Grade(Base):
    __tablename__ = "enf_grades"
    __table_args__ = (UniqueConstraint("party_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("enf_parties.id"))
    year: Mapped[int] = mapped_column(Integer, index=True)
    grade: Mapped[str] = mapped_column(String(1))
    points: Mapped[int] = mapped_column(Integer)
    # JSON text: the bulk grading serialises each distinct breakdown once.
    breakdown: Mapped[str] = mapped_column(Text)
    rule_version: Mapped[str] = mapped_column(String(30))
    graded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfficerCert(Base):
    """An officer's 执法证 (Art. 42: only certified officers act, at least two on every step)
    and, for 法制审核 reviewers, whether they hold the 法律职业资格 (Art. 58, last paragraph)."""

    __tablename__ = "enf_officer_certs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("enf_inspectors.id"), unique=True)
    cert_no: Mapped[str] = mapped_column(String(30), unique=True)  # 执法证号
    valid_until: Mapped[date] = mapped_column(Date)
    legal_qualified: Mapped[bool] = mapped_column(Boolean, default=False)


class CaseProcedure(Base):
    """The 行政处罚 procedure of a case beside its status: 立案 date and the Art. 60 period, the
    proposal (engine and officer), the 事先告知 and statement period, the hearing, 法制审核 and
    service (送达). One row per case, created when the case is opened."""

    __tablename__ = "enf_case_procedures"

    case_id: Mapped[int] = mapped_column(ForeignKey("enf_cases.id"), primary_key=True)
    investigators: Mapped[list[str]] = mapped_column(JSON, default=list)  # inspector codes
    major_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    filed_on: Mapped[date] = mapped_column(Date, index=True)  # 立案
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    extensions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    engine_range: Mapped[list[int] | None] = mapped_column(JSON)
    proposed_fine: Mapped[int | None] = mapped_column(Integer)
    departure_reason: Mapped[str | None] = mapped_column(Text)
    notice_on: Mapped[date | None] = mapped_column(Date)  # 事先告知书 served
    statement_due: Mapped[date | None] = mapped_column(Date)
    hearing_available: Mapped[bool] = mapped_column(Boolean, default=False)
    hearing_request_due: Mapped[date | None] = mapped_column(Date)
    statement_on: Mapped[date | None] = mapped_column(Date)
    statement: Mapped[str | None] = mapped_column(Text)
    statement_waived: Mapped[bool] = mapped_column(Boolean, default=False)
    statement_review: Mapped[str | None] = mapped_column(Text)  # 复核 (Art. 45)
    new_facts: Mapped[str | None] = mapped_column(Text)
    hearing_requested_on: Mapped[date | None] = mapped_column(Date)
    hearing_notified_on: Mapped[date | None] = mapped_column(Date)
    hearing_on: Mapped[date | None] = mapped_column(Date)
    hearing_place: Mapped[str | None] = mapped_column(String(200))
    hearing_presider: Mapped[str | None] = mapped_column(String(20))
    hearing_result: Mapped[str | None] = mapped_column(String(20))  # held | abandoned
    hearing_record: Mapped[str | None] = mapped_column(Text)
    major: Mapped[bool] = mapped_column(Boolean, default=False)
    major_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    review_passed: Mapped[bool | None] = mapped_column(Boolean)
    reviewer: Mapped[str | None] = mapped_column(String(20))
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    review_note: Mapped[str | None] = mapped_column(Text)
    served_on: Mapped[date | None] = mapped_column(Date)
    served_how: Mapped[str | None] = mapped_column(String(30))
    service_due: Mapped[date | None] = mapped_column(Date)
    fulfilled_on: Mapped[date | None] = mapped_column(Date)  # penalty performed (fine paid)


class DocumentSequence(Base):
    """The last 文号 sequence number used per bureau and year (allocated under a row lock)."""

    __tablename__ = "enf_document_sequences"

    bureau: Mapped[str] = mapped_column(String(30), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Document(Base):
    """A document the bureau issued, with its 文号 and the content it was printed from."""

    __tablename__ = "enf_documents"
    __table_args__ = (UniqueConstraint("bureau", "year", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("enf_cases.id"), index=True)
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("enf_commitments.id"))
    kind: Mapped[str] = mapped_column(String(30), index=True)
    bureau: Mapped[str] = mapped_column(String(30))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    issued_on: Mapped[date] = mapped_column(Date)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    officer: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditRecord(Base):
    """A 行政处罚 record in the credit system: its severity, publication period under the
    credit-repair rules in force on the decision date, and its repair or expiry."""

    __tablename__ = "enf_credit_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("enf_parties.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enf_cases.id"), unique=True)
    severity: Mapped[str] = mapped_column(String(20))  # minor | general | serious
    rule_set: Mapped[str] = mapped_column(String(40))
    decided_on: Mapped[date] = mapped_column(Date)
    published: Mapped[bool] = mapped_column(Boolean)
    min_until: Mapped[date | None] = mapped_column(Date)
    max_until: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)
    ended_on: Mapped[date | None] = mapped_column(Date)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Objection(Base):
    """A party's objection (异议) to a grade or a credit record, and its review."""

    __tablename__ = "enf_objections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("enf_parties.id"), index=True)
    target: Mapped[str] = mapped_column(String(20))  # grade | credit_record
    target_id: Mapped[int] = mapped_column(Integer)
    filed_on: Mapped[date] = mapped_column(Date)
    grounds: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)  # filed | upheld | rejected
    reviewer: Mapped[str | None] = mapped_column(String(100))
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(Text)
    revised_grade: Mapped[str | None] = mapped_column(String(1))

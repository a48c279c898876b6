"""Services of the certificate registry: filed evaluation bodies, rule-checked issuance with
collision-free numbers, suspension and revocation, and the masked public view of a certificate.
Bulk import is in ``service_import``, public verification in ``service_verify``. Functions flush,
never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from minsheng.certification import rules
from minsheng.certification.errors import (
    BodyNotFound,
    CertificateNotFound,
    DuplicateBody,
    InvalidDate,
    IssuanceRefused,
)
from minsheng.certification.models import (
    Body,
    BodyScope,
    Certificate,
    Occupation,
    SerialCounter,
)
from minsheng.certification.schemas import BodyCreate, CertificateIssue
from minsheng.certification.service_reference import load_reference, occupation_view
from minsheng.core import audit, idnumber
from minsheng.core.config import Settings
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


def certificate_to_dict(session: Session, cert: Certificate) -> dict[str, Any]:
    occ = session.get(Occupation, cert.occupation_code)
    body = session.get(Body, cert.body_id) if cert.body_id else None
    out = present(cert, occ.name if occ else None, body.name if body else None)
    out["verify_path"] = f"/api/certification/v/{cert.verify_token}"
    out["body_filing_no"] = body.filing_no if body else None
    return out

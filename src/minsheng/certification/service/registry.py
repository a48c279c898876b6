"""The certificate registry: rule-checked issuance with collision-free numbers, suspension and
revocation, and the masked public view of a certificate. Filed bodies are ``service.bodies``, bulk
import ``service.imports``, public verification ``service.verify``. Functions flush, never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.certification.errors import CertificateNotFound, ImplausibleDate, IssuanceRefused
from minsheng.certification.models import Body, Certificate, Occupation, SerialCounter
from minsheng.certification.rules import dates, issuance, numbering
from minsheng.certification.schemas import CertificateIssue, CertificateStatusChange
from minsheng.certification.service.bodies import body_facts, find_body
from minsheng.certification.service.reference import find_occupation, load_reference
from minsheng.certification.service.status import change_status
from minsheng.core import audit, idnumber, timeutil
from minsheng.core.config import Settings
from minsheng.core.privacy import keyed_hash, mask_id, mask_name
from minsheng.core.scope import Scope

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


def token_second() -> int:
    """The current second, as a token's time prefix counts it."""
    return time.time_ns() // 1_000_000_000


def token_prefix(second: int) -> str:
    """The 8 hex digits of time that start a verification token."""
    return f"{second & 0xFFFFFFFF:08x}"


def new_token() -> str:
    """A verification token: 8 hex digits of time (so that bulk inserts land together in the
    token index) and 24 random hex digits (96 bits: not guessable)."""
    return token_prefix(token_second()) + secrets.token_hex(12)


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


def issue_certificate(
    session: Session,
    data: CertificateIssue,
    settings: Settings,
    *,
    actor: str,
    today: date | None = None,
    scope: Scope = Scope.ALL,
) -> Certificate:
    """Issue a certificate; a provincial clerk issues in their own province only (the
    number's province, ``data.province_code``)."""
    scope.require(scope.covers_province2(data.province_code), "a certificate of this province")
    problem = dates.date_problem(data.issued_on, earliest=dates.CERTIFICATES_FROM)
    if problem:
        raise ImplausibleDate(problem, field="issued_on")
    load_reference(session)
    today = today or timeutil.today()
    view = find_occupation(session, data.occupation_code.strip())
    body = find_body(session, data.body)
    id_check = idnumber.check(data.id_number, today=today)
    decision = issuance.check_issuance(
        issuance.IssuanceFacts(
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
    prefix = numbering.number_prefix(
        issuer_type=body.body_type,
        body_code=body.code,
        province_code=data.province_code,
        site_code=data.site_code,
        year=data.issued_on.year,
        level=data.level,
    )
    number = numbering.compose_number(prefix, next_serial(session, prefix))
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
    audit.add_and_record(
        session,
        cert,
        actor=actor,
        action="certificate.issue",
        detail={"number": number, "rule_set": decision.rule_set},
    )
    return cert


def certificate_in_scope(cert: Certificate, scope: Scope) -> bool:
    """A certificate belongs to the province in its number (positions 6–7)."""
    return scope.covers_province2(cert.number[5:7])


def get_certificate(session: Session, number: str, *, scope: Scope = Scope.ALL) -> Certificate:
    """The certificate; CertificateNotFound when missing or outside the scope."""
    cert = session.scalar(
        select(Certificate).where(Certificate.number == numbering.normalize_number(number))
    )
    if cert is None or not certificate_in_scope(cert, scope):
        raise CertificateNotFound(f"no certificate {number}", field="number")
    return cert


def update_certificate_status(
    session: Session,
    number: str,
    data: CertificateStatusChange,
    *,
    actor: str,
    scope: Scope = Scope.ALL,
) -> Certificate:
    """Suspend, revoke or reinstate a certificate (audited with the old status and the reason)."""
    cert = get_certificate(session, number, scope=scope)
    change_status(session, cert, data, actor=actor, kind="certificate")
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
        "level_name": numbering.LEVELS.get(cert.level, ""),
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

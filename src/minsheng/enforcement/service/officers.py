"""Officers' 执法证 (《行政处罚法》第四十二条: 行政处罚应当由具有行政执法资格的执法人员
实施。执法人员不得少于两人) and the 法律职业资格 of 法制审核 reviewers (第五十八条):
registering certificates and checking the officers named on a case step. Flush, never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import audit
from minsheng.core.errors import InvalidInput
from minsheng.enforcement import schemas
from minsheng.enforcement.errors import DuplicateInspector
from minsheng.enforcement.models import Inspector, OfficerCert
from minsheng.enforcement.rules import procedure as rules
from minsheng.enforcement.service.inspectors import get_inspector_by_code


def register_cert(session: Session, data: schemas.OfficerCertCreate, *, actor: str) -> OfficerCert:
    """Record an officer's 执法证 (and 法律职业资格 for a 法制审核 reviewer)."""
    inspector = get_inspector_by_code(session, data.inspector)
    if session.scalar(select(OfficerCert).where(OfficerCert.cert_no == data.cert_no)):
        raise DuplicateInspector(f"执法证号 {data.cert_no} is registered already", field="cert_no")
    cert = session.scalar(select(OfficerCert).where(OfficerCert.inspector_id == inspector.id))
    if cert is None:
        cert = OfficerCert(inspector_id=inspector.id, cert_no=data.cert_no)
        session.add(cert)
    cert.cert_no = data.cert_no
    cert.valid_until = data.valid_until
    cert.legal_qualified = data.legal_qualified
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="officer.cert",
        table=OfficerCert.__tablename__,
        record_id=cert.id,
        detail={"inspector": data.inspector, "valid_until": data.valid_until.isoformat()},
    )
    return cert


def cert_dict(cert: OfficerCert, code: str) -> dict[str, Any]:
    return {
        "inspector": code,
        "cert_no": cert.cert_no,
        "valid_until": cert.valid_until.isoformat(),
        "legal_qualified": cert.legal_qualified,
    }


def officers_of(session: Session, codes: Sequence[str]) -> list[rules.Officer]:
    out = []
    for code in dict.fromkeys(codes):
        row = session.execute(
            select(Inspector, OfficerCert)
            .join(OfficerCert, OfficerCert.inspector_id == Inspector.id, isouter=True)
            .where(Inspector.code == code, Inspector.active.is_(True))
        ).first()
        if row is None:
            raise InvalidInput(f"no active inspector {code!r}", field="officers")
        _inspector, cert = row
        out.append(
            rules.Officer(
                code=code,
                cert_no=cert.cert_no if cert else None,
                cert_valid_until=cert.valid_until if cert else None,
                legal_qualified=bool(cert and cert.legal_qualified),
            )
        )
    return out


def check_officers(session: Session, codes: Sequence[str], on: date) -> dict[str, Any]:
    """Art. 42: at least two officers with a valid 执法证; their codes and 执法证号 for the step."""
    certs = rules.check_officers(officers_of(session, codes), on)
    return {"officers": sorted(set(codes)), "cert_nos": list(certs)}

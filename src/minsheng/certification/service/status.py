"""Status changes of filed bodies and certificates: the new status and its reason are set and
audited with the old status, in the caller's transaction (flushes, never commits)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from minsheng.certification.models import Body, Certificate
from minsheng.certification.schemas import BodyStatusChange, CertificateStatusChange
from minsheng.core import audit


def change_status(
    session: Session,
    row: Body | Certificate,
    data: BodyStatusChange | CertificateStatusChange,
    *,
    actor: str,
    kind: str,
) -> None:
    """``kind`` names the audit action: ``<kind>.<new status>`` (e.g. ``certificate.revoked``)."""
    old = row.status
    row.status = data.status
    row.status_reason = data.reason
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"{kind}.{data.status}",
        table=row.__tablename__,
        record_id=row.id,
        detail={"from": old, "reason": data.reason},
    )
